"""LaMOO: exact SVM regions over the whole space, regions that are better than the space,
and a search that beats random search at equal numbers of trained architectures."""

from __future__ import annotations

import numpy as np
import pytest

from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.search.lamoo import LaMOO, LamooConfig
from cenas_gym.search.nasbench import ArchTable
from cenas_gym.search.optimizers import make_optimizer
from cenas_gym.search.pareto import Objectives, hypervolume, pareto_mask
from cenas_gym.sim.simulator import SimConfig, Simulator

N_ARCHS = 15625


@pytest.fixture(scope="module")
def table() -> ArchTable:
    return ArchTable.load()


@pytest.fixture(scope="module")
def objectives(table):
    obj = Objectives()
    acc, cost = obj.values(table)
    return acc, cost, obj.reference_point(table), obj.max_hypervolume(table)


@pytest.fixture(scope="module")
def cal_trace() -> CarbonTrace:
    return CarbonTrace.load("US-CAL-CISO:2021").window("2021-07-02T06:00Z", 80)


def new_lamoo(table, objectives, seed, config=None) -> LaMOO:
    acc, cost, ref, max_hv = objectives
    lm = LaMOO(table, max_hv=max_hv, ref_point=ref, config=config)
    lm.reset(acc, cost, np.random.default_rng(seed))
    return lm


# ---------------------------------------------------------------------- the region
N_REGION_SEEDS = 20
N_OBSERVED = 80


@pytest.fixture(scope="module")
def region_stats(table, objectives):
    """Per seed, after observing N_OBSERVED random trained architectures: mean true accuracy,
    mean cost and Pareto-front share inside (a) the selected region, (b) the good side of
    the root split; plus the whole table's values."""
    acc, cost, _, _ = objectives
    front = pareto_mask(acc, cost)
    rows = []
    for seed in range(N_REGION_SEEDS):
        rng = np.random.default_rng(1000 + seed)
        lm = new_lamoo(table, objectives, seed)
        lm.observe(rng.choice(N_ARCHS, size=N_OBSERVED, replace=False))
        region = lm.region_mask()
        path = lm.region_path()
        assert path, "80 samples must split at least once"
        root_good = lm.root.svm.side(table.ops) == 1
        rows.append(
            dict(
                region_acc=acc[region].mean(),
                region_cost=cost[region].mean(),
                region_front=front[region].mean(),
                region_share=region.mean(),
                good_acc=acc[root_good].mean(),
                good_cost=cost[root_good].mean(),
            )
        )
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    mean.update(all_acc=float(acc.mean()), all_cost=float(cost.mean()), all_front=float(front.mean()))
    return mean


def test_selected_region_is_cheaper_and_denser_in_pareto_points(region_stats):
    s = region_stats
    assert 0.0 < s["region_share"] < 0.5
    assert s["region_cost"] < 0.9 * s["all_cost"]
    # Pareto-optimal architectures are at least twice as frequent inside the region
    assert s["region_front"] > 2.0 * s["all_front"]


def test_root_good_side_is_more_accurate_and_cheaper(region_stats):
    """The first split (depth 1): the good side beats the whole space in both objectives."""
    s = region_stats
    assert s["good_acc"] > s["all_acc"]
    assert s["good_cost"] < s["all_cost"]


@pytest.mark.xfail(
    strict=True,
    reason=(
        "observed, not assumed: the default selected leaf (poly kernel, max_depth 3, 'leaf' "
        "selection) is cheaper than the space but its mean true accuracy is LOWER "
        "(about 86.6 % vs 87.06 % over 20 seeds x 80 observed): the leaf with the best "
        "hypervolume sits in the cheap part of the front, where accuracy is lower. Only the "
        "depth-1 good side beats the space in both objectives (see the test above)."
    ),
)
def test_selected_region_more_accurate_and_cheaper_than_space(region_stats):
    s = region_stats
    assert s["region_acc"] > s["all_acc"] and s["region_cost"] < s["all_cost"]


# ---------------------------------------------------------------------- LaMOO vs random
def _trained_lists(trace, optimizer, seeds, hours):
    out = []
    for seed in seeds:
        cfg = SimConfig(n_gpus=8, budget_hours=hours, optimizer=optimizer)
        sim = Simulator(cfg, trace, np.random.default_rng(seed))
        while not sim.done:
            sim.step(8)
        out.append(sim.trained)
    return out


