"""Reproducible held-out windows (the traces themselves: :data:`cenas_gym.rl.TRAIN_TRACES`,
:data:`cenas_gym.rl.HELD_OUT_TRACES`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.sim.episodes import at_step, resolve_start, split_sim_options
from cenas_gym.sim.simulator import SimConfig


def held_out_cases(
    traces: Sequence[str],
    seeds: Sequence[int],
    n_windows: int,
    env_kwargs: dict[str, Any] | None = None,
    window_seed: int = 12345,
) -> list[tuple[str, int, int]]:
    """(trace, start index, seed) triples: ``n_windows`` random windows per trace and seed,
    drawn reproducibly (``window_seed``), valid for the env's budget and forecast."""
    kwargs = dict(env_kwargs or {})
    config = SimConfig(**split_sim_options(kwargs)[0])
    lookahead = int(kwargs.get("forecast_hours", 6))
    cases = []
    for i, name in enumerate(traces):
        trace = at_step(CarbonTrace.load(name), config.step_s)
        rng = np.random.default_rng([window_seed, i])
        for seed in seeds:
            for _ in range(n_windows):
                cases.append((name, resolve_start(trace, config.n_steps, lookahead, rng, None), int(seed)))
    return cases
