"""Hypervolume and Pareto helpers: exact values, the CE-NAS authors' reference numbers."""

import json
from pathlib import Path

import numpy as np
import pytest

from cenas_gym.search.pareto import (
    HypervolumeTracker,
    dominance_counts,
    hypervolume,
    hypervolume_pymoo,
    pareto_mask,
)

# The CE-NAS reference values, copied from ../shared/data/nasbench201/cenas_reference_hypervolume.json
# (cake-lab/CE-NAS @ 7a2ad3e9 results/rl/0_T40.pth) so the test runs without shared/.
REFERENCE_FILE = Path(__file__).parent / "data" / "cenas_reference_hypervolume.json"


def test_hypervolume_of_hand_computed_staircase():
    # points (acc, cost): (90, 10), (80, 5); reference (0, 20)
    # slab of (90,10): width 20-10=10, height 90 -> 900; slab of (80,5): width 10-5=5, height 80 -> 400
    assert hypervolume([90, 80], [10, 5], 0.0, 20.0) == pytest.approx(1300.0, abs=1e-12)


def test_points_beyond_the_reference_add_nothing():
    assert hypervolume([90, 50], [25, 30], 0.0, 20.0) == 0.0
    assert hypervolume([90, -5], [10, 1], 0.0, 20.0) == pytest.approx(900.0)


def test_dominated_and_duplicate_points_do_not_change_hypervolume():
    base = hypervolume([90, 80], [10, 5], 0.0, 20.0)
    assert hypervolume([90, 80, 70, 90], [10, 5, 12, 10], 0.0, 20.0) == pytest.approx(base)


@pytest.mark.parametrize("step", ["0", "1"])
def test_reproduces_cenas_authors_hypervolume(step):
    ref = json.loads(REFERENCE_FILE.read_text())
    ref_acc, ref_negenergy = ref["reference_point_acc_negenergy"]
    pts = np.array(ref["steps"][step]["objectives_acc_pct_negenergy_mj"])
    ours = hypervolume(pts[:, 0], -pts[:, 1], ref_acc, -ref_negenergy)
    assert ours == pytest.approx(ref["steps"][step]["hypervolume"], abs=1e-3)
    assert hypervolume_pymoo(pts[:, 0], -pts[:, 1], ref_acc, -ref_negenergy) == pytest.approx(ours, abs=1e-9)


def test_sweep_matches_pymoo_on_random_sets():
    rng = np.random.default_rng(0)
    for _ in range(20):
        acc = rng.uniform(10, 95, size=50)
        cost = rng.uniform(1, 40, size=50)
        assert hypervolume(acc, cost, 0.0, 45.0) == pytest.approx(hypervolume_pymoo(acc, cost, 0.0, 45.0), rel=1e-12)


def test_pareto_mask_and_dominance_counts():
    acc = np.array([90.0, 80.0, 70.0, 85.0, 90.0])
    cost = np.array([10.0, 5.0, 12.0, 11.0, 10.0])
    assert pareto_mask(acc, cost).tolist() == [True, True, False, False, True]
    # (70,12) is dominated by (90,10) twice, (80,5)?, no: 80>70 and 5<12 -> yes, and (85,11) -> 4
    assert dominance_counts(acc, cost).tolist() == [0, 0, 4, 2, 0]


def test_incremental_tracker_equals_batch_hypervolume():
    rng = np.random.default_rng(1)
    acc = rng.uniform(10, 95, size=200)
    cost = rng.uniform(1, 40, size=200)
    tracker = HypervolumeTracker(0.0, 45.0)
    for i in range(0, 200, 7):
        value = tracker.add(acc[i : i + 7], cost[i : i + 7])
        assert value == pytest.approx(hypervolume(acc[: i + 7], cost[: i + 7], 0.0, 45.0), rel=1e-12)