def _hv_at(objectives, trained_lists, n):
    acc, cost, ref, max_hv = objectives
    return np.array([hypervolume(acc[t[:n]], cost[t[:n]], *ref) / max_hv for t in trained_lists])


def _compare(objectives, trace, seeds, hours, n):
    lamoo = _trained_lists(trace, "lamoo", seeds, hours)
    rand = _trained_lists(trace, "random", seeds, hours)
    assert min(len(t) for t in lamoo + rand) >= n
    # same seed, same initial architectures: a paired comparison
    for a, b in zip(lamoo, rand):
        assert a[:10] == b[:10]
    return _hv_at(objectives, lamoo, n), _hv_at(objectives, rand, n)


def test_lamoo_beats_random_at_equal_trained(objectives, cal_trace):
    """10 seeds, 30 h on 8 training GPUs: normalised HV of the first 120 trained."""
    hv_lamoo, hv_random = _compare(objectives, cal_trace, range(10), 30, 120)
    assert hv_lamoo.mean() > hv_random.mean()
    assert (hv_lamoo > hv_random).sum() >= 6


@pytest.mark.slow
def test_lamoo_beats_random_at_equal_trained_long(objectives, cal_trace):
    """10 seeds, 80 h on 8 training GPUs: normalised HV of the first 300 trained."""
    hv_lamoo, hv_random = _compare(objectives, cal_trace, range(10), 80, 300)
    diff = hv_lamoo - hv_random
    assert diff.mean() > 0
    assert diff.mean() > 2 * diff.std(ddof=1) / np.sqrt(diff.size)  # about 2 standard errors


# ---------------------------------------------------------------------- proposals
@pytest.mark.parametrize("config", [LamooConfig(), LamooConfig(select="mcts", kernel="rbf")])
def test_proposals_available_and_distinct(table, objectives, config):
    rng = np.random.default_rng(3)
    lm = new_lamoo(table, objectives, 4, config)
    available = rng.random(N_ARCHS) < 0.6
    # before anything is observed: uniform over the available cells
    p = lm.propose(50, available)
    assert p.size == 50 and len(set(p.tolist())) == 50 and available[p].all()
    lm.observe(rng.choice(N_ARCHS, size=60, replace=False))
    for n in (1, 10, 500, 5000):  # 5000 exceeds the region: the rest from outside it
        p = lm.propose(n, available)
        assert p.size == n and len(set(p.tolist())) == n and available[p].all()
    inside = lm.region_mask()
    small = lm.propose(5, available)
    assert inside[small].all()  # while the region has room, proposals lie inside it
    # more than available: all of them, once each
    few = np.zeros(N_ARCHS, dtype=bool)
    few[[3, 99, 15000]] = True
    assert sorted(lm.propose(10, few).tolist()) == [3, 99, 15000]
    assert lm.propose(0, available).size == 0
    assert lm.propose(5, np.zeros(N_ARCHS, dtype=bool)).size == 0


def test_refit_after_observe(table, objectives):
    lm = new_lamoo(table, objectives, 0)
    assert lm.region_path() == [] and lm.region_mask().all()
    rng = np.random.default_rng(0)
    lm.observe(rng.choice(N_ARCHS, size=40, replace=False))
    first = lm.region_path()
    assert first and lm.region_path() is first  # cached until new results arrive
    lm.observe(rng.choice(N_ARCHS, size=5, replace=False))
    assert lm.region_path() is not first


# ---------------------------------------------------------------------- configuration
@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"select": "greedy"}, "select"),
        ({"kernel": "cubic"}, "kernel"),
        ({"min_split": 1}, "min_split"),
        ({"max_depth": -1}, "max_depth"),
        ({"cp_fraction": -0.1}, "cp_fraction"),
    ],
)
def test_bad_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LamooConfig(**kwargs)


def test_make_optimizer_validates(table, objectives):
    _, _, ref, max_hv = objectives
    with pytest.raises(ValueError, match="only apply to optimizer='lamoo'"):
        make_optimizer("random", table, max_hv, ref, kernel="rbf")
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("bayes", table, max_hv, ref)
    with pytest.raises(ValueError, match="select"):
        make_optimizer("lamoo", table, max_hv, ref, select="top")
