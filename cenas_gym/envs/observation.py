"""The env's observation as one table of features: name, bounds, meaning and how it is computed.

The observation space's bounds, the observation vector and the table in ``CENASEnv``'s
docstring all come from :func:`features`. Each step the env gathers what the features read
once (:class:`ObservationInputs`, so the forecaster is asked once per step) and every feature
reads its value from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cenas_gym.carbon.forecast import FORECASTERS

INTENSITY_SCALE_G_PER_KWH = 500.0  # intensities enter the observation divided by this
TRAINED_SCALE = 1000.0  # architectures trained enter the observation divided by this
LOG10_REGRET_SCALE = 6.0  # -log10(regret) / 6: 0 at regret 1, 1 at the regret floor 1e-6


@dataclass(slots=True)  # built once per step: not frozen, which would slow __init__ down
class ObservationInputs:
    """What the features read at one step (all plain numbers; units in the names).

    ``forecast_g_per_kwh`` holds the forecaster's next ``k`` hours; ``trailing_min/max`` the
    trailing 7 days' range; ``hour_of_day`` is UTC and fractional.
    """

    now_g_per_kwh: float
    trailing_min_g_per_kwh: float
    trailing_max_g_per_kwh: float
    forecast_g_per_kwh: np.ndarray
    hour_of_day: float
    time_left: float
    carbon_left: float
    hv_normalized: float
    hv_progress: float
    hv_progress_gain: float
    n_trained: int
    queue_share: float
    unfinished_share: float
    regret: float
    target_regret: float | None


@dataclass(frozen=True)
class Feature:
    """One entry of the observation (or, with ``per_forecast_hour``, one per forecast hour).

    Attributes:
        name: short identifier.
        low, high: the bounds of the observation space.
        meaning: what it is, with units (the docstring's table shows it).
        value: the value from the step's :class:`ObservationInputs` (``per_forecast_hour``:
            the ``k`` values as an array).
        per_forecast_hour: the feature spans ``forecast_hours`` entries.
    """

    name: str
    low: float
    high: float
    meaning: str
    value: Callable[[ObservationInputs], float | np.ndarray] | None = None  # None: the env computes it
    per_forecast_hour: bool = False


def _in_trailing_range(x: ObservationInputs) -> float:
    lo, hi = x.trailing_min_g_per_kwh, x.trailing_max_g_per_kwh
    return 0.0 if hi == lo else (x.now_g_per_kwh - lo) / (hi - lo)


def _angle(x: ObservationInputs) -> float:
    return 2.0 * np.pi * x.hour_of_day / 24.0


def _target_gap(x: ObservationInputs) -> float:
    if x.target_regret is None:
        return 0.0
    gap = (math.log10(x.regret) - math.log10(x.target_regret)) / LOG10_REGRET_SCALE
    return min(1.0, max(-1.0, gap))


#: ``CENAS-v0``'s features, in order.
V0: tuple[Feature, ...] = (
    Feature("intensity", 0.0, 10.0, "intensity now / 500 gCO2eq/kWh", lambda x: x.now_g_per_kwh / INTENSITY_SCALE_G_PER_KWH),
    Feature("intensity_rank_7d", 0.0, 1.0, "where now lies between the trailing 7 days' min (0) and max (1)",
            _in_trailing_range),
    Feature("forecast", -10.0, 10.0, "forecast of the next k hours / 500 (noisy forecasts may dip below 0)",
            lambda x: x.forecast_g_per_kwh / INTENSITY_SCALE_G_PER_KWH, per_forecast_hour=True),
    Feature("hour_sin", -1.0, 1.0, "sin of the hour of day (UTC)", lambda x: np.sin(_angle(x))),
    Feature("hour_cos", -1.0, 1.0, "cos of the hour of day (UTC)", lambda x: np.cos(_angle(x))),
    Feature("time_left", 0.0, 1.0, "time budget left (fraction)", lambda x: x.time_left),
    Feature("carbon_left", -1.0, 1.0, "carbon budget left (fraction, floored at -1; 1 without a carbon budget)",
            lambda x: x.carbon_left),
    Feature("hv", 0.0, 1.0, "HV now, normalised by the table's true front", lambda x: x.hv_normalized),
    Feature("hv_progress", 0.0, 1.0, "HV progress: (HV - HV at start) / (max HV - HV at start)", lambda x: x.hv_progress),
    Feature("hv_progress_gain", 0.0, 1.0, "progress gained in the last step", lambda x: x.hv_progress_gain),
    Feature("trained", 0.0, 20.0, "architectures trained / 1000 (NAS-Bench-201 has 15,625)",
            lambda x: x.n_trained / TRAINED_SCALE),
    Feature("queue", 0.0, 1.0, "screened candidates queued / queue_cap", lambda x: x.queue_share),
    Feature("unfinished", 0.0, 1e3, "unfinished training work / (n_gpus x step length)", lambda x: x.unfinished_share),
)

#: ``CENAS-v1``'s features: v0's, then the search quality as the tasks score it.
V1: tuple[Feature, ...] = V0 + (
    Feature("log10_regret", 0.0, 1.0, "-log10(HV regret) / 6 (0: regret 1; 1: the floor 1e-6)",
            lambda x: -math.log10(x.regret) / LOG10_REGRET_SCALE),
    Feature("target_gap", -1.0, 1.0, "(log10 regret - log10 target) / 6, clipped to [-1, 1]; 0 without a target",
            _target_gap),
)

VERSIONS: dict[str, tuple[Feature, ...]] = {"v0": V0, "v1": V1, "v2": V1}  # v2: v1's observation

#: ``CENAS-Geo-v1``'s features of one site: one block per site, in the sites' order, then
#: :data:`GEO_SEARCH` once (values: ``CENASGeoEnv._observation``).
GEO_SITE: tuple[Feature, ...] = (
    Feature("intensity", 0.0, 10.0, "the site's intensity now / 500 gCO2eq/kWh"),
    Feature("forecast", -10.0, 10.0, "its forecast of the next k hours / 500 (the chosen forecaster)",
            per_forecast_hour=True),
    Feature("gpu_share", 0.0, 1.0, "capacity share: the site's GPUs / all GPUs"),
    Feature("intensity_rank_window", 0.0, 1.0, "where now lies between the site's episode-window min (0) and max (1)"),
    Feature("unfinished", 0.0, 1e3, "the site's unfinished training work / (its GPUs x step length)"),
)
#: ``CENAS-Geo-v2``'s site block: v1's with the window rank replaced by the trailing 7 days'
#: (causal: nothing of the episode's future enters the observation).
GEO_SITE_V2: tuple[Feature, ...] = tuple(
    Feature("intensity_rank_7d", 0.0, 1.0, "where now lies between the site's trailing 7 days' min (0) and max (1)")
    if f.name == "intensity_rank_window" else f
    for f in GEO_SITE
)
#: ``CENAS-Geo-v1``'s (and ``-v2``'s) search state, after the sites' blocks.
GEO_SEARCH: tuple[Feature, ...] = (
    Feature("hour_sin", -1.0, 1.0, "sin of the hour of day (UTC)"),
    Feature("hour_cos", -1.0, 1.0, "cos of the hour of day (UTC)"),
    Feature("log10_regret", -1.0, 0.0, "log10(HV regret) / 6 (0: regret 1; -1: the floor 1e-6)"),
    Feature("time_left", 0.0, 1.0, "time budget left (fraction)"),
    Feature("carbon_left", -1.0, 1.0, "carbon budget left (fraction, floored at -1; 1 without a carbon budget)"),
    Feature("queue", 0.0, 1.0, "screened candidates queued / queue_cap"),
    Feature("trained", 0.0, 20.0, "architectures trained / 1000"),
)


#: The geo site block of each geo env version.
GEO_SITE_VERSIONS: dict[str, tuple[Feature, ...]] = {"v1": GEO_SITE, "v2": GEO_SITE_V2}


def size(table: tuple[Feature, ...], forecast_hours: int) -> int:
    """Length of the observation vector."""
    return sum(forecast_hours if f.per_forecast_hour else 1 for f in table)


def bounds(table: tuple[Feature, ...], forecast_hours: int) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) float32 arrays of the observation space."""
    low = np.concatenate([np.full(forecast_hours if f.per_forecast_hour else 1, f.low) for f in table])
    high = np.concatenate([np.full(forecast_hours if f.per_forecast_hour else 1, f.high) for f in table])
    return low.astype(np.float32), high.astype(np.float32)


