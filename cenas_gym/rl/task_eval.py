"""Judge policies on a v1 task, paired (same trace, window, seed), with policy names as strings.

* ``target`` task: attainment rate (share of runs that reach the target regret within the
  cap) and kg to target; each policy against a reference: the ratio of mean kg over the pairs
  where both reached the target, the mean per-pair ratio and its 95 % t-interval, and the
  paired difference in kg with its interval.
* ``budget`` task: final log10 regret; the paired difference to the reference and its interval.

:func:`tune` picks the best ``fixed:K`` and ``threshold:P`` of a results table: target task by
attainment rate, then mean kg; budget task by mean final log10 regret (``cenas-gym tune``
does it for the command line).

Labels: a policy may be written ``LABEL=NAME`` (``s0=ppo:runs/t/seed0/ppo_target.zip``);
labels ``BASE#N`` are grouped across training seeds (mean and 95 % interval across seeds).

    cenas-gym evaluate --task target --traces held-out --seeds 0,1 --windows 2 \\
        --policies heuristic,heuristic:causal,vanilla,fixed:8,threshold:25,ppo-target --out results/t
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cenas_gym.compare.grid import RunSpec
from cenas_gym.compare.runners import run_grid
from cenas_gym import ENV_IDS, TASK_ENV_IDS
from cenas_gym.rl.evaluate import _iso_start
from cenas_gym.rl.splits import held_out_cases
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.compare.stats import mean_ci
from cenas_gym.sim.tasks import make_task

def task_config(task: str, optimizer: str = "lamoo") -> SimConfig:
    """The run settings of the task's env id (``CENAS-Target-v1`` / ``CENAS-Budget-v1``) with ``optimizer``."""
    fixed = ENV_IDS[TASK_ENV_IDS[task]][1]
    spec = make_task(task, carbon_budget_kg=fixed.get("carbon_budget_kg"))
    return spec.apply(SimConfig(optimizer=optimizer))


def _split(policy: str) -> tuple[str, str]:
    label, eq, name = policy.partition("=")
    return (label, name) if eq else (policy, policy)


def run_cases(task: str, traces: Sequence[str], policies: Sequence[str], seeds: Sequence[int], n_windows: int,
              optimizer: str = "lamoo", jobs: int = 1, progress: bool = True) -> pd.DataFrame:
    """One row per (policy, trace, window, seed); ``policy`` holds the label."""
    config = task_config(task, optimizer)
    cases = held_out_cases(traces, seeds, n_windows, {"budget_hours": config.budget_hours})
    pairs = [_split(p) for p in policies]
    specs = [RunSpec(len(pairs) * i + j, name, trace, _iso_start(trace, start, config.step_s), seed, config)
             for i, (trace, start, seed) in enumerate(cases) for j, (_, name) in enumerate(pairs)]
    rows, _ = run_grid(specs, jobs=jobs, backend="process" if jobs > 1 else "serial", progress=progress)
    rows["policy"] = [pairs[int(r) % len(pairs)][0] for r in rows["run"]]
    return rows


