"""``CENAS-v0``: the CE-NAS GPU-allocation problem as a Gymnasium environment."""

from __future__ import annotations

from dataclasses import fields
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
from gymnasium import spaces

from cenas_gym.carbon import CarbonTrace
from cenas_gym.episodes import Episode, new_episode, step_info
from cenas_gym.forecast import FORECASTERS, make_forecaster
from cenas_gym.simulator import SimConfig

INTENSITY_SCALE_G_PER_KWH = 500.0  # intensities enter the observation divided by this
TRAINED_SCALE = 1000.0  # architectures trained enter the observation divided by this
REWARDS = ("default", "cenas")
# the CE-NAS authors' A3C reward (cake-lab/CE-NAS a3c_params.py)
CENAS_ALPHA, CENAS_GAMMA = 20.0, 0.05


class CENASEnv(gym.Env):
    """Allocate a GPU pool between one-shot sampling and full training, hour by hour, while
    a carbon-aware neural architecture search (CE-NAS on NAS-Bench-201) runs on a real grid.

    ## Description
    Each step (one hour by default) the agent decides how many of the ``n_gpus`` GPUs fully
    train architectures; the others screen candidates cheaply with a supernet. Only trained
    architectures count: the search is scored by the hypervolume (HV) of their (accuracy,
    hardware cost) points. Every GPU-second is charged at the grid's carbon intensity in that
    hour. The simulator (:mod:`cenas_gym.simulator`) documents the physics.

    ## Action Space
    ``Discrete(n_gpus + 1)``: the number of training GPUs (0 = all sample, ``n_gpus`` = all
    train). With ``action_type="continuous"``: ``Box(-1, 1, (1,), float32)`` (symmetric, as
    SB3 recommends), read as the fraction ``(a + 1) / 2`` of
    GPUs that train, rounded half up to whole GPUs.

    ## Observation Space
    ``Box(float32)`` of length ``12 + forecast_hours``:

    | index | feature |
    |---|---|
    | 0 | intensity now / 500 gCO2eq/kWh |
    | 1 | where now lies between the trailing 7 days' min (0) and max (1) |
    | 2 .. 1+k | forecast of the next k hours / 500 (the chosen forecaster) |
    | 2+k, 3+k | sin, cos of the hour of day (UTC) |
    | 4+k | time budget left (fraction) |
    | 5+k | carbon budget left (fraction, floored at -1; 1 without a carbon budget) |
    | 6+k | HV now, normalised by the table's true front |
    | 7+k | HV progress: (HV - HV at start) / (max HV - HV at start) |
    | 8+k | progress gained in the last step |
    | 9+k | architectures trained / 1000 |
    | 10+k | screened candidates queued / queue_cap |
    | 11+k | unfinished training work / (n_gpus x step length) |

    ## Rewards
    ``reward="default"``: ``hv_weight x (progress gained this step) - carbon_weight_per_kg x
    (kg CO2 emitted this step)``; the return is ``hv_weight x final progress -
    carbon_weight_per_kg x kg emitted``. With the defaults (100 and 1), one kg of CO2 is worth
    1 % of the hypervolume gap open at the start: at comparable final hypervolume the
    return ranks runs by carbon, and a run that stops searching loses the gap it leaves open.

    ``reward="cenas"``: the CE-NAS authors' A3C reward, ``20 x (HV gain / max HV) x (0.8 t/T
    + 0.8) - (carbon this step / n_gpus) x 2 / C_max + 0.05 x architectures trained this
    step``, with T the real budget in steps (the authors' code divided by 40 while running
    80) and C_max the window's maximum intensity. Both parts are in
    ``info["reward_breakdown"]``.

    ## Starting State
    ``n_init`` random architectures already trained; empty queue. The window starts at
    ``start`` or, by default, at a random hour of the trace (at least a day in, with room for
    the budget and the forecast).

    ## Episode End
    ``terminated`` when the time budget or the carbon budget is spent. ``truncated`` is
    never set by the env itself (only by wrappers such as ``TimeLimit``).

    ## Arguments
    ``gym.make("CENAS-v0", trace="US-CAL-CISO:2021", start=None, forecaster="noisy",
    forecast_hours=6, forecast_epsilon=0.1, action_type="discrete", reward="default",
    hv_weight=100.0, carbon_weight_per_kg=1.0, render_mode=None, **simulator_options)``.
    ``trace`` is a shipped trace name (``cenas_gym.list_traces()``), a ``CarbonTrace``, or a
    list of them (one is drawn per episode, uniformly, from the episode's generator);
    forecasters: ``oracle``, ``noisy`` (Gaussian error, sd = epsilon x mean intensity),
    ``persistence``, ``yesterday``. ``simulator_options`` are the fields of
    :class:`~cenas_gym.simulator.SimConfig` (``n_gpus=8``, ``budget_hours=80``,
    ``carbon_budget_g``, ``optimizer="lamoo"``, ``accounting="default"``, ...).

    ## Version History
    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        render_mode: str | None = None,
        *,
        trace: str | CarbonTrace | Sequence[str | CarbonTrace] = "US-CAL-CISO:2021",
        start: str | int | pd.Timestamp | None = None,
        forecaster: str = "noisy",
        forecast_hours: int = 6,
        forecast_epsilon: float = 0.1,
        action_type: str = "discrete",
        reward: str = "default",
        hv_weight: float = 100.0,
        carbon_weight_per_kg: float = 1.0,
        **simulator_options: Any,
    ) -> None:
        known = {f.name for f in fields(SimConfig)}
        unknown = sorted(set(simulator_options) - known)
        if unknown:
            env_args = ["render_mode", "trace", "start", "forecaster", "forecast_hours", "forecast_epsilon",
                        "action_type", "reward", "hv_weight", "carbon_weight_per_kg"]
            raise ValueError(
                f"CENAS-v0: unknown option(s) {unknown}; env arguments are {env_args}, "
                f"simulator options are {sorted(known)}"
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        if forecaster not in FORECASTERS:
            raise ValueError(f"forecaster must be one of {list(FORECASTERS)}, got {forecaster!r}")
        if not isinstance(forecast_hours, (int, np.integer)) or forecast_hours < 0:
            raise ValueError(f"forecast_hours must be a non-negative integer, got {forecast_hours!r}")
        if action_type not in ("discrete", "continuous"):
            raise ValueError(f"action_type must be 'discrete' or 'continuous', got {action_type!r}")
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {list(REWARDS)}, got {reward!r}")
        if forecast_epsilon < 0 or hv_weight < 0 or carbon_weight_per_kg < 0:
            raise ValueError("forecast_epsilon, hv_weight and carbon_weight_per_kg must be >= 0")

        self.config = SimConfig(**simulator_options)
        candidates = [trace] if isinstance(trace, (str, CarbonTrace)) else list(trace)
        if not candidates:
            raise ValueError("CENAS-v0: trace must name at least one trace")
        self.traces = []
        for item in candidates:
            loaded = CarbonTrace.load(item) if isinstance(item, str) else item
            self.traces.append(loaded if loaded.step_s == self.config.step_s else loaded.resample(self.config.step_s))
        self.trace = self.traces[0]
        self._hours_by_trace = [_hour_of_day(trace.times) for trace in self.traces]
        self.start_option = start
        self.forecaster_name = forecaster
        self.forecast_epsilon = float(forecast_epsilon)
        self.forecast_steps = int(forecast_hours)
        self.action_type = action_type
        self.reward_name = reward
        self.hv_weight = float(hv_weight)
        self.carbon_weight_per_kg = float(carbon_weight_per_kg)
        self.render_mode = render_mode

        n = self.config.n_gpus
        if action_type == "discrete":
            self.action_space = spaces.Discrete(n + 1)
        else:
            self.action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        k = self.forecast_steps
        low = np.zeros(12 + k, dtype=np.float32)
        high = np.ones(12 + k, dtype=np.float32)
        low[2 : 2 + k], high[0], high[2 : 2 + k] = -10.0, 10.0, 10.0  # noisy forecasts may dip below 0
        low[2 + k : 4 + k] = -1.0
        low[5 + k] = -1.0  # the last step may overshoot a carbon budget
        high[8 + k], low[8 + k] = 1.0, 0.0
        high[9 + k] = 20.0  # up to 15,625 architectures / 1000
        high[11 + k] = 1e3  # unfinished work can exceed one step's capacity
        self.observation_space = spaces.Box(low, high, dtype=np.float32)
        self._episode: Episode | None = None

    # -- gym API ---------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        start = (options or {}).get("start", self.start_option)
        chosen = int(self.np_random.integers(len(self.traces))) if len(self.traces) > 1 else 0  # one per episode
        self.trace = self.traces[chosen]
        self._values = self.trace.values_g_per_kwh
        self._hours = self._hours_by_trace[chosen]
        self._episode = new_episode(self.config, self.trace, self.np_random, start, self.forecast_steps)
        self._forecaster = make_forecaster(self.forecaster_name, epsilon=self.forecast_epsilon, rng=self._episode.forecast_rng)
        sim = self._episode.sim
        if sim.done:  # an episode must be playable after reset()
            budget = self.config.carbon_budget_g
            self._episode = None
            raise ValueError(
                f"CENAS-v0: carbon_budget_g={budget:g} is spent before the first step by the initial "
                f"charge ({sim.init_carbon_g:.1f} g for the n_init architectures at {sim.trace.name}); "
                "raise the budget, lower n_init, or use an accounting that does not charge them"
            )
        self._window_max = float(self._episode.context.episode_window().max())
        self._progress = 0.0
        self._last_gain = 0.0
        info = step_info(sim)
        return self._observation(), info

    def step(self, action):
        if self._episode is None:
            raise RuntimeError("CENAS-v0: call reset() before step()")
        sim = self._episode.sim
        if sim.done:
            raise RuntimeError("CENAS-v0: the episode has ended (terminated); call reset()")
        n_train = self._n_train(action)
        hv_before = sim.hv
        record = sim.step(n_train)
        progress = self._progress_of(sim.hv_normalized)
        self._last_gain = progress - self._progress
        self._progress = progress
        if self.reward_name == "default":
            breakdown = {
                "hv": self.hv_weight * self._last_gain,
                "carbon": -self.carbon_weight_per_kg * record["carbon_g"] / 1000.0,
            }
        else:
            ratio = 0.8 * sim.t / self.config.n_steps + 0.8
            breakdown = {
                "hv": CENAS_ALPHA * (sim.hv - hv_before) / sim.space.max_hv * ratio,
                "carbon": -record["carbon_g"] / self.config.n_gpus * 2.0 / self._window_max,
                "samples": CENAS_GAMMA * record["n_trained_step"],
            }
        reward = float(sum(breakdown.values()))
        terminated = sim.done
        info = step_info(sim)
        info["reward_breakdown"] = breakdown
        if terminated:
            info["episode_summary"] = sim.summary()
        return self._observation(), reward, terminated, False, info

    def render(self):
        if self.render_mode is None:
            gym.logger.warn("CENAS-v0: render() called without a render_mode")
            return None
        if self._episode is None:
            raise RuntimeError("CENAS-v0: call reset() before render()")
        from cenas_gym import render

        if self.render_mode == "ansi":
            return render.ansi(self._episode.sim)
        return render.rgb_array(self._episode.sim)

    # -- helpers -----------------------------------------------------------------------------
    def episode_context(self):
        """What a policy may know about the current episode (see :mod:`cenas_gym.policies`)."""
        if self._episode is None:
            raise RuntimeError("CENAS-v0: call reset() first")
        return self._episode.context

    @property
    def policy_rng(self) -> np.random.Generator:
        """The episode's random stream reserved for the policy (same as on the fast path)."""
        if self._episode is None:
            raise RuntimeError("CENAS-v0: call reset() first")
        return self._episode.policy_rng

    @property
    def simulator(self):
        """The current episode's simulator (``None`` before the first reset)."""
        return None if self._episode is None else self._episode.sim

    def _n_train(self, action) -> int:
        n = self.config.n_gpus
        if self.action_type == "discrete":
            value = np.asarray(action)
            if value.shape != () or not np.issubdtype(value.dtype, np.integer) or not 0 <= int(value) <= n:
                raise ValueError(f"CENAS-v0: action must be an integer in [0, {n}] (Discrete({n + 1})), got {action!r}")
            return int(value)
        if isinstance(action, (str, bytes)):
            raise ValueError(f"CENAS-v0: action must be one number in [-1, 1] (Box shape (1,)), got {action!r}")
        value = np.asarray(action, dtype=np.float64).reshape(-1)
        if value.shape != (1,) or not -1.0 <= value[0] <= 1.0:
            raise ValueError(f"CENAS-v0: action must be one number in [-1, 1] (Box shape (1,)), got {action!r}")
        return int(np.floor((value[0] + 1.0) / 2.0 * n + 0.5))

    def _progress_of(self, hv_normalized: float) -> float:
        sim = self._episode.sim
        start = sim.init_hv / sim.space.max_hv
        return 0.0 if start >= 1.0 else (hv_normalized - start) / (1.0 - start)

    def _observation(self) -> np.ndarray:
        ep = self._episode
        sim, ctx = ep.sim, ep.context
        t = min(sim.t, self.config.n_steps - 1)  # after the last step: its hour
        now_index = ctx.start + t
        now = float(self._values[now_index])
        trailing = ctx.trailing_window(t)
        lo, hi = float(trailing.min()), float(trailing.max())
        k = self.forecast_steps
        obs = np.empty(12 + k, dtype=np.float32)
        obs[0] = now / INTENSITY_SCALE_G_PER_KWH
        obs[1] = 0.0 if hi == lo else (now - lo) / (hi - lo)
        if k:
            obs[2 : 2 + k] = self._forecaster.forecast(self._values, now_index, k) / INTENSITY_SCALE_G_PER_KWH
        angle = 2.0 * np.pi * self._hours[now_index] / 24.0
        obs[2 + k] = np.sin(angle)
        obs[3 + k] = np.cos(angle)
        obs[4 + k] = 1.0 - sim.t / self.config.n_steps
        budget = self.config.carbon_budget_g
        # clipped: the step that spends a small budget may overshoot it by more than the budget
        obs[5 + k] = 1.0 if budget is None else max(-1.0, 1.0 - sim.cum_carbon_g / budget)
        obs[6 + k] = sim.hv_normalized
        obs[7 + k] = self._progress
        obs[8 + k] = self._last_gain
        obs[9 + k] = len(sim.trained) / TRAINED_SCALE
        obs[10 + k] = len(sim.queue) / self.config.queue_cap
        obs[11 + k] = sim.unfinished_work_s / (self.config.n_gpus * self.config.step_s)
        return obs


def _hour_of_day(times) -> np.ndarray:
    """Hour of the day (UTC, fractional: 13:30 -> 13.5, seconds dropped) of each time."""
    seconds = (times.asi8 // 10**9) % 86400
    return (seconds - seconds % 60) / 3600.0
