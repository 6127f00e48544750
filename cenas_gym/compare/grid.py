"""What a comparison runs: a :class:`Grid` names the policies, the traces (shipped names or CSV
paths), the start of each window, the seeds and one :class:`~cenas_gym.sim.simulator.SimConfig`;
:meth:`Grid.runs` expands it into a deterministic list of :class:`RunSpec`. :func:`run_one`
plays one spec on the simulator's fast path (:func:`~cenas_gym.policies.play.run_policy`) and
returns one flat row (every summary metric and the full configuration) plus the per-step
trajectory; :func:`frames_of` turns rows into (table, trajectories).

Units: carbon in kg CO2eq, energy in kWh, time in hours, hypervolume normalised by the HV of
the table's true Pareto front (1.0 = the best front that exists).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from cenas_gym.carbon.readers import iso_utc
from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.policies.play import make_policy, run_policy
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.sim.tasks import Task, task_of


# ------------------------------------------------------------------------------ specs
@dataclass(frozen=True)
class RunSpec:
    """One run: a policy on one window of one trace with one seed (picklable)."""

    index: int
    policy: str
    trace: str
    start: str | None  # ISO time of the first step; None: drawn from the seed
    seed: int
    config: SimConfig

    def play(self) -> dict[str, Any]:
        """Play it (:func:`run_one`)."""
        return run_one(self)


@dataclass(frozen=True)
class Grid:
    """Policies x traces x windows x seeds (x carbon budgets), all with one SimConfig and task.

    Attributes:
        policies: policy names (see :func:`~cenas_gym.policies.play.make_policy`).
        traces: shipped trace names (``"US-CAL-CISO:2021"``) or CSV paths.
        windows: start times (ISO, UTC) per trace, ``{trace: [start, ...]}``, or one list
            applied to every trace. A start of ``None`` draws the window from the seed (the
            same window for every policy with that seed). A trace missing from the mapping
            gets one window drawn from the seed.
        seeds: seeds; the same seed gives every policy the same initial architectures.
        config: the simulated run's settings (GPUs, hours, optimizer, accounting, ...).
        carbon_budgets_kg: optional extra axis; each value replaces
            ``config.carbon_budget_g`` (``None``: no budget). Empty: the config's budget.
        name: a label for reports.
        task: the task (:mod:`cenas_gym.sim.tasks`); it sets the config's time budget or cap,
            target and carbon budget. ``None``: the task the config encodes
            (:func:`~cenas_gym.sim.tasks.task_of`). After construction ``config`` has the task applied.
    """

    policies: Sequence[str]
    traces: Sequence[str]
    windows: Mapping[str, Sequence[str | None]] | Sequence[str | None] = (None,)
    seeds: Sequence[int] = (0,)
    config: SimConfig = field(default_factory=SimConfig)
    carbon_budgets_kg: Sequence[float | None] = ()
    name: str = "custom"
    task: Task | None = None

    def __post_init__(self) -> None:
        task = self.task if self.task is not None else task_of(self.config)
        object.__setattr__(self, "task", task)
        object.__setattr__(self, "config", task.apply(self.config))
        object.__setattr__(self, "policies", tuple(self.policies))
        object.__setattr__(self, "traces", tuple(self.traces))
        object.__setattr__(self, "seeds", tuple(int(s) for s in self.seeds))
        object.__setattr__(self, "carbon_budgets_kg", tuple(self.carbon_budgets_kg))
        if isinstance(self.windows, Mapping):
            unknown = set(self.windows) - set(self.traces)
            if unknown:
                raise ValueError(f"windows given for traces not in the grid: {sorted(unknown)}")
            windows: Any = {k: tuple(v) for k, v in self.windows.items()}
        else:
            windows = tuple(self.windows)
        object.__setattr__(self, "windows", windows)
        for what in ("policies", "traces", "seeds"):
            if not getattr(self, what):
                raise ValueError(f"Grid.{what} is empty")
        for budget in self.carbon_budgets_kg:
            if budget is not None and not budget > 0:
                raise ValueError(f"carbon budgets must be > 0 kg or None, got {budget!r}")

    def windows_of(self, trace: str) -> tuple[str | None, ...]:
        """The window starts of one trace."""
        if isinstance(self.windows, Mapping):
            return tuple(self.windows.get(trace, (None,))) or (None,)
        return tuple(self.windows) or (None,)

    def runs(self) -> list[RunSpec]:
        """Every run, in a fixed order: trace, window, budget, seed, policy."""
        budgets = self.carbon_budgets_kg or ("config",)
        specs: list[RunSpec] = []
        for trace in self.traces:
            for start in self.windows_of(trace):
                for budget in budgets:
                    if budget == "config":
                        config = self.config
                    else:
                        config = self.config.with_(carbon_budget_g=None if budget is None else float(budget) * 1000.0)
                    for seed in self.seeds:
                        for policy in self.policies:
                            specs.append(RunSpec(len(specs), policy, trace, start, seed, config))
        return specs


# ------------------------------------------------------------------------------ one run
@lru_cache(maxsize=32)
def load_trace(trace: str) -> CarbonTrace:
    """A shipped trace by name, or a CSV file by path (cached per process)."""
    path = Path(trace)
    if trace.endswith((".csv", ".csv.gz")) or path.is_file():
        return CarbonTrace.from_csv(path, name=path.name)
    return CarbonTrace.load(trace)


def run_one(spec: RunSpec) -> dict[str, Any]:
    """Play one spec; returns a flat row (config + summary metrics) whose ``"trajectory"``
    entry holds the per-step series (a dict of lists) used by the plots."""
    config = spec.config
    trace = load_trace(spec.trace)
    sim = run_policy(make_policy(spec.policy), config, trace, spec.seed, spec.start)
    accounting = config.accounting if isinstance(config.accounting, str) else config.accounting.name
    budget = config.carbon_budget_g
    row: dict[str, Any] = {
        "run": spec.index,
        "policy": spec.policy,
        "trace": spec.trace,
        "start": iso_utc(sim.trace.times[0], seconds=False),
        "seed": spec.seed,
        "gpus": config.n_gpus,
        "budget_hours": config.budget_hours,
        "step_s": config.step_s,
        "optimizer": config.optimizer,
        "accounting": accounting,
        "hardware_metric": config.objectives.cost,
        "accuracy_metric": config.objectives.accuracy,
        "estimator": config.estimator,
        "screening": config.screening,
        "pool_cap": config.pool_cap,
        "supernet_gpu_h": config.supernet_gpu_h,
        "carbon_budget_kg": float("nan") if budget is None else budget / 1000.0,
        "task": task_of(config).name,
        "n_init": config.n_init,
        "queue_cap": config.queue_cap,
        "mean_intensity_g_per_kwh": float(np.mean(sim.trace.values_g_per_kwh[: sim.t])),
    }
    row.update(sim.summary())
    hist = sim.history
    row["trajectory"] = {
        "hour": [r["step"] * config.step_s / 3600.0 for r in hist],
        "intensity_g_per_kwh": [r["intensity_g_per_kwh"] for r in hist],
        "gpus_train": [r["gpus_train"] for r in hist],
        "hv_normalized": [r["hv_normalized"] for r in hist],  # at the end of the step
        "regret": [r["regret"] for r in hist],  # at the end of the step
        "cum_carbon_g": [r["cum_carbon_g"] for r in hist],  # at the end of the step
        "init_hv_normalized": row["init_hv_normalized"],
        "init_carbon_g": row["init_carbon_kg"] * 1000.0,
        "step_h": config.step_s / 3600.0,
    }
    return row


def frames_of(rows: Sequence[Mapping[str, Any]]) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """(table, trajectories) of rows as :func:`run_one` returns them (a geo run's trajectory,
    :func:`cenas_gym.compare.geo.run_geo_one`, stays the dict it is)."""
    trajectories: list[Any] = []
    flat = []
    for row in rows:
        row = dict(row)
        traj = dict(row.pop("trajectory"))
        flat.append(row)
        if "init_hv_normalized" not in traj:
            trajectories.append(traj)
            continue
        init = {k: traj.pop(k) for k in ("init_hv_normalized", "init_carbon_g", "step_h")}
        frame = pd.DataFrame(traj)
        frame.attrs.update(init)
        trajectories.append(frame)
    return pd.DataFrame(flat), trajectories


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"5"`` -> 0..4; ``"0-4"`` -> 0..4; ``"1,3,7"`` -> those."""
    text = text.strip()
    try:
        if "," in text:
            return tuple(int(s) for s in text.split(",") if s.strip())
        if "-" in text[1:]:
            lo, hi = text.split("-", 1)
            return tuple(range(int(lo), int(hi) + 1))
        return tuple(range(int(text)))
    except ValueError:
        raise ValueError(f"seeds {text!r}: give N (0..N-1), A-B (inclusive) or a comma list") from None
