"""The trained cells of one LaMOO search, and what every refit of its tree asks about them.

LaMOO refits its partition tree each time results arrive, on node samples that are subsets
of the trained cells (in order of arrival). Each refit needs, per node, the dominance counts
of its samples, the kernel between every two of them and the hypervolume of the node. The
pairwise parts change only by the rows of the new cells, so :class:`TrainedCells` keeps them
for the whole search (one byte per pair each: 2 x 300^2 bytes for 300 trained cells) and a
node reads its sub-matrix instead of recomputing it.

Every number equals what the plain computation gives (tested through LaMOO's proposals):
dominance counts are integers, kernel indices are exact integers
(:func:`cenas_gym.svm.kernel_index`), and a node's hypervolume is
:func:`cenas_gym.pareto.hypervolume`'s sweep over the same points in the same order (the
order of a node's points is the restriction of one stable sort of all trained points).
"""

from __future__ import annotations

import numpy as np

from cenas_gym.search.svm import kernel_index


class TrainedCells:
    """Trained cells in order of arrival, with pairwise kernel indices and dominance.

    Args:
        ops: (cells, edges) op codes of every cell of the table.
        acc_pct: true accuracy (percent, maximised) of every cell.
        cost: hardware cost (minimised) of every cell.
        ref_point: the hypervolume reference ``(acc_pct, cost)``.
        kernel, encoding: the SVMs' kernel and encoding (what the kernel index counts).
    """

    def __init__(
        self,
        ops: np.ndarray,
        acc_pct: np.ndarray,
        cost: np.ndarray,
        ref_point: tuple[float, float],
        kernel: str,
        encoding: str,
    ) -> None:
        self._ops, self._all_acc, self._all_cost = ops, acc_pct, cost
        self._ref_acc, self._ref_cost = float(ref_point[0]), float(ref_point[1])
        self._kernel, self._encoding = kernel, encoding
        self.n = 0
        self.cells = np.empty(0, dtype=np.int64)  # NB201 indices, in order of arrival
        self._index = np.empty((0, 0), dtype=np.uint8)  # kernel index between trained cells
        self._dominates = np.empty((0, 0), dtype=bool)  # [i, j]: cell j dominates cell i
        self._root_counts = np.empty(0, dtype=np.int64)  # per trained cell: trained cells dominating it
        self._sorted: np.ndarray | None = None  # positions in hypervolume sweep order

    def add(self, cells: np.ndarray) -> None:
        """Append newly trained cells (NB201 indices)."""
        new = np.asarray(cells, dtype=np.int64)
        if new.size == 0:
            return
        n0, n1 = self.n, self.n + new.size
        if n1 > self._index.shape[0]:
            capacity = max(64, 2 * n1)
            for name in ("_index", "_dominates"):
                old = getattr(self, name)
                grown = np.zeros((capacity, capacity), dtype=old.dtype)
                grown[:n0, :n0] = old[:n0, :n0]
                setattr(self, name, grown)
            grown_cells = np.empty(capacity, dtype=np.int64)
            grown_cells[:n0] = self.cells[:n0]
            self.cells = grown_cells
        self.cells[n0:n1] = new
        every = self.cells[:n1]
        index = kernel_index(self._ops[new], self._ops[every], self._kernel, self._encoding)
        self._index[n0:n1, :n1] = index
        self._index[:n1, n0:n1] = index.T
        acc, cost = self._all_acc[every], self._all_cost[every]
        a, c = acc[n0:n1, None], cost[n0:n1, None]  # the new cells as rows
        # "j dominates i": at least as good in both objectives, better in one (as count_dominators)
        self._dominates[n0:n1, :n1] = (acc >= a) & (cost <= c) & ((acc > a) | (cost < c))
        self._dominates[:n1, n0:n1] = ((a >= acc) & (c <= cost) & ((a > acc) | (c < cost))).T
        # the root's dominator counts, kept up to date: new rows counted, old rows incremented
        counts = np.zeros(self._dominates.shape[0], dtype=np.int64)
        counts[:n0] = self._root_counts[:n0] + np.count_nonzero(self._dominates[:n0, n0:n1], axis=1)
        counts[n0:n1] = np.count_nonzero(self._dominates[n0:n1, :n1], axis=1)
        self._root_counts = counts
        self.n = n1
        self._sorted = None

    def kernel_index(self, pos: np.ndarray) -> np.ndarray:
        """(len, len) kernel indices between the trained cells at positions ``pos``."""
        if pos.size == self.n:  # the root: every trained cell, in order
            return self._index[: self.n, : self.n]
        return self._index[pos][:, pos]  # (np.ix_ gathers the same, 5x slower)

    def dominator_counts(self, pos: np.ndarray) -> np.ndarray:
        """For each cell at ``pos``, how many of the cells at ``pos`` dominate it."""
        if pos.size == self.n:
            return self._root_counts[: self.n].copy()
        return np.count_nonzero(self._dominates[pos][:, pos], axis=1)

    def hypervolume(self, pos: np.ndarray) -> float:
        """Hypervolume (percent x cost unit) of the cells at ``pos`` (increasing positions)."""
        if self._sorted is None:
            every = self.cells[: self.n]
            acc, cost = self._all_acc[every], self._all_cost[every]
            self._kept = (acc > self._ref_acc) & (cost < self._ref_cost)
            self._sorted = np.lexsort((cost, -acc))  # most accurate first, then cheapest
            self._rank = np.empty(self.n, dtype=np.int64)
            self._rank[self._sorted] = np.arange(self.n)
        pos = pos[self._kept[pos]]
        if pos.size == 0:
            return 0.0
        cells = self.cells[self._sorted[np.sort(self._rank[pos])]]
        acc, cost = self._all_acc[cells], self._all_cost[cells]
        # the sweep of cenas_gym.pareto.hypervolume, on the same points in the same order
        prev_min = np.minimum.accumulate(np.concatenate(([self._ref_cost], cost)))[:-1]
        widths = np.maximum(prev_min - cost, 0.0)
        return float(np.sum(widths * (acc - self._ref_acc)))
