"""The env's rewards as data: each a named record whose parts sum to the step's reward.

Like the accounting presets, a reward is a :class:`Reward` record, not a branch in the env:
its ``returns`` says what the episode's return sums to, and ``parts`` gives the step's
breakdown (``info["reward_breakdown"]``; the reward is the sum of its values).

=============  ==================================================================================
name           return (sum of the rewards over an episode)
=============  ==================================================================================
``v0``         ``hv_weight x final HV progress - carbon_weight_per_kg x kg`` (``CENAS-v0``'s
               default, also called ``default``)
``cenas``      the CE-NAS authors' A3C reward (see :data:`CENAS`)
``fixed-time`` ``log10 regret at start - log10 regret at end - carbon_price_per_kg x kg``
``target``     ``-kg - miss_penalty_kg`` if the time cap ends the run before the target, else ``-kg``
``budget``     ``log10 regret at start - log10 regret at end``
=============  ==================================================================================

``kg`` is the carbon emitted by the steps (the initial samples' charge, paid before the first
step, is in no reward). Regret is ``max(1 - HV / HV(true front), 1e-6)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cenas_gym.sim.tasks import Task

# the CE-NAS authors' A3C reward (cake-lab/CE-NAS a3c_params.py)
CENAS_ALPHA, CENAS_GAMMA = 20.0, 0.05

#: Default price of a kg of CO2 in the fixed-time reward, in log10-regret units (50 kg buy a
#: tenfold cut in regret): the price at which the paper's two policies tie on the paper's
#: window. Measured (``cenas-gym run --policy heuristic|vanilla --json``: 8 GPUs, 80 h,
#: California from 2021-07-02 06:00 UTC, seed 0, LaMOO, default accounting): both start at
#: regret 0.0294; the heuristic ends at 0.00132 after 23.75 kg of steps, vanilla LaMOO at
#: 0.00032 after 54.21 kg; 0.61 decades for 30.46 kg more = 0.0200 per kg. Above this price
#: the fixed-time reward prefers the heuristic's trade, below it vanilla's.
DEFAULT_CARBON_PRICE_PER_KG = 0.02


@dataclass(slots=True)  # built once per step: not frozen, which would slow __init__ down
class StepResult:
    """One env step as the rewards read it.

    Attributes:
        carbon_g: carbon emitted this step (gCO2eq).
        hv_gain: hypervolume gained this step (raw units); ``max_hv``: the true front's HV.
        hv_progress_gain: HV progress gained this step, as a share of the gap open at the
            start (``(HV - HV0) / (max HV - HV0)``).
        log10_regret_before, log10_regret_after: log10 HV regret around the step.
        n_trained_step: architectures fully trained this step.
        steps_done, n_steps: steps played (this one included) and steps in the budget.
        n_gpus: GPUs in the pool.
        window_max_g_per_kwh: the episode window's highest intensity.
        missed_target: the run ended at its time cap without reaching its target.
        miss_penalty_kg: the target reward's penalty for a miss (kg CO2eq).
    """

    carbon_g: float
    hv_gain: float
    max_hv: float
    hv_progress_gain: float
    log10_regret_before: float
    log10_regret_after: float
    n_trained_step: int
    steps_done: int
    n_steps: int
    n_gpus: int
    window_max_g_per_kwh: float
    missed_target: bool
    miss_penalty_kg: float


@dataclass(frozen=True)
class RewardWeights:
    """The env's reward options (see ``CENASEnv``'s Arguments)."""

    hv_weight: float = 100.0
    carbon_weight_per_kg: float = 1.0
    carbon_price_per_kg: float = DEFAULT_CARBON_PRICE_PER_KG


@dataclass(frozen=True)
class Reward:
    """One reward: ``parts(step, weights)`` -> ``{part: value}`` (the reward is their sum).

    Attributes:
        name: the env's ``reward=`` value.
        returns: what the episode's return sums to (docstring text).
        parts: the step's breakdown (a module-level function, so envs pickle).
    """

    name: str
    returns: str
    parts: Callable[[StepResult, RewardWeights], dict[str, float]]


def _v0(s: StepResult, w: RewardWeights) -> dict[str, float]:
    return {"hv": w.hv_weight * s.hv_progress_gain, "carbon": -w.carbon_weight_per_kg * s.carbon_g / 1000.0}


def _cenas(s: StepResult, w: RewardWeights) -> dict[str, float]:
    ratio = 0.8 * s.steps_done / s.n_steps + 0.8
    return {
        "hv": CENAS_ALPHA * s.hv_gain / s.max_hv * ratio,
        "carbon": -s.carbon_g / s.n_gpus * 2.0 / s.window_max_g_per_kwh,
        "samples": CENAS_GAMMA * s.n_trained_step,
    }


def _fixed_time(s: StepResult, w: RewardWeights) -> dict[str, float]:
    return {
        "log10_regret": s.log10_regret_before - s.log10_regret_after,
        "carbon": -w.carbon_price_per_kg * s.carbon_g / 1000.0,
    }


def _target(s: StepResult, w: RewardWeights) -> dict[str, float]:
    return {"carbon": -s.carbon_g / 1000.0, "missed_target": -s.miss_penalty_kg if s.missed_target else 0.0}


def _budget(s: StepResult, w: RewardWeights) -> dict[str, float]:
    return {"log10_regret": s.log10_regret_before - s.log10_regret_after}


V0 = Reward(
    "v0",
    "hv_weight x final HV progress - carbon_weight_per_kg x kg emitted",
    _v0,
)
CENAS = Reward(
    "cenas",
    "sum over steps of 20 x (HV gain / max HV) x (0.8 t/T + 0.8) - (carbon this step / n_gpus) x 2 / C_max "
    "+ 0.05 x architectures trained this step",
    _cenas,
)
FIXED_TIME = Reward(
    "fixed-time",
    "log10 regret at start - log10 regret at end - carbon_price_per_kg x kg emitted",
    _fixed_time,
)
TARGET = Reward(
    "target",
    "-(kg emitted) - (miss_penalty_kg if the time cap ends the run before the target is reached)",
    _target,
)
BUDGET = Reward(
    "budget",
    "log10 regret at start - log10 regret at end",
    _budget,
)

#: Every reward by name; ``"default"`` is ``CENAS-v0``'s name for ``v0``.
REWARDS: dict[str, Reward] = {r.name: r for r in (V0, CENAS, FIXED_TIME, TARGET, BUDGET)} | {"default": V0}
#: The reward each task uses by default in ``CENAS-v1``.
TASK_REWARDS: dict[str, str] = {"fixed-time": "fixed-time", "target": "target", "budget": "budget"}


def task_reward(
    task: Task,
    carbon_g: float,
    log10_regret_before: float,
    log10_regret_after: float,
    *,
    missed_target: bool = False,
    miss_penalty_kg: float = 0.0,
    carbon_price_per_kg: float = DEFAULT_CARBON_PRICE_PER_KG,
) -> dict[str, float]:
    """One step's reward breakdown for a task: CENAS-v1's task rewards
    (:mod:`cenas_gym.envs.rewards`; the step's reward is the sum of the parts):

    * ``target``: ``-kg``, and ``-miss_penalty_kg`` more in the last step when the time cap
      ends the run without reaching the target (``missed_target``); the return is minus the
      kg to target, or minus (kg emitted + penalty) for a miss.
    * ``budget``: the decrease of log10 regret; the return is log10(initial regret) -
      log10(final regret).
    * ``fixed-time``: that decrease minus ``carbon_price_per_kg x kg``.
    """
    step = StepResult(  # the task rewards read only carbon, regret and the miss
        carbon_g=carbon_g, hv_gain=0.0, max_hv=1.0, hv_progress_gain=0.0,
        log10_regret_before=log10_regret_before, log10_regret_after=log10_regret_after,
        n_trained_step=0, steps_done=0, n_steps=1, n_gpus=1, window_max_g_per_kwh=1.0,
        missed_target=missed_target, miss_penalty_kg=miss_penalty_kg,
    )
    return REWARDS[TASK_REWARDS[task.name]].parts(step, RewardWeights(carbon_price_per_kg=carbon_price_per_kg))
