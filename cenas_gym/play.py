"""Play a policy: every policy name resolved in one place, on the simulator or through the env.

* :func:`make_policy` turns a name into a policy: the rule-based ones of
  :data:`cenas_gym.policies.RULE_BASED` and the learned agents of :data:`LEARNED`
  (``ppo``: the shipped agent, ``ppo:PATH``: a saved one).
* :func:`policy_names` / :func:`default_policies` are the one list of names that help
  texts, error messages, ``compare`` and ``evaluate`` use.
* :func:`run_policy` plays a policy on the simulator's fast path (or through the env when it
  reads observations), :func:`play_in_env` through a ``CENASEnv``, :func:`play_episode`
  through ``gym.make``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd

import cenas_gym  # noqa: F401  (registers the env ids)
from cenas_gym.carbon import CarbonTrace
from cenas_gym.env import CENASEnv
from cenas_gym.episodes import new_episode, sim_options, step_info
from cenas_gym.nasbench import ArchTable
from cenas_gym.policies import RULE_BASED, Policy, make_rule_based
from cenas_gym.rl.policy import PPOPolicy, shipped_agent_path
from cenas_gym.simulator import SimConfig, Simulator


def _ppo(arg: str) -> Policy:
    if arg:
        return PPOPolicy.load(arg)
    shipped = shipped_agent_path()
    if shipped is None:
        raise ValueError("policy 'ppo': no agent ships with this installation; use ppo:PATH")
    policy = PPOPolicy.load(shipped)
    policy.name = "ppo"
    return policy


#: Learned agents by the text before ``":"``: (usage, loader of the text after ``":"``).
LEARNED: dict[str, tuple[str, Callable[[str], Policy]]] = {
    "ppo": ("ppo[:PATH]", _ppo),
}


def policy_names() -> list[str]:
    """How every policy name is written (``"fixed:K"``, ``"ppo[:PATH]"``), for help and errors."""
    return [entry.usage for entry in RULE_BASED.values()] + [usage for usage, _ in LEARNED.values()]


def default_policies() -> tuple[str, ...]:
    """The policies ``compare`` and ``evaluate`` run by default: every rule-based default,
    plus ``ppo`` when an agent ships with this installation."""
    names = tuple(name for entry in RULE_BASED.values() for name in entry.defaults)
    return names + (("ppo",) if shipped_agent_path() is not None else ())


def make_policy(name: str) -> Policy:
    """A policy by name (:func:`policy_names`); ``ppo:PATH`` loads a trained agent.

    Raises ``ValueError`` naming the policy and the names there are; ``FileNotFoundError``
    for a missing agent file.
    """
    kind, _, arg = name.partition(":")
    if kind in LEARNED and (arg or name == kind):
        return LEARNED[kind][1](arg)
    try:
        return make_rule_based(name)
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; choose one of {policy_names()}") from None
    except ValueError as err:
        raise ValueError(f"{err}; policy names are {policy_names()}") from None


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
        # CENASEnv takes target_regret as a task argument, not a simulator option
        task = "target" if config.target_regret is not None else None
        return play_in_env(CENASEnv(trace=trace, start=start, task=task, **sim_options(config)), policy, seed)
    prepare = getattr(policy, "prepare", None)  # oracles that replay the run first (oracle:target)
    if prepare is not None:
        prepare(config, trace, seed, start, table)
    episode = new_episode(config, trace, np.random.default_rng(seed), start, 0, table)
    policy.reset(episode.context, episode.policy_rng)
    sim = episode.sim
    while not sim.done:
        sim.step(policy.act(None, step_info(sim)))
    return sim


def play_in_env(env: gym.Env, policy: Policy, seed: int) -> Simulator:
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


def play_episode(
    policy: Policy, env_kwargs: dict[str, Any] | None = None, seed: int = 0, start: Any = None, env_id: str = "CENAS-v0"
) -> dict[str, Any]:
    """Play one episode of ``policy`` through ``gym.make(env_id, **env_kwargs)``; returns the
    episode summary plus ``trace`` and ``start`` (index of the first step). The same seed
    gives the same numbers as the simulator's fast path."""
    kwargs = dict(env_kwargs or {})
    if start is not None:
        kwargs["start"] = start
    env = gym.make(env_id, **kwargs)
    try:
        summary = dict(play_in_env(env, policy, seed).summary())
        summary["trace"] = env.unwrapped.trace.name
        summary["start"] = int(env.unwrapped.episode_context().start)
        return summary
    finally:
        env.close()
