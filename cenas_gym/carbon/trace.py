"""Carbon-intensity traces: load, validate, window and resample.

All intensities are in gCO2eq/kWh (``_g_per_kwh``); times are UTC. A :class:`CarbonTrace`
is a regular series: one value per step of ``step_s`` seconds (3600 for the shipped,
hourly traces), and the value holds for the whole step (intensity is piecewise constant).

This module is one of the two doors through which data enters the package. It reads

- the shipped traces (``traces/*.csv.gz``, see ``traces/SOURCES.md``) through
  :meth:`CarbonTrace.load` and :func:`list_traces`;
- user files through :meth:`CarbonTrace.from_csv`: the Electricity Maps portal export, the
  EIA/dc-rl balancing-area files, or any plain ``timestamp,value`` CSV.

Every problem in a file raises :class:`TraceError` naming the file, the line, the column and
what is wrong. Nothing is silently dropped, clipped or guessed; gaps are filled only when the
caller asks (``fill_gaps=True``), by linear interpolation in time, and the filled timestamps
are kept in :attr:`CarbonTrace.filled`. Sub-hourly files are aggregated to hourly means,
whole UTC hours only; what was aggregated and dropped is kept in :attr:`CarbonTrace.notes`.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cenas_gym.carbon.catalogue import _file_name, _traces_dir, list_traces
from cenas_gym.carbon.readers import (
    HOUR_NS,
    MAX_PLAUSIBLE_G_PER_KWH,
    MIN_ROWS,
    SHIPPED_FILLED,
    SHIPPED_TIME,
    SHIPPED_VALUE,
    TraceError,
    _detect,
    _err,
    _fill_gaps,
    _filled_flags,
    _hourly_means,
    _iso,
    _parse_times,
    _parse_values,
    _read_csv,
)

__all__ = [
    "CarbonTrace",
    "TraceError",
    "TraceStats",
    "list_traces",
    "MAX_PLAUSIBLE_G_PER_KWH",
    "MIN_ROWS",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TraceStats:
    """Summary of a trace; every intensity in gCO2eq/kWh.

    ``mean_daily_range_g_per_kwh`` is the mean over complete UTC calendar days of
    (max - min) within the day; NaN when the trace holds no complete day.
    """

    hours: float
    mean: float
    std: float
    min: float
    max: float
    p10: float
    p50: float
    p90: float
    mean_daily_range_g_per_kwh: float


@dataclass(frozen=True, eq=False, repr=False)
class CarbonTrace:
    """A regular series of carbon intensities (gCO2eq/kWh), one value per ``step_s`` seconds.

    Attributes:
        name: trace name, e.g. ``"US-CAL-CISO:2021"``.
        times: start of each step, UTC, strictly increasing, spaced exactly ``step_s``.
        values_g_per_kwh: intensity during each step (float64, read-only).
        step_s: step length in seconds (3600 for hourly traces).
        source: where the values came from (a file path or a description).
        filled: timestamps whose values were filled by linear interpolation (empty if none).
        notes: what loading did to the file's values besides reading them, one sentence
            each (e.g. sub-hourly steps aggregated to hourly means, partial hours dropped).
    """

    name: str
    times: pd.DatetimeIndex
    values_g_per_kwh: np.ndarray
    step_s: int = 3600
    source: str = ""
    filled: tuple[pd.Timestamp, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        values = np.array(self.values_g_per_kwh, dtype=np.float64, copy=True)
        values.setflags(write=False)
        times = pd.DatetimeIndex(self.times)
        if times.tz is None:
            times = times.tz_localize("UTC")
        else:
            times = times.tz_convert("UTC")
        times = times.as_unit("ns")
        if values.ndim != 1 or len(values) != len(times) or len(values) == 0:
            raise ValueError(
                f"need a non-empty 1-D array of values, one per time; got {values.shape} "
                f"values for {len(times)} times"
            )
        if int(self.step_s) <= 0:
            raise ValueError(f"step_s must be positive, got {self.step_s}")
        if len(times) > 1:
            diffs = np.diff(times.asi8)
            if not np.all(diffs == int(self.step_s) * 10**9):
                raise ValueError(f"times are not spaced exactly step_s={self.step_s} s")
        object.__setattr__(self, "values_g_per_kwh", values)
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "step_s", int(self.step_s))
        object.__setattr__(self, "filled", tuple(pd.Timestamp(t) for t in self.filled))
        object.__setattr__(self, "notes", tuple(self.notes))

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.values_g_per_kwh)

    def __repr__(self) -> str:
        return (
            f"CarbonTrace(name={self.name!r}, {len(self)} steps of {self.step_s} s, "
            f"{_iso(self.start)} .. {_iso(self.end)}, filled={len(self.filled)})"
        )

    @property
    def start(self) -> pd.Timestamp:
        """Start of the first step (UTC)."""
        return self.times[0]

    @property
    def end(self) -> pd.Timestamp:
        """Start of the last step (UTC); the trace covers ``[start, end + step_s)``."""
        return self.times[-1]

    def index_at(self, when: str | pd.Timestamp) -> int:
        """Step index of the step starting at ``when`` (naive times are UTC).

        Raises ValueError if ``when`` is outside the trace or not on a step boundary.
        """
        ts = _utc(when)
        offset_ns = ts.value - self.start.value
        step_ns = self.step_s * 10**9
        if offset_ns < 0 or offset_ns >= len(self) * step_ns:
            raise ValueError(
                f"{_iso(ts)} is outside trace {self.name!r} "
                f"({_iso(self.start)} .. {_iso(self.end)}, step {self.step_s} s)"
            )
        if offset_ns % step_ns:
            raise ValueError(
                f"{_iso(ts)} is not on a step boundary of trace {self.name!r} "
                f"(steps of {self.step_s} s from {_iso(self.start)})"
            )
        return int(offset_ns // step_ns)

    def window(self, start: str | pd.Timestamp | int, hours: int) -> CarbonTrace:
        """The sub-trace of ``hours`` hours beginning at ``start``.

        ``start`` is a timestamp (on a step boundary) or an int step offset. Raises
        ValueError if the window runs past the end (the message says how many hours remain).
        """
        if isinstance(start, (int, np.integer)):
            i0 = int(start)
            if not 0 <= i0 < len(self):
                raise ValueError(f"start offset {i0} outside trace {self.name!r} (0..{len(self) - 1})")
        else:
            i0 = self.index_at(start)
        if hours <= 0 or (hours * 3600) % self.step_s:
            raise ValueError(
                f"hours must be a positive whole number of {self.step_s} s steps, got {hours}"
            )
        n = hours * 3600 // self.step_s
        available_h = (len(self) - i0) * self.step_s / 3600
        if i0 + n > len(self):
            raise ValueError(
                f"window of {hours} h from {_iso(self.times[i0])} runs past the end of trace "
                f"{self.name!r}: only {available_h:g} h available from there"
            )
        times = self.times[i0 : i0 + n]
        lo, hi = times[0], times[-1]
        return CarbonTrace(
            name=f"{self.name}@{_iso(lo)}+{hours}h",
            times=times,
            values_g_per_kwh=self.values_g_per_kwh[i0 : i0 + n],
            step_s=self.step_s,
            source=self.source,
            filled=tuple(t for t in self.filled if lo <= t <= hi),
            notes=self.notes,
        )

    def resample(self, step_s: int) -> CarbonTrace:
        """The same trace on another step.

        Coarser (an integer multiple of ``self.step_s``): mean over the sub-steps, which is
        exact for energy drawn at constant power (the trace length must be a whole number of
        new steps). Finer (an exact divisor): each value is repeated, since the intensity is
        constant within a step. Other steps raise ValueError.
        """
        step_s = int(step_s)
        if step_s == self.step_s:
            return self
        if step_s > self.step_s and step_s % self.step_s == 0:
            f = step_s // self.step_s
            if len(self) % f:
                raise ValueError(
                    f"cannot resample {len(self)} steps of {self.step_s} s to {step_s} s: "
                    f"not a whole number of new steps (take a window first)"
                )
            values = self.values_g_per_kwh.reshape(-1, f).mean(axis=1)
            times = self.times[::f]
            block = {self.times[(self.index_at(t) // f) * f] for t in self.filled}
            filled = tuple(sorted(block))
        elif step_s < self.step_s and step_s > 0 and self.step_s % step_s == 0:
            f = self.step_s // step_s
            values = np.repeat(self.values_g_per_kwh, f)
            times = pd.date_range(self.start, periods=len(self) * f, freq=pd.Timedelta(seconds=step_s))
            filled = tuple(
                t + pd.Timedelta(seconds=j * step_s) for t in self.filled for j in range(f)
            )
        else:
            raise ValueError(
                f"cannot resample steps of {self.step_s} s to {step_s} s: the new step must be "
                f"an integer multiple or an exact divisor of the old one"
            )
        return CarbonTrace(self.name, times, values, step_s, self.source, filled, self.notes)

    def stats(self) -> TraceStats:
        """Summary statistics (gCO2eq/kWh); see :class:`TraceStats`."""
        v = self.values_g_per_kwh
        p10, p50, p90 = np.percentile(v, [10, 50, 90])
        per_day = 86400 // self.step_s if 86400 % self.step_s == 0 else 0
        daily = float("nan")
        if per_day:
            s = pd.Series(v, index=self.times)
            g = s.groupby(self.times.floor("D"))
            full = g.count() == per_day
            if full.any():
                daily = float((g.max() - g.min())[full].mean())
        return TraceStats(
            hours=len(self) * self.step_s / 3600,
            mean=float(v.mean()),
            std=float(v.std()),
            min=float(v.min()),
            max=float(v.max()),
            p10=float(p10),
            p50=float(p50),
            p90=float(p90),
            mean_daily_range_g_per_kwh=daily,
        )

    def to_frame(self) -> pd.DataFrame:
        """DataFrame indexed by ``timestamp_utc`` with ``intensity_g_per_kwh`` and ``filled``."""
        filled = self.times.isin(pd.DatetimeIndex(list(self.filled), tz="UTC")) if self.filled else np.zeros(len(self), bool)
        return pd.DataFrame(
            {SHIPPED_VALUE: self.values_g_per_kwh, SHIPPED_FILLED: filled},
            index=pd.DatetimeIndex(self.times, name=SHIPPED_TIME),
        )

    # ------------------------------------------------------------ constructors
    @classmethod
    def load(cls, name: str) -> CarbonTrace:
        """A shipped trace by name (see :func:`list_traces`), e.g. ``"US-CAL-CISO:2021"``.

        Parsed traces are cached for the life of the process. Unknown names raise KeyError.
        """
        if name in _CACHE:
            return _CACHE[name]
        names = list_traces()
        if name not in names:
            close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
            hint = f"did you mean {close}? " if close else ""
            raise KeyError(f"no shipped carbon trace {name!r}; {hint}available: {names}")
        path = _traces_dir() / _file_name(name)
        trace = cls.from_csv(path, name=name)
        _CACHE[name] = trace
        return trace

    @classmethod
    def from_csv(
        cls,
        path: str | Path,
        *,
        column: str | None = None,
        fill_gaps: bool = False,
        name: str | None = None,
    ) -> CarbonTrace:
        """Read and validate a trace from a CSV file (optionally gzip-compressed).

        Formats, detected from the header:

        - Electricity Maps portal export: ``Datetime (UTC)`` and
          ``Carbon Intensity gCO₂eq/kWh (direct)`` / ``(LCA)``; ``column="lca"`` picks
          the life-cycle value (default ``"direct"``).
        - EIA balancing-area files (HewlettPackard/dc-rl): a ``timestamp`` column (or an
          unnamed first column) and ``avg_CI``.
        - The shipped format: ``timestamp_utc, intensity_g_per_kwh[, filled]``.
        - Any two-column ``timestamp,value`` file, whatever the header says. Naive
          timestamps are taken as UTC.

        ``column`` may also be the exact name of the value column.

        Sub-hourly files (steps that divide an hour: 5, 15, 30 minutes, ...) become hourly
        means over whole UTC hours (exact for energy drawn at constant power); a first or
        last hour the file covers only in part is dropped. Both are said in
        ``trace.notes`` and logged (INFO); every check below still runs on the file's own
        rows first, so errors name the file's lines.

        Raises TraceError for: missing columns, unparsable timestamps, duplicate or
        decreasing timestamps, irregular steps, gaps, empty/NaN values, non-numbers,
        negative or implausible (> ``MAX_PLAUSIBLE_G_PER_KWH``) values, fewer than
        ``MIN_ROWS`` rows. With ``fill_gaps=True`` missing steps and NaN values are filled
        by linear interpolation in time (never at the ends), listed in ``trace.filled``,
        and a warning is logged.
        """
        path_s = str(path)
        raw = _read_csv(path_s)
        tcol, vcol, fcol = _detect(path_s, [str(c) for c in raw.columns], column)
        if len(raw) < MIN_ROWS:
            raise _err(path_s, None, None, f"too short: {len(raw)} data rows, need at least {MIN_ROWS}")
        times, step_ns, n_gaps = _parse_times(path_s, raw[tcol], tcol, fill_gaps)
        values, n_nan = _parse_values(path_s, raw[vcol], vcol, times, fill_gaps)
        filled = _filled_flags(path_s, raw[fcol], fcol) if fcol is not None else []
        tns = pd.DatetimeIndex(times).as_unit("ns").asi8
        if fill_gaps and (n_gaps or n_nan):
            tns, values, filled = _fill_gaps(path_s, vcol, tns, step_ns, values, filled)
        notes: list[str] = []
        if step_ns < HOUR_NS:
            tns, values, filled, note = _hourly_means(path_s, tcol, tns, step_ns, values, filled)
            notes.append(note)
            log.info("%s: %s", path_s, note)
        tidx = pd.DatetimeIndex(pd.to_datetime(tns, utc=True))
        return cls(
            name=name if name is not None else Path(path_s).name.split(".")[0],
            times=tidx,
            values_g_per_kwh=values,
            step_s=int(step_ns // 10**9) if step_ns >= HOUR_NS else 3600,
            source=path_s,
            filled=tuple(tidx[i] for i in filled),
            notes=tuple(notes),
        )

    @classmethod
    def synthetic(
        cls,
        hours: int,
        seed: int,
        *,
        mean: float = 300.0,
        daily_amplitude: float = 100.0,
        noise_std: float = 20.0,
        start: str = "2021-01-01T00:00Z",
    ) -> CarbonTrace:
        """An hourly synthetic trace (gCO2eq/kWh), reproducible from ``seed``.

        ``value[h] = (mean + daily_amplitude * sin(2*pi*h/24)) * exp(s*z[h] - s**2/2)`` with
        ``s = noise_std / mean`` and ``z`` a stationary AR(1) process (coefficient 0.8, unit
        variance) drawn from ``numpy.random.default_rng(seed)``. The hour ``h`` counts from
        ``start``. The multiplicative lognormal noise has mean 1 and sd of about
        ``noise_std`` at the mean level, and keeps every value strictly positive without any
        clipping; hence ``daily_amplitude`` must be smaller than ``mean``.
        """
        if hours < 1:
            raise ValueError(f"hours must be >= 1, got {hours}")
        if not (mean > 0 and 0 <= daily_amplitude < mean and noise_std >= 0):
            raise ValueError(
                "need mean > 0, 0 <= daily_amplitude < mean and noise_std >= 0, got "
                f"mean={mean}, daily_amplitude={daily_amplitude}, noise_std={noise_std}"
            )
        rng = np.random.default_rng(seed)
        phi = 0.8
        eps = rng.standard_normal(hours) * np.sqrt(1 - phi**2)
        z = np.empty(hours)
        z[0] = rng.standard_normal()
        for i in range(1, hours):
            z[i] = phi * z[i - 1] + eps[i]
        h = np.arange(hours)
        s = noise_std / mean
        values = (mean + daily_amplitude * np.sin(2 * np.pi * h / 24)) * np.exp(s * z - s * s / 2)
        times = pd.date_range(_utc(start), periods=hours, freq="h")
        return cls(
            name=f"synthetic:seed={seed}",
            times=times,
            values_g_per_kwh=values,
            step_s=3600,
            source=(
                f"synthetic(hours={hours}, seed={seed}, mean={mean}, "
                f"daily_amplitude={daily_amplitude}, noise_std={noise_std})"
            ),
        )


_CACHE: dict[str, CarbonTrace] = {}


def _utc(when: str | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(when)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
