"""oracle:target: trains in the cleanest steps of its plan, as many as vanilla needed."""

from __future__ import annotations

import numpy as np
import pytest

from cenas_gym.compare.grid import load_trace
from cenas_gym.policies.play import make_policy, run_policy
from cenas_gym.policies.rules import TargetOracle
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.sim.tasks import make_task

START = "2022-04-04T00:00Z"
CONFIG = make_task("target", hours=24.0, target_regret=0.01).apply(
    SimConfig(n_gpus=4, optimizer="random", accounting="cenas")
)


def test_trains_in_the_k_cleanest_steps_when_waiting_is_free():
    trace = load_trace("ES:2022")
    vanilla = run_policy(make_policy("vanilla"), CONFIG, trace, 0, START)
    assert vanilla.reached_target
    k = vanilla.t
    oracle = make_policy("oracle:target")
    sim = run_policy(oracle, CONFIG, trace, 0, START)
    window = trace.values_g_per_kwh[trace.index_at(START) : trace.index_at(START) + 24]
    # cenas accounting charges nothing for idle GPUs: the plan is the k cleanest steps of the whole cap
    expected = np.zeros(24, dtype=bool)
    expected[np.argsort(window, kind="stable")[:k]] = True
    last = int(np.flatnonzero(expected).max())
    trained = np.array([r["gpus_train"] == 4 for r in sim.history])
    for step, all_train in enumerate(trained):
        assert all_train == (expected[step] or step > last), step
    assert set(r["gpus_train"] for r in sim.history) <= {0, 4}


def test_needs_the_target_task_and_a_preparation():
    with pytest.raises(ValueError, match="target task"):
        run_policy(make_policy("oracle:target"), SimConfig(n_gpus=4, budget_hours=4.0, optimizer="random"),
                   load_trace("ES:2022"), 0, START)
    from cenas_gym.envs.cenas import CENASEnv
    from cenas_gym.policies.play import play_in_env

    env = CENASEnv(trace="ES:2022", start=START, n_gpus=4, budget_hours=4.0, optimizer="random")
    with pytest.raises(RuntimeError, match="prepared"):
        play_in_env(env, TargetOracle(), 0)
