"""GPU-allocation policies: the CE-NAS heuristic and simple baselines.

A policy answers, each step, how many GPUs train (the rest sample):

    policy.reset(context, rng)           # once per episode
    n_train = policy.act(observation, info)

``info`` is the simulator's latest per-step record plus ``"step"`` (0-based index of the step
about to be played) and ``"queue_len"``; ``observation`` is the env's observation (``None``
on the simulator's fast path; none of the policies here read it). The same policy object runs
through ``gym.make("CENAS-v0")`` (its ``act`` returns a valid discrete action) or directly on
a :class:`~cenas_gym.simulator.Simulator` via :func:`run_policy`.

Names accepted by :func:`make_policy` (and ``cenas-gym run --policy``):

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
``ppo`` / ``ppo:PATH``
    a trained Stable-Baselines3 agent (the shipped one, or a zip); it reads the env's
    observation, so :func:`cenas_gym.episodes.run_policy` plays it through the env.
``oracle``
    knows the whole episode's intensities: all GPUs train in the cleanest half of the
    episode's hours (ties: earlier hour first), all sample otherwise. An upper reference for
    carbon timing, not a deployable policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

TRAILING_HOURS = 168  # causal window: 7 days
ONESHOT_TRAIN_HOURS = 2.0


@dataclass(frozen=True)
class EpisodeContext:
    """What a policy may know about the episode it is about to play.

    Attributes:
        n_gpus: GPUs in the pool.
        intensity_g_per_kwh: the whole trace at step resolution (history before the
            episode included, so causal windows have data).
        start: index in ``intensity_g_per_kwh`` of the episode's first step.
        n_steps: steps in the time budget.
        step_s: seconds per step.
    """

    n_gpus: int
    intensity_g_per_kwh: np.ndarray
    start: int
    n_steps: int
    step_s: int

    def now(self, step: int) -> float:
        return float(self.intensity_g_per_kwh[self.start + step])

    def episode_window(self) -> np.ndarray:
        return self.intensity_g_per_kwh[self.start : self.start + self.n_steps]

    def trailing_window(self, step: int) -> np.ndarray:
        steps = max(1, int(round(TRAILING_HOURS * 3600 / self.step_s)))
        end = self.start + step + 1
        return self.intensity_g_per_kwh[max(0, end - steps) : end]


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


BASELINES = ("heuristic", "heuristic:causal", "vanilla", "oneshot", "random", "fixed:K", "threshold", "oracle")


def make_policy(name: str) -> Policy:
    """A policy by name (see the module docstring); ``ppo:PATH`` loads a trained agent."""
    kind, _, arg = name.partition(":")
    if kind == "heuristic" and arg in ("", "causal"):
        return Heuristic("trailing" if arg else "episode")
    if kind == "vanilla" and not arg:
        return Fixed(None)
    if kind == "fixed":
        try:
            return Fixed(int(arg))
        except ValueError:
            raise ValueError(f"policy {name!r}: fixed needs an integer, e.g. fixed:4") from None
    if kind == "oneshot" and not arg:
        return OneShot()
    if kind == "random" and not arg:
        return RandomAllocation()
    if kind == "threshold":
        try:
            return Threshold(float(arg) if arg else 50.0)
        except ValueError as err:
            raise ValueError(f"policy {name!r}: {err}") from None
    if kind == "oracle" and not arg:
        return Oracle()
    if name == "oracle:target":
        return TargetOracle()
    if kind == "ppo" and (arg or name == "ppo"):
        from cenas_gym.agents import PPOPolicy, shipped_agent_path

        if arg:
            return PPOPolicy.load(arg)
        shipped = shipped_agent_path()
        if shipped is None:
            raise ValueError("policy 'ppo': no agent ships with this installation; use ppo:PATH")
        policy = PPOPolicy.load(shipped)
        policy.name = "ppo"
        return policy
    raise ValueError(f"unknown policy {name!r}; choose one of {list(BASELINES)}, oracle:target, ppo (the shipped agent) or ppo:PATH")


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
    (:func:`cenas_gym.episodes.run_policy` calls :meth:`prepare`).
    """

    name = "oracle:target"

    def __init__(self) -> None:
        self.vanilla_steps: int | None = None

    def prepare(self, config: Any, trace: Any, seed: int, start: Any, table: Any = None) -> None:
        """Play vanilla on the same run and remember the steps it needed to reach the target."""
        from cenas_gym.episodes import run_policy

        if config.target_regret is None:
            raise ValueError("policy 'oracle:target' needs the target task (SimConfig.target_regret)")
        vanilla = run_policy(Fixed(None), config, trace, seed, start, table)
        self.vanilla_steps = vanilla.t if vanilla.reached_target else config.n_steps
        full_s = float(config.n_gpus * config.step_s)
        self.train_kwh = vanilla.accounting.energy_kwh(full_s, 0.0, 0.0)  # one step, every GPU training
        self.idle_kwh = vanilla.accounting.energy_kwh(0.0, 0.0, full_s)  # one step, every GPU idle

    def reset(self, context: EpisodeContext, rng: np.random.Generator) -> None:
        super().reset(context, rng)
        if self.vanilla_steps is None:
            raise RuntimeError(
                "policy 'oracle:target' must be prepared with the run it plays (prepare(config, trace, seed, "
                "start)); play it with cenas_gym.episodes.run_policy"
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
