"""Judge policies on a v1 task, paired (same trace, window, seed), with policy names as strings.

* ``target`` task: attainment rate (share of runs that reach the target regret within the
  cap) and kg to target; each policy against a reference: the ratio of mean kg over the pairs
  where both reached the target, the mean per-pair ratio and its 95 % t-interval, and the
  paired difference in kg with its interval.
* ``budget`` task: final log10 regret; the paired difference to the reference and its interval.

``--tune`` instead picks the best ``fixed:K`` (K = 1..n_gpus) and ``threshold:P``
(P in 25, 50, 75) on the given (training) traces: target task by attainment rate, then mean
kg; budget task by mean final log10 regret.

Labels: a policy may be written ``LABEL=NAME`` (``s0=ppo:runs/t/seed0/ppo_target.zip``);
labels ``BASE#N`` are grouped across training seeds (mean and 95 % interval across seeds).

    python -m cenas_gym.rl.task_eval --task target --traces held-out --seeds 0,1 --windows 2 \\
        --policies heuristic,heuristic:causal,vanilla,fixed:8,threshold:25,ppo-target --out results/t
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cenas_gym.compare.grid import RunSpec
from cenas_gym.compare.runners import run_grid
from cenas_gym import ENV_IDS, TASK_ENV_IDS
from cenas_gym.carbon.catalogue import HELD_OUT_TRACES, TRAIN_TRACES
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


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--task", required=True, choices=("target", "budget"))
    p.add_argument("--traces", default="held-out", help="'held-out', 'train' or comma-separated trace names")
    p.add_argument("--policies", default=None, help="comma-separated policy names (LABEL=NAME allowed)")
    p.add_argument("--reference", default=None, help="reference label (default: best non-learned of the list; oracles, "
                   "which know the window, are never the reference)")
    p.add_argument("--seeds", default="0,1")
    p.add_argument("--windows", type=int, default=2, help="random windows per trace and seed")
    p.add_argument("--optimizer", default="lamoo")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--tune", action="store_true", help="pick the best fixed:K and threshold:P (writes tuned.json)")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    traces = {"held-out": list(HELD_OUT_TRACES), "train": list(TRAIN_TRACES)}.get(a.traces) or a.traces.split(",")
    seeds = [int(s) for s in a.seeds.split(",")]
    if a.tune:
        policies = [f"fixed:{k}" for k in range(1, task_config(a.task).n_gpus + 1)] + ["threshold:25", "threshold:50", "threshold:75"]
        policies += ["heuristic", "heuristic:causal", "vanilla"]
    else:
        policies = a.policies.split(",")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = run_cases(a.task, traces, policies, seeds, a.windows, a.optimizer, a.jobs)
    rows.to_csv(out / "results.csv", index=False)
    learned = [lbl for lbl, name in map(_split, policies) if name.startswith("ppo")]
    reference = a.reference or best_reference(policy_stats(rows, a.task), a.task, [lbl for lbl, name in map(_split, policies) if lbl not in learned and not name.startswith("oracle")])
    text = summary_markdown(rows, a.task, reference)
    command = "python -m cenas_gym.rl.task_eval " + " ".join(argv if argv is not None else __import__("sys").argv[1:])
    (out / "summary.md").write_text(f"command: `{command}`\n\n{text}")
    if a.tune:
        tuned = tune(rows, a.task)
        (out / "tuned.json").write_text(json.dumps({"task": a.task, "traces": traces, "seeds": seeds, **tuned}, indent=2))
        print(tuned)
    print(text)


if __name__ == "__main__":
    main()
