"""The CE-NAS search loop, one step (default: one hour) at a time. Knows nothing of Gymnasium.

Each step the caller says how many of the ``n_gpus`` GPUs **train**; the rest **sample**.

Sampling GPUs score proposals with a cheap estimator (:mod:`cenas_gym.estimators`: one-shot
or few-shot supernet, 12-epoch accuracy, the NASWOT and SynFlow zero-cost proxies, or the
non-deployable oracle); each screening takes that estimator's seconds of a sampling GPU and
yields the architecture's estimate and its true hardware cost. What screened candidates do
is the ``screening`` mode (:mod:`cenas_gym.screening`). In the authors' mode, ``"queue"``
(the default, described here), they wait in a queue of at most ``queue_cap``; as in the
authors' code, sampling stops while the queue is full and the sampling GPUs wait (idle).
Sampling happens at the start of the step and again whenever a training GPU takes a
candidate from the queue; the seconds of one screening are charged, but, being seconds
against the hours of a training job, they do not delay the training timeline.

Training GPUs, in GPU order, each time one becomes free: resume an unfinished job (oldest
first); else take the queued candidate dominated by the fewest others in the queue, on its
estimated objectives (ties: first in, first out); else train a fresh proposal unscreened.
Full training takes ``train_time_cifar10_s`` (NAS-Bench-201, 200 epochs). A job that does
not finish within the step is carried to the next with its exact remainder. Nothing is
trained or screened twice.

Only fully trained architectures count: the result is the hypervolume of their true
(accuracy, hardware cost) points. The search starts from ``n_init`` random architectures,
already trained.

Energy and carbon are charged per GPU-second at the intensity of the step the second falls
in (see :mod:`cenas_gym.accounting`): per step, training + sampling + idle GPU-seconds sum
to ``n_gpus x step_s``. The run ends when the time budget is spent, or at the end of the
step in which the optional carbon budget is spent (that last step may overshoot it by at
most one step's emissions; the totals report what was really emitted).

Randomness: one ``numpy.random.Generator``, used for the initial architectures and the
optimizer's proposals, in that order.

A step is three parts, shared with the multi-site simulator (:mod:`cenas_gym.geo`, which
runs the pool step once per site on the same search): the pool step (sampling, training,
idle), its charge (energy and carbon at an intensity), and the search's part of the record.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cenas_gym.sim.accounting import get_accounting
from cenas_gym.search.candidates import CandidateQueue
from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.search.estimators import (  # noqa: F401  (the forward-pass constants, re-exported)
    ESTIMATOR_SPECS,
    FORWARD_SHARE_OF_TRAINING,
    TRAIN_IMAGES_PER_EPOCH,
    VALIDATION_IMAGES,
    estimate_values,
    screening_seconds,
    supernet_gpu_h,
)
from cenas_gym.search.freecells import FreeCells
from cenas_gym.search.nasbench import ArchTable
from cenas_gym.search.optimizers import Optimizer, make_optimizer
from cenas_gym.search.pareto import HypervolumeTracker, pareto_mask
from cenas_gym.sim.config import (  # noqa: F401  (re-exported: callers import them from here too)
    REGRET_FLOOR,
    SearchSpace,
    SimConfig,
    _is_int,
    regret_of,
    search_space,
)
from cenas_gym.sim.screening import ErrorModel, ScreenedPool, fit_upper_error_model


@dataclass
class PoolStep:
    """What one pool of GPUs did in one step (GPU-seconds; cells trained to the end)."""

    gpus_train: int
    gpus_sample: int
    train_gpu_s: float
    sample_gpu_s: float
    idle_gpu_s: float
    finished: list[int]
    n_screened: int

    def record(self, energy_kwh: float, carbon_g: float) -> dict[str, Any]:
        """The pool's columns of a step record, in the simulator's order."""
        return {
            "gpus_train": self.gpus_train,
            "gpus_sample": self.gpus_sample,
            "train_gpu_s": self.train_gpu_s,
            "sample_gpu_s": self.sample_gpu_s,
            "idle_gpu_s": self.idle_gpu_s,
            "energy_kwh": energy_kwh,
            "carbon_g": carbon_g,
        }


_FLOAT_LISTS: dict[int, tuple[np.ndarray, list[float]]] = {}  # id -> (read-only array, its values)


def _float_list(values: np.ndarray) -> list[float]:
    """``values`` as a list of plain floats, kept per read-only array (the search space's
    per-cell seconds, looked up for every cell a step trains or screens: a list index costs a
    third of ``float(array[i])``)."""
    kept = _FLOAT_LISTS.get(id(values))
    if kept is not None and kept[0] is values:
        return kept[1]
    floats = np.asarray(values, dtype=np.float64).tolist()
    if isinstance(values, np.ndarray) and not values.flags.writeable:
        _FLOAT_LISTS[id(values)] = (values, floats)
    return floats


def _one_proposer(optimizer: Optimizer) -> Callable[[FreeCells], int | None]:
    """``optimizer.propose_one`` where it has one (one fresh cell as an int, None when none is
    left: no array), else the first cell of ``optimizer.propose(1, free)``."""
    propose_one = getattr(optimizer, "propose_one", None)
    if propose_one is not None:
        return propose_one

    def first(free: FreeCells) -> int | None:
        proposal = optimizer.propose(1, free)
        return int(proposal[0]) if proposal.size else None

    return first


def _iso_times(times: pd.DatetimeIndex) -> list[str]:
    """``[t.isoformat() for t in times]`` for UTC times, vectorised when they are whole seconds."""
    if (times.asi8 % 1_000_000_000 == 0).all():
        return [s + "+00:00" for s in np.datetime_as_string(times.asi8.view("datetime64[ns]"), unit="s")]
    return [t.isoformat() for t in times]


class Simulator:
    """One simulated CE-NAS run over a carbon-intensity trace.

    Args:
        config: the run's settings.
        trace: carbon intensity; the run starts at its first step and needs
            ``config.n_steps`` steps of it (resampled to ``config.step_s`` if needed).
        rng: the run's only source of randomness.
        table: the architecture table (default: the shipped NAS-Bench-201 table).
    """

    def __init__(
        self,
        config: SimConfig,
        trace: CarbonTrace,
        rng: np.random.Generator,
        table: ArchTable | None = None,
    ) -> None:
        self.config = config
        self.accounting = get_accounting(config.accounting)
        trace = self._fit_trace(trace)
        self.trace = trace
        self._intensity = trace.values_g_per_kwh
        self._iso_times = _iso_times(trace.times[: config.n_steps])  # each record's "time_utc"
        self.space = search_space(
            table if table is not None else ArchTable.load(),
            config.objectives,
            config.estimator,
            config.oneshot_eval_s,
        )
        self.rng = rng
        self._train_s = _float_list(self.space.train_s)  # seconds, per cell
        self._oneshot_s = _float_list(self.space.oneshot_s)  # seconds, per cell
        self.optimizer: Optimizer = self._make_optimizer(rng)
        self._init_state()
        self._train_initial(rng)

    def _fit_trace(self, trace: CarbonTrace) -> CarbonTrace:
        """``trace`` at the config's step (s), checked to cover the budget's ``n_steps``."""
        config = self.config
        if trace.step_s != config.step_s:
            trace = trace.resample(config.step_s)
        if len(trace) < config.n_steps:
            raise ValueError(
                f"trace {trace.name!r} has {len(trace)} steps of {config.step_s} s but the budget "
                f"needs {config.n_steps}"
            )
        return trace

    def _make_optimizer(self, rng: np.random.Generator) -> Optimizer:
        """The config's optimizer over the search space (multi-fidelity LaMOO when partition
        screening), reset with ``rng``."""
        config, space = self.config, self.space
        optimizer: Optimizer = make_optimizer(
            config.optimizer,
            space.table,
            space.max_hv,
            space.ref_point,
            **(vars(config.lamoo) if config.optimizer == "lamoo" else {}),
        )
        if config.screening == "partition" and config.optimizer == "lamoo":
            from cenas_gym.search.lamoo import MultiFidelityLaMOO  # LaMOO that learns from screened cells too

            optimizer = MultiFidelityLaMOO(space.table, space.max_hv, space.ref_point, config.lamoo)
        optimizer.reset(space.acc_pct, space.cost, rng)
        return optimizer

    def _init_state(self) -> None:
        """The run's state before any step: no cell trained, queued or screened; nothing charged."""
        config, space = self.config, self.space
        self.t = 0  # steps done
        self.free = FreeCells(space.size)  # never trained, queued nor screened
        self.trained: list[int] = []
        self.candidates = CandidateQueue(_float_list(space.est_acc_pct), _float_list(space.cost))  # screened, waiting
        self.unfinished: deque[list] = deque()  # [nb201 index, remaining seconds], oldest first
        self.n_screened = 0
        self.cum_energy_kwh = 0.0
        self.cum_carbon_g = 0.0
        self.history: list[dict[str, Any]] = []
        self._hv = HypervolumeTracker(*space.ref_point)
        # screening modes other than "queue" (cenas_gym.screening): the pool replaces the queue
        self.pool: ScreenedPool | None = None
        if config.screening != "queue":
            self.candidates = self.pool = ScreenedPool(space.est_acc_pct, space.cost)
        self._believed: set[int] = set()  # cells in training, counted at their predicted accuracy
        self._model: tuple[int, ErrorModel] | None = None  # (cells trained when fitted, model)

    def _train_initial(self, rng: np.random.Generator) -> None:
        """Train the ``n_init`` initial cells (drawn with ``rng``) and charge them (kWh, g) per the accounting."""
        config, space = self.config, self.space
        init = rng.choice(space.size, size=config.n_init, replace=False) if config.n_init else np.empty(0, int)
        self._finish(init)
        init_gpu_s = float(space.train_s[init].sum()) + config.supernet_gpu_h * 3600.0
        if self.accounting.charge_initial_samples and init_gpu_s > 0:
            self.init_energy_kwh = self.accounting.energy_kwh(init_gpu_s, 0.0, 0.0)
        else:
            self.init_energy_kwh = 0.0
        self.init_carbon_g = self._initial_carbon_g(self.init_energy_kwh)
        self.cum_energy_kwh = self.init_energy_kwh
        self.cum_carbon_g = self.init_carbon_g
        self.init_hv = self._hv.value

    def _initial_carbon_g(self, energy_kwh: float) -> float:
        """Carbon (g) of the initial architectures' energy: at the first step's intensity."""
        return energy_kwh * float(self._intensity[0])

    # -- state ---------------------------------------------------------------------------
    @property
    def available(self) -> np.ndarray:
        """Mask over the table: True for the cells never trained, queued nor screened (read-only
        use; the simulator changes it through :attr:`free`)."""
        return self.free.mask

    @property
    def queue(self) -> list[int]:
        """Screened candidates waiting for training, in arrival order (read-only view;
        assigning a list replaces the queue)."""
        return self.candidates.cells

    @queue.setter
    def queue(self, cells: list[int]) -> None:
        self.candidates = CandidateQueue(_float_list(self.space.est_acc_pct), _float_list(self.space.cost), cells)

    @property
    def queue_share(self) -> float:
        """Screened candidates waiting over the room there is (``queue_cap`` or ``pool_cap``)."""
        cap = self.config.queue_cap if self.pool is None else self.config.pool_cap
        return len(self.candidates) / cap

    @property
    def hv(self) -> float:
        """Hypervolume of the trained architectures (percent x cost unit)."""
        return self._hv.value

    @property
    def hv_normalized(self) -> float:
        """Hypervolume over that of the table's true front (1.0 = best possible)."""
        return self._hv.value / self.space.max_hv

    @property
    def regret(self) -> float:
        """HV regret ``1 - HV / HV(true front)``, floored at ``REGRET_FLOOR``."""
        return regret_of(self.hv_normalized)

    @property
    def reached_target(self) -> bool:
        """True once the regret is at or below ``config.target_regret`` (False without one)."""
        target = self.config.target_regret
        return target is not None and self.regret <= target

    @property
    def done(self) -> bool:
        """True once the time budget or the carbon budget is spent, or the target reached."""
        budget = self.config.carbon_budget_g
        return (
            self.t >= self.config.n_steps
            or (budget is not None and self.cum_carbon_g >= budget)
            or self.reached_target
        )

    @property
    def unfinished_jobs(self) -> int:
        """Started jobs not yet finished."""
        return len(self.unfinished)

    @property
    def unfinished_work_s(self) -> float:
        """Training seconds still owed to started jobs."""
        return float(sum(job[1] for job in self.unfinished))

    @property
    def max_hv(self) -> float:
        """Hypervolume of the table's true Pareto front (the normaliser of ``hv_normalized``)."""
        return self.space.max_hv

    @property
    def init_hv_normalized(self) -> float:
        """Normalised hypervolume of the initial architectures (before the first step)."""
        return self.init_hv / self.space.max_hv

    def intensity_at(self, step: int) -> float:
        """Carbon intensity (gCO2eq/kWh) of a step of this run."""
        return float(self._intensity[step])

    # -- one step ------------------------------------------------------------------------
    def _finish(self, indices: np.ndarray) -> None:
        indices = np.asarray(indices, dtype=np.int64)
        if indices.size == 0:
            return
        self.free.take_many(indices)
        cells = indices.tolist()
        if self._believed:  # only the select/partition modes hold cells at a predicted accuracy
            self._believed.difference_update(cells)
        self.trained.extend(cells)
        self._hv.add(self.space.acc_pct[indices], self.space.cost[indices])
        self.optimizer.observe(indices)

    def step(self, n_train: int) -> dict[str, Any]:
        """Run one step with ``n_train`` GPUs training; returns the step's record."""
        self._check_running()
        pool = self._pool_step(self.config.n_gpus, n_train, self.unfinished)
        energy_kwh, carbon_g = self._charge(pool, float(self._intensity[self.t]))
        hv_before = self._hv.value
        self._finish(np.asarray(pool.finished, dtype=np.int64))
        record = {
            "step": self.t,
            "time_utc": self._iso_times[self.t],
            "intensity_g_per_kwh": float(self._intensity[self.t]),
            **pool.record(energy_kwh, carbon_g),
            "cum_energy_kwh": self.cum_energy_kwh,
            "cum_carbon_g": self.cum_carbon_g,
            "n_trained_step": len(pool.finished),
            "n_screened_step": pool.n_screened,
            **self._search_record(hv_before, self.unfinished_jobs, self.unfinished_work_s),
        }
        self.t += 1
        self.history.append(record)
        return record

    # -- the parts of a step (shared with the multi-site simulator, cenas_gym.geo) ------
    def _check_running(self) -> None:
        if self.done:
            raise RuntimeError("the run is over (time or carbon budget spent); start a new Simulator")

    def _pool_step(self, n_gpus: int, n_train: int, unfinished: deque[list]) -> PoolStep:
        """Screening and training of one pool of ``n_gpus`` GPUs for one step, on the shared
        search (optimizer, candidate queue, available cells); ``unfinished`` holds this pool's
        started jobs and is updated in place. Trained cells are *not* yet added to the result:
        the caller passes ``PoolStep.finished`` to :meth:`_finish` at the end of the step."""
        if not _is_int(n_train) or not 0 <= n_train <= n_gpus:
            raise ValueError(f"n_train must be an integer in [0, {n_gpus}], got {n_train!r}")
        n_train = int(n_train)
        if self.pool is not None:  # screened candidates compete (cenas_gym.screening)
            return self._pool_step_select(n_gpus, n_train, unfinished)
        cfg = self.config
        n_sample = n_gpus - n_train
        step_s = float(cfg.step_s)
        sample_capacity_s = n_sample * step_s
        sample_busy_s = 0.0
        screened_before = self.n_screened

        # -- sampling: screen proposals into the queue while it has room and GPUs have time
        candidates = self.candidates
        queued = candidates.cells  # the queue's own list: len() of it skips a method call
        oneshot_s = self._oneshot_s
        propose_one = _one_proposer(self.optimizer)

        def screen() -> None:
            nonlocal sample_busy_s
            while n_sample and len(queued) < cfg.queue_cap:
                room = cfg.queue_cap - len(queued)
                if room == 1:  # the usual case once the queue is full: one cell, no array
                    arch = propose_one(self.free)
                    proposal = [] if arch is None else [arch]
                else:
                    proposal = self.optimizer.propose(room, self.free).tolist()
                if not proposal:
                    return
                for arch in proposal:
                    cost_s = oneshot_s[arch]
                    if sample_busy_s + cost_s > sample_capacity_s:
                        return
                    sample_busy_s += cost_s
                    self.free.take(arch)
                    candidates.append(arch)
                    self.n_screened += 1

        screen()

        def take_queued() -> int | None:
            if not queued:
                return None
            arch = candidates.pop_least_dominated()
            screen()  # the queue has room again
            return arch

        finished, train_busy_s = self._train(n_train, unfinished, take_queued)
        return self._pool_result(n_gpus, n_train, train_busy_s, sample_busy_s, finished, screened_before)

    def _train(
        self, n_train: int, unfinished: deque[list], take_screened: Callable[[], int | None]
    ) -> tuple[list[int], float]:
        """One step of ``n_train`` training GPUs: each, when free, resumes the oldest unfinished job,
        else takes a screened candidate (``take_screened()``, None when none waits), else trains
        a fresh proposal unscreened. Jobs that do not finish are carried in ``unfinished`` (in
        place) with their exact remainder. Returns the cells trained to the end and the busy
        training GPU-seconds."""
        step_s = float(self.config.step_s)
        train_s = self._train_s
        free = self.free
        propose_one = _one_proposer(self.optimizer)
        finished: list[int] = []
        train_busy_s = 0.0
        carried: list[list] = []  # jobs started this step, carried to the next
        resumed_carried: list[list] = []  # older jobs resumed and carried again: stay in front
        free_at = [(0.0, g) for g in range(n_train)]  # (seconds into the step, GPU id)
        while free_at:
            t, g = heapq.heappop(free_at)
            resumed = bool(unfinished)
            if resumed:
                arch, remaining = unfinished.popleft()
            else:
                arch = take_screened()
                if arch is None:
                    arch = propose_one(free)
                    if arch is None:
                        continue  # nothing left to train: this GPU idles
                    free.take(arch)
                remaining = train_s[arch]
            if remaining <= step_s - t:
                train_busy_s += remaining
                finished.append(arch)
                if t + remaining < step_s:
                    heapq.heappush(free_at, (t + remaining, g))
            else:
                train_busy_s += step_s - t
                (resumed_carried if resumed else carried).append([arch, remaining - (step_s - t)])
        unfinished.extendleft(reversed(resumed_carried))  # oldest first, ahead of untouched ones
        unfinished.extend(carried)
        return finished, train_busy_s

    def _pool_result(self, n_gpus: int, n_train: int, train_busy_s: float, sample_busy_s: float,
                     finished: list[int], screened_before: int) -> PoolStep:
        """The pool's step, its idle GPU-seconds being what neither trained nor sampled."""
        idle_s = n_gpus * float(self.config.step_s) - train_busy_s - sample_busy_s
        if abs(idle_s) < 1e-6:  # float residue of the subtraction (e.g. -6e-15 when all train)
            idle_s = 0.0
        return PoolStep(n_train, n_gpus - n_train, train_busy_s, sample_busy_s, idle_s, finished,
                        self.n_screened - screened_before)

    # -- the "select" screening mode (cenas_gym.screening) -------------------------------
    def error_model(self) -> ErrorModel:
        """The estimate's error model, fitted on the cells trained so far (cached per count)."""
        n = len(self.trained)
        if self._model is None or self._model[0] != n:
            cells = np.asarray(self.trained, dtype=np.int64)
            self._model = (n, fit_upper_error_model(self.space.est_acc_pct[cells], self.space.acc_pct[cells]))
        return self._model[1]

    def _scoring_front(self, model: ErrorModel) -> tuple[np.ndarray, np.ndarray]:
        """The true front plus the cells in training at their predicted accuracy, non-dominated."""
        acc, cost = self._hv.front
        if self._believed:
            cells = np.fromiter(self._believed, dtype=np.int64)
            acc = np.concatenate((acc, model.mean(self.space.est_acc_pct[cells])))
            cost = np.concatenate((cost, self.space.cost[cells]))
            keep = pareto_mask(acc, cost)
            acc, cost = acc[keep], cost[keep]
        return acc, cost

    def _pool_step_select(self, n_gpus: int, n_train: int, unfinished: deque[list]) -> PoolStep:
        """:meth:`_pool_step` for ``screening="select"`` and ``"partition"`` (``n_train`` checked
        there): sampling GPUs screen proposals into the pool while it has room and they have
        seconds; a free training GPU resumes a job, else takes the pooled candidate with the
        largest EHVI, else a fresh proposal."""
        cfg, space, pool = self.config, self.space, self.pool
        n_sample = n_gpus - n_train
        step_s = float(cfg.step_s)
        sample_capacity_s = n_sample * step_s
        sample_busy_s = 0.0
        screened_before = self.n_screened
        model = self.error_model()
        ref_acc = space.ref_point[0]

        def screen() -> None:
            nonlocal sample_busy_s
            while n_sample and len(pool) < cfg.pool_cap:
                proposal = self.optimizer.propose(cfg.pool_cap - len(pool), self.free)
                if proposal.size == 0:
                    return
                for arch in proposal:
                    cost_s = float(space.oneshot_s[arch])
                    if sample_busy_s + cost_s > sample_capacity_s:
                        return
                    sample_busy_s += cost_s
                    self.free.take(arch)
                    pool.append(int(arch))
                    self.n_screened += 1
                pool.discard_dominated(model, *self._scoring_front(model), ref_acc)

        if n_sample:
            pool.discard_dominated(model, *self._scoring_front(model), ref_acc)
        screen()
        learn = getattr(self.optimizer, "observe_estimates", None)  # screening="partition"
        if learn is not None and cfg.screening == "partition" and pool.cells:
            cells = np.asarray(pool.cells, dtype=np.int64)
            learn(cells, model.mean(space.est_acc_pct[cells]))
        def take_pooled() -> int | None:
            if not pool:
                return None
            arch = pool.pop_best(model, *self._scoring_front(model), space.ref_point)
            self._believed.add(arch)
            screen()  # the pool has room again
            return arch

        finished, train_busy_s = self._train(n_train, unfinished, take_pooled)
        return self._pool_result(n_gpus, n_train, train_busy_s, sample_busy_s, finished, screened_before)

    def _charge(self, pool: PoolStep, intensity_g_per_kwh: float) -> tuple[float, float]:
        """Energy (kWh) and carbon (g) of a pool's step at an intensity; adds them to the totals."""
        energy_kwh = self.accounting.energy_kwh(pool.train_gpu_s, pool.sample_gpu_s, pool.idle_gpu_s)
        carbon_g = energy_kwh * intensity_g_per_kwh
        self.cum_energy_kwh += energy_kwh
        self.cum_carbon_g += carbon_g
        return energy_kwh, carbon_g

    def _search_record(self, hv_before: float, unfinished_jobs: int, unfinished_work_s: float) -> dict[str, Any]:
        """The shared search's part of a step record (after :meth:`_finish`), with the started
        jobs still unfinished (count, training seconds owed) as the caller counted them."""
        return {
            "n_trained": len(self.trained),
            "n_screened": self.n_screened,
            "queue_len": len(self.candidates),
            "unfinished_jobs": unfinished_jobs,
            "unfinished_work_s": unfinished_work_s,
            "hv": self._hv.value,
            "hv_gain": self._hv.value - hv_before,
            "hv_normalized": self.hv_normalized,
            "regret": self.regret,
        }

    # -- results -------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Totals of the run so far (the headline metrics)."""
        carbon_kg = self.cum_carbon_g / 1000.0
        hvs = [self.init_hv / self.space.max_hv] + [r["hv_normalized"] for r in self.history]
        final = hvs[-1]
        target = self.config.target_regret
        reached = self.reached_target
        hours = self.t * self.config.step_s / 3600.0
        hours_to_99 = next(i for i, v in enumerate(hvs) if v >= 0.99 * final) * self.config.step_s / 3600.0
        return {
            "final_hv": self.hv,
            "final_hv_normalized": final,
            "init_hv_normalized": hvs[0],
            "carbon_kg": carbon_kg,
            "energy_kwh": self.cum_energy_kwh,
            "init_carbon_kg": self.init_carbon_g / 1000.0,
            "final_regret": regret_of(final),
            "final_log10_regret": float(np.log10(regret_of(final))),
            "target_regret": target,
            "reached_target": reached if target is not None else None,
            "kg_to_target": carbon_kg if reached else None,
            "hours_to_target": hours if reached else None,
            "hv_per_kg": final / carbon_kg if carbon_kg > 0 else float("inf"),
            "n_trained": len(self.trained),
            "n_screened": self.n_screened,
            "n_discarded": 0 if self.pool is None else self.pool.n_discarded,
            "hours": hours,
            "hours_to_99pct_hv": hours_to_99,
            "train_gpu_h": sum(r["train_gpu_s"] for r in self.history) / 3600.0,
            "sample_gpu_h": sum(r["sample_gpu_s"] for r in self.history) / 3600.0,
            "idle_gpu_h": sum(r["idle_gpu_s"] for r in self.history) / 3600.0,
        }
