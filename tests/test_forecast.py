"""Tests for cenas_gym.carbon.forecast: exact outputs on a small array."""

from __future__ import annotations

import numpy as np
import pytest

from cenas_gym.carbon.forecast import (
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
    assert FORECASTERS == ("oracle", "noisy", "persistence", "yesterday", "revised", "ridge")
    for name in FORECASTERS:
        f = make_forecaster(name, rng=np.random.default_rng(0))
        assert isinstance(f, Forecaster)
        assert f.forecast(np.arange(48.0), 30, 3).shape == (3,)
    assert make_forecaster("noisy", epsilon=0.3).epsilon == 0.3
    with pytest.raises(ValueError, match="oracle.*noisy.*persistence.*yesterday"):
        make_forecaster("magic")


# -- forecasts that behave like real ones ------------------------------------------------------
from cenas_gym.carbon.trace import CarbonTrace  # noqa: E402
from cenas_gym.carbon.forecast import RIDGE_MIN_HISTORY_STEPS, RevisedForecaster, RidgeForecaster  # noqa: E402


@pytest.fixture(scope="module")
def california():
    return CarbonTrace.load("US-CAL-CISO:2021").values_g_per_kwh


def test_revised_error_grows_like_sqrt_lead_and_persists(california):
    v = california
    f = RevisedForecaster(0.1, np.random.default_rng(0), rho=0.8)
    sd = 0.1 * v.mean()
    errs = np.array([f.forecast(v, 1000 + i, 6) - v[1001 + i : 1007 + i] for i in range(4000)])
    np.testing.assert_allclose(errs.std(axis=0) / sd, np.sqrt(np.arange(1, 7)), rtol=0.06)
    # the same target asked one step later: the same error minus one revision (corr sqrt(5/6) at lead 6)
    same_target = np.corrcoef(errs[:-1, 5], errs[1:, 4])[0, 1]
    assert same_target == pytest.approx(np.sqrt(5 / 6), abs=0.03)
    # one step's news is smooth across leads: neighbouring leads correlate (rho=0.8)
    assert np.corrcoef(errs[:, 4], errs[:, 5])[0, 1] == pytest.approx(0.8 * np.sqrt(5 / 6), abs=0.04)
    # asked twice at the same step: the same forecast (not redrawn)
    assert np.array_equal(f.forecast(v, 5000, 6), f.forecast(v, 5000, 6))


def test_revised_is_reproducible_and_exact_without_error(california):
    a = RevisedForecaster(0.2, np.random.default_rng(5))
    b = RevisedForecaster(0.2, np.random.default_rng(5))
    assert all(np.array_equal(a.forecast(california, t, 4), b.forecast(california, t, 4)) for t in range(30, 60))
    zero = RevisedForecaster(0.0, np.random.default_rng(1))
    np.testing.assert_array_equal(zero.forecast(california, 10, 5), california[11:16])
    with pytest.raises(ValueError, match="before the last call"):
        a.forecast(california, 10, 4)
    with pytest.raises(ValueError, match="more than the first call"):
        a.forecast(california, 70, 8)
    with pytest.raises(ValueError, match="rho"):
        RevisedForecaster(0.1, np.random.default_rng(0), rho=1.0)


def test_ridge_uses_only_the_past(california):
    v = np.array(california)
    t0 = 3000
    f = RidgeForecaster()
    first, later = f.forecast(v, t0, 6), f.forecast(v, t0 + 30, 6)
    changed = v.copy()
    changed[t0 + 31 :] = 5000.0  # the future after the later call
    g = RidgeForecaster()
    assert np.array_equal(g.forecast(changed, t0, 6), first)  # fitted on hours <= t0 only
    assert np.array_equal(g.forecast(changed, t0 + 30, 6), later)  # features: hours <= t
    assert g.forecast(changed, t0 + 31, 6)[0] != later[0]  # ... and it does read them once past


def test_ridge_beats_persistence_and_yesterday_at_six_hours(california):
    v = california
    ridge, persistence, yesterday = RidgeForecaster(), make_forecaster("persistence"), make_forecaster("yesterday")
    mae = {name: [] for name in ("ridge", "persistence", "yesterday")}
    for t in range(4380, 8700, 7):
        truth = v[t + 6]
        mae["ridge"].append(abs(ridge.forecast(v, t, 6)[5] - truth))
        mae["persistence"].append(abs(persistence.forecast(v, t, 6)[5] - truth))
        mae["yesterday"].append(abs(yesterday.forecast(v, t, 6)[5] - truth))
    assert np.mean(mae["ridge"]) < 0.9 * min(np.mean(mae["persistence"]), np.mean(mae["yesterday"]))


def test_ridge_falls_back_to_yesterday_with_little_history(california):
    t = RIDGE_MIN_HISTORY_STEPS - 1
    np.testing.assert_array_equal(RidgeForecaster().forecast(california, t, 6), make_forecaster("yesterday").forecast(california, t, 6))


@pytest.mark.parametrize("name", ["revised", "ridge"])
def test_env_plays_with_the_new_forecasters(name):
    import gymnasium as gym

    import cenas_gym  # noqa: F401

    def observations(seed):
        env = gym.make("CENAS-v0", start="2021-07-02T06:00Z", optimizer="random", budget_hours=6, forecaster=name)
        obs, _ = env.reset(seed=seed)
        out = [obs]
        for _ in range(6):
            obs, *_ = env.step(4)
            out.append(obs)
        return np.array(out)

    a, b = observations(0), observations(0)
    np.testing.assert_array_equal(a, b)
