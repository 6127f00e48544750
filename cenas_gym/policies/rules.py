"""GPU-allocation policies: the CE-NAS heuristic and simple baselines.

A policy answers, each step, how many GPUs train (the rest sample):

    policy.reset(context, rng)           # once per episode
    n_train = policy.act(observation, info)

``info`` is the simulator's latest per-step record plus ``"step"`` (0-based index of the step
about to be played) and ``"queue_len"``; ``observation`` is the env's observation (``None``
on the simulator's fast path; none of the policies here read it). The same policy object runs
through ``gym.make("CENAS-v0")`` (its ``act`` returns a valid discrete action) or directly on
a :class:`~cenas_gym.sim.simulator.Simulator` via :func:`cenas_gym.policies.play.run_policy`. Learned
agents (``ppo``, ``ppo:PATH``) live in :mod:`cenas_gym.rl`.

Rule-based policies, by the names :func:`cenas_gym.policies.play.make_policy` (and ``cenas-gym run
--policy``) accepts (:data:`RULE_BASED` is their registry):

``heuristic`` / ``heuristic:window`` / ``heuristic:causal``
    CE-NAS: a share ``lambda_s = (C_now - C_min) / (C_max - C_min)`` of the GPUs samples, the
    rest train (dirty hours sample, clean hours train). The names say where ``C_min`` and
    ``C_max`` come from:

    - ``heuristic``: the authors' code, from the run's start to the **end of the trace**
      (cake-lab/CE-NAS ``carbon_reader.py``: ``min``/``max`` of ``carbon_trace``, the
      ``carbon_intensity_avg`` column from row 13158, i.e. 2021-07-02 06:00 UTC, to the end
      of their 2020-2022 US-CAL-CISO file, about 13,100 h). Here the end is the end of the
      trace the episode runs on (a shipped trace is one year). Fixed for the whole run; it
      reads the future, as the authors' code does.
    - ``heuristic:window``: over the episode window only (a look-ahead over the time
      budget; this package's behaviour before issue 13, kept for comparison). Neither
      CE-NAS paper states this choice.
    - ``heuristic:causal``: over the trailing 7 days up to now (deployable: no look-ahead).

    The number of sampling GPUs is ``lambda_s x n_gpus`` rounded half up to a whole GPU.
    A flat range (C_max = C_min) means lambda_s = 0: all train.
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
``a3c-cenas``
    the CE-NAS authors' A3C agent (their state, actions 1..7 training GPUs of 8, network
    and reward), trained online within each episode, with their HV-freeze bug fixed: see
    :mod:`cenas_gym.policies.a3c`. Needs PyTorch.
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

from cenas_gym.sim.episodes import TRAILING_HOURS, EpisodeContext  # noqa: F401  (EpisodeContext: part of the policy interface)

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


#: Where the heuristic's C_min/C_max come from -> its policy name.
HEURISTIC_BOUNDS = {"rest-of-trace": "heuristic", "episode": "heuristic:window", "trailing": "heuristic:causal"}


class Heuristic(_Base):
    """CE-NAS: lambda_s = (C_now - C_min)/(C_max - C_min) of the GPUs sample.

    Args:
        bounds: where C_min/C_max come from: ``"rest-of-trace"`` (from the episode's start
            to the end of the trace, the authors' code), ``"episode"`` (the episode window)
            or ``"trailing"`` (the 7 days up to now).
    """

    def __init__(self, bounds: str = "rest-of-trace") -> None:
        if bounds not in HEURISTIC_BOUNDS:
            raise ValueError(f"heuristic bounds must be one of {list(HEURISTIC_BOUNDS)}, got {bounds!r}")
        self.bounds = bounds
        self.name = HEURISTIC_BOUNDS[bounds]

    def reset(self, context: EpisodeContext, rng: np.random.Generator) -> None:
        super().reset(context, rng)
        fixed = {"rest-of-trace": context.rest_of_trace, "episode": context.episode_window}.get(self.bounds)
        self._fixed = None if fixed is None else (float(fixed().min()), float(fixed().max()))

    def sample_share(self, step: int) -> float:
        if self._fixed is not None:
            c_min, c_max = self._fixed
        else:
            values = self.ctx.trailing_window(step)
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


class TargetOracle(_Base):
    """``oracle:target``: an estimate of the **headroom** of carbon timing on the target task,
    labelled as such: not a deployable policy (it knows the future intensities and replays
    the run with vanilla LaMOO first).

    Before the episode, :meth:`prepare` plays ``vanilla`` (every GPU trains) on the same
    config, trace, window and seed and counts the steps it needed to reach the target
    (all steps of the cap if it missed), ``k``. It then plans: for each deadline ``D`` from
    ``k`` to the cap, train with every GPU in the ``k`` cleanest of the first ``D`` steps
    (ties: earlier step first) and wait in the others; the predicted carbon of a plan is the
    training energy of ``k`` full steps at their intensities plus the idle energy of the
    waiting steps at theirs (per the run's accounting: waiting is not free when idle GPUs are
    charged); it plays the cheapest plan (ties: the earliest deadline). In a waiting step the
    GPUs sample (the queue fills, then they idle); once the last chosen step has passed,
    every GPU trains until the target is reached (the chosen steps need not suffice: a
    different order of work gives a different search). Played on the simulator's fast path
    (:func:`cenas_gym.policies.play.run_policy` calls :meth:`prepare`).
    """

    name = "oracle:target"

    def __init__(self) -> None:
        self.vanilla_steps: int | None = None

    def prepare(self, config: Any, trace: Any, seed: int, start: Any, table: Any = None) -> None:
        """Play vanilla on the same run and remember the steps it needed to reach the target."""
        from cenas_gym.sim.episodes import new_episode

        if config.target_regret is None:
            raise ValueError("policy 'oracle:target' needs the target task (SimConfig.target_regret)")
        vanilla = new_episode(config, trace, np.random.default_rng(seed), start, 0, table).sim
        while not vanilla.done:  # vanilla: every GPU trains (draws nothing from the policy stream)
            vanilla.step(config.n_gpus)
        self.vanilla_steps = vanilla.t if vanilla.reached_target else config.n_steps
        full_s = float(config.n_gpus * config.step_s)
        self.train_kwh = vanilla.accounting.energy_kwh(full_s, 0.0, 0.0)  # one step, every GPU training
        self.idle_kwh = vanilla.accounting.energy_kwh(0.0, 0.0, full_s)  # one step, every GPU idle

    def reset(self, context: EpisodeContext, rng: np.random.Generator) -> None:
        super().reset(context, rng)
        if self.vanilla_steps is None:
            raise RuntimeError(
                "policy 'oracle:target' must be prepared with the run it plays (prepare(config, trace, seed, "
                "start)); play it with cenas_gym.policies.play.run_policy"
            )
        window = context.episode_window()
        k = self.vanilla_steps
        best_g, chosen = float("inf"), np.arange(k)
        for deadline in range(k, window.size + 1):
            cleanest = np.argsort(window[:deadline], kind="stable")[:k]
            train_sum = float(window[cleanest].sum())
            predicted_g = train_sum * self.train_kwh + (float(window[:deadline].sum()) - train_sum) * self.idle_kwh
            if predicted_g < best_g:
                best_g, chosen = predicted_g, cleanest
        self.train_steps = np.zeros(window.size, dtype=bool)
        self.train_steps[chosen] = True
        self.last_chosen = int(chosen.max()) if chosen.size else -1
        self.vanilla_steps = None  # one preparation per episode

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        step = info["step"]
        return self.ctx.n_gpus if self.train_steps[step] or step > self.last_chosen else 0


def _no_arg(build: Callable[[], Policy]) -> Callable[[str], Policy]:
    def factory(arg: str) -> Policy:
        if arg:
            raise ValueError("takes no ':' argument")
        return build()

    return factory


def _heuristic(arg: str) -> Policy:
    bounds = {name.partition(":")[2]: bounds for bounds, name in HEURISTIC_BOUNDS.items()}
    if arg not in bounds:
        raise ValueError("the variants are heuristic (authors' range), heuristic:window and heuristic:causal")
    return Heuristic(bounds[arg])


def _a3c_cenas() -> Policy:
    from cenas_gym.policies.a3c import A3CCenasPolicy  # torch is needed only when it plays

    return A3CCenasPolicy()


def _oracle(arg: str) -> Policy:
    if arg not in ("", "target"):
        raise ValueError("the variants are oracle (cleanest half) and oracle:target (timing headroom)")
    return TargetOracle() if arg else Oracle()


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
        help: one line saying what it does (help texts; the module docstring says more).
    """

    usage: str
    build: Callable[[str], Policy]
    defaults: tuple[str, ...] = ()
    help: str = ""


#: The rule-based policies by the text before ``":"`` in their name (see the module docstring).
#: :mod:`cenas_gym.policies.play` adds the learned agents and is the one place names are resolved.
RULE_BASED: dict[str, RuleBased] = {
    "heuristic": RuleBased(
        "heuristic[:window|:causal]", _heuristic, ("heuristic", "heuristic:window", "heuristic:causal"),
        "CE-NAS: lambda_s = (C_now - C_min) / (C_max - C_min) of the GPUs sample; C_min/C_max to the end of "
        "the trace (authors' code), over the episode window, or over the trailing 7 days (causal)",
    ),
    "vanilla": RuleBased("vanilla", _no_arg(lambda: Fixed(None)), ("vanilla",), "every GPU trains (vanilla LaMOO)"),
    "oneshot": RuleBased("oneshot", _no_arg(OneShot), ("oneshot",),
                         "every GPU samples except in the last hours, which train the best screened"),
    "random": RuleBased("random", _no_arg(RandomAllocation), ("random",), "a random number of training GPUs each step"),
    "fixed": RuleBased("fixed:K", _fixed, (), "K GPUs train every step"),
    "threshold": RuleBased("threshold[:P]", _threshold, ("threshold",),
                           "all train when the intensity is at or below the P-th percentile of the trailing week"),
    "oracle": RuleBased("oracle[:target]", _oracle, ("oracle",),
                        "knows the window: all train in its cleanest half (:target: the target task's timing headroom)"),
    "a3c-cenas": RuleBased("a3c-cenas", _no_arg(_a3c_cenas), (),
                           "the CE-NAS authors' A3C agent, trained online within each episode (needs torch)"),
}


def make_rule_based(name: str) -> Policy:
    """A rule-based policy by name; ``KeyError`` if the name is not one (use
    :func:`cenas_gym.policies.play.make_policy` for every policy name)."""
    kind, _, arg = name.partition(":")
    if kind not in RULE_BASED:
        raise KeyError(name)
    try:
        return RULE_BASED[kind].build(arg)
    except ValueError as err:
        raise ValueError(f"policy {name!r}: {err}") from None
