"""Carbon-intensity forecasters for the environment's observation.

A forecaster maps a trace (an array of gCO2eq/kWh, one value per step) and the current step
``t`` to the intensities of the next ``k`` steps, ``t+1 .. t+k``. Non-oracle forecasters use
only ``values[:t+1]``. They are called every env step, so they are plain numpy slicing.

Names for :func:`make_forecaster`: ``"oracle"``, ``"noisy"``, ``"persistence"``,
``"yesterday"`` (the env's forecasters since v0, unchanged), and two that behave more like
real forecasts: ``"revised"`` (an error that grows with lead time and persists between
calls: each hour's forecast is issued once and revised as the hour approaches) and
``"ridge"`` (a learned forecast, fitted on the trace's history before the first hour it is
asked about; its measured error per lead: ``python benchmarks/forecast_error.py``).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Forecaster",
    "OracleForecaster",
    "NoisyOracleForecaster",
    "PersistenceForecaster",
    "SameHourYesterdayForecaster",
    "RevisedForecaster",
    "RidgeForecaster",
    "make_forecaster",
    "FORECASTERS",
]

FORECASTERS: tuple[str, ...] = ("oracle", "noisy", "persistence", "yesterday", "revised", "ridge")


@runtime_checkable
class Forecaster(Protocol):
    """Anything with ``forecast(values_g_per_kwh, t, k) -> np.ndarray`` (float64, length k)."""

    def forecast(self, values_g_per_kwh: np.ndarray, t: int, k: int) -> np.ndarray: ...


def _check(values: np.ndarray, t: int, k: int) -> None:
    if not 0 <= t < len(values):
        raise ValueError(f"t={t} is outside the trace (0..{len(values) - 1})")
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")


def _future(values: np.ndarray, t: int, k: int) -> np.ndarray:
    """``values[t+1 : t+k+1]`` as float64 (a view when ``values`` is a float64 array: copy it
    before handing it out). ValueError if ``t+k`` runs past the end."""
    _check(values, t, k)
    if t + k >= len(values):
        raise ValueError(
            f"oracle forecast of {k} steps from t={t} runs past the end of the trace "
            f"({len(values)} steps; at most {len(values) - 1 - t} available)"
        )
    return np.asarray(values[t + 1 : t + k + 1], dtype=np.float64)


class OracleForecaster:
    """The true future: ``values[t+1 : t+k+1]``. ValueError if ``t+k`` runs past the end."""

    def forecast(self, values_g_per_kwh: np.ndarray, t: int, k: int) -> np.ndarray:
        return np.array(_future(values_g_per_kwh, t, k))

    def __repr__(self) -> str:
        return "OracleForecaster()"


class NoisyOracleForecaster:
    """The true future plus independent Gaussian noise (gCO2eq/kWh).

    The noise sd is ``epsilon * mean(values_g_per_kwh)``, the mean over the whole array
    given, so ``epsilon`` is a relative error level that means the same on clean and dirty
    grids. Results are not clipped: on a clean grid (e.g. Norway) a forecast can come out
    negative. A forecast may be wrong, and clipping at 0 would bias it upwards; consumers
    that need non-negative inputs must clip themselves. Noise is drawn from ``rng`` on each
    call, so repeated calls for the same ``t`` differ.
    """

    def __init__(self, epsilon: float, rng: np.random.Generator) -> None:
        if epsilon < 0:
            raise ValueError(f"epsilon must be >= 0, got {epsilon}")
        self.epsilon = float(epsilon)
        self.rng = rng
        self._mean_of: tuple[np.ndarray, float] | None = None  # (read-only array, its mean)

    def forecast(self, values_g_per_kwh: np.ndarray, t: int, k: int) -> np.ndarray:
        truth = _future(values_g_per_kwh, t, k)  # a view: the sum below is a new array
        sd = self.epsilon * self._mean(values_g_per_kwh)
        return truth + self.rng.normal(0.0, sd, size=k)

    def _mean(self, values: np.ndarray) -> float:
        """Mean of ``values``; remembered for a read-only array (a trace's), asked every step."""
        if self._mean_of is not None and self._mean_of[0] is values:
            return self._mean_of[1]
        mean = float(np.mean(values))
        if isinstance(values, np.ndarray) and not values.flags.writeable:
            self._mean_of = (values, mean)
        return mean

    def __repr__(self) -> str:
        return f"NoisyOracleForecaster(epsilon={self.epsilon})"


class PersistenceForecaster:
    """Tomorrow is like now: ``values[t]`` repeated ``k`` times."""

    def forecast(self, values_g_per_kwh: np.ndarray, t: int, k: int) -> np.ndarray:
        _check(values_g_per_kwh, t, k)
        return np.full(k, values_g_per_kwh[t], dtype=np.float64)

    def __repr__(self) -> str:
        return "PersistenceForecaster()"


class SameHourYesterdayForecaster:
    """Step ``t+i`` is forecast as ``values[t+i-steps_per_day]`` (the same hour yesterday).

    For ``k > steps_per_day`` the last day's profile repeats (step ``t+i`` gets
    ``values[t - steps_per_day + 1 + (i-1) % steps_per_day]``), so no future value is used.
    Needs ``t >= steps_per_day - 1``; earlier ``t`` raise ValueError.
    """

    def __init__(self, steps_per_day: int = 24) -> None:
        if steps_per_day < 1:
            raise ValueError(f"steps_per_day must be >= 1, got {steps_per_day}")
        self.steps_per_day = int(steps_per_day)

    def forecast(self, values_g_per_kwh: np.ndarray, t: int, k: int) -> np.ndarray:
        _check(values_g_per_kwh, t, k)
        d = self.steps_per_day
        lo = t + 1 - d
        if lo < 0:
            raise ValueError(
                f"same-hour-yesterday needs {d} steps of history (t >= {d - 1}), got t={t}"
            )
        day = values_g_per_kwh[lo : t + 1]
        if k <= d:
            return np.array(day[:k], dtype=np.float64)
        return np.resize(np.asarray(day, dtype=np.float64), k)

    def __repr__(self) -> str:
        return f"SameHourYesterdayForecaster(steps_per_day={self.steps_per_day})"


class RevisedForecaster:
    """The true future plus an error that grows with lead time and persists between calls.

    Each future step's forecast is issued once and then revised as its time approaches,
    as in the martingale model of forecast evolution (Heath & Jackson 1994; Graves et
    al. 1986): at each step, news arrives that corrects every pending forecast a little,
    and the error of a forecast ``h`` steps ahead is the sum of the ``h`` pieces of news
    still to come about it. So:

    - the error sd at lead ``h`` is ``epsilon x mean(values) x sqrt(h)`` (gCO2eq/kWh);
    - the forecast for a given hour changes only by the news of each step: asked again at
      the next step, it is the same forecast minus one revision (correlation of the two
      errors ``sqrt((h-1)/h)``), and asked again at the same step it is identical;
    - one step's news is correlated across neighbouring target hours (coefficient ``rho``,
      an AR(1) sequence over the lead), so an error curve is smooth, not jagged.

    Args:
        epsilon: error sd at lead 1 as a fraction of the trace's mean intensity (a setting,
            not a measured value; the env's ``forecast_epsilon``).
        rng: the random stream for the news (drawn in time order, so reproducible).
        rho: correlation of one step's news between target hours one step apart, in
            [0, 1) (a setting, not a measured value).

    The forecaster keeps its state between calls: ``t`` must not decrease and ``k`` must
    not grow for the same ``values`` (a new ``values`` array starts afresh). Results are
    not clipped at 0 (see :class:`NoisyOracleForecaster`).
    """

    def __init__(self, epsilon: float, rng: np.random.Generator, rho: float = 0.8) -> None:
        if epsilon < 0:
            raise ValueError(f"epsilon must be >= 0, got {epsilon}")
        if not 0 <= rho < 1:
            raise ValueError(f"rho must be in [0, 1), got {rho}")
        self.epsilon, self.rho, self.rng = float(epsilon), float(rho), rng
        self._oracle = OracleForecaster()
        self._values: np.ndarray | None = None
        self._t = -1
        self._news: np.ndarray | None = None  # (k, k): row i = news arriving at step t+i, by lead

    def _draw_news(self, k: int) -> np.ndarray:
        """One step's news about the next k target steps: AR(1) over the lead, unit sd."""
        z = self.rng.standard_normal(k)
        out = np.empty(k)
        out[0] = z[0]
        scale = np.sqrt(1.0 - self.rho * self.rho)
        for j in range(1, k):
            out[j] = self.rho * out[j - 1] + scale * z[j]
        return out

    def forecast(self, values_g_per_kwh: np.ndarray, t: int, k: int) -> np.ndarray:
        truth = self._oracle.forecast(values_g_per_kwh, t, k)
        if k == 0:
            return truth
        if self._values is not values_g_per_kwh or self._news is None:
            self._values, self._t = values_g_per_kwh, t
            self._news = np.array([self._draw_news(k) for _ in range(k)])
        if t < self._t:
            raise ValueError(f"revised forecaster: t={t} is before the last call's t={self._t} (forecasts only move forward)")
        if k > self._news.shape[0]:
            raise ValueError(f"revised forecaster: k={k} is more than the first call's k={self._news.shape[0]}")
        for _ in range(t - self._t):  # the news of step t is known now: drop it, draw the next
            self._news = np.vstack([self._news[1:], self._draw_news(self._news.shape[0])])
        self._t = t
        # Row i holds the news that arrives at step t+1+i, column j the part about step
        # t+1+i+j. The error at lead h is the news still to come about step t+h: the sum of
        # row i, column h-1-i over i = 0..h-1 (an anti-diagonal).
        error = np.zeros(k)
        for i in range(k):
            error[i:] += self._news[i, : k - i]
        return truth + self.epsilon * float(np.mean(values_g_per_kwh)) * error

    def __repr__(self) -> str:
        return f"RevisedForecaster(epsilon={self.epsilon}, rho={self.rho})"


#: Ridge features: the last ``RIDGE_LAGS`` steps, the same hour on each of the previous
#: ``RIDGE_DAYS`` days (relative to the target hour), and the target's hour of day (sin, cos).
RIDGE_LAGS = 24
RIDGE_DAYS = 7
RIDGE_PENALTY = 1.0  # ridge penalty on standardised features (a setting, not tuned)
RIDGE_MIN_HISTORY_STEPS = 28 * 24  # fewer steps before the first call: same-hour-yesterday instead
_RIDGE_CACHE: OrderedDict = OrderedDict()  # (trace digest, cutoff, k, steps per day) -> weights
_RIDGE_CACHE_SIZE = 64


class RidgeForecaster:
    """A learned forecast: one ridge regression per lead, fitted on the trace's past only.

    For lead ``h`` (1..k) the forecast of step ``t+h`` is a linear function of the last 24
    steps ``values[t-23 .. t]``, the target's hour on each of the 7 latest past days
    (``values[t+h-24 d]``, d = 1..7 for h <= 24), and sin/cos of the target's
    hour of day (from the step index: the trace must start at midnight UTC, as the shipped
    ones do; otherwise the phase is shifted, which only costs accuracy). Features are
    standardised; ridge penalty ``RIDGE_PENALTY`` = 1 on the standardised weights.

    No leakage: the model is fitted at the first call on the targets up to that call's
    ``t`` (the episode's start, in the env) and reused for later ``t``; a call at an earlier
    ``t`` refits on that shorter history. Fits are cached per (trace, cutoff, k), so episodes
    that start at the same hour of the same trace share one fit. With fewer than
    ``RIDGE_MIN_HISTORY_STEPS`` (4 weeks) of history it forecasts the same hour yesterday.

    Its measured error (MAE per lead hour on the shipped traces):
    ``python benchmarks/forecast_error.py``. Designed for hourly traces (24 steps a day).
    """

    def __init__(self, steps_per_day: int = 24) -> None:
        self.steps_per_day = int(steps_per_day)
        self._fallback = SameHourYesterdayForecaster(self.steps_per_day)
        self._fit: tuple[np.ndarray, int, int, np.ndarray | None] | None = None  # (values, cutoff, k, weights)

    def _day_offsets(self, h: int) -> np.ndarray:
        """Steps back from the target to the same hour on the ``RIDGE_DAYS`` latest past days."""
        d = self.steps_per_day
        return d * (-(-h // d) + np.arange(RIDGE_DAYS))  # the first whole day at or past the lead

    def _first_issue(self, h: int) -> int:
        """Earliest issue step whose features lie inside the trace."""
        return max(RIDGE_LAGS - 1, int(self._day_offsets(h)[-1]) - h)

    def _features(self, values: np.ndarray, t: np.ndarray, h: int) -> np.ndarray:
        """(len(t), n_features) design rows for issue steps ``t`` and lead ``h``."""
        d = self.steps_per_day
        lags = values[t[:, None] - np.arange(RIDGE_LAGS)[None, :]]
        days = values[t[:, None] + h - self._day_offsets(h)[None, :]]
        angle = 2.0 * np.pi * ((t + h) % d) / d
        return np.column_stack([lags, days, np.sin(angle), np.cos(angle)])

    def _weights(self, values: np.ndarray, cutoff: int, k: int) -> np.ndarray | None:
        """Per lead: (mean, sd, coefficients, intercept) packed in rows; None if too little history."""
        if cutoff < max(RIDGE_MIN_HISTORY_STEPS, self._first_issue(k) + k + RIDGE_LAGS):
            return None
        key = (hashlib.blake2b(np.ascontiguousarray(values[: cutoff + 1]).tobytes(), digest_size=16).hexdigest(), cutoff, k, self.steps_per_day)
        if key in _RIDGE_CACHE:
            _RIDGE_CACHE.move_to_end(key)
            return _RIDGE_CACHE[key]
        packed = []
        for h in range(1, k + 1):
            t = np.arange(self._first_issue(h), cutoff - h + 1)  # targets t+h <= cutoff: known then
            x = self._features(values, t, h)
            y = values[t + h]
            mean, sd = x.mean(axis=0), x.std(axis=0)
            sd[sd == 0] = 1.0
            z = (x - mean) / sd
            y_mean = y.mean()
            coef = np.linalg.solve(z.T @ z + RIDGE_PENALTY * np.eye(z.shape[1]), z.T @ (y - y_mean))
            packed.append(np.concatenate([mean, sd, coef, [y_mean]]))
        weights = np.array(packed)
        weights.setflags(write=False)
        _RIDGE_CACHE[key] = weights
        if len(_RIDGE_CACHE) > _RIDGE_CACHE_SIZE:
            _RIDGE_CACHE.popitem(last=False)
        return weights

    def forecast(self, values_g_per_kwh: np.ndarray, t: int, k: int) -> np.ndarray:
        _check(values_g_per_kwh, t, k)
        values = np.asarray(values_g_per_kwh, dtype=np.float64)
        fit = self._fit
        if fit is None or fit[0] is not values_g_per_kwh or t < fit[1] or k > fit[2]:
            fit = self._fit = (values_g_per_kwh, t, k, self._weights(values, t, k))
        weights = fit[3]
        if weights is None:
            return self._fallback.forecast(values, t, k)
        n = (weights.shape[1] - 1) // 3
        out = np.empty(k)
        for h in range(1, k + 1):
            row = weights[h - 1]
            x = self._features(values, np.array([t]), h)[0]
            out[h - 1] = ((x - row[:n]) / row[n : 2 * n]) @ row[2 * n : 3 * n] + row[-1]
        return out

    def __repr__(self) -> str:
        return f"RidgeForecaster(steps_per_day={self.steps_per_day})"


def make_forecaster(
    name: str, *, epsilon: float = 0.1, rng: np.random.Generator | None = None
) -> Forecaster:
    """A forecaster by name (one of :data:`FORECASTERS`).

    ``epsilon`` and ``rng`` are used by ``"noisy"`` and ``"revised"`` only; without ``rng``
    they get ``np.random.default_rng()`` (unseeded: pass the env's generator for
    reproducibility).
    """
    if name not in FORECASTERS:
        raise ValueError(f"unknown forecaster {name!r}; choose one of {list(FORECASTERS)}")
    rng = rng if rng is not None else np.random.default_rng()
    build: dict[str, Callable[[], Forecaster]] = {
        "oracle": OracleForecaster,
        "noisy": lambda: NoisyOracleForecaster(epsilon, rng),
        "persistence": PersistenceForecaster,
        "yesterday": SameHourYesterdayForecaster,
        "revised": lambda: RevisedForecaster(epsilon, rng),
        "ridge": RidgeForecaster,
    }
    return build[name]()
