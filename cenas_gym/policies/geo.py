"""Allocation baselines for the multi-site search (:mod:`cenas_gym.sim.geo`).

Same small interface as the single-site policies (:mod:`cenas_gym.policies.rules`)::

    policy.reset(context, rng)                 # once per episode (a GeoContext)
    n_train = policy.act(observation, info)    # int64 array: training GPUs per site

``info`` is :func:`cenas_gym.sim.geo.geo_step_info` (``info["step"]`` is the step about to be
played); ``observation`` is the env's (``None`` on the fast path; none of these read it).

Names accepted by :func:`make_geo_policy` (and ``cenas-gym run --sites ... --policy``):

``geo-vanilla``
    every GPU at every site trains.
``geo-heuristic``
    the CE-NAS heuristic at each site on its own: a share
    ``lambda_s = (C_now - C_min) / (C_max - C_min)`` of the site's GPUs samples, with C_min
    and C_max that site's minimum and maximum over the episode window (rounded as the
    single-site heuristic; a flat window: all train).
``geo-greedy`` / ``geo-greedy:N``
    fill the cleanest sites first: ``N`` training GPUs in total (default
    :data:`GREEDY_DEFAULT_GPUS` = 8, the pool of a single-site CENAS-v0 search), given
    site by site in order of the current intensity (ties: site order); the other GPUs
    sample. ``N`` larger than the sites' total means every GPU trains.
``single:SITE``
    the whole search at one site (the others do not exist in that run): every GPU there
    trains. :func:`run_geo_policy` runs it on that site alone. Comparing the sites' single
    runs and keeping the best one is the "best single-site run" baseline.
``geo-rule:K:Q:S``
    causal, tunable (``cenas-gym tune --sites``): the ``K`` sites with the cleanest trailing
    7 days always train with all their GPUs; every other site trains in its clean hours
    (intensity now at or below the ``Q`` quantile of its trailing 7 days) and samples
    otherwise; from the share ``S`` of the time cap on, every GPU trains (the remaining time
    needs all capacity). Default :data:`GEO_RULE_DEFAULT` (``S = 1``: never all).
``ppo-geo`` / ``ppo-geo:PATH``
    the shipped geo agent (agents/MODEL_CARD_geo.md) or a saved one: reads the
    ``CENAS-Geo-v2`` observation, so :func:`run_geo_policy` plays it through the env.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cenas_gym.sim.geo import GeoContext, GeoSimulator, Site, geo_step_info, new_geo_episode
from cenas_gym.search.nasbench import ArchTable
from cenas_gym.sim.simulator import SimConfig

#: Default total of training GPUs for geo-greedy: CENAS-v0's default pool (8 GPUs).
GREEDY_DEFAULT_GPUS = 8
#: The geo policy names (as written in help texts) and what each does.
GEO_POLICIES: dict[str, str] = {
    "geo-vanilla": "every GPU at every site trains",
    "geo-heuristic": "the CE-NAS heuristic at each site on its own",
    "geo-greedy[:N]": f"N training GPUs (default {GREEDY_DEFAULT_GPUS}) at the cleanest sites first",
    "single:SITE": "the whole search at one site, every GPU there trains",
    "geo-rule[:K:Q:S]": "the K cleanest sites (trailing 7 days) always, the others in their clean hours "
                        "(<= Q quantile of their trailing 7 days), every site from the share S of the cap on",
    "ppo-geo[:PATH]": "the shipped geo agent (CENAS-Geo-v2 observation), or a saved one",
}
#: ``geo-rule``'s (K, Q, S) when none are given: one core site, the median, never all.
GEO_RULE_DEFAULT = (1, 0.5, 1.0)


class _GeoBase:
    name = "geo-base"
    #: run on this site alone (single-site baseline), or None: all sites
    only_site: str | None = None

    def reset(self, context: GeoContext, rng: np.random.Generator) -> None:
        self.ctx = context
        self.rng = rng
        self.gpus = np.asarray(context.n_gpus, dtype=np.int64)


class GeoVanilla(_GeoBase):
    """Every GPU trains (at one site only for ``single:SITE``)."""

    def __init__(self, only_site: str | None = None) -> None:
        self.only_site = only_site
        self.name = "geo-vanilla" if only_site is None else f"single:{only_site}"

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        return self.gpus.copy()


class GeoHeuristic(_GeoBase):
    """CE-NAS's lambda_s at each site, with that site's episode min and max."""

    name = "geo-heuristic"

    def reset(self, context: GeoContext, rng: np.random.Generator) -> None:
        super().reset(context, rng)
        windows = [context.episode_window(i) for i in range(len(context.n_gpus))]
        self.c_min = np.array([float(w.min()) for w in windows])
        self.c_max = np.array([float(w.max()) for w in windows])
        self._plan = self._n_train(np.stack(windows, axis=1))  # every step of the episode at once

    def _n_train(self, now: np.ndarray) -> np.ndarray:
        """Training GPUs per site for intensities ``now`` (g/kWh; sites on the last axis)."""
        span = self.c_max - self.c_min
        share = np.divide(now - self.c_min, span, out=np.zeros_like(now), where=span > 0)
        n_sample = np.floor(share * self.gpus + 0.5).astype(np.int64)
        return self.gpus - n_sample

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        step = info["step"]
        if step < len(self._plan):
            return self._plan[step].copy()
        return self._n_train(self.ctx.now(step))


class GeoGreedy(_GeoBase):
    """``total`` training GPUs, cleanest sites (now) first."""

    def __init__(self, total: int = GREEDY_DEFAULT_GPUS) -> None:
        if total < 0:
            raise ValueError(f"geo-greedy: N must be >= 0, got {total}")
        self.total = int(total)
        self.name = "geo-greedy" if total == GREEDY_DEFAULT_GPUS else f"geo-greedy:{total}"

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        now = self.ctx.now(info["step"])
        n_train = np.zeros_like(self.gpus)
        left = self.total
        for i in np.argsort(now, kind="stable"):
            n_train[i] = min(self.gpus[i], left)
            left -= n_train[i]
        return n_train


class GeoRule(_GeoBase):
    """``core`` sites (cleanest by trailing mean) always train; the others in their clean hours
    (now <= the ``quantile`` of their trailing 7 days); every GPU from ``all_from`` x the cap on."""

    def __init__(self, core: int = GEO_RULE_DEFAULT[0], quantile: float = GEO_RULE_DEFAULT[1],
                 all_from: float = GEO_RULE_DEFAULT[2]) -> None:
        if not float(core).is_integer() or core < 0:
            raise ValueError(f"geo-rule: K must be a whole number >= 0, got {core}")
        for label, value in (("Q", quantile), ("S", all_from)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"geo-rule: {label} must be in [0, 1], got {value}")
        self.core, self.quantile, self.all_from = int(core), float(quantile), float(all_from)
        self.name = f"geo-rule:{self.core}:{quantile:g}:{all_from:g}"

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        step = int(info["step"])
        if step >= self.all_from * self.ctx.n_steps:
            return self.gpus.copy()
        now = self.ctx.now(step)
        trailing = [self.ctx.trailing_window(i, step) for i in range(len(now))]
        train = np.array([now[i] <= np.quantile(w, self.quantile) for i, w in enumerate(trailing)])
        train[np.argsort([w.mean() for w in trailing], kind="stable")[: self.core]] = True
        return np.where(train, self.gpus, 0)


def _geo_rule(arg: str) -> GeoRule:
    if not arg:
        return GeoRule()
    parts = arg.split(":")
    try:
        if len(parts) != 3:
            raise ValueError(f"three numbers, got {len(parts)}")
        return GeoRule(float(parts[0]), float(parts[1]), float(parts[2]))
    except ValueError as err:
        raise ValueError(f"policy 'geo-rule:{arg}': expected geo-rule:K:Q:S (K whole, Q and S in [0, 1]), "
                         f"e.g. geo-rule:1:0.25:0.5 ({err})") from None


def _ppo_geo(arg: str) -> Any:
    from cenas_gym.policies.ppo import GeoPPOPolicy, shipped_agent_path

    if arg:
        return GeoPPOPolicy.load(arg)
    path = shipped_agent_path("ppo_geo")
    if path is None:
        raise ValueError("policy 'ppo-geo': agents/ppo_geo.zip does not ship with this installation; use ppo-geo:PATH")
    policy = GeoPPOPolicy.load(path)
    policy.name = "ppo-geo"
    return policy


def make_geo_policy(name: str) -> Any:
    """A geo baseline by name (see the module docstring)."""
    kind, _, arg = name.partition(":")
    if name == "geo-vanilla":
        return GeoVanilla()
    if name == "geo-heuristic":
        return GeoHeuristic()
    if kind == "geo-greedy":
        try:
            return GeoGreedy(int(arg) if arg else GREEDY_DEFAULT_GPUS)
        except ValueError as err:
            raise ValueError(f"policy {name!r}: geo-greedy takes a whole number of GPUs, e.g. geo-greedy:8 ({err})") from None
    if kind == "single" and arg:
        return GeoVanilla(only_site=arg)
    if kind == "geo-rule":
        return _geo_rule(arg)
    if kind == "ppo-geo":
        return _ppo_geo(arg)
    raise ValueError(f"unknown geo policy {name!r}; choose one of {list(GEO_POLICIES)}")


def sites_for(policy: _GeoBase, sites: Sequence[Site]) -> list[Site]:
    """The sites a policy runs on: all, or the one a ``single:SITE`` policy names."""
    if getattr(policy, "only_site", None) is None:
        return list(sites)
    chosen = [s for s in sites if s.name == policy.only_site]
    if not chosen:
        raise ValueError(f"policy {policy.name!r}: no site named {policy.only_site!r}; sites are {[s.name for s in sites]}")
    return chosen


def run_geo_policy(
    policy: _GeoBase,
    config: SimConfig,
    sites: Sequence[Site],
    seed: int,
    start: str | int | pd.Timestamp | None = None,
    table: ArchTable | None = None,
) -> GeoSimulator:
    """Play a geo policy on the simulator (no Gymnasium); returns the finished run. Same seed,
    same numbers as ``gym.make("CENAS-Geo-v1")`` with the same sites, start and settings.
    A policy that reads observations (``policy.needs_observation``: ``ppo-geo``) plays the
    same run through :class:`~cenas_gym.envs.geo.CENASGeoEnv` instead."""
    if getattr(policy, "needs_observation", False):
        return play_geo_in_env(policy, config, sites_for(policy, sites), seed, start)
    episode = new_geo_episode(config, sites_for(policy, sites), np.random.default_rng(seed), start, 0, table)
    policy.reset(episode.context, episode.policy_rng)
    sim = episode.sim
    while not sim.done:
        sim.step(policy.act(None, geo_step_info(sim)))
    return sim


def play_geo_in_env(policy: Any, config: SimConfig, sites: Sequence[Site], seed: int,
                    start: str | int | pd.Timestamp | None = None) -> GeoSimulator:
    """Play ``config``'s run through the geo env (the policy's version and observation
    options: forecaster, forecast hours); returns the finished simulator. Raises ValueError
    when the policy was trained for another task than the run's."""
    from cenas_gym.envs.geo import CENASGeoEnv
    from cenas_gym.envs.base import play_in_env
    from cenas_gym.sim.episodes import sim_options
    from cenas_gym.sim.tasks import task_of

    task = task_of(config)
    trained_for = getattr(policy, "task", None)
    if trained_for is not None and trained_for != task.name:
        raise ValueError(f"{policy.name}: trained for the {trained_for!r} task, the run is a {task.name!r} run")
    options = {k: v for k, v in sim_options(config).items()
               if k not in ("n_gpus", "budget_hours", "target_regret", "carbon_budget_g")}
    env = CENASGeoEnv(sites=list(sites), task=task.name, hours=task.hours, target_regret=task.target_regret,
                      carbon_budget_kg=task.carbon_budget_kg, start=start, **policy.env_options, **options)
    if env.config != config.with_(n_gpus=env.config.n_gpus):
        raise ValueError(f"{policy.name}: the geo env does not reproduce the run's settings")
    return play_in_env(env, policy, seed)
