"""Reading carbon-intensity CSV files: the formats :meth:`~cenas_gym.carbon.trace.CarbonTrace.from_csv`
recognises (the Electricity Maps portal export, the EIA/dc-rl balancing-area files, any plain
``timestamp,value`` CSV), their validation and the optional gap filling and hourly means.

Every problem in a file raises :class:`TraceError` naming the file, the line, the column and
what is wrong.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


#: Values above this (gCO2eq/kWh) are rejected as implausible. The dirtiest real grids
#: (lignite) stay near 1,100-1,300 gCO2eq/kWh life-cycle; 2,000 leaves ample room.
MAX_PLAUSIBLE_G_PER_KWH: float = 2000.0
#: A file needs at least this many data rows (two are needed to know the step).
MIN_ROWS: int = 2

# Column names of the formats from_csv recognises.
EM_TIME = "Datetime (UTC)"
EM_DIRECT = "Carbon Intensity gCO\u2082eq/kWh (direct)"
EM_LCA = "Carbon Intensity gCO\u2082eq/kWh (LCA)"
EIA_VALUE = "avg_CI"
SHIPPED_TIME = "timestamp_utc"
SHIPPED_VALUE = "intensity_g_per_kwh"
SHIPPED_FILLED = "filled"


_LINE_NOTE = "line numbers are 1-based CSV lines, the header is line 1"


class TraceError(ValueError):
    """A carbon-trace file is malformed. The message names file, line, column and problem."""


def _err(path: object, line: int | str | None, column: str | None, problem: str) -> TraceError:
    where = [str(path)]
    if line is not None:
        where.append(f"line {line}")
    if column is not None:
        where.append(f"column {column!r}")
    return TraceError(f"{', '.join(where)}: {problem} ({_LINE_NOTE})")


def iso_utc(ts: Any, *, seconds: bool = True) -> str:
    """A time as ``2021-07-02T06:00:00Z`` (``seconds=False``: ``2021-07-02T06:00Z``), in UTC;
    a time without a zone is read as UTC. The package's one ISO format for times it prints."""
    t = pd.Timestamp(ts)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ" if seconds else "%Y-%m-%dT%H:%MZ")


_iso = iso_utc


def _line(row: int) -> int:
    """0-based data row -> 1-based CSV line (header is line 1)."""
    return int(row) + 2



HOUR_NS = 3600 * 10**9


