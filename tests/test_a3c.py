"""The CE-NAS authors' A3C agent (``a3c-cenas``): their state, action mapping and reward on
hand-made numbers, the HV-freeze fix, reproducibility, and a clear error without torch."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("torch")

from cenas_gym.policies.a3c import A3CCenasPolicy, a3c_reward, a3c_state, n_train_of_action  # noqa: E402
from cenas_gym.carbon.trace import CarbonTrace  # noqa: E402
from cenas_gym.policies.play import run_policy  # noqa: E402
from cenas_gym.policies.play import make_policy  # noqa: E402
from cenas_gym.policies.rules import EpisodeContext  # noqa: E402
from cenas_gym.sim.simulator import SimConfig  # noqa: E402

FIXED = "2021-07-02T06:00Z"


def test_action_mapping_is_the_authors_1_to_7_of_8_gpus():
    # cenas_RL.py: vanilla_rate = min(a, 9) / 10; max(int(8 x rate), 1) training GPUs
    assert [n_train_of_action(a, 8) for a in range(10)] == [1, 1, 1, 2, 3, 4, 4, 5, 6, 7]
    assert [n_train_of_action(a, 4) for a in range(10)] == [1, 1, 1, 1, 1, 2, 2, 2, 3, 3]


def test_state_features_on_a_hand_made_case():
    # step 9 of 80 (authors' cur_time 10): remaining 70 / 40; intensity 250 in [100, 300]
    state = a3c_state(step=9, n_steps=80, intensity=250.0, c_min=100.0, c_max=300.0, hv_normalized=0.95, n_trained=37)
    np.testing.assert_array_equal(state, np.array([70 / 40, 0.75 - 0.5, 0.95, 37.0], dtype=np.float32))
    assert a3c_state(0, 80, 5.0, 5.0, 5.0, 0.9, 10)[1] == -0.5  # flat trace: no division by zero


def test_reward_on_a_hand_made_case():
    # step 0 of 80: cur_step = 40 - 79 = -39, ratio = -39/40 x 0.8 + 0.8 = 0.02
    r = a3c_reward(step=0, n_steps=80, hv_gain_normalized=0.01, carbon_g=800.0, n_gpus=8, c_max=400.0, n_trained_step=3)
    assert r == pytest.approx(20 * 0.01 * 0.02 - (800 / 8) * (2 / 400) + 0.05 * 3)
    # the last step: ratio 1.6
    r = a3c_reward(step=79, n_steps=80, hv_gain_normalized=0.01, carbon_g=0.0, n_gpus=8, c_max=400.0, n_trained_step=0)
    assert r == pytest.approx(20 * 0.01 * 1.6)


def _ctx(values, start=0, n_steps=None):
    values = np.asarray(values, dtype=float)
    return EpisodeContext(8, values, start, len(values) - start if n_steps is None else n_steps, 3600)


def test_hv_feature_follows_the_current_hv_not_the_initial_one():
    """The authors' main_loop passes cur_hv=hv, the initial HV, every hour (HV freeze); here
    the state's HV feature is the HV the info dict reports."""
    policy = make_policy("a3c-cenas")
    policy.reset(_ctx([200.0] * 5), np.random.default_rng(0))
    record = {"carbon_g": 100.0, "n_trained_step": 1}
    policy.act(None, {"step": 0, "hv_normalized": 0.90, "n_trained": 10})
    assert policy._pending[0][0, 2].item() == pytest.approx(0.90)
    policy.act(None, {"step": 1, "hv_normalized": 0.97, "n_trained": 11, **record})
    assert policy._pending[0][0, 2].item() == pytest.approx(0.97)
    assert len(policy.rewards) == 1  # learned from the first hour's transition


def test_same_seed_same_numbers_and_actions_in_range():
    trace = CarbonTrace.load("US-CAL-CISO:2021")
    config = SimConfig(optimizer="random", budget_hours=40, accounting="cenas")
    runs = [run_policy(make_policy("a3c-cenas"), config, trace, seed, FIXED) for seed in (3, 3, 4)]
    a, b, c = ([r["gpus_train"] for r in sim.history] for sim in runs)
    assert a == b and runs[0].history == runs[1].history
    assert a != c
    assert set(a) <= set(range(1, 8)) and set(c) <= set(range(1, 8))


def test_learning_changes_the_actor():
    import torch

    policy = A3CCenasPolicy()
    policy.reset(_ctx([100.0, 300.0, 200.0, 250.0]), np.random.default_rng(1))
    before = [p.detach().clone() for p in policy.actor.parameters()]
    info = {"step": 0, "hv_normalized": 0.9, "n_trained": 10}
    policy.act(None, info)
    policy.act(None, {"step": 1, "hv_normalized": 0.95, "n_trained": 12, "carbon_g": 500.0, "n_trained_step": 2})
    after = list(policy.actor.parameters())
    assert any(not torch.equal(x, y) for x, y in zip(before, after))


def test_clear_error_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    with pytest.raises(ImportError, match=r"a3c-cenas.*cenas-gym\[rl\]"):
        make_policy("a3c-cenas").reset(_ctx([100.0, 200.0]), np.random.default_rng(0))
