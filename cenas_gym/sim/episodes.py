"""Set up one episode: its window, simulator, random streams and what a policy may know.

The env and the fast path (:func:`cenas_gym.policies.play.run_policy`) share :func:`new_episode`, so
a policy run through ``gym.make("CENAS-v0")`` and on the simulator with the same seed gives
the same numbers. Randomness: the episode's generator first draws the start of the window (when it is
random), then spawns three independent children: the simulator's (initial architectures,
proposals), the forecaster's (noise) and the policy's.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.search.nasbench import ArchTable
from cenas_gym.sim.simulator import SimConfig, Simulator

TRAILING_HOURS = 168  # causal window: 7 days

HISTORY_HOURS = 24  # a random window leaves at least one day of history before it
# ... and at least a day after it, whatever the look-ahead the caller needs (up to a day), so
# the env (which needs its forecast look-ahead) and the fast path (none) draw the same window
LOOKAHEAD_RESERVE_HOURS = 24

#: The keyword options that are fields of :class:`~cenas_gym.sim.simulator.SimConfig`.
SIM_OPTIONS = frozenset(f.name for f in fields(SimConfig))


def sim_options(config: SimConfig) -> dict[str, Any]:
    """``config`` as keyword options (shallow: nested records stay objects)."""
    return {name: getattr(config, name) for name in SIM_OPTIONS}


def split_sim_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``options`` split into (SimConfig fields, the rest)."""
    sim = {k: v for k, v in options.items() if k in SIM_OPTIONS}
    return sim, {k: v for k, v in options.items() if k not in SIM_OPTIONS}


def at_step(trace: CarbonTrace, step_s: int) -> CarbonTrace:
    """``trace`` at the simulator's step length (resampled only when it differs)."""
    return trace if trace.step_s == step_s else trace.resample(step_s)


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

    def rest_of_trace(self) -> np.ndarray:
        """From the episode's first step to the end of the trace (the authors' C_min/C_max range)."""
        return self.intensity_g_per_kwh[self.start :]

    def trailing_window(self, step: int) -> np.ndarray:
        steps = max(1, int(round(TRAILING_HOURS * 3600 / self.step_s)))
        end = self.start + step + 1
        return self.intensity_g_per_kwh[max(0, end - steps) : end]



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
    """A fresh simulator on a window of ``trace`` (resampled to the config's step length)."""
    trace = at_step(trace, config.step_s)
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


def step_info(sim: Simulator) -> dict[str, Any]:
    """What a policy sees before a step: the last record plus the step about to be played."""
    info = (
        dict(sim.history[-1])
        if sim.history
        else {"hv_normalized": sim.hv_normalized, "queue_len": len(sim.queue), "n_trained": len(sim.trained)}
    )
    info["step"] = sim.t
    info["intensity_now_g_per_kwh"] = sim.intensity_at(sim.t) if not sim.done else float("nan")
    return info