def _read_csv(path: str) -> pd.DataFrame:
    """Every cell as a string, blank lines kept (so line numbers stay true)."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise _err(path, None, None, f"cannot read as CSV: {e}") from e


def _parse_times(path: str, column: pd.Series, tcol: str, fill_gaps: bool) -> tuple[pd.Series, int, int]:
    """(UTC times, step in ns, number of gaps). The step is the most common spacing; raises
    TraceError for unparsable, duplicate or decreasing timestamps, steps that are not a
    whole multiple of it, and gaps unless ``fill_gaps``."""
    tstr = column.str.strip()
    times = pd.to_datetime(tstr, utc=True, format="ISO8601", errors="coerce")
    bad = np.flatnonzero(times.isna().to_numpy())
    if len(bad):
        r = bad[0]
        raise _err(path, _line(r), tcol, f"unparsable timestamp {tstr.iloc[r]!r} ({len(bad)} such rows)")
    tns = pd.DatetimeIndex(times).as_unit("ns").asi8
    diffs = np.diff(tns)
    dup = np.flatnonzero(diffs == 0)
    if len(dup):
        r = dup[0]
        raise _err(
            path, _line(r + 1), tcol,
            f"duplicate timestamp {_iso(times.iloc[r])} (same as line {_line(r)})",
        )
    back = np.flatnonzero(diffs < 0)
    if len(back):
        r = back[0]
        raise _err(
            path, _line(r + 1), tcol,
            f"non-monotonic timestamps: {_iso(times.iloc[r + 1])} comes after "
            f"{_iso(times.iloc[r])} on line {_line(r)}",
        )
    vals, counts = np.unique(diffs, return_counts=True)
    step_ns = int(vals[np.argmax(counts)])  # the most common step (ties: the smallest)
    step_s = step_ns // 10**9
    if step_ns % 10**9:
        raise _err(path, None, tcol, f"step of {step_ns / 1e9} s is not a whole number of seconds")
    odd = np.flatnonzero(diffs != step_ns)
    for r in odd:
        if diffs[r] % step_ns:
            raise _err(
                path, _line(r + 1), tcol,
                f"irregular step: {_iso(times.iloc[r])} (line {_line(r)}) to "
                f"{_iso(times.iloc[r + 1])} (line {_line(r + 1)}) is {diffs[r] / 1e9:g} s, "
                f"the trace's step is {step_s} s",
            )
    if len(odd) and not fill_gaps:
        r = odd[0]
        missing = int(diffs[r] // step_ns) - 1
        raise _err(
            path, _line(r + 1), tcol,
            f"gap: {missing} missing step(s) of {step_s} s "
            f"({diffs[r] / 3.6e12:g} h) between {_iso(times.iloc[r])} (line {_line(r)}) and "
            f"{_iso(times.iloc[r + 1])} (line {_line(r + 1)}); {len(odd)} gap(s) in all; "
            f"pass fill_gaps=True to interpolate",
        )
    return times, step_ns, len(odd)


def _parse_values(path: str, column: pd.Series, vcol: str, times: pd.Series, fill_gaps: bool) -> tuple[np.ndarray, int]:
    """(float64 intensities with NaN where empty, number of NaN). Raises TraceError for
    non-numbers, empty values unless ``fill_gaps``, negative and implausible values."""
    vstr = column.str.strip()
    values = pd.to_numeric(vstr, errors="coerce").to_numpy(dtype=np.float64)
    empty = vstr.str.lower().isin(["", "nan", "na", "null", "none"]).to_numpy()
    notnum = np.flatnonzero(np.isnan(values) & ~empty)
    if len(notnum):
        r = notnum[0]
        raise _err(path, _line(r), vcol, f"not a number: {vstr.iloc[r]!r}")
    nan_rows = np.flatnonzero(np.isnan(values))
    if len(nan_rows) and not fill_gaps:
        r = nan_rows[0]
        raise _err(
            path, _line(r), vcol,
            f"empty/NaN value at {_iso(times.iloc[r])} ({len(nan_rows)} such rows); "
            f"pass fill_gaps=True to interpolate",
        )
    neg = np.flatnonzero(values < 0)
    if len(neg):
        r = neg[0]
        raise _err(path, _line(r), vcol, f"negative intensity {values[r]:g} g/kWh ({len(neg)} such rows)")
    high = np.flatnonzero(values > MAX_PLAUSIBLE_G_PER_KWH)
    if len(high):
        r = high[0]
        raise _err(
            path, _line(r), vcol,
            f"implausible intensity {values[r]:g} g/kWh > MAX_PLAUSIBLE_G_PER_KWH="
            f"{MAX_PLAUSIBLE_G_PER_KWH:g} ({len(high)} such rows)",
        )
    return values, len(nan_rows)


def _filled_flags(path: str, column: pd.Series, fcol: str) -> list[int]:
    """Rows the shipped file marks as filled by its build (the ``filled`` 0/1 column)."""
    fl = column.str.strip()
    badf = np.flatnonzero(~fl.isin(["0", "1"]).to_numpy())
    if len(badf):
        r = badf[0]
        raise _err(path, _line(r), fcol, f"expected 0 or 1, got {fl.iloc[r]!r}")
    return [int(i) for i in np.flatnonzero(fl.to_numpy() == "1")]


def _fill_gaps(path: str, vcol: str, tns: np.ndarray, step_ns: int, values: np.ndarray,
               filled: list[int]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Missing steps and NaN values filled by linear interpolation in time (never at the
    ends); returns (every step's time in ns, values, positions filled)."""
    full_ns = tns[0] + step_ns * np.arange((tns[-1] - tns[0]) // step_ns + 1, dtype=np.int64)
    pos = (tns - tns[0]) // step_ns
    full = np.full(len(full_ns), np.nan)
    full[pos] = values
    missing = np.flatnonzero(np.isnan(full))
    known = np.flatnonzero(~np.isnan(full))
    if missing[0] < known[0] or missing[-1] > known[-1]:
        end = "first" if missing[0] < known[0] else "last"
        r = 0 if end == "first" else len(values) - 1
        raise _err(
            path, _line(r), vcol,
            f"cannot fill: the {end} value is missing, so there is no neighbour on both sides",
        )
    full[missing] = np.interp(full_ns[missing], full_ns[known], full[known])
    log.warning(
        "%s: filled %d missing value(s) by linear interpolation in time: %s",
        path, len(missing),
        ", ".join(_iso(pd.Timestamp(full_ns[i], tz="UTC")) for i in missing[:10])
        + (" ..." if len(missing) > 10 else ""),
    )
    return full_ns, full, sorted(set(int(pos[i]) for i in filled) | set(int(i) for i in missing))


def _hourly_means(path: str, tcol: str, tns: np.ndarray, step_ns: int, values: np.ndarray,
                  filled: list[int]) -> tuple[np.ndarray, np.ndarray, list[int], str]:
    """Sub-hourly steps (a divisor of an hour) -> hourly means over whole UTC hours.

    A first or last hour the file covers only in part is dropped. An hour counts as filled
    when any of its values was. Returns (hour starts in ns, means, filled hours, a note
    saying what was done)."""
    step_s = step_ns // 10**9
    if HOUR_NS % step_ns:
        raise _err(path, None, tcol, f"step of {step_s} s does not divide an hour: cannot aggregate to hourly means")
    per_hour = HOUR_NS // step_ns
    first_hour = tns[0] - tns[0] % HOUR_NS
    if (tns[0] - first_hour) % step_ns:
        raise _err(path, _line(0), tcol, f"timestamps of {step_s} s steps are not aligned to the hour "
                                         f"(first at {_iso(pd.Timestamp(tns[0], tz='UTC'))})")
    lead = int((tns[0] - first_hour) // step_ns)  # steps missing from the first hour
    head = (per_hour - lead) % per_hour  # values of that partial first hour
    tail = (len(tns) - head) % per_hour  # values of a partial last hour
    dropped = []
    if head:
        dropped.append(f"the partial first hour {_iso(pd.Timestamp(first_hour, tz='UTC'))} "
                       f"({head} of {per_hour} values)")
    if tail:
        last_hour = tns[-1] - tns[-1] % HOUR_NS
        dropped.append(f"the partial last hour {_iso(pd.Timestamp(last_hour, tz='UTC'))} "
                       f"({tail} of {per_hour} values)")
    keep = slice(head, len(tns) - tail)
    n_hours = (len(tns) - head - tail) // per_hour
    if n_hours < MIN_ROWS:
        raise _err(path, None, tcol, f"too short: {n_hours} whole hour(s) of {step_s} s steps, "
                                     f"need at least {MIN_ROWS}")
    means = values[keep].reshape(n_hours, per_hour).mean(axis=1)
    hours = tns[keep][::per_hour]
    filled_hours = sorted({(i - head) // per_hour for i in filled if head <= i < len(tns) - tail})
    note = (f"aggregated {len(tns)} values of {step_s // 60:g}-minute steps to {n_hours} hourly means"
            + (f"; dropped {' and '.join(dropped)}" if dropped else ""))
    if filled_hours:
        note += f"; {len(filled_hours)} hour(s) hold filled values"
    return hours, means, filled_hours, note


def _detect(path: str, cols: list[str], column: str | None) -> tuple[str, str, str | None]:
    """(time column, value column, filled column or None) for a header."""
    have = f"columns present: {cols}"
    if EM_TIME in cols:
        want = {None: EM_DIRECT, "direct": EM_DIRECT, "lca": EM_LCA}.get(
            column.lower() if column else None, column
        )
        if want not in cols:
            raise _err(path, 1, want, f"missing column for the Electricity Maps format; {have}")
        return EM_TIME, want, None
    if EIA_VALUE in cols or (column is None and len(cols) > 2 and "timestamp" in cols):
        tcol = "timestamp" if "timestamp" in cols else cols[0]
        if tcol != "timestamp" and not (tcol == "" or tcol.startswith("Unnamed: 0")):
            raise _err(path, 1, "timestamp", f"missing timestamp column for the EIA format; {have}")
        want = column or EIA_VALUE
        if want not in cols:
            raise _err(path, 1, want, f"missing column for the EIA format; {have}")
        return tcol, want, None
    if cols[:2] == [SHIPPED_TIME, SHIPPED_VALUE] and len(cols) <= 3:
        fcol = cols[2] if len(cols) == 3 else None
        if fcol not in (None, SHIPPED_FILLED):
            raise _err(path, 1, fcol, f"unexpected column in the shipped format; {have}")
        return SHIPPED_TIME, SHIPPED_VALUE, fcol
    if column is not None:
        if column not in cols:
            raise _err(path, 1, column, f"missing column; {have}")
        return cols[0], column, None
    if len(cols) == 2:
        return cols[0], cols[1], None
    raise _err(
        path, 1, None,
        "missing columns: cannot recognise the format (expected Electricity Maps "
        f"'{EM_TIME}' + '{EM_DIRECT}', EIA 'timestamp' + '{EIA_VALUE}', or two columns "
        f"timestamp,value); {have}",
    )
