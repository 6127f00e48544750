"""What ``CENASEnv`` and ``CENASGeoEnv`` share beside the simulator's options: the options of
the observation and the reward (:class:`EnvOptions`, validated once) and the hour of day of a
trace's times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cenas_gym.envs.observation import check_observation_options
from cenas_gym.envs.rewards import DEFAULT_CARBON_PRICE_PER_KG


@dataclass(frozen=True)
class EnvOptions:
    """The env options both envs take (their ``gym.make`` keywords of the same names).

    Attributes:
        forecaster: the forecaster of the observation's forecast hours
            (:data:`cenas_gym.carbon.forecast.FORECASTERS`).
        forecast_hours: hours of forecast in the observation (``k``).
        forecast_epsilon: relative error of the ``noisy`` and ``revised`` forecasters.
        action_type: ``"discrete"`` or ``"continuous"``.
        carbon_price_per_kg: the fixed-time task's price of a kg CO2eq, in decades of regret.
        miss_penalty_kg: the target task's penalty for a miss, kg (``None``: the most the
            allocation could emit in the window, so any miss scores below any hit).
    """

    forecaster: str = "noisy"
    forecast_hours: int = 6
    forecast_epsilon: float = 0.1
    action_type: str = "discrete"
    carbon_price_per_kg: float = DEFAULT_CARBON_PRICE_PER_KG
    miss_penalty_kg: float | None = None

    def __post_init__(self) -> None:
        check_observation_options(self.forecaster, self.forecast_hours, self.action_type)
        for name in ("forecast_epsilon", "carbon_price_per_kg"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.miss_penalty_kg is not None and not self.miss_penalty_kg >= 0:
            raise ValueError(f"miss_penalty_kg must be >= 0 or None, got {self.miss_penalty_kg!r}")


def hour_of_day(times: pd.DatetimeIndex) -> np.ndarray:
    """Hour of the day (UTC, fractional: 13:30 -> 13.5, seconds dropped) of each time."""
    seconds = (times.asi8 // 10**9) % 86400
    return (seconds - seconds % 60) / 3600.0


def play_in_env(env: Any, policy: Any, seed: int) -> Any:
    """Play one episode of ``policy`` (the :mod:`cenas_gym.policies.rules` interface: ``reset``,
    ``act``) through a ``CENASEnv`` or ``CENASGeoEnv`` (wrapped or not); returns its finished
    simulator. The policy gets the episode's context and its own random stream."""
    obs, info = env.reset(seed=seed)
    base = env.unwrapped
    policy.reset(base.episode_context(), base.policy_rng)
    done = False
    while not done:
        obs, _, terminated, truncated, info = env.step(policy.act(obs, info))
        done = terminated or truncated
    return base.simulator
