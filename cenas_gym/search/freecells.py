"""The cells a search has not touched yet (never trained, queued nor screened).

The simulator takes a few cells every step and the optimizers draw among the rest by rank:
"the k-th free cell in index order". A scan of the whole mask (15,625 cells on NAS-Bench-201)
answers that in ~10 us per call, as long as a step of the simulator. :class:`FreeCells` keeps
the taken cells in a sorted list as well, so that the k-th free cell is a binary search:
``cell = k + #{i : taken_i - i <= k}`` (``taken_i - i`` is the number of free cells below the
i-th taken cell). The answers are the integers the scan gives (tested).
"""

from __future__ import annotations

from bisect import insort

import numpy as np

#: Up to this many ranks per query are looked up one by one in Python (cheaper than numpy).
FEW_RANKS = 16


class FreeCells:
    """A mask of the free cells plus the sorted list of the taken ones.

    Args:
        size: number of cells (all free at the start).
    """

    def __init__(self, size: int) -> None:
        self.mask = np.ones(size, dtype=bool)  # True: free. Change it only through take().
        self._taken: list[int] = []  # sorted
        self._free_below: np.ndarray | None = None  # taken_i - i as an array; None: stale
        self._cells: np.ndarray | None = None  # the free cells in index order; None: stale

    def __len__(self) -> int:
        return self.mask.size - len(self._taken)

    def take(self, cell: int) -> None:
        """Mark a cell as taken (taking a taken cell again changes nothing)."""
        cell = int(cell)
        if self.mask[cell]:
            self.mask[cell] = False
            insort(self._taken, cell)
            self._free_below = self._cells = None

    def take_many(self, cells: np.ndarray) -> None:
        """Mark cells as taken."""
        for cell in np.asarray(cells, dtype=np.int64).tolist():
            self.take(cell)

    def nth_one(self, rank: int) -> int:
        """The free cell of one rank (0: the free cell of lowest index)."""
        taken = self._taken
        lo, hi = 0, len(taken)
        while lo < hi:  # the number of taken cells i with taken_i - i <= rank
            mid = (lo + hi) // 2
            if taken[mid] - mid <= rank:
                lo = mid + 1
            else:
                hi = mid
        return rank + lo

    def nth(self, ranks: np.ndarray) -> np.ndarray:
        """The free cells of the given ranks (1-D), as int64."""
        ranks = np.asarray(ranks, dtype=np.int64)
        if ranks.size <= FEW_RANKS:
            return np.array([self.nth_one(rank) for rank in ranks.tolist()], dtype=np.int64)
        if self._free_below is None:
            self._free_below = np.array(self._taken, dtype=np.int64) - np.arange(len(self._taken))
        return ranks + np.searchsorted(self._free_below, ranks, side="right")

    def cells(self) -> np.ndarray:
        """All free cells, in index order (read-only; kept until the next take)."""
        if self._cells is None:
            self._cells = np.flatnonzero(self.mask)
            self._cells.flags.writeable = False
        return self._cells


def draw(rng: np.random.Generator, free: FreeCells, n: int) -> np.ndarray:
    """``rng.choice(free cells, size=n, replace=False)`` for ``0 < n <= len(free)``, by rank.
    One cell is drawn as ``rng.integers(len(free))``: the single bounded draw choice makes
    then (Floyd's algorithm, no shuffle; tested), five times faster."""
    if n == 1:
        return np.array([free.nth_one(int(rng.integers(len(free))))], dtype=np.int64)
    return free.nth(rng.choice(len(free), size=n, replace=False))


def as_free_cells(available: FreeCells | np.ndarray) -> FreeCells:
    """``available`` itself, or a :class:`FreeCells` built from a boolean mask (True: free)."""
    if isinstance(available, FreeCells):
        return available
    mask = np.asarray(available, dtype=bool)
    free = FreeCells(mask.size)
    free.mask[:] = mask
    free._taken = np.flatnonzero(~mask).tolist()
    return free
