"""Tests for cenas_gym.carbon.trace: shipped traces, CSV validation, window/resample, synthetic."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cenas_gym.carbon.trace import MAX_PLAUSIBLE_G_PER_KWH, CarbonTrace, TraceError, list_traces

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


def write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def plain(rows: list[tuple[str, str]], header: str = "time,ci") -> str:
    return header + "\n" + "".join(f"{t},{v}\n" for t, v in rows)


HOURS = [f"2021-01-01 {h:02d}:00" for h in range(6)]


# ----------------------------------------------------------------- shipped traces
def test_us_cal_ciso_2021_is_a_full_hourly_year():
    tr = CarbonTrace.load("US-CAL-CISO:2021")
    assert len(tr) == 8760 and tr.step_s == 3600
    assert tr.start == pd.Timestamp("2021-01-01T00:00Z")
    assert tr.end == pd.Timestamp("2021-12-31T23:00Z")
    assert tr.values_g_per_kwh.dtype == np.float64
    assert not tr.values_g_per_kwh.flags.writeable
    assert tr.filled == ()
    assert CarbonTrace.load("US-CAL-CISO:2021") is tr  # cached


def test_list_traces_has_all_families():
    names = list_traces()
    for zone in ("US-CAL-CISO", "ES", "NO"):
        for year in (2021, 2022, 2023):
            assert f"{zone}:{year}" in names and f"{zone}:{year}:lca" in names
    for ba in ("AZPS", "BPAT", "CISO", "SOCO", "WAAT"):
        assert f"EIA-{ba}:2022" in names
    assert len(names) == 23 and names == sorted(names)


def test_value_matches_raw_csv():
    tr = CarbonTrace.load("US-CAL-CISO:2021")
    lca = CarbonTrace.load("US-CAL-CISO:2021:lca")
    i = tr.index_at("2021-07-02T06:00Z")
    # raw line: 2021-07-02 06:00:00,...,238.69,314.14,... (direct, LCA)
    assert tr.values_g_per_kwh[i] == 238.69
    assert lca.values_g_per_kwh[i] == 314.14
    raw = SHARED / "carbon" / "electricitymaps" / "US-CAL-CISO_2021_hourly.csv"
    if raw.exists():
        direct = CarbonTrace.from_csv(raw)
        np.testing.assert_array_equal(direct.values_g_per_kwh, tr.values_g_per_kwh)


def test_eia_ciso_filled_hours_are_recorded():
    tr = CarbonTrace.load("EIA-CISO:2022")
    assert [t.strftime("%Y-%m-%dT%H:%MZ") for t in tr.filled] == [
        "2022-01-05T10:00Z", "2022-05-17T18:00Z", "2022-06-13T18:00Z"]
    assert tr.to_frame()["filled"].sum() == 3


def test_unknown_name_lists_close_names():
    with pytest.raises(KeyError, match="US-CAL-CISO:2021"):
        CarbonTrace.load("US-CAL-CISO:2031")


# --------------------------------------------------------------- CSV validation
def test_plain_csv_naive_is_utc(tmp_path):
    tr = CarbonTrace.from_csv(write(tmp_path, plain([(t, "100") for t in HOURS])))
    assert tr.start == pd.Timestamp("2021-01-01T00:00Z") and len(tr) == 6 and tr.step_s == 3600


def test_eia_format_with_empty_first_header(tmp_path):
    text = ",WND,avg_CI\n2022-01-01 00:00:00+00:00,1,57.5\n2022-01-01 01:00:00+00:00,2,56.25\n"
    tr = CarbonTrace.from_csv(write(tmp_path, text))
    np.testing.assert_array_equal(tr.values_g_per_kwh, [57.5, 56.25])


def test_electricity_maps_format_lca(tmp_path):
    text = ("Datetime (UTC),Zone Id,Carbon Intensity gCO₂eq/kWh (direct),Carbon Intensity gCO₂eq/kWh (LCA)\n"
            "2021-01-01 00:00:00,ES,103.42,143.06\n2021-01-01 01:00:00,ES,100.86,139.96\n")
    p = write(tmp_path, text)
    np.testing.assert_array_equal(CarbonTrace.from_csv(p).values_g_per_kwh, [103.42, 100.86])
    np.testing.assert_array_equal(CarbonTrace.from_csv(p, column="lca").values_g_per_kwh, [143.06, 139.96])


@pytest.mark.parametrize(
    "rows, line, words",
    [
        ([(HOURS[0], "1"), (HOURS[1], "2"), (HOURS[1], "3")], 4, "duplicate"),
        ([(HOURS[0], "1"), (HOURS[2], "2"), (HOURS[1], "3")], 4, "non-monotonic"),
        ([(HOURS[0], "1"), (HOURS[1], "2"), (HOURS[4], "3")], 4, "gap"),
        ([(HOURS[0], "1"), (HOURS[1], ""), (HOURS[2], "3")], 3, "NaN"),
        ([(HOURS[0], "1"), (HOURS[1], "2"), (HOURS[2], "-5")], 4, "negative"),
        ([(HOURS[0], "1"), (HOURS[1], "2500"), (HOURS[2], "3")], 3, "implausible"),
        ([(HOURS[0], "1"), ("2021-13-45 00:00", "2"), (HOURS[2], "3")], 3, "unparsable timestamp"),
        ([(HOURS[0], "1"), (HOURS[1], "abc"), (HOURS[2], "3")], 3, "not a number"),
        ([(h, "1") for h in HOURS[:4]] + [("2021-01-01 04:30", "2"), (HOURS[5], "3")], 6, "irregular"),
    ],
)
def test_malformed_csv_names_row_and_problem(tmp_path, rows, line, words):
    p = write(tmp_path, plain(rows))
    with pytest.raises(TraceError) as e:
        CarbonTrace.from_csv(p)
    msg = str(e.value)
    assert str(p) in msg and f"line {line}" in msg and words in msg, msg


def test_gap_message_names_both_rows_and_length(tmp_path):
    p = write(tmp_path, plain([(HOURS[0], "1"), (HOURS[1], "2"), (HOURS[4], "3")]))
    with pytest.raises(TraceError, match=r"2 missing step.*3 h.*line 3\).*line 4\)"):
        CarbonTrace.from_csv(p)


def test_missing_column_lists_columns(tmp_path):
    p = write(tmp_path, "timestamp,WND,SUN\n2022-01-01 00:00,1,2\n2022-01-01 01:00,1,2\n")
    with pytest.raises(TraceError, match=r"line 1.*avg_CI.*missing.*'WND', 'SUN'"):
        CarbonTrace.from_csv(p)
    em = write(tmp_path, "Datetime (UTC),Carbon Intensity gCO₂eq/kWh (direct)\n2021-01-01 00:00,1\n2021-01-01 01:00,2\n", "em.csv")
    with pytest.raises(TraceError, match=r"\(LCA\).*missing column"):
        CarbonTrace.from_csv(em, column="lca")


def test_too_short(tmp_path):
    with pytest.raises(TraceError, match="too short"):
        CarbonTrace.from_csv(write(tmp_path, plain([(HOURS[0], "1")])))


def test_implausible_threshold_is_named_constant():
    assert MAX_PLAUSIBLE_G_PER_KWH == 2000.0


def test_fill_gaps_interpolates_and_reports(tmp_path, caplog):
    rows = [(HOURS[0], "100"), (HOURS[1], ""), (HOURS[2], "300"), (HOURS[5], "600")]
    p = write(tmp_path, plain(rows))
    with caplog.at_level(logging.WARNING, logger="cenas_gym.carbon.trace"):
        tr = CarbonTrace.from_csv(p, fill_gaps=True)
    np.testing.assert_allclose(tr.values_g_per_kwh, [100, 200, 300, 400, 500, 600])
    assert [t.hour for t in tr.filled] == [1, 3, 4]
    assert "filled 3" in caplog.text


def test_fill_gaps_refuses_to_extrapolate(tmp_path):
    p = write(tmp_path, plain([(HOURS[0], ""), (HOURS[1], "1"), (HOURS[2], "2")]))
    with pytest.raises(TraceError, match="line 2.*cannot fill"):
        CarbonTrace.from_csv(p, fill_gaps=True)


def test_fill_gaps_still_rejects_negative(tmp_path):
    p = write(tmp_path, plain([(HOURS[0], "1"), (HOURS[1], ""), (HOURS[2], "-2")]))
    with pytest.raises(TraceError, match="negative"):
        CarbonTrace.from_csv(p, fill_gaps=True)


# ----------------------------------------------------------- window / resample
def small() -> CarbonTrace:
    times = pd.date_range("2021-01-01", periods=4, freq="h", tz="UTC")
    return CarbonTrace("small", times, np.array([100.0, 300.0, 50.0, 70.0]))


def test_index_at():
    tr = small()
    assert tr.index_at("2021-01-01T02:00Z") == 2
    assert tr.index_at(pd.Timestamp("2021-01-01 03:00")) == 3
    with pytest.raises(ValueError, match="outside"):
        tr.index_at("2021-01-01T04:00Z")
    with pytest.raises(ValueError, match="step boundary"):
        tr.index_at("2021-01-01T01:30Z")


def test_window_exact():
    tr = small()
    w = tr.window("2021-01-01T01:00Z", 2)
    np.testing.assert_array_equal(w.values_g_per_kwh, [300.0, 50.0])
    assert w.start == pd.Timestamp("2021-01-01T01:00Z")
    np.testing.assert_array_equal(tr.window(2, 2).values_g_per_kwh, [50.0, 70.0])
    with pytest.raises(ValueError, match="only 2 h available"):
        tr.window(2, 3)


def test_window_of_real_trace_july():
    tr = CarbonTrace.load("US-CAL-CISO:2021")
    w = tr.window("2021-07-01T00:00Z", 24 * 31)
    assert len(w) == 744 and w.values_g_per_kwh[0] == tr.values_g_per_kwh[tr.index_at("2021-07-01T00:00Z")]


def test_resample_coarser_and_finer():
    tr = small()
    two = tr.resample(7200)
    np.testing.assert_array_equal(two.values_g_per_kwh, [200.0, 60.0])
    assert two.step_s == 7200 and list(two.times.hour) == [0, 2]
    half = tr.resample(1800)
    np.testing.assert_array_equal(half.values_g_per_kwh, [100, 100, 300, 300, 50, 50, 70, 70])
    assert len(half) == 8 and half.end == pd.Timestamp("2021-01-01T03:30Z")
    with pytest.raises(ValueError, match="multiple or an exact divisor"):
        tr.resample(5400)
    with pytest.raises(ValueError, match="whole number"):
        tr.resample(3 * 3600)


def test_stats():
    s = small().stats()
    assert s.hours == 4 and s.mean == 130.0 and s.min == 50.0 and s.max == 300.0
    assert np.isnan(s.mean_daily_range_g_per_kwh)  # no complete day
    full = CarbonTrace.load("US-CAL-CISO:2021").stats()
    assert full.hours == 8760 and full.p10 < full.p50 < full.p90 and full.mean_daily_range_g_per_kwh > 0


# --------------------------------------------------------------------- synthetic
def test_synthetic_reproducible_positive():
    a = CarbonTrace.synthetic(24 * 30, seed=1)
    b = CarbonTrace.synthetic(24 * 30, seed=1)
    c = CarbonTrace.synthetic(24 * 30, seed=2)
    np.testing.assert_array_equal(a.values_g_per_kwh, b.values_g_per_kwh)
    assert not np.array_equal(a.values_g_per_kwh, c.values_g_per_kwh)
    assert len(a) == 720 and a.start == pd.Timestamp("2021-01-01T00:00Z")
    big = CarbonTrace.synthetic(24 * 365, seed=3, mean=100, daily_amplitude=95, noise_std=60)
    assert (big.values_g_per_kwh > 0).all()
    assert abs(a.stats().mean - 300) < 30


# ------------------------------------------------------------------------ build
@pytest.mark.skipif(not (SHARED / "carbon").exists(), reason="../shared/data not present")
def test_build_is_deterministic(tmp_path):
    out = tmp_path / "traces"
    subprocess.run(
        [sys.executable, str(REPO / "traces" / "build_traces.py"), "--source", str(SHARED), "--out", str(out)],
        check=True, capture_output=True,
    )
    shipped = REPO / "traces"
    built = sorted(p.name for p in out.iterdir())
    assert len([b for b in built if b.endswith(".csv.gz")]) == 23
    for name in built:
        assert (out / name).read_bytes() == (shipped / name).read_bytes(), name


# ---------------------------------------------------------------- sub-hourly files
def _write(path, times, values):
    pd.DataFrame({"timestamp": times, "value": values}).to_csv(path, index=False)
    return path


def test_quarter_hours_become_hourly_means(tmp_path, caplog):
    times = pd.date_range("2021-01-01T00:00Z", periods=12, freq="15min").strftime("%Y-%m-%dT%H:%M:%SZ")
    values = [100, 200, 300, 400, 10, 10, 10, 50, 0, 0, 0, 4]
    with caplog.at_level("INFO", logger="cenas_gym.carbon.trace"):
        tr = CarbonTrace.from_csv(_write(tmp_path / "q.csv", times, values))
    assert tr.step_s == 3600 and list(tr.values_g_per_kwh) == [250.0, 20.0, 1.0]
    assert list(tr.times) == list(pd.date_range("2021-01-01T00:00Z", periods=3, freq="h"))
    assert tr.notes == ("aggregated 12 values of 15-minute steps to 3 hourly means",)
    assert "hourly means" in caplog.text


def test_partial_first_and_last_hours_are_dropped_and_reported(tmp_path):
    # 5-minute steps from 00:30 to 03:10: 00:30-00:55 (6 of 12) and 03:00-03:10 (3 of 12) are partial
    times = pd.date_range("2021-06-01T00:30Z", "2021-06-01T03:10Z", freq="5min")
    values = np.arange(len(times), dtype=float)
    tr = CarbonTrace.from_csv(_write(tmp_path / "five.csv", times.strftime("%Y-%m-%d %H:%M"), values))
    assert list(tr.times) == list(pd.date_range("2021-06-01T01:00Z", periods=2, freq="h"))
    assert list(tr.values_g_per_kwh) == [values[6:18].mean(), values[18:30].mean()] == [11.5, 23.5]
    assert tr.notes == (
        "aggregated 33 values of 5-minute steps to 2 hourly means; dropped the partial first hour "
        "2021-06-01T00:00:00Z (6 of 12 values) and the partial last hour 2021-06-01T03:00:00Z (3 of 12 values)",
    )
    assert tr.window("2021-06-01T01:00Z", 1).notes == tr.notes


def test_sub_hourly_files_still_fail_on_bad_rows(tmp_path):
    times = list(pd.date_range("2021-01-01T00:00Z", periods=12, freq="15min").strftime("%Y-%m-%dT%H:%M:%SZ"))
    values = ["100"] * 12
    values[5] = "-3"
    with pytest.raises(TraceError, match=r"line 7, column 'value': negative intensity -3"):
        CarbonTrace.from_csv(_write(tmp_path / "neg.csv", times, values))
    gap = times[:6] + times[7:]
    with pytest.raises(TraceError, match=r"line 8, column 'timestamp': gap: 1 missing step\(s\) of 900 s"):
        CarbonTrace.from_csv(_write(tmp_path / "gap.csv", gap, ["100"] * 11))
    odd = pd.date_range("2021-01-01T00:00Z", periods=20, freq="7min").strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(TraceError, match="step of 420 s does not divide an hour"):
        CarbonTrace.from_csv(_write(tmp_path / "seven.csv", odd, ["100"] * 20))
    skew = pd.date_range("2021-01-01T00:07Z", periods=20, freq="15min").strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(TraceError, match="not aligned to the hour"):
        CarbonTrace.from_csv(_write(tmp_path / "skew.csv", skew, ["100"] * 20))
    short = pd.date_range("2021-01-01T00:30Z", periods=6, freq="15min").strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(TraceError, match=r"too short: 1 whole hour\(s\)"):
        CarbonTrace.from_csv(_write(tmp_path / "short.csv", short, ["100"] * 6))


def test_sub_hourly_gaps_filled_then_aggregated(tmp_path):
    times = list(pd.date_range("2021-01-01T00:00Z", periods=8, freq="15min").strftime("%Y-%m-%dT%H:%M:%SZ"))
    values = [100.0, 200.0, 300.0, 400.0, 100.0, 100.0, 100.0, 100.0]
    del times[2], values[2]  # 00:30 missing: interpolated to 300
    tr = CarbonTrace.from_csv(_write(tmp_path / "g.csv", times, values), fill_gaps=True)
    assert list(tr.values_g_per_kwh) == [250.0, 100.0]
    assert tr.filled == (pd.Timestamp("2021-01-01T00:00Z"),)
    assert tr.notes[0].endswith("1 hour(s) hold filled values")
