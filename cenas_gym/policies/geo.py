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
}


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

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        now = self.ctx.now(info["step"])
        span = self.c_max - self.c_min
        share = np.divide(now - self.c_min, span, out=np.zeros_like(now), where=span > 0)
        n_sample = np.floor(share * self.gpus + 0.5).astype(np.int64)
        return self.gpus - n_sample


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


def make_geo_policy(name: str) -> _GeoBase:
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
    raise ValueError(f"unknown geo policy {name!r}; choose one of {list(GEO_POLICIES)}")


def sites_for(policy: _GeoBase, sites: Sequence[Site]) -> list[Site]:
    """The sites a policy runs on: all, or the one a ``single:SITE`` policy names."""
    if policy.only_site is None:
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
    same numbers as ``gym.make("CENAS-Geo-v1")`` with the same sites, start and settings."""
    episode = new_geo_episode(config, sites_for(policy, sites), np.random.default_rng(seed), start, 0, table)
    policy.reset(episode.context, episode.policy_rng)
    sim = episode.sim
    while not sim.done:
        sim.step(policy.act(None, geo_step_info(sim)))
    return sim
