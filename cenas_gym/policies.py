"""GPU-allocation policies: the CE-NAS heuristic and simple baselines.

A policy answers, each step, how many GPUs train (the rest sample):

    policy.reset(context, rng)           # once per episode
    n_train = policy.act(observation, info)

``info`` is the simulator's latest per-step record plus ``"step"`` (0-based index of the step
about to be played) and ``"queue_len"``; ``observation`` is the env's observation (``None``
on the simulator's fast path; none of the policies here read it). The same policy object runs
through ``gym.make("CENAS-v0")`` (its ``act`` returns a valid discrete action) or directly on
a :class:`~cenas_gym.simulator.Simulator` via :func:`cenas_gym.play.run_policy`. Learned
agents (``ppo``, ``ppo:PATH``) live in :mod:`cenas_gym.rl`.

Rule-based policies, by the names :func:`cenas_gym.play.make_policy` (and ``cenas-gym run
--policy``) accepts (:data:`RULE_BASED` is their registry):

``heuristic`` / ``heuristic:causal``
    CE-NAS: a share ``lambda_s = (C_now - C_min) / (C_max - C_min)`` of the GPUs samples, the
    rest train (dirty hours sample, clean hours train). ``C_min``/``C_max`` come from the
    whole episode window (``heuristic``, the paper's choice: it looks ahead) or from the
    trailing 7 days up to now (``heuristic:causal``). The number of sampling GPUs is
    ``lambda_s x n_gpus`` rounded half up to a whole GPU. A flat window (C_max = C_min)
    means lambda_s = 0: all train.
``vanilla``
    every GPU trains (vanilla LaMOO).
``oneshot``
    one-shot NAS: every GPU samples (screens with the supernet) except in the last
    ``ONESHOT_TRAIN_HOURS`` = 2 hours (the longest NAS-Bench-201 training, 6,922 s, fits),
    in which every GPU trains the best screened candidates.
``random``
    a uniformly random number of training GPUs each step.
``fixed:K``
    K GPUs train every step.
``threshold`` / ``threshold:P``
    all GPUs train when the intensity is at or below the P-th percentile (default 50) of the
    trailing 7 days, otherwise all sample (causal).
``oracle``
    knows the whole episode's intensities: all GPUs train in the cleanest half of the
    episode's hours (ties: earlier hour first), all sample otherwise. An upper reference for
    carbon timing, not a deployable policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from cenas_gym.episodes import TRAILING_HOURS, EpisodeContext  # noqa: F401  (EpisodeContext: part of the policy interface)

ONESHOT_TRAIN_HOURS = 2.0


class Policy(Protocol):
    """One small interface for every allocation rule."""

    name: str

    def reset(self, context: EpisodeContext, rng: np.random.Generator) -> None: ...

    def act(self, observation: Any, info: dict[str, Any]) -> int: ...


class _Base:
    name = "base"

    def reset(self, context: EpisodeContext, rng: np.random.Generator) -> None:
        self.ctx = context
        self.rng = rng


class Heuristic(_Base):
    """CE-NAS: lambda_s = (C_now - C_min)/(C_max - C_min) of the GPUs sample."""

    def __init__(self, window: str = "episode") -> None:
        if window not in ("episode", "trailing"):
            raise ValueError(f"heuristic window must be 'episode' or 'trailing', got {window!r}")
        self.window = window
        self.name = "heuristic" if window == "episode" else "heuristic:causal"

    def sample_share(self, step: int) -> float:
        values = self.ctx.episode_window() if self.window == "episode" else self.ctx.trailing_window(step)
        c_min, c_max = float(values.min()), float(values.max())
        if c_max == c_min:
            return 0.0
        return (self.ctx.now(step) - c_min) / (c_max - c_min)

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        n_sample = int(np.floor(self.sample_share(info["step"]) * self.ctx.n_gpus + 0.5))
        return self.ctx.n_gpus - n_sample


class Fixed(_Base):
    def __init__(self, n_train: int | None) -> None:
        self.n_train = n_train
        self.name = "vanilla" if n_train is None else f"fixed:{n_train}"

    def reset(self, context: EpisodeContext, rng: np.random.Generator) -> None:
        super().reset(context, rng)
        if self.n_train is not None and not 0 <= self.n_train <= context.n_gpus:
            raise ValueError(f"{self.name}: K must be in [0, {context.n_gpus}]")

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        return self.ctx.n_gpus if self.n_train is None else self.n_train


class OneShot(_Base):
    name = "oneshot"

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        steps_left = self.ctx.n_steps - info["step"]
        return self.ctx.n_gpus if steps_left * self.ctx.step_s <= ONESHOT_TRAIN_HOURS * 3600 else 0


class RandomAllocation(_Base):
    name = "random"

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        return int(self.rng.integers(0, self.ctx.n_gpus + 1))


class Threshold(_Base):
    def __init__(self, percentile: float = 50.0) -> None:
        if not 0 <= percentile <= 100:
            raise ValueError(f"threshold percentile must be in [0, 100], got {percentile}")
        self.percentile = percentile
        self.name = "threshold" if percentile == 50.0 else f"threshold:{percentile:g}"

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        step = info["step"]
        limit = np.percentile(self.ctx.trailing_window(step), self.percentile)
        return self.ctx.n_gpus if self.ctx.now(step) <= limit else 0


class Oracle(_Base):
    name = "oracle"

    def reset(self, context: EpisodeContext, rng: np.random.Generator) -> None:
        super().reset(context, rng)
        window = context.episode_window()
        cleanest = np.argsort(window, kind="stable")[: (window.size + 1) // 2]
        self.train_steps = np.zeros(window.size, dtype=bool)
        self.train_steps[cleanest] = True

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        return self.ctx.n_gpus if self.train_steps[info["step"]] else 0


def _no_arg(build: Callable[[], Policy]) -> Callable[[str], Policy]:
    def factory(arg: str) -> Policy:
        if arg:
            raise ValueError("takes no ':' argument")
        return build()

    return factory


def _heuristic(arg: str) -> Policy:
    if arg not in ("", "causal"):
        raise ValueError("the only variant is heuristic:causal")
    return Heuristic("trailing" if arg else "episode")


def _fixed(arg: str) -> Policy:
    try:
        return Fixed(int(arg))
    except ValueError:
        raise ValueError("fixed needs an integer, e.g. fixed:4") from None


def _threshold(arg: str) -> Policy:
    try:
        percentile = float(arg) if arg else 50.0
    except ValueError:
        raise ValueError("threshold needs a number, e.g. threshold:30") from None
    return Threshold(percentile)


@dataclass(frozen=True)
class RuleBased:
    """One entry of :data:`RULE_BASED`.

    Attributes:
        usage: how the name is written (``"fixed:K"``), for help texts and errors.
        build: makes the policy from the text after ``":"`` (``""`` if none); raises
            ``ValueError`` on a bad argument.
        defaults: the names of this entry that ``compare`` and ``evaluate`` run by default.
    """

    usage: str
    build: Callable[[str], Policy]
    defaults: tuple[str, ...] = ()


#: The rule-based policies by the text before ``":"`` in their name (see the module docstring).
#: :mod:`cenas_gym.play` adds the learned agents and is the one place names are resolved.
RULE_BASED: dict[str, RuleBased] = {
    "heuristic": RuleBased("heuristic[:causal]", _heuristic, ("heuristic", "heuristic:causal")),
    "vanilla": RuleBased("vanilla", _no_arg(lambda: Fixed(None)), ("vanilla",)),
    "oneshot": RuleBased("oneshot", _no_arg(OneShot), ("oneshot",)),
    "random": RuleBased("random", _no_arg(RandomAllocation), ("random",)),
    "fixed": RuleBased("fixed:K", _fixed),
    "threshold": RuleBased("threshold[:P]", _threshold, ("threshold",)),
    "oracle": RuleBased("oracle", _no_arg(Oracle), ("oracle",)),
}


def make_rule_based(name: str) -> Policy:
    """A rule-based policy by name; ``KeyError`` if the name is not one (use
    :func:`cenas_gym.play.make_policy` for every policy name)."""
    kind, _, arg = name.partition(":")
    if kind not in RULE_BASED:
        raise KeyError(name)
    try:
        return RULE_BASED[kind].build(arg)
    except ValueError as err:
        raise ValueError(f"policy {name!r}: {err}") from None
