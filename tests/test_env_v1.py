"""``CENAS-v1``, ``CENAS-Target-v1``, ``CENAS-Budget-v1``: task rewards, observation, API."""

from __future__ import annotations

import math
import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest

import cenas_gym  # noqa: F401  (registers the ids)
from cenas_gym.envs import observation
from cenas_gym.envs.cenas import CENASEnv
from cenas_gym.envs.rewards import DEFAULT_CARBON_PRICE_PER_KG

IDS = ("CENAS-v1", "CENAS-Target-v1", "CENAS-Budget-v1")
FIXED = "2021-07-02T06:00Z"
FAST = {"optimizer": "random", "hours": 8}
TRAIN_W, PUE = 400.0, 1.10  # the default accounting's busiest GPU power and PUE


def episode(env, seed=0, action=None):
    """(reset obs, reset info, list of step tuples); ``action``: fixed action, else sampled."""
    obs, info = env.reset(seed=seed)
    env.action_space.seed(seed)
    steps = []
    while True:
        out = env.step(env.action_space.sample() if action is None else action)
        steps.append(out)
        if out[2] or out[3]:
            return obs, info, steps


@pytest.mark.parametrize("env_id", IDS)
def test_gymnasium_and_sb3_checkers_pass_without_warnings(env_id):
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gym.make(env_id, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(env, warn=True, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("env_id", IDS)
def test_same_seed_same_episode_and_pickled_env_continues(env_id):
    a = episode(gym.make(env_id, **FAST), seed=3)
    b = episode(gym.make(env_id, **FAST), seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    assert [s[1] for s in a[2]] == [s[1] for s in b[2]]
    np.testing.assert_array_equal(np.stack([s[0] for s in a[2]]), np.stack([s[0] for s in b[2]]))

    env = gym.make(env_id, **FAST)
    env.reset(seed=4)
    env.step(3)
    copy = pickle.loads(pickle.dumps(env))
    for action in (5, 0, 8):
        x, y = env.step(action), copy.step(action)
        np.testing.assert_array_equal(x[0], y[0])
        assert x[1:4] == y[1:4]


def test_ids_set_their_task_and_reward():
    v1, target, budget = (gym.make(i, **FAST).unwrapped for i in IDS)
    assert (v1.task.name, v1.reward_name, v1.config.budget_hours) == ("fixed-time", "fixed-time", 8)
    assert (target.task.name, target.reward_name, target.config.target_regret) == ("target", "target", 0.002)
    assert (budget.task.name, budget.reward_name, budget.config.carbon_budget_g) == ("budget", "budget", 25_000.0)
    assert gym.make("CENAS-Target-v1").unwrapped.config.budget_hours == 160  # the task's time cap
    assert gym.make("CENAS-v1", task="budget", carbon_budget_kg=3.0, **FAST).unwrapped.config.carbon_budget_g == 3000.0
    assert gym.make("CENAS-v0").unwrapped.reward_name == "default"


def test_observation_carries_the_regret_and_the_gap_to_the_target():
    k = 6
    env = gym.make("CENAS-Target-v1", start=FIXED, target_regret=0.01, **FAST)
    obs, info = env.reset(seed=0)
    assert obs.shape == (14 + k,) and env.observation_space.shape == (14 + k,)
    sim = env.unwrapped.simulator
    for _ in range(3):
        assert info["regret"] == sim.regret and info["log10_regret"] == math.log10(sim.regret)
        assert obs[12 + k] == np.float32(-math.log10(sim.regret) / 6)
        gap = (math.log10(sim.regret) - math.log10(0.01)) / 6
        assert obs[13 + k] == np.float32(min(1.0, max(-1.0, gap)))
        obs, _, terminated, _, info = env.step(8)
        if terminated:
            break
    plain = gym.make("CENAS-v1", **FAST)
    assert plain.reset(seed=0)[0][13 + k] == 0.0  # no target


def test_budget_return_is_the_drop_in_log10_regret():
    env = gym.make("CENAS-Budget-v1", carbon_budget_kg=2.0, start=FIXED, **FAST)
    obs, info, steps = episode(env, seed=1)
    summary = steps[-1][4]["episode_summary"]
    total = sum(s[1] for s in steps)
    assert total == pytest.approx(info["log10_regret"] - summary["final_log10_regret"], abs=1e-12)
    assert summary["carbon_kg"] >= 2.0 or summary["hours"] == 8  # the budget (or the cap) ended it


def test_fixed_time_return_is_log10_regret_drop_minus_priced_carbon():
    env = gym.make("CENAS-v1", start=FIXED, **FAST)
    obs, info, steps = episode(env, seed=2)
    s = steps[-1][4]["episode_summary"]
    kg = s["carbon_kg"] - s["init_carbon_kg"]
    expected = info["log10_regret"] - s["final_log10_regret"] - DEFAULT_CARBON_PRICE_PER_KG * kg
    assert sum(x[1] for x in steps) == pytest.approx(expected, abs=1e-12)
    priced = episode(gym.make("CENAS-v1", start=FIXED, carbon_price_per_kg=0.5, **FAST), seed=2)[2]
    assert sum(x[1] for x in priced) == pytest.approx(expected - (0.5 - DEFAULT_CARBON_PRICE_PER_KG) * kg, abs=1e-12)


def test_target_missed_at_the_cap_pays_the_cap_bill():
    env = gym.make("CENAS-Target-v1", target_regret=1e-6, start=FIXED, **FAST)  # unreachable in 8 h
    obs, info, steps = episode(env, seed=0, action=np.int64(4))
    sim = env.unwrapped.simulator
    s = steps[-1][4]["episode_summary"]
    assert steps[-1][2] is True and steps[-1][3] is False  # the cap terminates the task
    assert len(steps) == 8 and s["reached_target"] is False and s["kg_to_target"] is None
    cap_bill_kg = 8 * TRAIN_W * PUE * 3600 / 3.6e6 * sum(sim.intensity_at(i) for i in range(8)) / 1000
    assert steps[-1][4]["reward_breakdown"]["missed_target"] == pytest.approx(-cap_bill_kg, rel=1e-12)
    kg = s["carbon_kg"] - s["init_carbon_kg"]
    assert sum(x[1] for x in steps) == pytest.approx(-kg - cap_bill_kg, rel=1e-12)
    custom = episode(gym.make("CENAS-Target-v1", target_regret=1e-6, start=FIXED, miss_penalty_kg=7.5, **FAST),
                     seed=0, action=np.int64(4))[2]
    assert sum(x[1] for x in custom) == pytest.approx(-kg - 7.5, rel=1e-12)


def test_target_reached_ends_the_episode_without_penalty():
    env = gym.make("CENAS-Target-v1", target_regret=0.02, hours=40, start=FIXED, optimizer="random")
    obs, info, steps = episode(env, seed=0, action=np.int64(8))
    s = steps[-1][4]["episode_summary"]
    assert s["reached_target"] is True and len(steps) < 40 and steps[-1][2] is True
    assert s["final_regret"] <= 0.02 and s["kg_to_target"] == s["carbon_kg"]
    assert all(x[4]["reward_breakdown"]["missed_target"] == 0.0 for x in steps)
    assert sum(x[1] for x in steps) == pytest.approx(-(s["carbon_kg"] - s["init_carbon_kg"]), rel=1e-12)


def test_v0_reward_in_v1_pays_what_v0_pays():
    v0 = episode(gym.make("CENAS-v0", start=FIXED, optimizer="random", budget_hours=8), seed=5)[2]
    v1 = episode(gym.make("CENAS-v1", start=FIXED, reward="v0", **FAST), seed=5)[2]
    assert [s[1] for s in v0] == [s[1] for s in v1]
    np.testing.assert_array_equal(np.stack([s[0] for s in v0]), np.stack([s[0][:-2] for s in v1]))


def test_simulator_options_that_a_task_sets_are_taken_by_it():
    env = gym.make("CENAS-v1", task="budget", carbon_budget_g=4000.0, budget_hours=12, optimizer="random").unwrapped
    assert (env.task.carbon_budget_kg, env.task.hours) == (4.0, 12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"task": "budget"}, "carbon budget"),
        ({"task": "fixed-time", "target_regret": 0.01}, "target_regret"),
        ({"task": "speed"}, "task"),
        ({"reward": "target"}, "task='target'"),
        ({"carbon_price_per_kg": -1.0}, "carbon_price_per_kg"),
        ({"miss_penalty_kg": -1.0}, "miss_penalty_kg"),
        ({"hours": 10, "budget_hours": 12}, "disagree"),
    ],
)
def test_bad_v1_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CENASEnv(version="v1", **kwargs)


def test_v0_refuses_task_arguments_without_a_task():
    with pytest.raises(ValueError, match="need a task"):
        CENASEnv(hours=10)


def test_docstring_tables_come_from_the_feature_and_reward_tables():
    doc = CENASEnv.__doc__
    for feature in observation.V1:
        assert f"| {feature.meaning} | {feature.low:g} | {feature.high:g} |" in doc
    for name in ("v0", "cenas", "fixed-time", "target", "budget"):
        assert f"| ``{name}`` |" in doc
    low, high = observation.bounds(observation.V1, 6)
    env = gym.make("CENAS-v1")
    np.testing.assert_array_equal(env.observation_space.low, low)
    np.testing.assert_array_equal(env.observation_space.high, high)
    assert observation.markdown_table(observation.V0).splitlines()[2:5] == [
        "| 0 | intensity now / 500 gCO2eq/kWh | 0 | 10 |",
        "| 1 | where now lies between the trailing 7 days' min (0) and max (1) | 0 | 1 |",
        "| 2 .. 1+k | forecast of the next k hours / 500 (noisy forecasts may dip below 0) | -10 | 10 |",
    ]
