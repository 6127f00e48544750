"""Pareto fronts and hypervolume over (accuracy, maximised; hardware cost, minimised).

All functions take accuracy in percent (``acc_pct``) and a hardware cost in the unit of the
chosen metric (``cost``: ms for latencies, mJ for energies). Hypervolume (HV) is the area,
in ``percent x cost-unit``, dominated by a set of points and bounded by a reference point
``(ref_acc_pct, ref_cost)``: a point only counts where it is better than the reference in
both objectives.

The package's reference point (see :class:`Objectives`) is ``(0 %, max cost over the whole
NAS-Bench-201 table)``: every architecture that is not the slowest one adds area, and the
value is fixed for a given metric. Hypervolume is reported raw and normalised by the HV of
the table's true Pareto front, so 1.0 means the best front that exists was found.

The 2-D routine here is an exact sweep (O(n log n)); :func:`hypervolume_pymoo` computes the
same number with pymoo's indicator and is used by the tests to cross-check it.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from cenas_gym.search.nasbench import ArchTable


def _as_arrays(acc_pct: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    acc = np.asarray(acc_pct, dtype=np.float64).ravel()
    c = np.asarray(cost, dtype=np.float64).ravel()
    if acc.shape != c.shape:
        raise ValueError(f"acc_pct has {acc.size} values but cost has {c.size}")
    if np.isnan(acc).any() or np.isnan(c).any():
        raise ValueError("objective values contain NaN")
    return acc, c


def pareto_mask(acc_pct: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated points (duplicates of a front point all count).

    A point is dominated when another is at least as accurate and at most as costly, and
    strictly better in one of the two.
    """
    acc, c = _as_arrays(acc_pct, cost)
    mask = np.zeros(acc.size, dtype=bool)
    if acc.size:
        mask[_front_in_sweep_order(acc.tolist(), c.tolist(), _sweep_order(acc, c))] = True
    return mask


def _sweep_order(acc: np.ndarray, c: np.ndarray) -> list[int]:
    """Indices by accuracy descending, then cost ascending (ties: index order)."""
    return np.lexsort((c, -acc)).tolist()


def _front_in_sweep_order(acc: list[float], c: list[float], order: list[int]) -> list[int]:
    """The non-dominated points' indices, in sweep ``order`` (:func:`_sweep_order`): a point
    is on the front when it is cheaper than every more accurate one, or an exact duplicate of
    the front point that last lowered the cost. Plain floats: a numpy scalar comparison costs
    several times more."""
    front: list[int] = []
    best_cost = best_acc = math.inf
    for i in order:
        ci = c[i]
        if ci < best_cost:
            front.append(i)
            best_cost = ci
            best_acc = acc[i]
        elif ci == best_cost and acc[i] == best_acc:
            front.append(i)  # an exact duplicate of a front point
    return front


