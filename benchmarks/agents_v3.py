"""Judge ppo-timing and ppo-geo on held-out cases against every deployable baseline (issue 22).

    python benchmarks/agents_v3.py --agent ppo-geo --runs RUNS/geo --jobs 2      # -> results/agents_v3/ppo-geo/
    python benchmarks/agents_v3.py --agent ppo-timing --runs RUNS/timing --jobs 2

``RUNS`` holds one folder per training seed (``seed0``, ``seed1``, ...) written by
``python -m cenas_gym.rl.agent_train``; without ``--runs`` the shipped agent alone is judged.

Cases (16 each, paired: every policy plays the same window with the same seed):

- ``ppo-geo``: :data:`~cenas_gym.rl.agent_train.GEO_HELD_OUT_SITES` (EIA-BPAT and EIA-CISO were
  never training sites), 8 random 80-hour windows in July-December 2022 (the training months
  were January-June) x seeds 0, 1; target regret 0.002 within 80 h, ``cenas`` accounting,
  the authors' queue screening.
- ``ppo-timing``: the held-out traces (:data:`cenas_gym.rl.HELD_OUT_TRACES`) x 2 random windows
  x seeds 0, 1; target regret 0.002 within 160 h, ``shared`` accounting, partition screening
  with the acc12 estimate (``CENAS-Target-v2``'s simulator).

Policies: the agent's training seeds; the deployable baselines (the tuned winners of
``results/tune-geo`` / ``results/tune-timing``, chosen on training windows only, and the
package's untuned rules); the hindsight plans of ``benchmarks/headroom.py`` (not deployable:
they read the whole window), whose best per case is the hindsight bound.

Verdict per training seed: the **best deployable baseline** is the one with the lowest tune
score (mean kg to target, a miss counted at its kg by the cap) among those that reach the target
at least as often as the agent; the kg ratio is the geometric mean over cases both reached of
agent kg / baseline kg; across seeds, the mean log ratio with a 95 % t-interval. The share of
the hindsight saving captured is (baseline - agent) / (baseline - hindsight), kg summed over the
cases all three reached; a case's hindsight value is the best of the hindsight plans and the
deployable baselines on it (anything deployable is a plan one could pick in hindsight). The
shipped seed has the highest attainment, then the lowest mean kg, over the last fifth of its
training episodes, chosen before this script runs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
OUT = HERE / "results" / "agents_v3"

GEO_WINDOWS = 8
GEO_SEEDS = (0, 1)
TIMING_WINDOWS = 2
TIMING_SEEDS = (0, 1)
WINDOW_SEED = 2026


def tuned(folder: str) -> list[str]:
    """The winners of a committed tuning report (results/<folder>/tune.json)."""
    return list(json.loads((HERE / "results" / folder / "tune.json").read_text())["winners"].values())


def baselines(agent: str) -> list[str]:
    if agent == "ppo-geo":
        from cenas_gym.rl.agent_train import GEO_HELD_OUT_SITES

        singles = [f"single:{s.split(':')[0]}" for s in GEO_HELD_OUT_SITES]
        return list(dict.fromkeys(["geo-vanilla", "geo-heuristic", "geo-greedy", *tuned("tune-geo"), *singles]))
    return list(dict.fromkeys(["vanilla", "heuristic", "heuristic:causal", *tuned("tune-timing")]))


def cases(agent: str) -> list[dict[str, Any]]:
    """The held-out (window, seed) cases: dicts with ``trace`` (or sites), ``start``, ``seed``."""
    if agent == "ppo-geo":
        from cenas_gym.rl.agent_train import GEO_HELD_OUT_SITES, GEO_HELD_OUT_SPAN

        return geo_cases(GEO_HELD_OUT_SITES, *GEO_HELD_OUT_SPAN)
    from cenas_gym.rl import HELD_OUT_TRACES
    from cenas_gym.rl.splits import held_out_cases

    return [{"trace": trace, "start": int(start), "seed": seed}
            for trace, start, seed in held_out_cases(HELD_OUT_TRACES, TIMING_SEEDS, TIMING_WINDOWS,
                                                     {"budget_hours": 160.0, "forecast_hours": 6}, window_seed=WINDOW_SEED)]


def geo_cases(sites: tuple[str, ...], first: str, last: str) -> list[dict[str, Any]]:
    """:data:`GEO_WINDOWS` windows of ``sites`` starting between ``first`` and ``last`` (ISO
    times; drawn with :data:`WINDOW_SEED`) x :data:`GEO_SEEDS`."""
    lo, hi = pd.Timestamp(first), pd.Timestamp(last)
    rng = np.random.default_rng(WINDOW_SEED)
    hours = rng.choice(int((hi - lo) / pd.Timedelta(hours=1)), GEO_WINDOWS, replace=False)
    starts = sorted(lo + pd.Timedelta(hours=int(h)) for h in hours)
    return [{"sites": sites, "start": s.strftime("%Y-%m-%dT%H:%MZ"), "seed": seed} for s in starts for seed in GEO_SEEDS]


def config_of(agent: str):
    from cenas_gym.rl.agent_train import AGENTS
    from cenas_gym.sim.simulator import SimConfig
    from cenas_gym.sim.tasks import make_task

    if agent == "ppo-geo":
        kw = AGENTS[agent].env_kwargs
        config = SimConfig(screening=kw["screening"], estimator=kw["estimator"],
                           supernet_train_gpu_h=kw["supernet_train_gpu_h"], accounting=kw["accounting"])
        return make_task("target", hours=kw["hours"]).apply(config)
    config = SimConfig(screening="partition", estimator="acc12", supernet_train_gpu_h=None, accounting="shared")
    return make_task("target").apply(config)


def play(job: dict[str, Any]) -> dict[str, Any]:
    """One run: ``job`` = case + ``agent`` + ``policy`` (+ ``path`` for a trained seed)."""
    import headroom

    from cenas_gym.carbon.trace import CarbonTrace
    from cenas_gym.policies.geo import run_geo_policy
    from cenas_gym.policies.play import run_policy
    from cenas_gym.policies.ppo import GeoPPOPolicy, PPOPolicy
    from cenas_gym.sim.geo import make_sites

    geo = job["agent"] == "ppo-geo"
    config = config_of(job["agent"])
    if job.get("path"):
        policy = (GeoPPOPolicy if geo else PPOPolicy).load(job["path"])
    else:
        policy = headroom._policy(job["policy"], geo)
    if geo:
        sim = run_geo_policy(policy, config, make_sites(job["sites"]), job["seed"], job["start"])
    else:
        sim = run_policy(policy, config, CarbonTrace.load(job["trace"]), job["seed"], job["start"])
    s = sim.summary()
    return {"case": job["case"], "policy": job["policy"], "kind": job["kind"], "reached": bool(s["reached_target"]),
            "kg_to_target": s["kg_to_target"] if s["reached_target"] else math.nan, "carbon_kg": s["carbon_kg"],
            "hours": s["hours"], "final_log10_regret": s["final_log10_regret"]}


def jobs_of(agent: str, runs: Path | None) -> list[dict[str, Any]]:
    import headroom

    from cenas_gym.rl.agent_train import AGENTS, GEO_HELD_OUT_SITES

    geo = agent == "ppo-geo"
    stem = AGENTS[agent].stem
    policies = [(name, "baseline", None) for name in baselines(agent)]
    plans = headroom.geo_plans(len(GEO_HELD_OUT_SITES)) if geo else headroom.single_plans()
    taken = {name for name, _, _ in policies}
    policies += [(name, "hindsight", None) for name in plans if name not in taken]
    if runs is not None:
        folders = sorted(runs.glob("seed*"))
        if not folders:
            raise SystemExit(f"--runs {runs}: no seed* folders")
        for folder in folders:
            if not (folder / f"{stem}.zip").is_file():
                raise SystemExit(f"--runs {runs}: {folder / stem}.zip missing (training unfinished?)")
            policies.append((f"{agent}:{folder.name}", "agent", str(folder / f"{stem}.zip")))
    else:
        from cenas_gym.policies.ppo import shipped_agent_path

        policies.append((agent, "agent", str(shipped_agent_path(stem))))
    return [{**case, "case": i, "agent": agent, "policy": name, "kind": kind, "path": path}
            for i, case in enumerate(cases(agent)) for name, kind, path in policies]


def tune_score(rows: pd.DataFrame) -> float:
    return float(np.where(rows["reached"], rows["kg_to_target"], rows["carbon_kg"]).mean())


def verdict(results: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Per agent seed: best eligible baseline, kg ratio, hindsight share; plus the seeds' summary lines."""
    # the best plan per case in hindsight, the deployable baselines counted among the plans
    hindsight = results[results.kind.isin(("hindsight", "baseline"))].groupby("case")["kg_to_target"].min()
    base = results[results.kind == "baseline"]
    rows = []
    for name, a in results[results.kind == "agent"].groupby("policy"):
        a = a.set_index("case")
        reached = int(a["reached"].sum())
        eligible = [(tune_score(b), p) for p, b in base.groupby("policy") if int(b["reached"].sum()) >= reached]
        best = min(eligible)[1] if eligible else None
        row = {"agent": name, "reached": reached, "cases": len(a), "agent_mean_kg": tune_score(a.reset_index()),
               "best_baseline": best}
        if best is not None:
            b = base[base.policy == best].set_index("case")
            both = a.index[a["reached"] & b["reached"]]
            ratios = a.loc[both, "kg_to_target"] / b.loc[both, "kg_to_target"]
            row["best_reached"] = int(b["reached"].sum())
            row["best_mean_kg"] = tune_score(b.reset_index())
            row["log_ratio"] = float(np.log(ratios).mean())
            row["kg_ratio"] = float(np.exp(row["log_ratio"]))
            common = [c for c in both if not math.isnan(hindsight.get(c, math.nan))]
            saved = b.loc[common, "kg_to_target"].sum() - a.loc[common, "kg_to_target"].sum()
            room = b.loc[common, "kg_to_target"].sum() - hindsight.loc[common].sum()
            row["hindsight_share"] = float(saved / room) if room > 0 else math.nan
            row["paired_cases"] = len(both)
        rows.append(row)
    frame = pd.DataFrame(rows)
    lines = []
    if "log_ratio" in frame and frame["log_ratio"].notna().sum() >= 2:
        x = frame["log_ratio"].dropna().to_numpy()
        half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
        lines.append(f"kg ratio to the best deployable baseline over {len(x)} training seeds: "
                     f"{math.exp(x.mean()):.3f} [{math.exp(x.mean() - half):.3f}, {math.exp(x.mean() + half):.3f}] (95 %)")
        share = frame["hindsight_share"].dropna()
        lines.append(f"share of the hindsight saving captured: mean {share.mean():.2f} (per seed: "
                     + ", ".join(f"{v:.2f}" for v in share) + ")")
    return frame, lines


