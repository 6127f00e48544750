"""``CENAS-v0`` and ``CENAS-v1``: the CE-NAS GPU-allocation problem as a Gymnasium environment."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
import pandas as pd
from gymnasium import spaces

from cenas_gym.envs import observation, rewards
from cenas_gym.carbon.catalogue import DEFAULT_TRACE
from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.sim.episodes import SIM_OPTIONS, Episode, EpisodeContext, at_step, new_episode, step_info
from cenas_gym.carbon.forecast import make_forecaster
from cenas_gym.envs.base import EnvOptions, hour_of_day
from cenas_gym.sim.simulator import SimConfig, Simulator
from cenas_gym.sim.tasks import TASKS, Task, make_task

VERSIONS = ("v0", "v1", "v2")
ENV_ARGUMENTS = (
    "render_mode", "trace", "start", "forecaster", "forecast_hours", "forecast_epsilon", "action_type", "reward",
    "hv_weight", "carbon_weight_per_kg", "task", "hours", "target_regret", "carbon_budget_kg", "carbon_price_per_kg",
    "miss_penalty_kg",
)


class CENASEnv(gym.Env[np.ndarray, np.int64]):
    """Allocate a GPU pool between one-shot sampling and full training, hour by hour, while
    a carbon-aware neural architecture search (CE-NAS on NAS-Bench-201) runs on a real grid.

    ## Description
    Each step (one hour by default) the agent decides how many of the ``n_gpus`` GPUs fully
    train architectures; the others screen candidates cheaply with a supernet. Only trained
    architectures count: the search is scored by the hypervolume (HV) of their (accuracy,
    hardware cost) points, read as the HV regret ``max(1 - HV / HV(true front), 1e-6)``.
    Every GPU-second is charged at the grid's carbon intensity in that hour. The simulator
    (:mod:`cenas_gym.sim.simulator`) documents the physics; :mod:`cenas_gym.sim.tasks` the tasks.

    ## Action Space
    ``Discrete(n_gpus + 1)``: the number of training GPUs (0 = all sample, ``n_gpus`` = all
    train). With ``action_type="continuous"``: ``Box(-1, 1, (1,), float32)`` (symmetric, as
    SB3 recommends), read as the fraction ``(a + 1) / 2`` of GPUs that train, rounded half up
    to whole GPUs.

    ## Observation Space
    ``Box(float32)``; ``k = forecast_hours``. ``CENAS-v0`` (length ``12 + k``):

    {v0_table}

    ``CENAS-v1`` (length ``14 + k``) appends the search quality as the tasks score it:

    {v1_extra}

    The table is :data:`cenas_gym.envs.observation.V0` / ``V1``; the bounds come from it.

    ## Rewards
    ``info["reward_breakdown"]`` holds the step's parts; the reward is their sum. ``kg`` is
    the carbon the steps emit (the initial samples' charge comes before the first step).

    {reward_table}

    ``v0`` (``CENAS-v0``'s default, also ``"default"``): with ``hv_weight=100`` and
    ``carbon_weight_per_kg=1`` one kg of CO2 is worth 1 % of the hypervolume gap open at
    the start. ``cenas``: the CE-NAS authors' A3C reward, T the budget in steps, C_max the
    window's maximum intensity. ``CENAS-v1`` uses the task's reward by default:

    * ``fixed-time``: the decrease of log10 regret minus ``carbon_price_per_kg`` (default
      0.02, :data:`cenas_gym.envs.rewards.DEFAULT_CARBON_PRICE_PER_KG`: the price at which the
      heuristic and vanilla LaMOO tie on the paper's window) times the kg of the step.
    * ``target``: minus the kg of each step; when the time cap ends the run before the
      target is reached, a penalty of ``miss_penalty_kg`` more. Default: the **cap bill**,
      the kg of every GPU drawing its highest power for the whole cap at the window's hourly
      intensities, i.e. the most any allocation can emit in the cap; so no run that misses
      the target has a higher return than a run that reaches it.
    * ``budget``: the decrease of log10 regret; the carbon budget ends the run.

    ## Starting State
    ``n_init`` random architectures already trained; empty queue. The window starts at
    ``start`` or, by default, at a random hour of the trace (at least a day in, with room for
    the budget and the forecast).

    ## Episode End
    ``terminated`` when the time budget (fixed-time) or time cap (target, budget) is spent,
    the carbon budget is spent (budget), or the target is reached (target). Running out of the
    time cap ends the task itself (the cap is part of the MDP and the target reward charges
    the miss), so it is ``terminated``, not ``truncated``; ``truncated`` is set only by
    wrappers such as ``TimeLimit``.

    ## Info
    Every step: the simulator's record of the step (``carbon_g``, ``hv_normalized``, ...),
    ``step``, ``intensity_now_g_per_kwh``, ``regret``, ``log10_regret``; after a step,
    ``reward_breakdown``; at the end, ``episode_summary`` (``carbon_kg``,
    ``final_log10_regret``, ``target_regret``, ``reached_target``, ``kg_to_target``, ...).

    ## Arguments
    ``gym.make("CENAS-v1", task="fixed-time", hours=None, target_regret=None,
    carbon_budget_kg=None, carbon_price_per_kg=0.02, miss_penalty_kg=None, reward=None,
    trace="US-CAL-CISO:2021", start=None, forecaster="noisy", forecast_hours=6,
    forecast_epsilon=0.1, action_type="discrete", render_mode=None, **simulator_options)``;
    ``CENAS-Target-v1`` is ``task="target"`` (target regret 0.002 within 160 h),
    ``CENAS-Budget-v1`` is ``task="budget", carbon_budget_kg=25`` (within 160 h); ``hours``,
    ``target_regret`` and ``carbon_budget_kg`` go to :func:`cenas_gym.sim.tasks.make_task`.
    ``gym.make("CENAS-v0", ..., reward="default", hv_weight=100.0, carbon_weight_per_kg=1.0,
    **simulator_options)`` takes its time and carbon budgets from ``simulator_options``.
    ``trace`` is a shipped trace name (``cenas_gym.list_traces()``), a ``CarbonTrace``, or a
    list of them (one is drawn per episode, uniformly, from the episode's generator);
    forecasters: ``oracle``, ``noisy`` (Gaussian error, sd = epsilon x mean intensity, drawn
    anew each call), ``persistence``, ``yesterday``, ``revised`` (issued once per hour and
    revised as it approaches; error sd epsilon x mean x sqrt(lead)) and ``ridge`` (a ridge
    regression per lead fitted on the trace before the episode only); see
    :mod:`cenas_gym.carbon.forecast`. ``simulator_options`` are the fields of
    :class:`~cenas_gym.sim.simulator.SimConfig` (``n_gpus=8``, ``budget_hours=80``,
    ``carbon_budget_g``, ``optimizer="lamoo"``, ``accounting="default"``, ...).

    ## Version History
    * v2: v1's observation and rewards on a search in which sampling informs training:
      screened candidates compete and LaMOO learns from them (``screening="partition"``),
      estimated by 12-epoch accuracy
      at its real cost (``estimator="acc12"``), under the ``shared`` accounting (busy GPUs
      at board power, the rest released). ``CENAS-Target-v2``, ``CENAS-Budget-v2`` and
      ``CENAS-Geo-v2`` likewise (:data:`cenas_gym.V2_SIMULATOR_DEFAULTS`).
    * v1: task-aligned rewards (fixed-time, target, budget; ``task=``), the regret and the
      distance to the target in the observation (two more features), ``regret`` and
      ``log10_regret`` in ``info``. The v0 reward stays available as ``reward="v0"``.
    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        render_mode: str | None = None,
        *,
        trace: str | CarbonTrace | Sequence[str | CarbonTrace] = DEFAULT_TRACE,
        start: str | int | pd.Timestamp | None = None,
        forecaster: str = EnvOptions.forecaster,
        forecast_hours: int = EnvOptions.forecast_hours,
        forecast_epsilon: float = EnvOptions.forecast_epsilon,
        action_type: str = EnvOptions.action_type,
        reward: str | None = None,
        hv_weight: float = 100.0,
        carbon_weight_per_kg: float = 1.0,
        version: str = "v0",
        task: str | None = None,
        hours: float | None = None,
        target_regret: float | None = None,
        carbon_budget_kg: float | None = None,
        carbon_price_per_kg: float = EnvOptions.carbon_price_per_kg,
        miss_penalty_kg: float | None = EnvOptions.miss_penalty_kg,
        **simulator_options: Any,
    ) -> None:
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {list(VERSIONS)}, got {version!r}")
        self.version = version
        self.env_id = f"CENAS-{version}"
        self._check_options(render_mode, simulator_options)
        self.options = EnvOptions(forecaster, forecast_hours, forecast_epsilon, action_type, carbon_price_per_kg,
                                  miss_penalty_kg)
        for name, value in (("hv_weight", hv_weight), ("carbon_weight_per_kg", carbon_weight_per_kg)):
            if not value >= 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}")

        reward = self._set_task_and_reward(task, reward, hours, target_regret, carbon_budget_kg, simulator_options)
        config = SimConfig(**simulator_options)
        self.config = config if self.task is None else self.task.apply(config)
        self._load_traces(trace)
        self.start_option = start
        self.forecaster_name = forecaster
        self.forecast_epsilon = float(forecast_epsilon)
        self.forecast_steps = int(forecast_hours)
        self.action_type = action_type
        self.reward_name = reward
        self.weights = rewards.RewardWeights(float(hv_weight), float(carbon_weight_per_kg), float(carbon_price_per_kg))
        self.hv_weight, self.carbon_weight_per_kg = self.weights.hv_weight, self.weights.carbon_weight_per_kg
        self.miss_penalty_option = None if miss_penalty_kg is None else float(miss_penalty_kg)
        self.render_mode = render_mode
        self._make_spaces()
        self._episode: Episode | None = None

    def _check_options(self, render_mode: str | None, simulator_options: dict[str, Any]) -> None:
        """Reject simulator options the simulator does not know, and unknown render modes."""
        unknown = sorted(set(simulator_options) - SIM_OPTIONS)
        if unknown:
            raise ValueError(
                f"{self.env_id}: unknown option(s) {unknown}; env arguments are {list(ENV_ARGUMENTS)}, "
                f"simulator options are {sorted(SIM_OPTIONS)}"
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")

    def _set_task_and_reward(self, task: str | None, reward: str | None, hours: float | None,
                             target_regret: float | None, carbon_budget_kg: float | None,
                             simulator_options: dict[str, Any]) -> str:
        """Set ``self.task`` (v1+ default: fixed-time) and return the checked reward name."""
        if task is None and self.version != "v0":
            task = "fixed-time"
        self.task = None if task is None else _task(task, hours, target_regret, carbon_budget_kg, simulator_options)
        if task is None and (hours, target_regret, carbon_budget_kg) != (None, None, None):
            raise ValueError(f"{self.env_id}: hours, target_regret and carbon_budget_kg need a task= "
                             "(CENAS-v0 takes budget_hours, target_regret and carbon_budget_g as simulator options)")
        if reward is None:
            reward = "default" if self.task is None or self.version == "v0" else rewards.TASK_REWARDS[self.task.name]
        if reward not in rewards.REWARDS:
            raise ValueError(f"reward must be one of {list(rewards.REWARDS)}, got {reward!r}")
        if reward == "target" and (self.task is None or self.task.name != "target"):
            raise ValueError("reward='target' needs task='target' (a target regret and a time cap)")
        return reward

    def _load_traces(self, trace: str | CarbonTrace | Sequence[str | CarbonTrace]) -> None:
        """Load the candidate traces at the config's step, and their hours of day."""
        candidates = [trace] if isinstance(trace, (str, CarbonTrace)) else list(trace)
        if not candidates:
            raise ValueError(f"{self.env_id}: trace must name at least one trace")
        self.traces = [at_step(CarbonTrace.load(t) if isinstance(t, str) else t, self.config.step_s) for t in candidates]
        self.trace = self.traces[0]
        self._hours_by_trace = [hour_of_day(t.times) for t in self.traces]

    def _make_spaces(self) -> None:
        """The action space (discrete: 0..n_gpus GPUs; continuous: [-1, 1]) and the observation space."""
        n = self.config.n_gpus
        if self.action_type == "discrete":
            self.action_space = spaces.Discrete(n + 1)
        else:
            self.action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        low, high = observation.bounds(self.features, self.forecast_steps)
        self.observation_space = spaces.Box(low, high, dtype=np.float32)

    @property
    def features(self) -> tuple[observation.Feature, ...]:
        """This version's observation table (:mod:`cenas_gym.envs.observation`)."""
        return observation.VERSIONS[self.version]

    @property
    def reward_spec(self) -> rewards.Reward:
        """The reward in use (:mod:`cenas_gym.envs.rewards`)."""
        return rewards.REWARDS[self.reward_name]

    # -- gym API ---------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
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
                f"{self.env_id}: carbon_budget_g={budget:g} is spent before the first step by the initial "
                f"charge ({sim.init_carbon_g:.1f} g for the n_init architectures at {sim.trace.name}); "
                "raise the budget, lower n_init, or use an accounting that does not charge them"
            )
        window = self._episode.context.episode_window()
        self._window_max = float(window.max())
        self._miss_penalty_kg = self.miss_penalty_option if self.miss_penalty_option is not None else cap_bill_kg(sim)
        self._progress = 0.0
        self._last_gain = 0.0
        self._regret = sim.regret
        self._log10_regret = math.log10(self._regret)
        return self._observation(), self._info(sim)

    def step(self, action: np.int64 | int | np.ndarray) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        if self._episode is None:
            raise RuntimeError(f"{self.env_id}: call reset() before step()")
        sim = self._episode.sim
        if sim.done:
            raise RuntimeError(f"{self.env_id}: the episode has ended (terminated); call reset()")
        n_train = self._n_train(action)
        hv_before, log10_regret_before = sim.hv, self._log10_regret
        record = sim.step(n_train)
        progress = self._progress_of(record["hv_normalized"])
        self._last_gain = progress - self._progress
        self._progress = progress
        self._regret = record["regret"]
        self._log10_regret = math.log10(self._regret)
        result = rewards.StepResult(
            carbon_g=record["carbon_g"],
            hv_gain=sim.hv - hv_before,
            max_hv=sim.max_hv,
            hv_progress_gain=self._last_gain,
            log10_regret_before=log10_regret_before,
            log10_regret_after=self._log10_regret,
            n_trained_step=record["n_trained_step"],
            steps_done=sim.t,
            n_steps=self.config.n_steps,
            n_gpus=self.config.n_gpus,
            window_max_g_per_kwh=self._window_max,
            missed_target=sim.done and self.config.target_regret is not None and not sim.reached_target,
            miss_penalty_kg=self._miss_penalty_kg,
        )
        breakdown = self.reward_spec.parts(result, self.weights)
        reward = float(sum(breakdown.values()))
        terminated = sim.done
        info = self._info(sim)
        info["reward_breakdown"] = breakdown
        if terminated:
            info["episode_summary"] = sim.summary()
        return self._observation(), reward, terminated, False, info

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            gym.logger.warn(f"{self.env_id}: render() called without a render_mode")
            return None
        if self._episode is None:
            raise RuntimeError(f"{self.env_id}: call reset() before render()")
        from cenas_gym.envs import render

        if self.render_mode == "ansi":
            return render.ansi(self._episode.sim)
        return render.rgb_array(self._episode.sim)

    # -- helpers -----------------------------------------------------------------------------
    def episode_context(self) -> EpisodeContext:
        """What a policy may know about the current episode (see :mod:`cenas_gym.policies.rules`)."""
        if self._episode is None:
            raise RuntimeError(f"{self.env_id}: call reset() first")
        return self._episode.context

    @property
    def policy_rng(self) -> np.random.Generator:
        """The episode's random stream reserved for the policy (same as on the fast path)."""
        if self._episode is None:
            raise RuntimeError(f"{self.env_id}: call reset() first")
        return self._episode.policy_rng

    @property
    def simulator(self) -> Simulator | None:
        """The current episode's simulator (``None`` before the first reset)."""
        return None if self._episode is None else self._episode.sim

    def _n_train(self, action: Any) -> int:
        n = self.config.n_gpus
        if self.action_type == "discrete":
            value = np.asarray(action)
            if value.shape != () or not np.issubdtype(value.dtype, np.integer) or not 0 <= int(value) <= n:
                raise ValueError(f"{self.env_id}: action must be an integer in [0, {n}] (Discrete({n + 1})), got {action!r}")
            return int(value)
        if isinstance(action, (str, bytes)):
            raise ValueError(f"{self.env_id}: action must be one number in [-1, 1] (Box shape (1,)), got {action!r}")
        value = np.asarray(action, dtype=np.float64).reshape(-1)
        if value.shape != (1,) or not -1.0 <= value[0] <= 1.0:
            raise ValueError(f"{self.env_id}: action must be one number in [-1, 1] (Box shape (1,)), got {action!r}")
        return int(np.floor((value[0] + 1.0) / 2.0 * n + 0.5))

    def _progress_of(self, hv_normalized: float) -> float:
        start = self._episode.sim.init_hv_normalized
        return 0.0 if start >= 1.0 else (hv_normalized - start) / (1.0 - start)

    def _info(self, sim: Simulator) -> dict[str, Any]:
        info = step_info(sim)
        info["regret"] = self._regret
        info["log10_regret"] = self._log10_regret
        return info

    def _observation(self) -> np.ndarray:
        ep = self._episode
        sim, ctx = ep.sim, ep.context
        t = min(sim.t, self.config.n_steps - 1)  # after the last step: its hour
        now_index = ctx.start + t
        trailing = ctx.trailing_window(t)
        k = self.forecast_steps
        budget = self.config.carbon_budget_g
        inputs = observation.ObservationInputs(
            now_g_per_kwh=float(self._values[now_index]),
            trailing_min_g_per_kwh=float(trailing.min()),
            trailing_max_g_per_kwh=float(trailing.max()),
            forecast_g_per_kwh=self._forecaster.forecast(self._values, now_index, k) if k else np.empty(0),
            hour_of_day=self._hours[now_index],
            time_left=1.0 - sim.t / self.config.n_steps,
            # clipped: the step that spends a small budget may overshoot it by more than the budget
            carbon_left=1.0 if budget is None else max(-1.0, 1.0 - sim.cum_carbon_g / budget),
            hv_normalized=sim.hv_normalized,
            hv_progress=self._progress,
            hv_progress_gain=self._last_gain,
            n_trained=len(sim.trained),
            queue_share=sim.queue_share,
            unfinished_share=sim.unfinished_work_s / (self.config.n_gpus * self.config.step_s),
            regret=self._regret,
            target_regret=self.config.target_regret,
        )
        return observation.observe(self.features, inputs, k)


def cap_bill_kg(sim: Simulator) -> float:
    """The most any allocation can emit over the run's time budget (kg CO2eq): every GPU at
    its accounting's highest power for every step, at each step's intensity."""
    acc, cfg = sim.accounting, sim.config
    per_gpu_s = max(acc.train_power_w, acc.sample_power_w, acc.idle_power_w) * acc.pue / 3.6e6  # kWh per GPU-second
    kwh_per_step = per_gpu_s * cfg.n_gpus * cfg.step_s
    return kwh_per_step * sum(sim.intensity_at(i) for i in range(cfg.n_steps)) / 1000.0


def _task(name: str, hours: float | None, target_regret: float | None, carbon_budget_kg: float | None,
          simulator_options: dict[str, Any]) -> Task:
    """The task of the env's arguments; the simulator options that a task sets (budget_hours,
    target_regret, carbon_budget_g) are taken from ``simulator_options`` when the task
    arguments leave them open (and removed from it)."""
    if name not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}, got {name!r}")
    budget_hours = simulator_options.pop("budget_hours", None)
    sim_target = simulator_options.pop("target_regret", None)
    budget_g = simulator_options.pop("carbon_budget_g", None)
    budget_kg = None if budget_g is None else budget_g / 1000.0
    for arg, value, option, option_value in (("hours", hours, "budget_hours", budget_hours),
                                             ("target_regret", target_regret, "target_regret", sim_target),
                                             ("carbon_budget_kg", carbon_budget_kg, "carbon_budget_g", budget_kg)):
        if value is not None and option_value is not None and value != option_value:
            raise ValueError(f"task {name!r}: {arg}={value!r} and the simulator option {option} disagree; give one")
    hours = hours if hours is not None else budget_hours
    target_regret = target_regret if target_regret is not None else sim_target
    carbon_budget_kg = carbon_budget_kg if carbon_budget_kg is not None else budget_kg
    return make_task(name, hours=hours, target_regret=target_regret, carbon_budget_kg=carbon_budget_kg)


def _docstring(template: str) -> str:
    """The class docstring with its tables made from :mod:`cenas_gym.envs.observation` and
    :mod:`cenas_gym.envs.rewards` (so they cannot drift from the code)."""
    indent = "\n    "
    named = (rewards.V0, rewards.CENAS, rewards.FIXED_TIME, rewards.TARGET, rewards.BUDGET)
    reward_rows = ["| reward | return (sum over the episode) |", "|---|---|"]
    reward_rows += [f"| ``{r.name}`` | {r.returns} |" for r in named]
    return template.format(
        v0_table=observation.markdown_table(observation.V0).replace("\n", indent),
        v1_extra=observation.markdown_table(observation.V1, first=len(observation.V0)).replace("\n", indent),
        reward_table=indent.join(reward_rows),
    )


CENASEnv.__doc__ = _docstring(CENASEnv.__doc__ or "")
