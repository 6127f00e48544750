"""Play a policy: every policy name resolved in one place, on the simulator or through the env.

* :func:`make_policy` turns a name into a policy: the rule-based ones of
  :data:`cenas_gym.policies.rules.RULE_BASED` and the learned agents of :data:`LEARNED`
  (``ppo``: the shipped v0 agent, ``ppo:PATH``: a saved one, ``ppo-target`` /
  ``ppo-budget``: the shipped causal task agents), and a user's own policy class,
  ``module:Class`` or ``path/to/file.py:Class`` (:func:`load_user_policy`).
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
from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.envs.base import play_in_env
from cenas_gym.envs.cenas import CENASEnv
from cenas_gym.sim.episodes import new_episode, sim_options, step_info
from cenas_gym.search.nasbench import ArchTable
from cenas_gym.policies.rules import RULE_BASED, Policy, make_rule_based
from cenas_gym.policies.ppo import PPOPolicy, shipped_agent_path
from cenas_gym.sim.simulator import SimConfig, Simulator
from cenas_gym.sim.tasks import task_of


def _ppo(arg: str) -> Policy:
    if arg:
        return PPOPolicy.load(arg)
    shipped = shipped_agent_path()
    if shipped is None:
        raise ValueError("policy 'ppo': no agent ships with this installation; use ppo:PATH")
    policy = PPOPolicy.load(shipped)
    policy.name = "ppo"
    return policy


def _shipped_task_agent(name: str, stem: str) -> Callable[[str], Policy]:
    def load(arg: str) -> Policy:
        if arg:
            raise ValueError(f"policy {name!r} takes no ':' argument (use ppo:PATH for a saved agent)")
        path = shipped_agent_path(stem)
        if path is None:
            raise ValueError(f"policy {name!r}: agents/{stem}.zip does not ship with this installation")
        policy = PPOPolicy.load(path)
        policy.name = name
        return policy

    return load


#: Learned agents by the text before ``":"``: (usage, loader of the text after ``":"``).
#: ``ppo-target`` / ``ppo-budget``: the causal task agents (agents/MODEL_CARD_target.md,
#: agents/MODEL_CARD_budget.md), played through CENAS-v1 with the run's task; ``ppo-timing``
#: (agents/MODEL_CARD_timing.md) through CENAS-v2 (same observation, v2 simulator settings
#: taken from the run).
LEARNED: dict[str, tuple[str, Callable[[str], Policy], str]] = {
    "ppo": ("ppo[:PATH]", _ppo, "the shipped CENAS-v0 PPO agent, or a saved one (needs the rl extra)"),
    "ppo-target": ("ppo-target", _shipped_task_agent("ppo-target", "ppo_target"), "the shipped target-task agent"),
    "ppo-budget": ("ppo-budget", _shipped_task_agent("ppo-budget", "ppo_budget"), "the shipped budget-task agent"),
    "ppo-timing": ("ppo-timing", _shipped_task_agent("ppo-timing", "ppo_timing"),
                   "the shipped timing agent: target task, shared accounting, CENAS-Target-v2 observation"),
}


def policy_names() -> list[str]:
    """How every single-site policy name is written (``"fixed:K"``, ``"ppo[:PATH]"``), for help and errors."""
    return [entry.usage for entry in RULE_BASED.values()] + [usage for usage, _, _ in LEARNED.values()]


def policy_table() -> list[tuple[str, str, str]]:
    """Every policy name there is, one row each: (kind: rule-based, learned or geo; usage; help)."""
    from cenas_gym.policies.geo import GEO_POLICIES

    return ([("rule-based", e.usage, e.help) for e in RULE_BASED.values()]
            + [("learned", usage, text) for usage, _, text in LEARNED.values()]
            + [("geo", usage, text) for usage, text in GEO_POLICIES.items()])


def default_policies() -> tuple[str, ...]:
    """The policies ``compare`` and ``evaluate`` run by default: every rule-based default,
    plus ``ppo`` when an agent ships with this installation."""
    names = tuple(name for entry in RULE_BASED.values() for name in entry.defaults)
    return names + (("ppo",) if shipped_agent_path() is not None else ())


def make_policy(name: str) -> Policy:
    """A policy by name (:func:`policy_names`); ``ppo:PATH`` loads a trained agent;
    ``module:Class`` (or ``file.py:Class``) a policy class of your own (:func:`load_user_policy`).

    Raises ``ValueError`` naming the policy and the names there are; ``FileNotFoundError``
    for a missing agent file.
    """
    kind, _, arg = name.partition(":")
    if kind in LEARNED and (arg or name == kind):
        return LEARNED[kind][1](arg)
    if kind not in RULE_BASED and is_user_policy(name):
        return load_user_policy(name)
    try:
        return make_rule_based(name)
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; choose one of {policy_names()}, or module:Class for a "
                         "policy class of your own") from None
    except ValueError as err:
        raise ValueError(f"{err}; policy names are {policy_names()}") from None


def is_user_policy(name: str) -> bool:
    """Whether ``name`` reads as ``module:Class`` or ``path/to/file.py:Class`` (a dotted module
    path or a ``.py`` file, then a class name) rather than a built-in policy name."""
    target, sep, cls = name.rpartition(":")
    if not sep or not cls.isidentifier() or not target:
        return False
    return target.endswith(".py") or all(part.isidentifier() for part in target.split("."))


def load_user_policy(name: str) -> Policy:
    """A policy class of your own: ``module:Class`` (an importable module) or
    ``path/to/file.py:Class``, instantiated with no arguments. It must have the
    :class:`~cenas_gym.policies.rules.Policy` interface: ``reset(context, rng)`` and
    ``act(observation, info) -> int`` (training GPUs); a missing ``name`` becomes ``name``.
    Set ``needs_observation = True`` on the class to be played through the env (``act``
    then gets observations), else it runs on the simulator's fast path (``observation`` is None).

    Raises ``ValueError`` saying what is wrong (no such module, file or class, a class that
    needs arguments or lacks ``reset``/``act``).
    """
    import importlib
    import importlib.util
    import sys
    from pathlib import Path

    target, _, cls_name = name.rpartition(":")
    try:
        if target.endswith(".py"):
            path = Path(target).expanduser()
            if not path.is_file():
                raise ValueError(f"policy {name!r}: no file {target!r}")
            module_name = f"_cenas_user_policy_{path.stem}"
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise ValueError(f"policy {name!r}: cannot load {target!r} as a Python module")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module  # dataclasses and pickling look the module up here
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
    except ModuleNotFoundError as err:
        if err.name != target.split(".")[0]:
            raise ValueError(f"policy {name!r}: importing {target!r} failed: {err}") from None
        raise ValueError(f"unknown policy {name!r}: not a built-in policy ({policy_names()}) and no module "
                         f"{target!r} on the Python path for module:Class (or give path/to/file.py:Class)") from None
    except ImportError as err:
        raise ValueError(f"policy {name!r}: importing {target!r} failed: {err}") from None
    cls = getattr(module, cls_name, None)
    if cls is None:
        raise ValueError(f"policy {name!r}: module {target!r} has no {cls_name!r}")
    if not isinstance(cls, type):
        raise ValueError(f"policy {name!r}: {target}.{cls_name} is not a class")
    try:
        policy = cls()
    except TypeError as err:
        raise ValueError(f"policy {name!r}: {cls_name}() must take no arguments ({err})") from None
    missing = [m for m in ("reset", "act") if not callable(getattr(policy, m, None))]
    if missing:
        raise ValueError(f"policy {name!r}: {cls_name} is not a policy: it has no {' and no '.join(m + '()' for m in missing)} "
                         "(a policy has reset(context, rng) and act(observation, info) -> training GPUs; "
                         "see cenas_gym.policies.rules.Policy)")
    if not isinstance(getattr(policy, "name", None), str):
        try:
            policy.name = name
        except AttributeError:
            pass
    return policy


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
        return play_in_env(observing_env(policy, config, trace, start), policy, seed)
    prepare = getattr(policy, "prepare", None)  # oracles that replay the run first (oracle:target)
    if prepare is not None:
        prepare(config, trace, seed, start, table)
    episode = new_episode(config, trace, np.random.default_rng(seed), start, 0, table)
    policy.reset(episode.context, episode.policy_rng)
    sim = episode.sim
    while not sim.done:
        sim.step(policy.act(None, step_info(sim)))
    return sim


def observing_env(policy: Policy, config: SimConfig, trace: CarbonTrace, start: str | int | pd.Timestamp | None) -> CENASEnv:
    """The env an observation-reading policy plays a run of ``config`` in: ``CENAS-v0``, or
    for a v1 agent (``policy.env_version == "v1"``) ``CENAS-v1`` with the run's task and the
    env options the agent was trained with (its forecaster). A task agent refuses a run of
    another task (``ValueError``)."""
    version = getattr(policy, "env_version", "v0")
    if version == "v0":  # CENAS-v0 takes target_regret as a task argument, not a simulator option
        task = "target" if config.target_regret is not None else None
        return CENASEnv(trace=trace, start=start, task=task, **sim_options(config))
    task = task_of(config).name
    trained_for = getattr(policy, "task", None)
    if trained_for is not None and trained_for != task:
        raise ValueError(f"{getattr(policy, 'name', policy)}: trained for the {trained_for!r} task, the run is a {task!r} run")
    options = {**sim_options(config), **getattr(policy, "env_options", {})}
    return CENASEnv(trace=trace, start=start, version=version, task=task, **options)


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
