"""The settings of a simulated CE-NAS run (:class:`SimConfig`, validated on construction) and the
per-architecture arrays prepared once per table and settings (:class:`SearchSpace`).

Units: seconds inside the simulator (``step_s``, training and screening times), hours at the
interface (``budget_hours``), gCO2eq (``carbon_budget_g``), percent accuracy. The simulator
that runs a config is :mod:`cenas_gym.sim.simulator`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from cenas_gym.search.estimators import ESTIMATOR_SPECS, estimate_values, screening_seconds, supernet_gpu_h
from cenas_gym.search.lamoo import LamooConfig
from cenas_gym.search.nasbench import ArchTable
from cenas_gym.search.optimizers import OPTIMIZERS
from cenas_gym.search.pareto import Objectives
from cenas_gym.sim.accounting import CarbonAccounting, get_accounting
from cenas_gym.sim.screening import SCREENING_MODES

# The one-shot evaluation time (one forward pass, derived from the measured epoch time) and
# every other estimator's cost are stated in cenas_gym.estimators.

#: Regret is floored here so that its log10 stays finite (the true front found: -6).
REGRET_FLOOR = 1e-6


def regret_of(hv_normalized: float) -> float:
    """HV regret ``max(1 - HV / HV(true front), REGRET_FLOOR)`` (dimensionless)."""
    return max(1.0 - float(hv_normalized), REGRET_FLOOR)


#: Estimator name -> the table column it reads (costs: :mod:`cenas_gym.estimators`).
ESTIMATORS: dict[str, str] = {name: spec.column for name, spec in ESTIMATOR_SPECS.items()}


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@dataclass(frozen=True)
class SimConfig:
    """Every setting of a simulated CE-NAS run.

    Attributes:
        n_gpus: GPUs in the pool.
        step_s: seconds per step (3600: one hour).
        budget_hours: time budget (hours); the run ends when it is spent.
        carbon_budget_g: optional carbon budget (gCO2eq), initial samples included when the
            accounting charges them.
        target_regret: optional quality target: the run ends at the end of the step in
            which the HV regret ``1 - HV / HV(true front)`` falls to this value or below
            (the ``target`` task); ``budget_hours`` is then the time cap.
        n_init: architectures trained before the search starts (chosen at random).
        queue_cap: most screened candidates waiting for training (``screening="queue"``).
        screening: what screened candidates do (:mod:`cenas_gym.screening`): ``"queue"``
            (the authors': all are trained, the estimate orders the queue), ``"select"``
            (they compete by expected hypervolume improvement; dominated ones are dropped)
            or ``"partition"`` (``select``, and LaMOO's partition learns from them too).
        pool_cap: most screened candidates waiting in the modes other than ``"queue"``
            (sampling stops while the pool is full; a candidate leaves it when trained or
            discarded).
        optimizer: ``"lamoo"`` or ``"random"``.
        lamoo: LaMOO's settings (ignored by random search).
        estimator: the cheap estimate used by sampling (:mod:`cenas_gym.estimators`):
            ``"oneshot"``, ``"fewshot"``, ``"acc12"``, ``"naswot"``, ``"synflow"`` or
            ``"oracle"`` (the truth: a ceiling, not deployable).
        objectives: the two objectives and the hypervolume reference point.
        accounting: ``"default"``, ``"cenas"`` or a :class:`CarbonAccounting`.
        oneshot_eval_s: seconds per forward-pass screening (oneshot, fewshot, oracle) for
            every architecture; ``None`` derives it per architecture from its measured epoch
            time (:func:`cenas_gym.estimators.forward_pass_s`).
        supernet_train_gpu_h: one-time supernet training cost (GPU-hours, at the
            accounting's training power), charged at the first step's intensity with the
            initial architectures. ``None``: the estimator's stated cost
            (:data:`cenas_gym.estimators.ESTIMATOR_SPECS`); 0 (the default) keeps the v0/v1
            behaviour, in which the supernet is free.
    """

    n_gpus: int = 8
    step_s: int = 3600
    budget_hours: float = 80.0
    carbon_budget_g: float | None = None
    target_regret: float | None = None
    n_init: int = 10
    queue_cap: int = 10
    screening: str = "queue"
    pool_cap: int = 200
    optimizer: str = "lamoo"
    lamoo: LamooConfig = field(default_factory=LamooConfig)
    estimator: str = "oneshot"
    objectives: Objectives = field(default_factory=Objectives)
    accounting: str | CarbonAccounting = "default"
    oneshot_eval_s: float | None = None
    supernet_train_gpu_h: float | None = 0.0

    def __post_init__(self) -> None:
        def bad(name: str, why: str) -> ValueError:
            return ValueError(f"SimConfig.{name}={getattr(self, name)!r}: {why}")

        if not _is_int(self.n_gpus) or self.n_gpus < 1:
            raise bad("n_gpus", "must be a positive integer")
        if not _is_int(self.step_s) or self.step_s < 1:
            raise bad("step_s", "must be a positive integer number of seconds")
        if not self.budget_hours > 0:
            raise bad("budget_hours", "must be > 0")
        n_steps = self.budget_hours * 3600.0 / self.step_s
        if abs(n_steps - round(n_steps)) > 1e-9:
            raise bad("budget_hours", f"must be a whole number of steps of {self.step_s} s")
        if self.carbon_budget_g is not None and not self.carbon_budget_g > 0:
            raise bad("carbon_budget_g", "must be > 0 or None")
        if self.target_regret is not None and not REGRET_FLOOR <= self.target_regret < 1:
            raise bad("target_regret", f"must be in [{REGRET_FLOOR:g}, 1) or None")
        if not _is_int(self.n_init) or self.n_init < 0:
            raise bad("n_init", "must be a non-negative integer")
        if not _is_int(self.queue_cap) or self.queue_cap < 1:
            raise bad("queue_cap", "must be a positive integer")
        if self.screening not in SCREENING_MODES:
            raise bad("screening", f"unknown screening mode; choose one of {list(SCREENING_MODES)}")
        if not _is_int(self.pool_cap) or self.pool_cap < 1:
            raise bad("pool_cap", "must be a positive integer")
        if self.optimizer not in OPTIMIZERS:
            raise bad("optimizer", f"choose one of {list(OPTIMIZERS)}")
        if self.estimator not in ESTIMATORS:
            raise bad("estimator", f"choose one of {list(ESTIMATORS)}")
        if self.oneshot_eval_s is not None and not self.oneshot_eval_s > 0:
            raise bad("oneshot_eval_s", "must be > 0 or None")
        if self.supernet_train_gpu_h is not None and self.supernet_train_gpu_h < 0:
            raise bad("supernet_train_gpu_h", "must be >= 0")
        get_accounting(self.accounting)  # raises on an unknown preset

    @property
    def supernet_gpu_h(self) -> float:
        """The supernet training charged once (GPU-hours): ``supernet_train_gpu_h``, or the
        estimator's stated cost when that is ``None``."""
        if self.supernet_train_gpu_h is None:
            return supernet_gpu_h(self.estimator)
        return float(self.supernet_train_gpu_h)

    @cached_property  # asked several times per step
    def n_steps(self) -> int:
        """Steps in the time budget."""
        return int(round(self.budget_hours * 3600.0 / self.step_s))

    def with_(self, **changes: Any) -> SimConfig:
        """A copy with some settings changed (validated)."""
        return replace(self, **changes)


@dataclass(frozen=True)
class SearchSpace:
    """Per-architecture arrays the simulator needs, prepared once per table and settings."""

    table: ArchTable
    acc_pct: np.ndarray  # true accuracy (objective 1, maximised)
    cost: np.ndarray  # hardware cost (objective 2, minimised)
    est_acc_pct: np.ndarray  # the sampling estimate (accuracy %, or a proxy's score)
    train_s: np.ndarray  # full training time (s)
    oneshot_s: np.ndarray  # one screening with the estimator (s)
    ref_point: tuple[float, float]
    max_hv: float

    @property
    def size(self) -> int:
        return self.acc_pct.size


@lru_cache(maxsize=16)
def search_space(
    table: ArchTable, objectives: Objectives, estimator: str, oneshot_eval_s: float | None
) -> SearchSpace:
    """Prepare (and cache) the arrays for a table, objectives and estimator."""
    acc, cost = objectives.values(table)
    est = estimate_values(table, estimator)
    oneshot = screening_seconds(table, estimator, oneshot_eval_s)
    arrays = [acc, cost, est, table.column("train_time_cifar10_s"), oneshot]
    for a in arrays:
        a.setflags(write=False)
    return SearchSpace(
        table, *arrays, ref_point=objectives.reference_point(table), max_hv=objectives.max_hypervolume(table)
    )
