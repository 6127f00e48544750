"""Carbon-intensity forecasters for the environment's observation.

A forecaster maps a trace (an array of gCO2eq/kWh, one value per step) and the current step
``t`` to the intensities of the next ``k`` steps, ``t+1 .. t+k``. Non-oracle forecasters use
only ``values[:t+1]``. They are called every env step, so they are plain numpy slicing.

Names for :func:`make_forecaster`: ``"oracle"``, ``"noisy"``, ``"persistence"``,
``"yesterday"``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Forecaster",
    "OracleForecaster",
    "NoisyOracleForecaster",
    "PersistenceForecaster",
    "SameHourYesterdayForecaster",
    "make_forecaster",
    "FORECASTERS",
]

FORECASTERS: tuple[str, ...] = ("oracle", "noisy", "persistence", "yesterday")


@runtime_checkable
class Forecaster(Protocol):
    """Anything with ``forecast(values_g_per_kwh, t, k) -> np.ndarray`` (float64, length k)."""

    def forecast(self, values_g_per_kwh: np.ndarray, t: int, k: int) -> np.ndarray: ...


def _check(values: np.ndarray, t: int, k: int) -> None:
    if not 0 <= t < len(values):
        raise ValueError(f"t={t} is outside the trace (0..{len(values) - 1})")
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")


class OracleForecaster:
    """The true future: ``values[t+1 : t+k+1]``. ValueError if ``t+k`` runs past the end."""

    def forecast(self, values_g_per_kwh: np.ndarray, t: int, k: int) -> np.ndarray:
        _check(values_g_per_kwh, t, k)
        if t + k >= len(values_g_per_kwh):
            raise ValueError(
                f"oracle forecast of {k} steps from t={t} runs past the end of the trace "
                f"({len(values_g_per_kwh)} steps; at most {len(values_g_per_kwh) - 1 - t} available)"
            )
        return np.array(values_g_per_kwh[t + 1 : t + k + 1], dtype=np.float64)

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
        self._oracle = OracleForecaster()
        self._mean_of: tuple[np.ndarray, float] | None = None  # (read-only array, its mean)

    def forecast(self, values_g_per_kwh: np.ndarray, t: int, k: int) -> np.ndarray:
        truth = self._oracle.forecast(values_g_per_kwh, t, k)
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


def make_forecaster(
    name: str, *, epsilon: float = 0.1, rng: np.random.Generator | None = None
) -> Forecaster:
    """A forecaster by name (one of :data:`FORECASTERS`).

    ``epsilon`` and ``rng`` are used by ``"noisy"`` only; without ``rng`` it gets
    ``np.random.default_rng()`` (unseeded: pass the env's generator for reproducibility).
    """
    if name == "oracle":
        return OracleForecaster()
    if name == "noisy":
        return NoisyOracleForecaster(epsilon, rng if rng is not None else np.random.default_rng())
    if name == "persistence":
        return PersistenceForecaster()
    if name == "yesterday":
        return SameHourYesterdayForecaster()
    raise ValueError(f"unknown forecaster {name!r}; choose one of {list(FORECASTERS)}")