def _key(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.assign(case=rows["trace"] + "|" + rows["start"].astype(str) + "|" + rows["seed"].astype(str))


def policy_stats(rows: pd.DataFrame, task: str) -> pd.DataFrame:
    """Per policy: n, attainment, mean kg (all runs), mean kg to target (reached runs), mean final log10 regret."""
    out = []
    for name, g in rows.groupby("policy", sort=False):
        out.append({"policy": name, "n": len(g), "attainment": float(g["reached_target"].astype(float).mean()) if task == "target" else float("nan"),
                    "carbon_kg": float(g["carbon_kg"].mean()), "kg_to_target": float(pd.to_numeric(g["kg_to_target"], errors="coerce").mean()),
                    "final_log10_regret": float(g["final_log10_regret"].mean())})
    return pd.DataFrame(out)


def paired_vs(rows: pd.DataFrame, policy: str, reference: str, task: str) -> dict[str, Any]:
    """``policy`` against ``reference`` on the same cases (see the module docstring)."""
    k = _key(rows)
    a = k[k["policy"] == policy].set_index("case")
    b = k[k["policy"] == reference].set_index("case")
    both = a.index.intersection(b.index)
    a, b = a.loc[both], b.loc[both]
    out: dict[str, Any] = {"policy": policy, "reference": reference, "pairs": len(both)}
    if task == "target":
        ra, rb = a["reached_target"].astype(bool), b["reached_target"].astype(bool)
        out["attainment"], out["attainment_ref"] = float(ra.mean()), float(rb.mean())
        out["attainment_diff"] = mean_ci(ra.astype(float) - rb.astype(float))
        m = ra & rb
        ka, kb = a.loc[m, "carbon_kg"].astype(float), b.loc[m, "carbon_kg"].astype(float)
        out["both_reached"] = int(m.sum())
        out["kg_ratio_of_means"] = float(ka.mean() / kb.mean()) if m.any() else float("nan")
        out["kg_ratio_per_pair"] = mean_ci(ka / kb)
        out["kg_diff"] = mean_ci(ka - kb)
    else:
        d = a["final_log10_regret"].astype(float) - b["final_log10_regret"].astype(float)
        out["log10_regret"], out["log10_regret_ref"] = float(a["final_log10_regret"].mean()), float(b["final_log10_regret"].mean())
        out["log10_regret_diff"] = mean_ci(d)
    return out


def best_reference(stats: pd.DataFrame, task: str, candidates: Sequence[str]) -> str:
    """The best of ``candidates``: target: highest attainment, then lowest mean kg; budget:
    lowest mean final log10 regret."""
    s = stats[stats["policy"].isin(candidates)]
    if task == "target":
        s = s.sort_values(["attainment", "carbon_kg"], ascending=[False, True])
    else:
        s = s.sort_values("final_log10_regret")
    return str(s["policy"].iloc[0])


def _ci(t: tuple[float, float, float], digits: int = 3) -> str:
    m, lo, hi = t
    return "n/a" if not np.isfinite(m) else f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def seed_groups(stats: pd.DataFrame) -> dict[str, list[str]]:
    """Labels ``BASE#N`` grouped by ``BASE``."""
    groups: dict[str, list[str]] = {}
    for name in stats["policy"]:
        m = re.fullmatch(r"(.+)#\d+", name)
        if m:
            groups.setdefault(m.group(1), []).append(name)
    return groups


def summary_markdown(rows: pd.DataFrame, task: str, reference: str) -> str:
    stats = policy_stats(rows, task)
    lines = [f"task {task}; {rows.groupby(['trace', 'start', 'seed']).ngroups} paired cases; reference (best non-learned): {reference}", ""]
    if task == "target":
        lines += ["| policy | runs | attainment | mean kg (all runs) | mean kg to target (reached) | kg ratio vs ref (pairs both reached) | per-pair ratio [95% CI] | kg diff [95% CI] | attainment diff [95% CI] |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for _, s in stats.iterrows():
            p = paired_vs(rows, s["policy"], reference, task)
            lines.append(f"| {s['policy']} | {s['n']} | {s['attainment']:.2f} | {s['carbon_kg']:.2f} | {s['kg_to_target']:.2f} | "
                         f"{p['kg_ratio_of_means']:.3f} (n={p['both_reached']}) | {_ci(p['kg_ratio_per_pair'])} | {_ci(p['kg_diff'], 2)} | {_ci(p['attainment_diff'], 2)} |")
    else:
        lines += ["| policy | runs | mean carbon kg | mean final log10 regret | diff vs ref [95% CI] |", "|---|---|---|---|---|"]
        for _, s in stats.iterrows():
            p = paired_vs(rows, s["policy"], reference, task)
            lines.append(f"| {s['policy']} | {s['n']} | {s['carbon_kg']:.2f} | {s['final_log10_regret']:.3f} | {_ci(p['log10_regret_diff'])} |")
    groups = seed_groups(stats)
    if groups:
        lines += ["", "Across training seeds (mean of each seed's value, 95 % t-interval over seeds):", ""]
        for base, names in groups.items():
            per = [paired_vs(rows, n, reference, task) for n in names]
            if task == "target":
                att = mean_ci([p["attainment"] for p in per])
                ratio = mean_ci([p["kg_ratio_of_means"] for p in per])
                lines.append(f"* {base} ({len(names)} seeds): attainment {_ci(att, 2)}; kg ratio vs {reference} {_ci(ratio)}")
            else:
                diff = mean_ci([p["log10_regret_diff"][0] for p in per])
                lines.append(f"* {base} ({len(names)} seeds): final log10 regret diff vs {reference} {_ci(diff)}")
    return "\n".join(lines) + "\n"


def tune(rows: pd.DataFrame, task: str) -> dict[str, str]:
    stats = policy_stats(rows, task)
    fixed = [p for p in stats["policy"] if p.startswith("fixed:")]
    thr = [p for p in stats["policy"] if p.startswith("threshold")]
    return {"fixed": best_reference(stats, task, fixed), "threshold": best_reference(stats, task, thr)}


def judge(task: str, traces: Sequence[str], policies: Sequence[str], seeds: Sequence[int], n_windows: int,
          out: str | Path, optimizer: str = "lamoo", jobs: int = 1, reference: str | None = None,
          command: str = "") -> str:
    """Run :func:`run_cases` and write ``out/results.csv`` and ``out/summary.md`` (headed by
    ``command``); returns the summary. ``reference``: default the best non-learned policy of
    the list (oracles, which know the window, never are). ``cenas-gym evaluate --task`` calls this."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = run_cases(task, traces, policies, seeds, n_windows, optimizer, jobs)
    rows.to_csv(out / "results.csv", index=False)
    labels = [_split(p) for p in policies]
    plain = [label for label, name in labels if not name.startswith(("ppo", "oracle"))]
    reference = reference or best_reference(policy_stats(rows, task), task, plain)
    text = summary_markdown(rows, task, reference)
    (out / "summary.md").write_text(f"command: `{command}`\n\n{text}")
    return text


if __name__ == "__main__":
    raise SystemExit("python -m cenas_gym.rl.task_eval moved: use `cenas-gym evaluate --task target|budget --policies "
                     "A,B --out DIR` (and `cenas-gym tune` for --tune)")