def observe(table: tuple[Feature, ...], inputs: ObservationInputs, forecast_hours: int) -> np.ndarray:
    """The observation vector (float32) of ``inputs``."""
    values: list[float] = []
    for f in table:
        if not f.per_forecast_hour:
            values.append(f.value(inputs))
        elif forecast_hours:
            values.extend(f.value(inputs))
    return np.array(values, dtype=np.float32)


def positions(table: tuple[Feature, ...]) -> list[str]:
    """Where each feature sits in the vector, ``k`` = forecast hours: ``"3"``, ``"4 .. 3+k"``."""

    def index(fixed: int, with_k: bool) -> str:
        return str(fixed) if not with_k else (f"{fixed}+k" if fixed else "k")

    out, fixed, with_k = [], 0, False
    for f in table:
        if f.per_forecast_hour:
            out.append(f"{index(fixed, with_k)} .. {index(fixed - 1, True)}")
            with_k = True
        else:
            out.append(index(fixed, with_k))
            fixed += 1
    return out


def markdown_table(table: tuple[Feature, ...], first: int = 0) -> str:
    """The docstring's table (index, feature, Min, Max), ``k`` = forecast hours; from the
    ``first``-th feature on (the indices count the ones before it)."""
    lines = ["| index | feature | Min | Max |", "|---|---|---|---|"]
    for i, (where, f) in enumerate(zip(positions(table), table)):
        if i >= first:
            lines.append(f"| {where} | {f.meaning} | {f.low:g} | {f.high:g} |")
    return "\n".join(lines)


def check_observation_options(forecaster: str, forecast_hours: object, action_type: str) -> None:
    """Raise ``ValueError`` naming the argument when a forecaster, forecast length (hours) or
    action type is not one the envs (CENAS-v0/v1, CENAS-Geo-v1) accept."""
    if forecaster not in FORECASTERS:
        raise ValueError(f"forecaster must be one of {list(FORECASTERS)}, got {forecaster!r}")
    if not isinstance(forecast_hours, (int, np.integer)) or forecast_hours < 0:
        raise ValueError(f"forecast_hours must be a non-negative integer, got {forecast_hours!r}")
    if action_type not in ("discrete", "continuous"):
        raise ValueError(f"action_type must be 'discrete' or 'continuous', got {action_type!r}")
