"""The two episode-window features a learned agent reads on top of the env's observation.

:func:`window_features` (appended by :class:`EpisodeWindowFeatures` during training and by
:class:`~cenas_gym.policies.ppo.PPOPolicy` when acting): the CE-NAS heuristic's sample share
``(C_now - C_min) / (C_max - C_min)`` over the episode window and the rank of ``C_now``
among the window's hours (share of hours strictly cleaner). They use the same information
as the paper's heuristic (the whole episode window), no more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

import cenas_gym  # noqa: F401  (registers CENAS-v0)
from cenas_gym.sim.episodes import EpisodeContext
from cenas_gym.policies.hyperparams import ENV_ID

N_WINDOW_FEATURES = 2


def window_features(context: EpisodeContext, step: int) -> np.ndarray:
    """The heuristic's sample share and the rank of now in the episode window (both in [0, 1])."""
    window = context.episode_window()
    step = min(max(int(step), 0), context.n_steps - 1)
    now = context.now(step)
    lo, hi = float(window.min()), float(window.max())
    share = 0.0 if hi == lo else (now - lo) / (hi - lo)
    rank = float(np.mean(window < now))
    return np.array([share, rank], dtype=np.float32)


class EpisodeWindowFeatures(gym.ObservationWrapper):
    """Append :func:`window_features` to ``CENAS-v0``'s observation (rl-zoo3 ``env_wrapper``)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        box = env.observation_space
        low = np.concatenate([box.low, np.zeros(N_WINDOW_FEATURES, np.float32)])
        high = np.concatenate([box.high, np.ones(N_WINDOW_FEATURES, np.float32)])
        self.observation_space = gym.spaces.Box(low, high, dtype=np.float32)

    def observation(self, observation):
        base = self.env.unwrapped
        return np.concatenate([observation, window_features(base.episode_context(), base.simulator.t)]).astype(np.float32)


def make_env(traces: str | Sequence[str], env_kwargs: dict[str, Any] | None = None, start: Any = None) -> gym.Env:
    """``CENAS-v0`` on ``traces`` (one drawn per episode) with the agent's features appended."""
    kwargs = dict(env_kwargs or {})
    kwargs.setdefault("start", start)
    trace = list(traces) if not isinstance(traces, str) else traces
    return EpisodeWindowFeatures(gym.make(ENV_ID, trace=trace, **kwargs))