def dominance_counts(acc_pct: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """For each point, how many points of the set dominate it (0 = on the front)."""
    return count_dominators(*_as_arrays(acc_pct, cost))


def count_dominators(acc: np.ndarray, c: np.ndarray) -> np.ndarray:
    """:func:`dominance_counts` without input checks, for LaMOO's refits: ``acc`` and ``c``
    must be 1-D float64 arrays of equal length without NaN."""
    ge_acc = acc[None, :] >= acc[:, None]
    le_cost = c[None, :] <= c[:, None]
    strict = (acc[None, :] > acc[:, None]) | (c[None, :] < c[:, None])
    return (ge_acc & le_cost & strict).sum(axis=1)


def hypervolume(acc_pct: np.ndarray, cost: np.ndarray, ref_acc_pct: float, ref_cost: float) -> float:
    """Exact 2-D hypervolume (percent x cost-unit) of a set of points against a reference.

    Points no better than the reference in both objectives add nothing.
    """
    acc, c = _as_arrays(acc_pct, cost)
    keep = (acc > ref_acc_pct) & (c < ref_cost)
    if not keep.any():
        return 0.0
    acc, c = acc[keep], c[keep]
    order = np.lexsort((c, -acc))  # sweep from the most accurate point down
    acc, c = acc[order], c[order]
    # Each point adds a slab from its accuracy down to the reference, as wide as the cost it
    # saves over the cheapest point seen so far (the running minimum of cost).
    prev_min = np.minimum.accumulate(np.concatenate(([ref_cost], c)))[:-1]
    widths = np.maximum(prev_min - c, 0.0)
    return float(np.sum(widths * (acc - ref_acc_pct)))


def _front_hypervolume(acc: list[float], c: list[float], ref_acc_pct: float, ref_cost: float) -> float:
    """:func:`hypervolume` of points already in sweep order (accuracy descending, then cost
    ascending), as plain floats: the same slabs, computed with the same operations, summed by
    ``np.sum`` in the same order, so the same float."""
    slabs: list[float] = []
    prev_min = ref_cost
    for a, ci in zip(acc, c):
        if a > ref_acc_pct and ci < ref_cost:
            width = prev_min - ci
            slabs.append((width if width > 0.0 else 0.0) * (a - ref_acc_pct))
            if ci < prev_min:
                prev_min = ci
    return float(np.sum(np.array(slabs))) if slabs else 0.0


def hypervolume_pymoo(acc_pct: np.ndarray, cost: np.ndarray, ref_acc_pct: float, ref_cost: float) -> float:
    """The same hypervolume computed by pymoo's ``HV`` indicator (minimisation form)."""
    from pymoo.indicators.hv import HV

    acc, c = _as_arrays(acc_pct, cost)
    keep = (acc > ref_acc_pct) & (c < ref_cost)
    if not keep.any():
        return 0.0
    points = np.column_stack((-acc[keep], c[keep]))
    return float(HV(ref_point=np.array([-ref_acc_pct, ref_cost]))(points))


@dataclass(frozen=True)
class Objectives:
    """Which table columns are the two objectives, and the HV reference point.

    Attributes:
        accuracy: accuracy column (percent, maximised). Default: CIFAR-10 200-epoch test
            accuracy.
        cost: hardware-cost column (minimised). Default: HW-NAS-Bench Raspberry Pi 4
            latency in ms, the offline stand-in for the paper's edge-GPU energy (the
            closest in rank to it; see the data SOURCES).
        ref_acc_pct: reference accuracy (percent); 0 as in the CE-NAS code.
        ref_cost: reference cost; ``None`` means the maximum of the cost column over the
            whole table, so that every architecture but the costliest can add area.
    """

    accuracy: str = "acc_cifar10_pct"
    cost: str = "raspi4_latency_ms"
    ref_acc_pct: float = 0.0
    ref_cost: float | None = None

    def reference_point(self, table: ArchTable) -> tuple[float, float]:
        """The reference point ``(acc_pct, cost)`` used for this table."""
        if self.ref_cost is not None:
            return (float(self.ref_acc_pct), float(self.ref_cost))
        return (float(self.ref_acc_pct), float(np.nanmax(table.column(self.cost))))

    def values(self, table: ArchTable) -> tuple[np.ndarray, np.ndarray]:
        """(accuracy, cost) arrays over the whole table, indexed by NB201 index."""
        acc = table.column(self.accuracy)
        cost = table.column(self.cost)
        missing = np.isnan(acc) | np.isnan(cost)
        if missing.any():
            raise ValueError(
                f"objectives ({self.accuracy!r}, {self.cost!r}) have NaN for "
                f"{int(missing.sum())} architectures, e.g. NB201 index {int(np.flatnonzero(missing)[0])}"
            )
        return acc, cost

    def max_hypervolume(self, table: ArchTable) -> float:
        """HV of the table's true Pareto front: the best any search can reach."""
        acc, cost = self.values(table)
        ref_acc, ref_cost = self.reference_point(table)
        return hypervolume(acc, cost, ref_acc, ref_cost)


class HypervolumeTracker:
    """Hypervolume of a growing set of points, updated incrementally.

    Only the current Pareto front is kept, in sweep order (accuracy descending, then cost
    ascending: along a front, cost descending too), as plain floats: the front holds a few
    dozen points and changes a little at a time, where each numpy call would cost about a
    microsecond. A point that the front dominates costs one binary search and leaves the
    value unchanged. The value is the float :func:`hypervolume` gives for the same points.
    """

    def __init__(self, ref_acc_pct: float, ref_cost: float) -> None:
        self.ref_acc_pct = float(ref_acc_pct)
        self.ref_cost = float(ref_cost)
        self._front: list[tuple[float, float, int]] = []  # (-accuracy, cost, arrival), sweep order
        self._cost_up: list[float] = []  # the front's costs, ascending
        self._acc_up: list[float] = []  # their accuracies (ascending too)
        self._arrivals = 0  # points added so far (the arrival number of the next one)
        self.value = 0.0

    @property
    def front(self) -> tuple[np.ndarray, np.ndarray]:
        """The current front's (accuracy %, cost) arrays, in the order the points were added."""
        points = sorted(self._front, key=lambda point: point[2])
        return np.array([-p[0] for p in points], dtype=np.float64), np.array([p[1] for p in points], dtype=np.float64)

    def add(self, acc_pct: np.ndarray, cost: np.ndarray) -> float:
        """Add points; returns the new hypervolume (percent x cost-unit)."""
        acc = np.asarray(acc_pct, dtype=np.float64).ravel().tolist()
        c = np.asarray(cost, dtype=np.float64).ravel().tolist()
        if len(acc) != len(c):
            raise ValueError(f"acc_pct has {len(acc)} values but cost has {len(c)}")
        newcomers: list[tuple[float, float, int]] = []
        for a, ci in zip(acc, c):
            if a != a or ci != ci:
                raise ValueError("objective values contain NaN")
            # a new point changes nothing if a front point is at least as good in both: the most
            # accurate front point among those at most as costly is the last of them
            j = bisect_right(self._cost_up, ci)
            if not (j and self._acc_up[j - 1] >= a):
                newcomers.append((-a, ci, self._arrivals + len(newcomers)))
        self._arrivals += len(newcomers)
        if newcomers:
            self._update(sorted(self._front + newcomers))
        return self.value

    def _update(self, points: list[tuple[float, float, int]]) -> None:
        """The front and its hypervolume from candidate points in sweep order (as
        :func:`pareto_mask` and :func:`hypervolume` sweep them)."""
        acc, c = [-p[0] for p in points], [p[1] for p in points]
        front = [points[i] for i in _front_in_sweep_order(acc, c, list(range(len(points))))]
        self._front = front
        self._cost_up = [p[1] for p in reversed(front)]
        self._acc_up = [-p[0] for p in reversed(front)]
        self.value = _front_hypervolume([-p[0] for p in front], [p[1] for p in front], self.ref_acc_pct, self.ref_cost)
