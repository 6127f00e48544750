"""Set up one episode (window, simulator, random streams) and play a policy on it.

The env and the fast path share :func:`new_episode`, so a policy run through
``gym.make("CENAS-v0")`` and through :func:`run_policy` with the same seed gives the same
numbers. Randomness: the episode's generator first draws the start of the window (when it is
random), then spawns three independent children: the simulator's (initial architectures,
proposals), the forecaster's (noise) and the policy's.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from cenas_gym.carbon import CarbonTrace
from cenas_gym.nasbench import ArchTable
from cenas_gym.policies import EpisodeContext, Policy
from cenas_gym.simulator import SimConfig, Simulator

HISTORY_HOURS = 24  # a random window leaves at least one day of history before it
# ... and at least a day after it, whatever the look-ahead the caller needs (up to a day), so
# the env (which needs its forecast look-ahead) and the fast path (none) draw the same window
LOOKAHEAD_RESERVE_HOURS = 24


@dataclass
class Episode:
    sim: Simulator
    context: EpisodeContext
    forecast_rng: np.random.Generator
    policy_rng: np.random.Generator

    @property
    def start(self) -> int:
        return self.context.start


def resolve_start(
    trace: CarbonTrace, n_steps: int, lookahead: int, rng: np.random.Generator, start: str | int | pd.Timestamp | None
) -> int:
    """Index of the episode's first step: ``start`` as a time or index, or, if ``None``, a
    uniformly random step with a day of history before it and room for the budget plus
    ``max(lookahead, one day)`` after it. The random range does not depend on ``lookahead``
    up to a day, so the same seed gives the same window with or without a forecast."""
    history = int(HISTORY_HOURS * 3600 // trace.step_s)
    last = len(trace) - n_steps - lookahead
    if start is None:
        reserve = max(lookahead, int(LOOKAHEAD_RESERVE_HOURS * 3600 // trace.step_s))
        last_random = len(trace) - n_steps - reserve
        if last_random < history:
            raise ValueError(
                f"trace {trace.name!r} has {len(trace)} steps: too short for a random window of "
                f"{n_steps} steps + {reserve} look-ahead after {history} steps of history"
            )
        return int(rng.integers(history, last_random + 1))
    index = int(start) if isinstance(start, (int, np.integer)) else trace.index_at(start)
    if not 0 <= index <= last:
        raise ValueError(
            f"start {start!r} (step {index}) leaves no room in trace {trace.name!r} ({len(trace)} steps) "
            f"for {n_steps} steps + {lookahead} look-ahead"
        )
    return index


def new_episode(
    config: SimConfig,
    trace: CarbonTrace,
    rng: np.random.Generator,
    start: str | int | pd.Timestamp | None = None,
    lookahead: int = 0,
    table: ArchTable | None = None,
) -> Episode:
    """A fresh simulator on a window of ``trace`` (already at the config's step length)."""
    index = resolve_start(trace, config.n_steps, lookahead, rng, start)
    sim_rng, forecast_rng, policy_rng = rng.spawn(3)
    hours = config.n_steps * config.step_s / 3600.0
    window = trace.window(index, int(hours) if hours.is_integer() else hours)
    sim = Simulator(config, window, sim_rng, table)
    context = EpisodeContext(
        n_gpus=config.n_gpus,
        intensity_g_per_kwh=trace.values_g_per_kwh,
        start=index,
        n_steps=config.n_steps,
        step_s=config.step_s,
    )
    return Episode(sim, context, forecast_rng, policy_rng)


def step_info(sim: Simulator) -> dict:
    """What a policy sees before a step: the last record plus the step about to be played."""
    info = dict(sim.history[-1]) if sim.history else {"hv_normalized": sim.hv_normalized, "queue_len": len(sim.queue)}
    info["step"] = sim.t
    info["intensity_now_g_per_kwh"] = sim.intensity_at(sim.t) if not sim.done else float("nan")
    return info


def run_policy(
    policy: Policy,
    config: SimConfig,
    trace: CarbonTrace,
    seed: int,
    start: str | int | pd.Timestamp | None = None,
    table: ArchTable | None = None,
) -> Simulator:
    """Play ``policy`` on the simulator's fast path (no Gymnasium); returns the finished run.

    A policy that reads observations (``policy.needs_observation``, e.g. a PPO agent) is
    played through ``CENASEnv`` with the same config, trace, seed and start instead: the env
    and the fast path give the same episode for the same seed.
    """
    if getattr(policy, "needs_observation", False):
        from cenas_gym.env import CENASEnv

        options = {f.name: getattr(config, f.name) for f in fields(config)}
        return play_in_env(CENASEnv(trace=trace, start=start, **options), policy, seed)
    if trace.step_s != config.step_s:
        trace = trace.resample(config.step_s)
    prepare = getattr(policy, "prepare", None)  # oracles that replay the run first (oracle:target)
    if prepare is not None:
        prepare(config, trace, seed, start, table)
    episode = new_episode(config, trace, np.random.default_rng(seed), start, 0, table)
    policy.reset(episode.context, episode.policy_rng)
    sim = episode.sim
    while not sim.done:
        sim.step(policy.act(None, step_info(sim)))
    return sim


def play_in_env(env, policy: Policy, seed: int) -> Simulator:
    """Play one episode of ``policy`` through a ``CENASEnv`` (wrapped or not); returns its
    finished simulator. The policy gets the episode's context and its own random stream."""
    obs, info = env.reset(seed=seed)
    base = env.unwrapped
    policy.reset(base.episode_context(), base.policy_rng)
    done = False
    while not done:
        obs, _, terminated, truncated, info = env.step(policy.act(obs, info))
        done = terminated or truncated
    return base.simulator
