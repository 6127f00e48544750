"""``CENAS-Geo-v1``: one CE-NAS search over GPU pools in several grid regions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
from gymnasium import spaces

from cenas_gym.carbon.forecast import make_forecaster
from cenas_gym.envs import observation
from cenas_gym.envs.base import EnvOptions, hour_of_day
from cenas_gym.envs.observation import INTENSITY_SCALE_G_PER_KWH, LOG10_REGRET_SCALE, TRAINED_SCALE
from cenas_gym.envs.rewards import task_reward
from cenas_gym.sim.geo import GeoEpisode, SiteSpec, align_sites, geo_step_info, make_sites, new_geo_episode
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.sim.tasks import TASKS, make_task

class CENASGeoEnv(gym.Env):
    """Split the GPUs of several sites, each on its own grid, between one-shot sampling and
    full training, hour by hour, for one shared carbon-aware architecture search.

    ## Description
    One CE-NAS search (one LaMOO optimizer, one candidate queue, one front) is fed by GPU
    pools ("sites") in several grid regions, each with its own carbon-intensity trace; the
    windows are the same UTC hours everywhere. Each step (one hour) the agent decides how
    many of each site's GPUs train; the others sample. Jobs run where they started (no
    migration). Every site's GPU-seconds are charged at that site's intensity.
    :mod:`cenas_gym.sim.geo` documents the physics and the order of events.

    ## Action Space
    ``MultiDiscrete([n_1 + 1, ..., n_S + 1])``: training GPUs per site. With
    ``action_type="continuous"``: ``Box(-1, 1, (S,), float32)``, site ``i`` trains
    ``(a_i + 1) / 2 x n_i`` GPUs rounded half up.

    ## Observation Space
    ``Box(float32)`` of length ``S x ({site_size}) + {search_size}`` (S sites, k = ``forecast_hours``).
    Per site ``i``, a block of ``{site_size}`` at ``i x ({site_size})``:

    {site_table}

    then the search state, at ``S x ({site_size})`` (indices from there):

    {search_table}

    ## Rewards
    Aligned with the task (issue 12's definitions, :func:`task_reward`): ``target``: minus
    the kg emitted in the step, minus ``miss_penalty_kg`` in the step where the time cap ends
    the run without the target (default: the kg all GPUs would emit at full power over the
    whole window, so any miss scores below any hit); ``budget``: the decrease of log10
    regret; ``fixed-time``: that decrease minus ``carbon_price_per_kg`` (default 0.02) x kg.

    ## Starting State
    ``n_init`` random architectures already trained (their energy spread over the sites by
    GPUs); empty queue. The window starts at ``start`` or at a random hour of the common
    traces (a day in, with room for the cap and a day of look-ahead).

    ## Episode End
    ``terminated`` when the task's run ends: time budget/cap spent, target reached, or the
    carbon budget spent. ``truncated`` is never set by the env itself.

    ## Arguments
    ``gym.make("CENAS-Geo-v1", sites=None, task="target", hours=None, target_regret=None,
    carbon_budget_kg=None, start=None, forecaster="noisy", forecast_hours=6,
    forecast_epsilon=0.1, action_type="discrete", carbon_price_per_kg=0.02,
    miss_penalty_kg=None, **simulator_options)``. ``sites``: a list of ``"NAME:YEAR:GPUS"``
    strings, ``(trace, gpus)`` or ``(name, trace, gpus)`` tuples (trace: shipped name or
    ``CarbonTrace``) or :class:`~cenas_gym.sim.geo.Site`; default
    :data:`~cenas_gym.sim.geo.DEFAULT_SITES` (NO 2, US-CAL-CISO 4, ES 4, EIA-SOCO 8 GPUs, 2022).
    ``task``, ``hours``, ``target_regret`` and ``carbon_budget_kg`` go to
    :func:`cenas_gym.sim.tasks.make_task`; ``simulator_options`` are the other
    :class:`~cenas_gym.sim.simulator.SimConfig` fields (``optimizer="lamoo"``, ``accounting``...).

    ## Version History
    * v2: the simulator defaults of :data:`cenas_gym.V2_SIMULATOR_DEFAULTS` (screened
      candidates compete and inform LaMOO, 12-epoch estimate, ``shared`` accounting) and a
      causal observation: each site's ``intensity_rank_7d`` (now within its trailing 7 days'
      range) replaces ``intensity_rank_window`` (within the episode window's range).
    * v1: initial version (task-aligned rewards from the start).
    """

    metadata = {"render_modes": [], "render_fps": 4}

    def __init__(
        self,
        render_mode: str | None = None,
        *,
        version: str = "v1",
        sites: Sequence[SiteSpec] | None = None,
        task: str = "target",
        hours: float | None = None,
        target_regret: float | None = None,
        carbon_budget_kg: float | None = None,
        start: str | int | pd.Timestamp | None = None,
        forecaster: str = EnvOptions.forecaster,
        forecast_hours: int = EnvOptions.forecast_hours,
        forecast_epsilon: float = EnvOptions.forecast_epsilon,
        action_type: str = EnvOptions.action_type,
        carbon_price_per_kg: float = EnvOptions.carbon_price_per_kg,
        miss_penalty_kg: float | None = EnvOptions.miss_penalty_kg,
        **simulator_options: Any,
    ) -> None:
        known = {f.name for f in fields(SimConfig)} - {"n_gpus", "budget_hours", "target_regret", "carbon_budget_g"}
        unknown = sorted(set(simulator_options) - known)
        if unknown:
            raise ValueError(
                f"CENAS-Geo-v1: unknown option(s) {unknown}; GPUs are set per site (sites=), the run's "
                f"length, target and budget by the task (task=, hours=, target_regret=, carbon_budget_kg=); "
                f"simulator options are {sorted(known)}"
            )
        if render_mode is not None:
            raise ValueError(f"CENAS-Geo-v1 does not render; render_mode must be None, got {render_mode!r}")
        if task not in TASKS:
            raise ValueError(f"CENAS-Geo-v1: task must be one of {list(TASKS)}, got {task!r}")
        if version not in observation.GEO_SITE_VERSIONS:
            raise ValueError(f"CENAS-Geo: version must be one of {list(observation.GEO_SITE_VERSIONS)}, got {version!r}")
        self.version = version
        self._site_features = observation.GEO_SITE_VERSIONS[version]
        self.options = EnvOptions(forecaster, forecast_hours, forecast_epsilon, action_type, carbon_price_per_kg,
                                  miss_penalty_kg)

        self.task = make_task(task, hours=hours, target_regret=target_regret, carbon_budget_kg=carbon_budget_kg)
        self.sites = align_sites(make_sites(sites), SimConfig(**simulator_options).step_s)
        self.gpus = np.array([s.n_gpus for s in self.sites], dtype=np.int64)
        self.config = self.task.apply(SimConfig(n_gpus=int(self.gpus.sum()), **simulator_options))
        self.start_option = start
        self.forecaster_name = forecaster
        self.forecast_epsilon = float(forecast_epsilon)
        self.forecast_steps = int(forecast_hours)
        self.action_type = action_type
        self.carbon_price_per_kg = float(carbon_price_per_kg)
        self.miss_penalty_option = miss_penalty_kg
        self.render_mode = render_mode
        self._hours = hour_of_day(self.sites[0].trace.times)
        self._hour_sin_cos: dict[float, tuple[float, float]] = {}  # hour of day -> sin, cos of its angle
        # per site, plain floats and ints (numpy scalars cost ~1 us an operation in the observation)
        self._gpu_counts: list[int] = self.gpus.tolist()
        self._gpu_share: list[float] = [n / float(self.gpus.sum()) for n in self._gpu_counts]
        self._step_gpu_s: list[int] = [n * self.config.step_s for n in self._gpu_counts]

        n_sites, k = len(self.sites), self.forecast_steps
        if action_type == "discrete":
            self.action_space = spaces.MultiDiscrete(self.gpus + 1)
        else:
            self.action_space = spaces.Box(-1.0, 1.0, shape=(n_sites,), dtype=np.float32)
        site_low, site_high = observation.bounds(self._site_features, k)
        search_low, search_high = observation.bounds(observation.GEO_SEARCH, k)
        self._site_block = observation.size(self._site_features, k)
        self._obs_size = n_sites * self._site_block + observation.size(observation.GEO_SEARCH, k)
        low = np.concatenate([np.tile(site_low, n_sites), search_low])
        high = np.concatenate([np.tile(site_high, n_sites), search_high])
        self.observation_space = spaces.Box(low, high, dtype=np.float32)
        self._episode: GeoEpisode | None = None

    # -- gym API ---------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        start = (options or {}).get("start", self.start_option)
        self._episode = new_geo_episode(self.config, self.sites, self.np_random, start, self.forecast_steps)
        ep = self._episode
        if ep.sim.done:
            self._episode = None
            raise ValueError(
                f"CENAS-Geo-v1: the run is over before the first step (carbon budget "
                f"{self.task.carbon_budget_kg} kg spent by the initial architectures); raise the budget or lower n_init"
            )
        self._forecasters = [
            make_forecaster(self.forecaster_name, epsilon=self.forecast_epsilon, rng=ep.forecast_rng)
            for _ in self.sites
        ]
        windows = [ep.context.episode_window(i) for i in range(len(self.sites))]
        self._window_min = [float(w.min()) for w in windows]
        self._window_max = [float(w.max()) for w in windows]
        if self.miss_penalty_option is not None:
            self.miss_penalty_kg = float(self.miss_penalty_option)
        else:  # every GPU at its highest power for the whole window: above any run's emissions
            acc = ep.sim.accounting
            peak_kwh_per_step = max(acc.train_power_w, acc.sample_power_w, acc.idle_power_w) * acc.pue
            peak_kwh_per_step *= self.config.step_s / 3.6e6
            self.miss_penalty_kg = float(sum(n * peak_kwh_per_step * w.sum() for n, w in zip(self.gpus, windows))) / 1000.0
        return self._observation(), self._info()

    def step(self, action):
        if self._episode is None:
            raise RuntimeError("CENAS-Geo-v1: call reset() before step()")
        sim = self._episode.sim
        if sim.done:
            raise RuntimeError("CENAS-Geo-v1: the episode has ended (terminated); call reset()")
        before = math.log10(sim.regret)
        record = sim.step(self._n_train(action))
        terminated = sim.done
        missed = terminated and self.task.name == "target" and not sim.reached_target
        breakdown = task_reward(
            self.task, record["carbon_g"], before, math.log10(sim.regret),
            missed_target=missed, miss_penalty_kg=self.miss_penalty_kg, carbon_price_per_kg=self.carbon_price_per_kg,
        )
        reward = sum(breakdown.values())
        info = self._info()
        info["reward_breakdown"] = breakdown
        if terminated:
            info["episode_summary"] = sim.summary()
        return self._observation(), float(reward), terminated, False, info

    # -- helpers -----------------------------------------------------------------------------
    def episode_context(self):
        """What a geo policy may know about the current episode (a GeoContext)."""
        if self._episode is None:
            raise RuntimeError("CENAS-Geo-v1: call reset() first")
        return self._episode.context

    @property
    def policy_rng(self) -> np.random.Generator:
        """The episode's random stream reserved for the policy (same as on the fast path)."""
        if self._episode is None:
            raise RuntimeError("CENAS-Geo-v1: call reset() first")
        return self._episode.policy_rng

    @property
    def simulator(self):
        """The current episode's GeoSimulator (``None`` before the first reset)."""
        return None if self._episode is None else self._episode.sim

    def _info(self) -> dict[str, Any]:
        sim = self._episode.sim
        info = geo_step_info(sim)
        info["site_rows"] = sim.site_history[-sim.n_sites :] if sim.site_history else []
        return info

    def _n_train(self, action) -> np.ndarray:
        n_sites = len(self.sites)
        if isinstance(action, (str, bytes)):
            raise ValueError(f"CENAS-Geo-v1: action must be {n_sites} numbers, got {action!r}")
        value = np.asarray(action)
        if self.action_type == "discrete":
            if (
                value.shape != (n_sites,)
                or value.dtype.kind not in "iu"  # np.integer; checked by hand below: a few ints
                or not all(0 <= n <= most for n, most in zip(value.tolist(), self._gpu_counts))
            ):
                raise ValueError(
                    f"CENAS-Geo-v1: action must be {n_sites} integers, site i in [0, n_i] with n = "
                    f"{self.gpus.tolist()} (MultiDiscrete), got {action!r}"
                )
            return value.astype(np.int64)
        value = np.asarray(value, dtype=np.float64)
        if value.shape != (n_sites,) or not ((value >= -1.0) & (value <= 1.0)).all():
            raise ValueError(f"CENAS-Geo-v1: action must be {n_sites} numbers in [-1, 1] (Box), got {action!r}")
        return np.floor((value + 1.0) / 2.0 * self.gpus + 0.5).astype(np.int64)

    def _observation(self) -> np.ndarray:
        ep = self._episode
        sim, ctx = ep.sim, ep.context
        t = min(sim.t, self.config.n_steps - 1)  # after the last step: its hour
        now_index = ctx.start + t
        k = self.forecast_steps
        work = sim.site_unfinished_work_s()
        # built as a list of plain floats and converted once (one float32 rounding each, as
        # item by item): a numpy item assignment costs more than a list append
        out: list[float] = []
        for i in range(len(self.sites)):
            values = ctx.intensity_g_per_kwh[i]
            now = float(values[now_index])
            out.append(now / INTENSITY_SCALE_G_PER_KWH)
            if k:
                out.extend((self._forecasters[i].forecast(values, now_index, k) / INTENSITY_SCALE_G_PER_KWH).tolist())
            out.append(self._gpu_share[i])
            if self.version == "v1":  # the episode window's range (not causal)
                lo, hi = self._window_min[i], self._window_max[i]
            else:  # the trailing 7 days' (causal)
                trailing = ctx.trailing_window(i, t)
                lo, hi = float(trailing.min()), float(trailing.max())
            out.append(0.0 if hi == lo else (now - lo) / (hi - lo))
            out.append(work[i] / self._step_gpu_s[i])
        out.extend(self._sin_cos_of_hour(now_index))
        out.append(math.log10(sim.regret) / LOG10_REGRET_SCALE)
        out.append(1.0 - sim.t / self.config.n_steps)
        budget = self.config.carbon_budget_g
        out.append(1.0 if budget is None else max(-1.0, 1.0 - sim.cum_carbon_g / budget))
        out.append(sim.queue_share)
        out.append(len(sim.trained) / TRAINED_SCALE)
        return np.array(out, dtype=np.float32)

    def _sin_cos_of_hour(self, index: int) -> tuple[float, float]:
        """sin and cos of the hour of day at a trace index (angle 2 pi hour / 24), computed once
        per hour of day with numpy's sin and cos (as the observation always has)."""
        hour = self._hours[index]
        key = float(hour)
        cached = self._hour_sin_cos.get(key)
        if cached is None:
            angle = 2.0 * np.pi * hour / 24.0
            cached = self._hour_sin_cos[key] = (float(np.sin(angle)), float(np.cos(angle)))
        return cached


def _docstring(template: str) -> str:
    """The class docstring with its observation tables made from :mod:`cenas_gym.envs.observation`."""
    indent = "\n    "
    return template.format(
        site_size=f"{observation.size(observation.GEO_SITE, 0)} + k",
        search_size=observation.size(observation.GEO_SEARCH, 0),
        site_table=observation.markdown_table(observation.GEO_SITE).replace("\n", indent),
        search_table=observation.markdown_table(observation.GEO_SEARCH).replace("\n", indent),
    )


CENASGeoEnv.__doc__ = _docstring(CENASGeoEnv.__doc__ or "")
