"""One CE-NAS search fed by GPU pools in several grid regions (sites), one step at a time.

A :class:`GeoSimulator` is a :class:`~cenas_gym.simulator.Simulator` with one shared search
(one optimizer, one candidate queue, one set of trained architectures, one hypervolume) and
several sites. Each site has its own GPUs and its own carbon trace; all traces cover the same
UTC hours (the window starts at the same time at every site). Each step the caller says how
many GPUs train **at each site**; the rest of that site's GPUs sample.

Order of events within a step (deterministic): the sites play one after the other **in the
order given**. Each runs the single-site pool step (:meth:`Simulator._pool_step`, the same
code as CENAS-v0): its sampling GPUs screen proposals into the shared queue, then its
training GPUs, each time one is free, resume one of **this site's** unfinished jobs, else take
the least-dominated queued candidate (the site's sampling GPUs refill the queue), else train
a fresh proposal. So an earlier site gets the first pick of the queue in a step. As in the
single-site simulator, the cells trained during the step enter the result (hypervolume,
optimizer) together at its end, in site order. Jobs run where they started: a job carried to
the next step stays with its site, however many GPUs that site trains then (no migration).

Accounting: every site's GPU-seconds are charged with the run's accounting preset at **that
site's** intensity in that step (:mod:`cenas_gym.accounting`). The ``n_init`` initial
architectures are trained before the window opens and, when the preset charges them, spread
over the sites in proportion to their GPUs (at each site's first-step intensity). The carbon
budget, if any, applies to the total over all sites.

Records: :attr:`GeoSimulator.history` holds one total row per step with every key of the
single-site record (``site == "total"``; its ``intensity_g_per_kwh`` is the energy-weighted
mean, carbon / energy); :attr:`GeoSimulator.site_history` holds one row per site and step
(site, intensity, GPUs, GPU-seconds, energy and carbon at that site, the site's running
totals and unfinished work). :meth:`GeoSimulator.trajectory` puts both in one table.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import numpy as np
import pandas as pd

from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.sim.episodes import TRAILING_HOURS, resolve_start
from cenas_gym.search.nasbench import ArchTable
from cenas_gym.sim.simulator import SimConfig, Simulator, _is_int

#: Default sites (``NAME:YEAR:GPUS``): four grids from the cleanest to the dirtiest of the
#: shipped traces, with unequal pools so that the clean capacity is scarce: Norway (hydro,
#: mean 12.8 gCO2eq/kWh in 2022) 2 GPUs, California 4 (194.6), Spain 4 (166.8) and the US
#: Southeast (EIA SOCO, 423.2) 8. 2022 is the one year all four ship (SOCO is EIA 2022 only).
#: The 20 GPUs are not measured capacities of real clusters; they are a chosen scenario.
DEFAULT_SITES: tuple[str, ...] = ("NO:2022:2", "US-CAL-CISO:2022:4", "ES:2022:4", "EIA-SOCO:2022:8")


@dataclass(frozen=True)
class Site:
    """A pool of GPUs on one grid.

    Attributes:
        name: short unique name (default: the trace's zone, e.g. ``"NO"``).
        trace: the grid's carbon intensity (gCO2eq/kWh, UTC).
        n_gpus: GPUs in the pool (>= 1).
    """

    name: str
    trace: CarbonTrace
    n_gpus: int

    def __post_init__(self) -> None:
        if not _is_int(self.n_gpus) or self.n_gpus < 1:
            raise ValueError(f"site {self.name!r}: n_gpus must be a positive integer, got {self.n_gpus!r}")
        if not isinstance(self.trace, CarbonTrace):
            raise TypeError(f"site {self.name!r}: trace must be a CarbonTrace, got {type(self.trace).__name__}")


SiteSpec = Union[Site, str, tuple]


CSV_SUFFIXES = (".csv", ".csv.gz")  # a site spec whose trace part ends so names a trace file


def parse_site(text: str, fill_gaps: bool = False) -> Site:
    """A site from ``NAME:YEAR:GPUS`` (a shipped trace name and a GPU count), e.g.
    ``"NO:2022:2"`` or ``"ES:2022:lca:4"``, named by the zone (``"NO"``); or from
    ``PATH.csv:GPUS`` (a trace file, read by :meth:`CarbonTrace.from_csv` with ``fill_gaps``),
    named by the file's stem (``"grid_a"`` for ``data/grid_a.csv``)."""
    trace_name, sep, gpus = str(text).strip().rpartition(":")
    is_file = trace_name.lower().endswith(CSV_SUFFIXES)
    if not sep or (":" not in trace_name and not is_file):
        raise ValueError(f"site {text!r}: expected NAME:YEAR:GPUS (a shipped trace name, then GPUs), e.g. NO:2022:2, "
                         f"or PATH.csv:GPUS")
    try:
        n_gpus = int(gpus)
    except ValueError:
        raise ValueError(f"site {text!r}: GPUS must be a positive integer, got {gpus!r}") from None
    if n_gpus < 1:
        raise ValueError(f"site {text!r}: GPUS must be a positive integer, got {n_gpus}")
    if is_file:
        if not Path(trace_name).is_file():
            raise ValueError(f"site {text!r}: trace file {trace_name!r} not found")
        trace = CarbonTrace.from_csv(trace_name, fill_gaps=fill_gaps)
        stem = Path(trace_name).name
        return Site(stem[: -len(next(x for x in CSV_SUFFIXES[::-1] if stem.lower().endswith(x)))], trace, n_gpus)
    try:
        trace = CarbonTrace.load(trace_name)
    except (KeyError, ValueError) as err:
        raise ValueError(f"site {text!r}: {err.args[0] if err.args else err}") from None
    return Site(trace_name.split(":")[0], trace, n_gpus)


def make_sites(specs: Sequence[SiteSpec] | None = None, fill_gaps: bool = False) -> list[Site]:
    """Sites from specs: a :class:`Site`, a ``"NAME:YEAR:GPUS"`` or ``"PATH.csv:GPUS"`` string
    (trace files read with ``fill_gaps``: :func:`parse_site`), or a tuple
    ``(trace, n_gpus)`` / ``(name, trace, n_gpus)`` with ``trace`` a shipped name or a
    :class:`CarbonTrace`. ``None`` gives :data:`DEFAULT_SITES`. Names must be unique."""
    specs = DEFAULT_SITES if specs is None else specs
    if isinstance(specs, (str, Site)) or not len(specs):
        raise ValueError(f"sites must be a non-empty list of sites, got {specs!r}")
    sites: list[Site] = []
    for spec in specs:
        if isinstance(spec, Site):
            sites.append(spec)
        elif isinstance(spec, str):
            sites.append(parse_site(spec, fill_gaps))
        elif isinstance(spec, tuple) and len(spec) in (2, 3):
            name, trace, n_gpus = spec if len(spec) == 3 else (None, *spec)
            if isinstance(trace, str):
                trace = CarbonTrace.load(trace)
            if name is None:
                name = trace.name.split(":")[0]
            sites.append(Site(str(name), trace, n_gpus))
        else:
            raise ValueError(f"site {spec!r}: give 'NAME:YEAR:GPUS', (trace, gpus), (name, trace, gpus) or a Site")
    names = [s.name for s in sites]
    if len(set(names)) != len(names):
        raise ValueError(f"site names must be unique, got {names}; name them with (name, trace, gpus)")
    return sites


def align_sites(sites: Sequence[Site], step_s: int) -> list[Site]:
    """The sites with their traces at ``step_s`` and cut to the UTC hours all of them cover.

    Raises ValueError naming the trace when a trace's steps do not fall on the same UTC
    times as the first site's, or when the traces share no time at all."""
    traces = [s.trace if s.trace.step_s == step_s else s.trace.resample(step_s) for s in sites]
    first = traces[0]
    step_ns = step_s * 10**9
    starts = [int(t.times.asi8[0]) for t in traces]  # ns since the epoch, UTC: no Timestamps per reset
    ends = [int(t.times.asi8[-1]) for t in traces]
    for site, trace, start in zip(sites[1:], traces[1:], starts[1:]):
        if (start - starts[0]) % step_ns:
            raise ValueError(
                f"site {site.name!r}: trace {trace.name!r} starts at {trace.start} and its steps are not "
                f"aligned in UTC with those of site {sites[0].name!r} ({first.start}, steps of {step_s} s)"
            )
    lo, hi = max(starts), min(ends)
    if lo > hi:
        spans = ", ".join(f"{s.name}: {t.start} .. {t.end}" for s, t in zip(sites, traces))
        raise ValueError(f"the sites' traces share no hour (UTC): {spans}")
    out = []
    for site, trace, start in zip(sites, traces, starts):
        i0, i1 = (lo - start) // step_ns, (hi - start) // step_ns
        if (i0, i1) != (0, len(trace) - 1):
            lo_t, hi_t = trace.times[i0], trace.times[i1]
            trace = CarbonTrace(
                name=trace.name, times=trace.times[i0 : i1 + 1], values_g_per_kwh=trace.values_g_per_kwh[i0 : i1 + 1],
                step_s=trace.step_s, source=trace.source, filled=tuple(t for t in trace.filled if lo_t <= t <= hi_t),
            )
        out.append(Site(site.name, trace, site.n_gpus))
    return out


class GeoSimulator(Simulator):
    """One CE-NAS search over several sites (see the module docstring).

    Args:
        config: the run's settings; ``n_gpus`` is replaced by the sites' total.
        sites: the pools; their traces start at the run's first step, cover the same UTC
            times and have at least ``config.n_steps`` steps of ``config.step_s``.
        rng: the run's only source of randomness.
        table: the architecture table (default: the shipped NAS-Bench-201 table).
    """

    def __init__(
        self, config: SimConfig, sites: Sequence[Site], rng: np.random.Generator, table: ArchTable | None = None
    ) -> None:
        if not sites:
            raise ValueError("GeoSimulator needs at least one site")
        config = config.with_(n_gpus=int(sum(s.n_gpus for s in sites)))
        sites = [
            s if s.trace.step_s == config.step_s else Site(s.name, s.trace.resample(config.step_s), s.n_gpus)
            for s in sites
        ]
        first = sites[0].trace
        for site in sites:
            if len(site.trace) < config.n_steps:
                raise ValueError(
                    f"site {site.name!r}: trace {site.trace.name!r} has {len(site.trace)} steps of "
                    f"{config.step_s} s but the budget needs {config.n_steps}"
                )
            if not np.array_equal(site.trace.times.asi8[: config.n_steps], first.times.asi8[: config.n_steps]):
                raise ValueError(
                    f"site {site.name!r}: trace {site.trace.name!r} starts at {site.trace.start}, not at "
                    f"{first.start} like site {sites[0].name!r}: the sites' windows must be the same UTC hours"
                )
        self.sites = list(sites)
        self._site_intensity = np.stack([s.trace.values_g_per_kwh[: config.n_steps] for s in sites])
        self._site_intensity_rows: list[list[float]] = self._site_intensity.tolist()  # [site][step], plain floats
        self.site_names: tuple[str, ...] = tuple(s.name for s in sites)
        self._gpus = np.array([s.n_gpus for s in sites], dtype=np.int64)
        super().__init__(config, first, rng, table)
        self.unfinished = None  # not used: each site keeps its own jobs in site_unfinished
        self.site_unfinished: list[deque[list]] = [deque() for _ in sites]
        share = self._gpus / self._gpus.sum()
        self.site_energy_kwh = self.init_energy_kwh * share
        self.site_carbon_g = self.site_energy_kwh * self._site_intensity[:, 0]
        self.site_trained = np.zeros(len(sites), dtype=np.int64)
        self.site_history: list[dict[str, Any]] = []

    def _initial_carbon_g(self, energy_kwh: float) -> float:
        """Initial architectures: energy spread over the sites by GPUs, at each site's first hour."""
        share = self._gpus / self._gpus.sum()
        return float(np.sum(energy_kwh * share * self._site_intensity[:, 0]))

    # -- state ---------------------------------------------------------------------------
    @property
    def n_sites(self) -> int:
        return len(self.sites)

    @property
    def unfinished_jobs(self) -> int:
        return sum(len(jobs) for jobs in self.site_unfinished)

    @property
    def unfinished_work_s(self) -> float:
        """Training seconds still owed to started jobs, all sites."""
        return float(sum(self.site_unfinished_work_s()))

    def site_unfinished_work_s(self) -> list[float]:
        """Training seconds still owed to each site's started jobs."""
        return [float(sum(job[1] for job in jobs)) for jobs in self.site_unfinished]

    def intensities_at(self, step: int) -> np.ndarray:
        """Each site's carbon intensity (gCO2eq/kWh) in a step of this run."""
        return self._site_intensity[:, step].copy()

    def intensity_at(self, step: int) -> float:
        raise TypeError("a GeoSimulator has one intensity per site: use intensities_at(step)")

    def intensities_now(self) -> list[float]:
        """Each site's intensity (gCO2eq/kWh) in the step about to be played; NaN once the run is over."""
        t = self.t
        if self.done:
            return [float("nan")] * self.n_sites
        return [row[t] for row in self._site_intensity_rows]

    # -- one step ------------------------------------------------------------------------
    def _site_counts(self, n_train: Sequence[int] | np.ndarray) -> list[int]:
        """``n_train`` checked (one integer in [0, n_i] per site), as plain ints."""
        counts = np.asarray(n_train)
        if counts.shape != (self.n_sites,) or counts.dtype.kind not in "iu":  # not np.integer: ValueError
            raise ValueError(f"n_train must be {self.n_sites} integers (one per site), got {n_train!r}")
        values = counts.tolist()
        for site, n in zip(self.sites, values):
            if not 0 <= n <= site.n_gpus:
                raise ValueError(f"n_train for site {site.name!r} must be in [0, {site.n_gpus}], got {int(n)}")
        return values

    def step(self, n_train: Sequence[int] | np.ndarray) -> dict[str, Any]:  # type: ignore[override]
        """Run one step with ``n_train[i]`` GPUs training at site ``i``; returns the step's
        total record (the per-site rows are appended to :attr:`site_history`)."""
        self._check_running()
        counts = self._site_counts(n_train)
        t = self.t
        time_utc = self._iso_times[t]
        hv_before = self._hv.value
        rows: list[dict[str, Any]] = []
        finished: list[int] = []
        screened = 0
        keys = ("gpus_train", "gpus_sample", "train_gpu_s", "sample_gpu_s", "idle_gpu_s", "energy_kwh", "carbon_g")
        totals = dict.fromkeys(keys, 0)
        jobs = 0
        work_s: list[float] = []  # per site, after its pool step
        for i, site in enumerate(self.sites):
            unfinished = self.site_unfinished[i]
            pool = self._pool_step(site.n_gpus, counts[i], unfinished)
            intensity = self._site_intensity_rows[i][t]
            energy_kwh, carbon_g = self._charge(pool, intensity)
            self.site_energy_kwh[i] += energy_kwh
            self.site_carbon_g[i] += carbon_g
            self.site_trained[i] += len(pool.finished)
            finished.extend(pool.finished)
            screened += pool.n_screened
            row = pool.record(energy_kwh, carbon_g)
            for key, value in row.items():  # the record's keys, in totals' order
                totals[key] += value
            jobs += len(unfinished)
            work_s.append(float(sum(job[1] for job in unfinished)))
            rows.append({
                "step": t,
                "time_utc": time_utc,
                "site": site.name,
                "intensity_g_per_kwh": intensity,
                **row,
                "cum_energy_kwh": float(self.site_energy_kwh[i]),
                "cum_carbon_g": float(self.site_carbon_g[i]),
                "n_trained_step": len(pool.finished),
                "n_screened_step": pool.n_screened,
                "unfinished_jobs": len(unfinished),
                "unfinished_work_s": work_s[-1],
            })
        self._finish(np.asarray(finished, dtype=np.int64))
        energy_kwh, carbon_g = totals["energy_kwh"], totals["carbon_g"]
        record = {
            "step": t,
            "time_utc": time_utc,
            "site": "total",
            "intensity_g_per_kwh": carbon_g / energy_kwh if energy_kwh > 0 else float("nan"),
            **totals,
            "cum_energy_kwh": self.cum_energy_kwh,
            "cum_carbon_g": self.cum_carbon_g,
            "n_trained_step": len(finished),
            "n_screened_step": screened,
            **self._search_record(hv_before, jobs, float(sum(work_s))),
        }
        self.t += 1
        self.site_history.extend(rows)
        self.history.append(record)
        return record

    # -- results -------------------------------------------------------------------------
    def trajectory(self) -> pd.DataFrame:
        """One row per site and step, then the step's total row (``site == "total"``)."""
        n = self.n_sites
        rows: list[dict[str, Any]] = []
        for t, total in enumerate(self.history):
            rows.extend(self.site_history[t * n : (t + 1) * n])
            rows.append(total)
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, Any]:
        """The single-site summary's keys for the whole run, plus ``sites``: per site its GPUs,
        trace, carbon (kg), energy (kWh), GPU-hours, cells trained there and mean intensity."""
        out = super().summary()
        per_site = []
        for i, site in enumerate(self.sites):
            rows = self.site_history[i :: self.n_sites]
            per_site.append({
                "site": site.name,
                "trace": site.trace.name,
                "gpus": site.n_gpus,
                "carbon_kg": float(self.site_carbon_g[i]) / 1000.0,
                "energy_kwh": float(self.site_energy_kwh[i]),
                "train_gpu_h": sum(r["train_gpu_s"] for r in rows) / 3600.0,
                "sample_gpu_h": sum(r["sample_gpu_s"] for r in rows) / 3600.0,
                "idle_gpu_h": sum(r["idle_gpu_s"] for r in rows) / 3600.0,
                "n_trained": int(self.site_trained[i]),
                "mean_intensity_g_per_kwh": float(self._site_intensity[i, : self.t].mean()) if self.t else None,
            })
        out["sites"] = per_site
        return out


