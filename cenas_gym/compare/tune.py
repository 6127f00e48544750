"""Tune the simple baselines on training traces only: the best ``fixed:K`` and ``threshold:P``.

A baseline worth beating is tuned for the task it is judged on, on traces the comparison
does not judge it on. :func:`tune` plays every candidate (``fixed:1`` .. ``fixed:8``,
``threshold:10`` .. ``threshold:90``, and the heuristic for reference) on random windows of
the given traces (one window per trace and seed, the same for every candidate: drawn from
the seed) with LaMOO, scores each candidate and names the best of each family::

    cenas-gym tune --task target --seeds 0-3 --jobs 2 --out tune-target

Scores (lower is better):

- ``target``: first the attainment rate (share of runs that reached the target, higher is
  better: a baseline that misses is no baseline), then the mean over runs of the kg CO2eq
  to reach the target, a run that misses it counted at the kg it emitted by the time cap
  (a lower bound on what it would need).
- ``budget``: mean final log10 regret under the carbon budget.

``fixed-time`` has two objectives (kg and regret) and no single score: not tuned.
The default training traces are the ones the shipped PPO agent was trained on
(:data:`cenas_gym.cli.TRAIN_TRACES`, agents/MODEL_CARD.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from cenas_gym.compare.grid import Grid
from cenas_gym.compare.runners import run_grid
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.sim.tasks import Task

FIXED_CANDIDATES = tuple(f"fixed:{k}" for k in range(1, 9))
#: Geo candidates (``cenas-gym tune --sites``): how many GPUs train at the cleanest sites now
#: (``geo-greedy:N``) and the clean-sites-first rule (``geo-rule:K:Q:S``) over a grid; the
#: geo heuristic and geo-vanilla compete too.
GEO_CANDIDATES = (("geo-vanilla", "geo-heuristic") + tuple(f"geo-greedy:{n}" for n in range(2, 19, 2))
                  + tuple(f"geo-rule:{k}:{q:g}:{s:g}" for k in (0, 1, 2) for q in (0.25, 0.5, 0.75)
                          for s in (0.5, 0.75, 1.0)))
THRESHOLD_CANDIDATES = tuple(f"threshold:{p}" for p in range(10, 100, 10))
REFERENCE = "heuristic"  # played with the candidates for reference, never a winner


def score(results: pd.DataFrame, task: Task) -> pd.DataFrame:
    """One row per policy: runs, attainment (target), mean kg, mean final log10 regret and
    the task's ``score`` (lower is better), best first: sorted by attainment (target task,
    descending), then score, then name."""
    if task.name == "fixed-time":
        raise ValueError("tune: the fixed-time task has two objectives (kg, regret) and no single score; "
                         "tune for --task target or --task budget")
    rows = []
    for policy, p in results.groupby("policy", sort=False):
        row = {
            "policy": policy,
            "runs": len(p),
            "mean_kg": float(p["carbon_kg"].mean()),
            "mean_final_log10_regret": float(p["final_log10_regret"].mean()),
        }
        if task.name == "target":
            reached = p["reached_target"].astype(bool)
            row["reached"] = int(reached.sum())
            row["attainment"] = float(reached.mean())
            # a miss counts at the kg it emitted by the cap (kg_to_target is NaN for it)
            row["score"] = float(np.where(reached, p["kg_to_target"].astype(float), p["carbon_kg"]).mean())
        else:
            row["score"] = row["mean_final_log10_regret"]
        rows.append(row)
    frame = pd.DataFrame(rows)
    if task.name == "target":
        frame["_miss"] = -frame["attainment"]
        return frame.sort_values(["_miss", "score", "policy"], kind="stable").drop(columns="_miss").reset_index(drop=True)
    return frame.sort_values(["score", "policy"], kind="stable").reset_index(drop=True)


def winners(scores: pd.DataFrame, families: Sequence[str] = ("fixed", "threshold")) -> dict[str, str]:
    """The best-scoring member of each family (``{"fixed": "fixed:4", "threshold": ...}``)."""
    out = {}
    for family in families:
        mine = scores[scores["policy"].str.startswith(family + ":")]
        if not mine.empty:
            out[family] = str(mine.iloc[0]["policy"])  # best first
    return out


def tune(
    task: Task,
    traces: Sequence[str],
    seeds: Sequence[int],
    config: SimConfig | None = None,
    candidates: Sequence[str] = FIXED_CANDIDATES + THRESHOLD_CANDIDATES,
    jobs: int = 1,
    backend: str = "serial",
    progress: bool = True,
) -> tuple[pd.DataFrame, dict[str, str], pd.DataFrame]:
    """Play ``candidates`` (and the heuristic) on one random window per trace and seed;
    returns (scores, winners, one row per run)."""
    policies = tuple(dict.fromkeys(tuple(candidates) + (REFERENCE,)))
    grid = Grid(policies=policies, traces=traces, windows=(None,), seeds=seeds,
                config=config or SimConfig(), task=task, name="tune")
    results, _ = run_grid(grid, jobs=jobs, backend=backend, progress=progress)
    scores = score(results, task)
    return scores, winners(scores[scores["policy"] != REFERENCE]), results


def tune_geo(
    task: Task,
    site_sets: Sequence[Sequence[str]],
    windows: Sequence[str],
    seeds: Sequence[int],
    config: SimConfig | None = None,
    candidates: Sequence[str] = GEO_CANDIDATES,
    jobs: int = 1,
    backend: str = "serial",
    progress: bool = True,
) -> tuple[pd.DataFrame, dict[str, str], pd.DataFrame]:
    """Play geo ``candidates`` on every site set x window x seed; returns (scores, the best
    ``geo-greedy`` and ``geo-rule``, one row per run with its ``sites``)."""
    from cenas_gym.compare.geo import GeoGrid

    specs = []
    for sites in site_sets:
        grid = GeoGrid(sites=tuple(sites), policies=tuple(candidates), windows=tuple(windows), seeds=tuple(seeds),
                       task=task, config=config or SimConfig())
        specs += grid.runs()
    results, _ = run_grid(specs, jobs=jobs, backend=backend, progress=progress)
    results.insert(1, "sites", [",".join(spec.sites) for spec in specs])
    results["trace"] = results["sites"]
    results["start"] = results["window"]
    cfg = config or SimConfig()
    results["optimizer"], results["accounting"] = cfg.optimizer, cfg.accounting
    results["gpus"] = [sum(int(s.rpartition(":")[2]) for s in spec.sites) for spec in specs]
    scores = score(results, task)
    return scores, winners(scores, ("geo-greedy", "geo-rule")), results


def write_report(outdir: str | Path, task: Task, scores: pd.DataFrame, best: dict[str, str],
                 results: pd.DataFrame, command: str) -> list[Path]:
    """Write ``tune.json`` (task, command, every candidate's score, the winners),
    ``tune.md`` and ``results.csv`` (one row per run) into ``outdir``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    settings = {
        "task": task.name, "hours": task.hours, "target_regret": task.target_regret,
        "carbon_budget_kg": task.carbon_budget_kg,
        "traces": list(dict.fromkeys(results["trace"])), "seeds": sorted(set(int(s) for s in results["seed"])),
        "windows": sorted(set(results["start"])), "optimizer": str(results["optimizer"].iloc[0]),
        "accounting": str(results["accounting"].iloc[0]), "gpus": int(results["gpus"].iloc[0]),
    }
    payload = {"command": command, "settings": settings, "winners": best,
               "scores": json.loads(scores.to_json(orient="records"))}
    (outdir / "tune.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    what = ("highest attainment first, then mean kg CO2eq to target with a miss counted at the kg emitted "
            "by the cap" if task.name == "target"
            else "mean final log10 regret")
    cols = [c for c in ("policy", "runs", "reached", "attainment", "score", "mean_kg", "mean_final_log10_regret")
            if c in scores]
    lines = [
        f"# Baseline tuning: {task.name} task",
        "",
        f"Command: `{command}`",
        "",
        f"- settings: {json.dumps(settings)}",
        f"- score (lower is better): {what}",
        f"- winners: {', '.join(f'{k}: `{v}`' for k, v in best.items())}"
        + (f" (`{REFERENCE}` shown for reference)" if REFERENCE in set(scores["policy"]) else ""),
        "",
        "| " + " | ".join(cols) + " |",
        "|---|" + "---:|" * (len(cols) - 1),
    ]
    for _, row in scores.iterrows():
        cells = [f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c]) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    (outdir / "tune.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    results.to_csv(outdir / "results.csv", index=False, lineterminator="\n")
    return [outdir / "tune.json", outdir / "tune.md", outdir / "results.csv"]
