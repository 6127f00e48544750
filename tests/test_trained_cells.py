"""TrainedCells answers what the plain functions answer, for any node (subset) of the trained cells."""

import numpy as np
import pytest

from cenas_gym.search.nasbench import ArchTable
from cenas_gym.search.pareto import Objectives, count_dominators, hypervolume
from cenas_gym.search.svm import kernel_index
from cenas_gym.search.trained_cells import TrainedCells


@pytest.mark.parametrize("kernel,encoding", [("poly", "onehot"), ("poly", "ordinal"), ("rbf", "ordinal")])
def test_node_queries_equal_the_plain_computation(kernel, encoding):
    table = ArchTable.load()
    objectives = Objectives()
    acc, cost = objectives.values(table)
    ref = objectives.reference_point(table)
    ops = table.ops.astype(np.int64)
    rng = np.random.default_rng(0)
    cells = TrainedCells(ops, acc, cost, ref, kernel, encoding)
    order = rng.choice(acc.size, size=300, replace=False)
    for batch in np.array_split(order, 7):  # grows past its first capacity
        cells.add(batch)
        n = cells.n
        for pos in (np.arange(n), np.sort(rng.choice(n, size=n // 2, replace=False))):
            idx = order[pos]
            assert np.array_equal(cells.cells[pos], idx)
            assert np.array_equal(cells.dominator_counts(pos), count_dominators(acc[idx], cost[idx]))
            assert np.array_equal(cells.kernel_index(pos), kernel_index(ops[idx], ops[idx], kernel, encoding))
            assert cells.hypervolume(pos) == hypervolume(acc[idx], cost[idx], *ref)  # bit for bit


def test_lamoo_gamma_equals_svc_scale_gamma_bit_for_bit():
    """LaMOO's gamma "scale" on one-hot rows (summed square deviations) is x.var()'s."""
    from cenas_gym.search.lamoo import LaMOO, feature_table
    from cenas_gym.search.svm import gamma_of

    table = ArchTable.load()
    objectives = Objectives()
    lamoo = LaMOO(table, max_hv=1.0, ref_point=objectives.reference_point(table))
    features = feature_table(table, "onehot")
    rng = np.random.default_rng(3)
    for size in list(range(1, 40)) + [63, 64, 65, 127, 128, 129, 300, 1000, 4000]:
        idx = rng.choice(table.ops.shape[0], size=size, replace=False)
        assert lamoo._gamma(idx, table.ops[idx]) == gamma_of(features[idx], "scale")