# ---------------------------------------------------------------------------- episodes
@dataclass(frozen=True)
class GeoContext:
    """What a geo policy may know about the episode it is about to play.

    Attributes:
        site_names: the sites, in order.
        n_gpus: GPUs per site.
        intensity_g_per_kwh: per site, the whole aligned trace at step resolution
            (history before the episode included).
        start: index in those traces of the episode's first step.
        n_steps: steps in the time budget.
        step_s: seconds per step.
    """

    site_names: tuple[str, ...]
    n_gpus: tuple[int, ...]
    intensity_g_per_kwh: tuple[np.ndarray, ...]
    start: int
    n_steps: int
    step_s: int

    def now(self, step: int) -> np.ndarray:
        """Every site's intensity (gCO2eq/kWh) in a step of the episode."""
        return np.array([v[self.start + step] for v in self.intensity_g_per_kwh])

    def episode_window(self, site: int) -> np.ndarray:
        """A site's intensities over the episode."""
        return self.intensity_g_per_kwh[site][self.start : self.start + self.n_steps]

    def trailing_window(self, site: int, step: int) -> np.ndarray:
        """A site's intensities over the trailing 7 days up to and including ``step`` (causal;
        shorter near the trace's first hour)."""
        steps = max(1, int(round(TRAILING_HOURS * 3600 / self.step_s)))
        end = self.start + step + 1
        return self.intensity_g_per_kwh[site][max(0, end - steps) : end]


