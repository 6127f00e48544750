"""Tests for cenas_gym.forecast: exact outputs on a small array."""

from __future__ import annotations

import numpy as np
import pytest

from cenas_gym.forecast import (
    FORECASTERS,
    Forecaster,
    NoisyOracleForecaster,
    OracleForecaster,
    PersistenceForecaster,
    SameHourYesterdayForecaster,
    make_forecaster,
)

V = np.arange(10, dtype=np.float64) * 10.0  # 0, 10, ..., 90


def test_oracle():
    out = OracleForecaster().forecast(V, 2, 3)
    np.testing.assert_array_equal(out, [30.0, 40.0, 50.0])
    assert out.dtype == np.float64
    np.testing.assert_array_equal(OracleForecaster().forecast(V, 6, 3), [70.0, 80.0, 90.0])
    with pytest.raises(ValueError, match="past the end"):
        OracleForecaster().forecast(V, 7, 3)


def test_oracle_returns_a_copy():
    out = OracleForecaster().forecast(V, 0, 2)
    out[0] = -1
    assert V[1] == 10.0


def test_persistence():
    np.testing.assert_array_equal(PersistenceForecaster().forecast(V, 4, 3), [40.0, 40.0, 40.0])
    # persistence may look past the end of the trace: it never reads the future
    np.testing.assert_array_equal(PersistenceForecaster().forecast(V, 9, 2), [90.0, 90.0])


def test_same_hour_yesterday():
    f = SameHourYesterdayForecaster(steps_per_day=4)
    # step t+i <- values[t+i-4]
    np.testing.assert_array_equal(f.forecast(V, 5, 3), [20.0, 30.0, 40.0])
    np.testing.assert_array_equal(f.forecast(V, 3, 4), [0.0, 10.0, 20.0, 30.0])
    # beyond one day the last day repeats; nothing after t is used
    np.testing.assert_array_equal(f.forecast(V, 3, 6), [0.0, 10.0, 20.0, 30.0, 0.0, 10.0])
    with pytest.raises(ValueError, match="4 steps of history"):
        f.forecast(V, 2, 1)


def test_same_hour_yesterday_default_24():
    v = np.arange(48, dtype=np.float64)
    np.testing.assert_array_equal(SameHourYesterdayForecaster().forecast(v, 30, 2), [7.0, 8.0])
    with pytest.raises(ValueError, match="t >= 23"):
        SameHourYesterdayForecaster().forecast(v, 22, 1)


def test_noisy_oracle_sd_and_reproducibility():
    v = np.full(10_000, 200.0)
    f = NoisyOracleForecaster(0.1, np.random.default_rng(0))
    out = f.forecast(v, 0, 5000)
    assert abs(out.std() - 20.0) < 1.0 and abs(out.mean() - 200.0) < 1.0
    a = NoisyOracleForecaster(0.1, np.random.default_rng(5)).forecast(V, 1, 4)
    b = NoisyOracleForecaster(0.1, np.random.default_rng(5)).forecast(V, 1, 4)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(NoisyOracleForecaster(0.0, np.random.default_rng(0)).forecast(V, 1, 3), [20, 30, 40])


def test_bad_t():
    with pytest.raises(ValueError, match="outside"):
        PersistenceForecaster().forecast(V, 10, 1)


def test_make_forecaster():
    assert FORECASTERS == ("oracle", "noisy", "persistence", "yesterday")
    for name in FORECASTERS:
        f = make_forecaster(name, rng=np.random.default_rng(0))
        assert isinstance(f, Forecaster)
        assert f.forecast(np.arange(48.0), 30, 3).shape == (3,)
    assert make_forecaster("noisy", epsilon=0.3).epsilon == 0.3
    with pytest.raises(ValueError, match="oracle.*noisy.*persistence.*yesterday"):
        make_forecaster("magic")
