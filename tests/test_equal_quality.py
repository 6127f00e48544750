"""Equal-quality verdicts: the paired ratio, the target/budget headlines, attainment curves."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t

from cenas_gym.compare.grid import Grid
from cenas_gym.compare.stats import paired_ratio_ci
from cenas_gym.compare.summary import attainment, kg_to_level, summarize
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.sim.tasks import make_task


def test_paired_ratio_is_a_geometric_mean_with_a_t_interval_on_logs():
    ratio, lo, hi, n = paired_ratio_ci([2.0, 8.0, 5.0, np.nan], [1.0, 1.0, 0.0, 1.0])
    # pairs 3 (denominator 0) and 4 (NaN) are left out: ratios 2 and 8, geometric mean 4
    assert n == 2 and ratio == pytest.approx(4.0, rel=1e-12)
    sd = (math.log(8) - math.log(2)) / math.sqrt(2)
    half = t.ppf(0.975, 1) * sd / math.sqrt(2)
    assert lo == pytest.approx(4.0 * math.exp(-half), rel=1e-12)
    assert hi == pytest.approx(4.0 * math.exp(half), rel=1e-12)
    assert paired_ratio_ci([3.0], [2.0])[:2] == (1.5, pytest.approx(float("nan"), nan_ok=True))
    assert paired_ratio_ci([np.nan], [1.0])[3] == 0


def _frame(rows):
    base = {
        "trace": "T", "start": "2021-07-02T06:00Z", "carbon_budget_kg": np.nan, "hardware_metric": "raspi4_latency_ms",
        "accuracy_metric": "acc_cifar10_pct", "gpus": 8, "budget_hours": 160.0, "optimizer": "lamoo",
        "accounting": "default", "estimator": "oneshot", "energy_kwh": 1.0, "final_hv_normalized": 0.999,
        "hv_per_kg": 0.1, "hours": 10.0, "final_log10_regret": -2.8, "task": "target", "target_regret": 0.002,
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def test_target_headline_counts_misses_and_takes_the_ratio_over_pairs_that_both_reached():
    rows = []
    # heuristic reaches in all 4 seeds; vanilla misses seed 3; kg to target vanilla/heuristic = 2, 0.5, 1
    for seed, (h_kg, v_kg) in enumerate([(10.0, 20.0), (10.0, 5.0), (10.0, 10.0), (10.0, None)]):
        rows.append({"policy": "heuristic", "seed": seed, "reached_target": True, "kg_to_target": h_kg,
                     "hours_to_target": 50.0, "carbon_kg": h_kg})
        rows.append({"policy": "vanilla", "seed": seed, "reached_target": v_kg is not None,
                     "kg_to_target": np.nan if v_kg is None else v_kg,
                     "hours_to_target": np.nan if v_kg is None else 30.0, "carbon_kg": 40.0 if v_kg is None else v_kg})
    text = summarize(_frame(rows))
    assert "# Policy comparison: target task" in text
    line = next(x for x in text.splitlines() if x.startswith("| vanilla | 4 | 3/4"))
    ratio, lo, hi, n = paired_ratio_ci([20.0, 5.0, 10.0], [10.0, 10.0, 10.0])
    assert ratio == pytest.approx(1.0)  # (2 x 0.5 x 1)^(1/3)
    assert f"| {ratio:.3f} [{lo:.3f}, {hi:.3f}] | 3 | 1 / 0 / 0 |" in line
    assert "3/4 = 0.75" in line  # attainment with its Wilson interval follows
    assert "| heuristic | 4 | 4/4 = 1.00" in text
    assert "saturates within hours" in text  # why HV per kg is not a headline


def test_budget_headline_is_the_paired_log_regret_difference():
    rows = []
    for seed in range(3):
        rows.append({"policy": "heuristic", "seed": seed, "final_log10_regret": -2.0, "carbon_kg": 10.0})
        rows.append({"policy": "vanilla", "seed": seed, "final_log10_regret": -2.5 + 0.1 * seed, "carbon_kg": 10.0})
    frame = _frame(rows).assign(task="budget", carbon_budget_kg=10.0, target_regret=None)
    text = summarize(frame)
    assert "final log10 regret at equal carbon budget" in text
    # diffs -0.5, -0.4, -0.3: mean -0.4, half-width t(0.975, 2) x 0.1 / sqrt(3)
    half = t.ppf(0.975, 2) * 0.1 / math.sqrt(3)
    assert f"| -0.400 [{-0.4 - half:.3f}, {-0.4 + half:.3f}] |" in text


def _trajectory(regrets, kg, init_hv=0.97, init_kg=1.0):
    frame = pd.DataFrame({"regret": regrets, "cum_carbon_g": np.asarray(kg) * 1000.0})
    frame.attrs.update(init_hv_normalized=init_hv, init_carbon_g=init_kg * 1000.0, step_h=1.0)
    return frame


def test_kg_to_level_and_attainment_on_hand_made_trajectories():
    a = _trajectory([0.02, 0.004, 0.0015], [2.0, 3.0, 4.5])
    b = _trajectory([0.01, 0.003, 0.0025], [1.5, 2.5, 3.5])
    assert kg_to_level(a, 0.002) == 4.5 and kg_to_level(a, 0.004) == 3.0
    assert kg_to_level(b, 0.002) == math.inf  # never reached
    assert kg_to_level(a, 0.05) == 1.0  # the initial architectures already reach it (regret 0.03)
    shares = attainment([kg_to_level(a, 0.002), kg_to_level(b, 0.002)], [0.0, 4.4, 4.5, 100.0])
    np.testing.assert_array_equal(shares, [0.0, 0.0, 0.5, 0.5])


def test_grid_applies_its_task():
    grid = Grid(policies=("vanilla",), traces=("ES:2022",), config=SimConfig(budget_hours=6.0),
                task=make_task("target", hours=12.0, target_regret=0.01))
    config = grid.runs()[0].config
    assert config.target_regret == 0.01 and config.budget_hours == 12.0 and config.carbon_budget_g is None
    assert Grid(policies=("vanilla",), traces=("ES:2022",), config=SimConfig(budget_hours=6.0)).task.name == "fixed-time"