@dataclass
class GeoEpisode:
    sim: GeoSimulator
    context: GeoContext
    forecast_rng: np.random.Generator
    policy_rng: np.random.Generator


def new_geo_episode(
    config: SimConfig,
    sites: Sequence[Site],
    rng: np.random.Generator,
    start: str | int | pd.Timestamp | None = None,
    lookahead: int = 0,
    table: ArchTable | None = None,
) -> GeoEpisode:
    """A fresh geo simulator on a window of the sites' traces (aligned with
    :func:`align_sites`). Randomness as in :func:`cenas_gym.episodes.new_episode`: the
    start (when random) first, then three children: simulator, forecaster, policy."""
    sites = align_sites(sites, config.step_s)
    index = resolve_start(sites[0].trace, config.n_steps, lookahead, rng, start)
    sim_rng, forecast_rng, policy_rng = rng.spawn(3)
    hours = config.n_steps * config.step_s / 3600.0
    hours_arg = int(hours) if hours.is_integer() else hours
    windowed = [Site(s.name, s.trace.window(index, hours_arg), s.n_gpus) for s in sites]
    sim = GeoSimulator(config, windowed, sim_rng, table)
    context = GeoContext(
        site_names=tuple(s.name for s in sites),
        n_gpus=tuple(s.n_gpus for s in sites),
        intensity_g_per_kwh=tuple(s.trace.values_g_per_kwh for s in sites),
        start=index,
        n_steps=config.n_steps,
        step_s=config.step_s,
    )
    return GeoEpisode(sim, context, forecast_rng, policy_rng)


def geo_step_info(sim: GeoSimulator) -> dict[str, Any]:
    """What a geo policy sees before a step: the last total record, ``step`` (the step about
    to be played), and per site ``intensity_now_g_per_kwh`` (NaN once the run is over)."""
    if sim.history:
        info = dict(sim.history[-1])
    else:
        info = {"hv_normalized": sim.hv_normalized, "regret": sim.regret, "queue_len": len(sim.queue)}
    info["step"] = sim.t
    info["intensity_now_g_per_kwh"] = sim.intensities_now()
    info["site_names"] = list(sim.site_names)
    return info
