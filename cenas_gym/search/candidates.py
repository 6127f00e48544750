"""The queue of screened candidates waiting for a training GPU.

A training GPU takes the candidate dominated by the fewest others in the queue, on the
estimated objectives (estimated accuracy up, hardware cost down), ties first in, first out.
The queue holds at most a handful of cells and changes by one cell at a time, so each
member's dominator count is kept up to date on every append and pop (O(queue) each) instead
of being recounted (O(queue^2)) for every pop. Counts are integers: the order is exactly
the one a full recount gives (tested against brute force).
"""

from __future__ import annotations

import numpy as np


class CandidateQueue:
    """Screened cells in arrival order, with the number of queued cells dominating each.

    Args:
        est_acc_pct: estimated accuracy (percent) of every cell, indexed by NB201 index (an
            array, or a list of plain floats: read once per admitted cell, faster).
        cost: hardware cost of every cell, indexed likewise.
        cells: the list of queued cells to start from. It is kept (not copied) and updated
            in place, so it always shows the queue; change it only through this class.
    """

    def __init__(self, est_acc_pct: np.ndarray | list[float], cost: np.ndarray | list[float],
                 cells: list[int] | None = None) -> None:
        self._all_acc = est_acc_pct
        self._all_cost = cost
        self.cells: list[int] = [] if cells is None else cells
        self._acc: list[float] = []
        self._cost: list[float] = []
        self._dominators: list[int] = []
        for cell in self.cells:
            self._admit(cell)

    def __len__(self) -> int:
        return len(self.cells)

    def append(self, cell: int) -> None:
        """Queue a screened cell (last in line)."""
        self._admit(cell)
        self.cells.append(int(cell))

    def _admit(self, cell: int) -> None:
        """Count the dominance relations of a cell joining the queue."""
        acc, cost = float(self._all_acc[cell]), float(self._all_cost[cell])
        dominators = 0
        # "a dominates b": a at least as good in both objectives and better in one (the test of
        # cenas_gym.pareto.count_dominators, inlined here and below: this loop runs per screening)
        for i, (other_acc, other_cost) in enumerate(zip(self._acc, self._cost)):
            if other_acc >= acc and other_cost <= cost and (other_acc > acc or other_cost < cost):
                dominators += 1
            elif acc >= other_acc and cost <= other_cost and (acc > other_acc or cost < other_cost):
                self._dominators[i] += 1
        self._acc.append(acc)
        self._cost.append(cost)
        self._dominators.append(dominators)

    def pop_least_dominated(self) -> int:
        """Remove and return the cell dominated by the fewest others (ties: the oldest)."""
        if not self.cells:
            raise IndexError("pop from an empty candidate queue")
        i = self._dominators.index(min(self._dominators))
        cell = self.cells.pop(i)
        acc, cost = self._acc.pop(i), self._cost.pop(i)
        del self._dominators[i]
        for j, (other_acc, other_cost) in enumerate(zip(self._acc, self._cost)):
            if acc >= other_acc and cost <= other_cost and (acc > other_acc or cost < other_cost):
                self._dominators[j] -= 1
        return cell
