"""CENAS-Bench-1: the frozen, versioned evaluation suite of ``cenas-gym bench``.

A :class:`BenchSuite` writes down everything a benchmark score depends on: the tasks, the
held-out carbon traces, the window starts, the seeds, the simulator configuration (GPUs,
optimizer, estimator, accounting, objectives and hypervolume reference point), the reference
policies the scores are paired against and how the aggregate is computed. Its
:meth:`~BenchSuite.content_hash` is a SHA-256 of all of it; tests/test_bench.py pins the hash
of :data:`CENAS_BENCH_1`, so a change to the suite (or to a SimConfig default it inherits)
fails the test: **a changed suite gets a new version** (``CENAS-Bench-2``), and entries of
the old version stay comparable among themselves (every entry records the version and hash
it was played on). The protocol, in words: benchmarks/CENAS-Bench-1.md.

The suite is sized so that the whole leaderboard (every shipped single-site policy) plays in
about ten CPU-minutes on one core: 2 tasks x 4 traces x 3 windows x 3 seeds = 72 runs per
policy.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field

from cenas_gym.compare.grid import Grid
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.sim.tasks import Task


@dataclass(frozen=True)
class BenchSuite:
    """A frozen benchmark suite: tasks x traces x windows x seeds on one configuration.

    Attributes:
        version: the suite's name and version (``"CENAS-Bench-1"``); entries are grouped by it.
        tasks: the tasks played (:class:`~cenas_gym.sim.tasks.Task`); each is scored on its own.
        traces: shipped trace names (held out from every shipped agent's training).
        windows: ``{trace: (ISO start, ...)}``: the first hour of each window (UTC).
        seeds: seeds; a seed fixes the initial architectures and the optimizer's proposals,
            so that every policy plays the same cases.
        config: the simulator's settings (GPUs, optimizer, estimator, accounting, objectives
            and HV reference point); each task sets its time cap, target and carbon budget.
        references: the policies every score is paired against (same task, trace, window
            and seed).
        target_regret: the regret level of the attainment column (share of runs whose final
            regret is at or below it).
        bootstrap_reps: resamples of the stratified bootstrap of the aggregate.
        bootstrap_seed: its seed (the interval is reproducible to the last digit).
        level: confidence level of every interval.
    """

    version: str
    tasks: tuple[Task, ...]
    traces: tuple[str, ...]
    windows: dict[str, tuple[str, ...]]
    seeds: tuple[int, ...]
    config: SimConfig = field(default_factory=SimConfig)
    references: tuple[str, ...] = ("heuristic", "vanilla")
    target_regret: float = 0.002
    bootstrap_reps: int = 10_000
    bootstrap_seed: int = 0
    level: float = 0.95

    def __post_init__(self) -> None:
        missing = [t for t in self.traces if t not in self.windows]
        if missing:
            raise ValueError(f"BenchSuite {self.version}: no windows for traces {missing}")
        if len({t.name for t in self.tasks}) != len(self.tasks):
            raise ValueError(f"BenchSuite {self.version}: two tasks of the same kind")

    def task(self, name: str) -> Task:
        """The suite's task of that kind (``"target"``, ``"budget"``)."""
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(f"{self.version} has no {name!r} task; its tasks are {[t.name for t in self.tasks]}")

    def grid(self, task: Task, policy: str) -> Grid:
        """The runs of one policy on one task: a one-policy :class:`~cenas_gym.compare.grid.Grid`
        (each is stored in a folder of its own, so reference runs are shared between policies)."""
        return Grid(policies=(policy,), traces=self.traces, windows=self.windows, seeds=self.seeds,
                    config=self.config, task=task, name=f"{self.version}/{task.name}/{policy}")

    def cases_per_task(self) -> int:
        """Runs per policy and task: traces x windows x seeds."""
        return sum(len(self.windows[t]) for t in self.traces) * len(self.seeds)

    def content_hash(self) -> str:
        """Hex SHA-256 (16 characters) of the suite's canonical JSON: every field, the full
        SimConfig included."""
        from cenas_gym.compare.runstore import canonical_json

        return hashlib.sha256(canonical_json(self).encode("utf-8")).hexdigest()[:16]

    def subset(self, *, traces: tuple[str, ...] | None = None, windows: int | None = None,
               seeds: tuple[int, ...] | None = None, config: SimConfig | None = None) -> BenchSuite:
        """A smaller suite (tests, quick looks): the version gets a ``-subset`` suffix and the
        hash changes, so its entries never mix with the full suite's."""
        traces = self.traces if traces is None else tuple(traces)
        wins = {t: self.windows[t][: windows or None] for t in traces}
        return dataclasses.replace(self, version=f"{self.version}-subset", traces=traces, windows=wins,
                                   seeds=self.seeds if seeds is None else tuple(seeds),
                                   config=self.config if config is None else config)


def _windows(traces: tuple[str, ...], days: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The same calendar days (``"MM-DD"``, 00:00 UTC) in each trace's year."""
    return {t: tuple(f"{t.split(':')[1]}-{d}T00:00Z" for d in days) for t in traces}


#: The held-out traces (by year: US-CAL-CISO:2023, ES:2023; by data source: EIA-CISO:2022;
#: by zone: EIA-BPAT:2022), written out rather than read from the catalogue, so that a new
#: split cannot change the frozen suite; tests check they equal ``HELD_OUT_TRACES``.
_TRACES = ("US-CAL-CISO:2023", "ES:2023", "EIA-CISO:2022", "EIA-BPAT:2022")

#: CENAS-Bench-1 (frozen: see benchmarks/CENAS-Bench-1.md). Two tasks, each with a 160 h cap:
#: reach HV regret <= 0.002 (score: kg CO2eq to target), and a 10 kg CO2eq carbon budget
#: (score: final log10 regret); the four held-out traces; windows starting on 6 February,
#: 12 June and 9 October (winter, summer, autumn; at least 7 days into the year, so the
#: causal rules have a trailing week); seeds 0-2; SimConfig's defaults: 8 GPUs, 1 h steps,
#: LaMOO, one-shot screening into the authors' queue, 10 initial architectures, the
#: ``default`` accounting (every GPU-second the search holds is charged), HV over
#: (``acc_cifar10_pct``, ``raspi4_latency_ms``) with reference point (0 %, the costliest
#: architecture's latency, 98.89 ms).
CENAS_BENCH_1 = BenchSuite(
    version="CENAS-Bench-1",
    tasks=(Task("target", 160.0, target_regret=0.002), Task("budget", 160.0, carbon_budget_kg=10.0)),
    traces=_TRACES,
    windows=_windows(_TRACES, ("02-06", "06-12", "10-09")),
    seeds=(0, 1, 2),
    config=SimConfig(accounting="default"),
)

#: Every suite by version; ``cenas-gym bench`` plays the latest.
SUITES: dict[str, BenchSuite] = {CENAS_BENCH_1.version: CENAS_BENCH_1}
LATEST = CENAS_BENCH_1
