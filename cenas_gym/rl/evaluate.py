"""Evaluate a trained agent against the heuristic and the baselines, paired, through
:mod:`cenas_gym.compare.grid`'s engine (the same runs, rows and process pool as ``compare``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cenas_gym.compare.grid import RunSpec, load_trace
from cenas_gym.compare.runners import run_grid
from cenas_gym.compare.summary import BASELINE, paired
from cenas_gym.sim.episodes import at_step, split_sim_options
from cenas_gym.policies.play import default_policies
from cenas_gym.policies.ppo import PPOPolicy, stats_path_for
from cenas_gym.rl.splits import held_out_cases
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.compare.stats import mean_ci

#: Metrics of :func:`paired_summary`.
METRICS = ("final_hv_normalized", "carbon_kg", "hv_per_kg", "final_log10_regret")
AGENT = "agent"  # the name of the agent's rows


def _iso_start(trace: str, index: int | str, step_s: int) -> str:
    if isinstance(index, str):
        return index
    return at_step(load_trace(trace), step_s).times[int(index)].isoformat()


def evaluate_agent(
    agent_path: str | Path | None,
    traces: Sequence[str],
    windows: Sequence[int | str] | None = None,
    n_windows: int = 2,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    env_kwargs: dict[str, Any] | None = None,
    *,
    baselines: Sequence[str] | None = None,
    n_jobs: int = 1,
    window_seed: int = 12345,
    progress: bool = False,
) -> pd.DataFrame:
    """The agent, the heuristic and the baselines on the same windows and seeds.

    Args:
        agent_path: a saved PPO zip (``None``: baselines only).
        traces: evaluation traces (normally held out from training).
        windows: start times / indices used on every trace; default: ``n_windows`` random
            windows per trace and seed (reproducible, ``window_seed``).
        seeds: episode seeds; every policy plays every (trace, window, seed) case.
        env_kwargs: :class:`~cenas_gym.sim.simulator.SimConfig` options (the agent plays
            ``CENAS-v0`` with its default observation).
        baselines: policy names (default :func:`cenas_gym.policies.play.default_policies` without
            ``ppo``); ``heuristic`` is the reference of :func:`paired_summary` and is always
            included.
        n_jobs: worker processes (:func:`cenas_gym.compare.runners.run_grid`'s process pool).

    Returns:
        :func:`cenas_gym.compare.runners.run_grid`'s rows (one per policy, trace, window, seed);
        the agent's rows are named ``agent``. ``df.attrs["paired_summary"]`` holds
        :func:`paired_summary` of it (as records).
    """
    sim_kwargs, rest = split_sim_options({k: v for k, v in (env_kwargs or {}).items() if k not in ("trace", "start")})
    if rest:
        raise ValueError(f"evaluate_agent: env_kwargs {sorted(rest)} are not simulator options; "
                         "the agent plays CENAS-v0 with its default observation")
    config = SimConfig(**sim_kwargs)
    if baselines is None:
        baselines = [name for name in default_policies() if name != "ppo"]
    agent = None
    if agent_path is not None:  # fail early, with a clear error, before any worker starts
        for path in (Path(agent_path), stats_path_for(agent_path)):
            if not path.is_file():
                raise FileNotFoundError(f"PPO agent file not found: {path}")
        if n_jobs <= 1:
            PPOPolicy.load(agent_path)
        agent = f"ppo:{agent_path}"
    policies = ([agent] if agent else []) + [BASELINE] + [b for b in baselines if b != BASELINE]
    if windows is None:
        cases = held_out_cases(traces, seeds, n_windows, sim_kwargs, window_seed)
    else:
        cases = [(t, w, int(s)) for t in traces for w in windows for s in seeds]
    specs = [
        RunSpec(len(policies) * i + j, policy, trace, _iso_start(trace, start, config.step_s), seed, config)
        for i, (trace, start, seed) in enumerate(cases)
        for j, policy in enumerate(policies)
    ]
    rows, _ = run_grid(specs, jobs=n_jobs, backend="process" if n_jobs > 1 else "serial", progress=progress)
    if agent:
        rows.loc[rows["policy"] == agent, "policy"] = AGENT
    rows.attrs["paired_summary"] = paired_summary(rows).to_dict("records")
    return rows


def paired_summary(results: pd.DataFrame, reference: str = BASELINE, level: float = 0.95) -> pd.DataFrame:
    """Per policy: the mean of each metric, and the paired difference to ``reference`` on the
    same (trace, window, seed, budget): mean, ``level`` t-interval (:func:`cenas_gym.compare.stats.mean_ci`)
    and relative difference (% of the reference's mean)."""
    out = []
    for name, group in results.groupby("policy", sort=False):
        pairs = paired(results, name, reference)
        row: dict[str, Any] = {"policy": name, "n": len(pairs)}
        for m in METRICS:
            row[m] = float(group[m].mean())
        for m in METRICS:
            mean, lo, hi = mean_ci(pairs[m] - pairs[f"{m}_base"], level)
            ref_mean = float(pairs[f"{m}_base"].mean()) if len(pairs) else float("nan")
            row[f"diff_{m}"], row[f"diff_{m}_lo"], row[f"diff_{m}_hi"] = mean, lo, hi
            row[f"rel_{m}_pct"] = 100.0 * mean / ref_mean if ref_mean else float("nan")
        out.append(row)
    return pd.DataFrame(out)