def policy_table(results: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (kind, policy), p in results.groupby(["kind", "policy"], sort=False):
        rows.append({"kind": kind, "policy": policy, "reached": f"{int(p.reached.sum())}/{len(p)}",
                     "score_kg": round(tune_score(p), 2),
                     "mean_kg_to_target_reached": round(float(p.kg_to_target.mean()), 2),
                     "mean_hours": round(float(p.hours.mean()), 1)})
    return pd.DataFrame(rows)


def markdown(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in frame.iterrows():
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(lines)


def training_tail(folder: Path, stem: str) -> tuple[float, float]:
    """(attainment, mean kg) over the last fifth of a run's PPO training episodes."""
    curve = pd.read_csv(folder / f"{stem}.episodes.csv")
    ppo = curve[curve.phase == "ppo"]
    tail = ppo.iloc[-max(1, len(ppo) // 5):]
    return float(tail.reached_target.mean()), float(tail.carbon_kg.mean())


def shipped_seed(runs: Path, stem: str) -> Path:
    """The seed to ship, from training alone: highest attainment over the last fifth of its
    training episodes, then the lowest mean kg there."""
    scored = [(-training_tail(f, stem)[0], training_tail(f, stem)[1], f.name, f) for f in sorted(runs.glob("seed*"))]
    return min(scored)[3]


def plot_curves(runs: Path, stem: str, out: Path, window: int = 100) -> Path:
    """Learning curves: rolling mean kg of the training episodes per seed, the teacher's mean."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    teacher = []
    for folder in sorted(runs.glob("seed*")):
        curve = pd.read_csv(folder / f"{stem}.episodes.csv")
        teacher.append(curve[curve.phase == "teacher"].carbon_kg.mean())
        ppo = curve[curve.phase == "ppo"]
        ax.plot(ppo.timesteps, ppo.carbon_kg.rolling(window, min_periods=1).mean(), label=f"PPO {folder.name}")
    ax.axhline(float(np.mean(teacher)), color="k", ls="--", label="teacher (cloned baseline), its episodes")
    ax.set_xlabel("PPO timesteps (after cloning)")
    ax.set_ylabel(f"kg CO2eq per training episode ({window}-episode mean)")
    ax.set_title(f"{stem}: training windows")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "learning_curve.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--agent", choices=("ppo-geo", "ppo-timing"), required=True)
    p.add_argument("--runs", type=Path, default=None, help="folder of seed*/ training runs (default: the shipped agent)")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--report-only", action="store_true", help="rebuild summary.md from the folder's results.csv")
    args = p.parse_args(argv)
    out = args.out or OUT / args.agent
    out.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        results = pd.read_csv(out / "results.csv")
    else:
        jobs = jobs_of(args.agent, args.runs)
        from tqdm import tqdm

        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(tqdm(pool.map(play, jobs, chunksize=4), total=len(jobs), desc=args.agent))
        results = pd.DataFrame(rows)
        results.to_csv(out / "results.csv", index=False, lineterminator="\n")
    frame, lines = verdict(results)
    if args.runs is not None:
        from cenas_gym.rl.agent_train import AGENTS

        stem = AGENTS[args.agent].stem
        chosen = shipped_seed(args.runs, stem)
        lines.append(f"shipped seed (chosen from training episodes only, before this evaluation): {chosen.name}")
        plot_curves(args.runs, stem, out)
    given = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--report-only"]
    command = "python benchmarks/agents_v3.py " + " ".join(given)
    text = "\n".join([f"# {args.agent} on held-out cases", "", f"Command: `{command}`", "",
                      f"{results.case.nunique()} paired cases; method: benchmarks/agents_v3.py docstring.", "",
                      *[f"- {line}" for line in lines], "", "## Per training seed", "", markdown(frame), "",
                      "## Every policy", "", markdown(policy_table(results)), ""])
    (out / "summary.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
