"""Screening modes: what the cheap estimates of the sampling GPUs do to the search.

``"queue"`` (the authors' code, ``cenas_RL.py``; the default of every v0/v1 id)
    Every screened candidate waits in a queue of at most ``queue_cap`` and is trained; the
    estimate only orders the queue (least dominated first). Sampling carries no information
    into the search: LaMOO learns from trained results only.

``"select"`` (beyond the paper)
    Screened candidates wait in a *pool* of at most ``pool_cap`` and **compete**: a free
    training GPU takes the candidate with the largest expected hypervolume improvement
    (EHVI) over the current **true** front (the trained cells), and candidates that the true
    front dominates under the error model are discarded, never trained. The error model maps
    the estimate to accuracy: a least-squares line ``acc = a + b x estimate`` fitted on the
    cells already trained (estimate vs truth) with the residual standard deviation as its
    error (floored at :data:`SD_FLOOR_PCT`); it is refitted each step, so proxies that are
    scores get an accuracy scale too. Cells in training count as if they had their predicted
    accuracy ("believer" points), so that one step does not start several cells that would
    add the same area. The pool has room again as soon as a candidate leaves it (trained or
    discarded), so sampling GPUs keep screening while the pool is below ``pool_cap`` and
    they have seconds left; a pool at its cap stops sampling (its GPUs are released). With
    no sampling GPUs the pool stays empty and training takes fresh proposals, as vanilla.

``"partition"`` (beyond the paper)
    ``select``, and LaMOO's partition learns from the screened cells too: once per step the
    cells waiting in the pool enter LaMOO's tree at the accuracy the error model predicts
    (labelled by fidelity: replaced by the truth once trained;
    :class:`cenas_gym.lamoo.MultiFidelityLaMOO`), so sampling moves the search region, where
    the estimates' overall rank information lives, and not only the choice among screened
    cells. Random search ignores it.

Expected improvement (2-D, cost known, accuracy ~ N(mu, sd)): with the front sorted by
accuracy, the width a point of cost ``c`` adds at accuracy level ``y`` is
``w(y) = max(0, m(y) - c)``, ``m(y)`` the smallest front cost among points at least ``y``
accurate (the reference cost above the front), so
``EHVI = sum over front segments [lo, hi) of w x sd x (G((mu - lo) / sd) - G((mu - hi) / sd))``
with ``G(z) = z Phi(z) + phi(z)``. A candidate is discarded when
``mu + DISCARD_Z x sd`` is no more accurate than the best front point at most as costly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

SCREENING_MODES: tuple[str, ...] = ("queue", "select", "partition")
#: A candidate is discarded when even ``mean + DISCARD_Z sd`` adds nothing to the true front.
DISCARD_Z = 2.0
#: The error model is fitted on the trained cells whose estimate is in this upper share of
#: the trained cells' estimates (0.5: at least their median) ...
MODEL_UPPER_SHARE = 0.5
#: ... once this many cells are trained (before: on all of them).
MODEL_MIN_CELLS = 20
#: Smallest error (accuracy %) the model admits: the oracle's residuals are 0.
SD_FLOOR_PCT = 1e-6
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def check_screening(mode: object) -> str:
    """``mode`` if it is a screening mode; ValueError naming the argument otherwise."""
    if mode not in SCREENING_MODES:
        raise ValueError(f"unknown screening mode {mode!r}; choose one of {list(SCREENING_MODES)}")
    return str(mode)


@dataclass(frozen=True)
class ErrorModel:
    """``accuracy (%) ~ N(intercept + slope x estimate, sd^2)``, fitted on trained cells."""

    intercept: float
    slope: float
    sd: float
    n: int

    def mean(self, estimate: np.ndarray) -> np.ndarray:
        return self.intercept + self.slope * np.asarray(estimate, dtype=float)


def fit_error_model(estimate: np.ndarray, accuracy: np.ndarray) -> ErrorModel:
    """Least-squares line of true accuracy on the estimate, residual sd (``n - 2`` degrees
    of freedom). Fewer than 3 cells, or no spread in the estimate: the mean accuracy, with
    the accuracies' spread (100 % without any) as the error."""
    x = np.asarray(estimate, dtype=float)
    y = np.asarray(accuracy, dtype=float)
    n = int(x.size)
    if n < 3 or np.ptp(x) == 0.0:
        mean = float(y.mean()) if n else 0.0
        sd = float(y.std(ddof=1)) if n > 1 else 100.0
        return ErrorModel(mean, 0.0, max(sd, SD_FLOOR_PCT), n)
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (intercept + slope * x)
    sd = float(np.sqrt(resid @ resid / (n - 2)))
    return ErrorModel(float(intercept), float(slope), max(sd, SD_FLOOR_PCT), n)


def fit_upper_error_model(estimate: np.ndarray, accuracy: np.ndarray) -> ErrorModel:
    """:func:`fit_error_model` on the cells whose estimate is in the upper
    :data:`MODEL_UPPER_SHARE` of the estimates (all cells while fewer than
    :data:`MODEL_MIN_CELLS`): the model of the estimate where candidates compete."""
    x = np.asarray(estimate, dtype=float)
    y = np.asarray(accuracy, dtype=float)
    if x.size >= MODEL_MIN_CELLS:
        upper = x >= np.quantile(x, 1.0 - MODEL_UPPER_SHARE)
        x, y = x[upper], y[upper]
    return fit_error_model(x, y)


def _front_sorted(front_acc: np.ndarray, front_cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A non-dominated set sorted by accuracy, most accurate (and costliest) first."""
    order = np.argsort(-np.asarray(front_acc, dtype=float), kind="stable")
    return np.asarray(front_acc, dtype=float)[order], np.asarray(front_cost, dtype=float)[order]


def expected_hv_improvement(
    mean_pct: np.ndarray, sd_pct: float, cost: np.ndarray, front_acc: np.ndarray, front_cost: np.ndarray,
    ref: tuple[float, float],
) -> np.ndarray:
    """EHVI (percent x cost unit) of candidates with accuracy ~ N(mean, sd^2) and known
    cost over a non-dominated front (see the module docstring)."""
    mu = np.asarray(mean_pct, dtype=float)[:, None]
    c = np.asarray(cost, dtype=float)[:, None]
    ref_acc, ref_cost = float(ref[0]), float(ref[1])
    acc, fc = _front_sorted(front_acc, front_cost)
    # segments from the reference accuracy up: [ref, a_k), [a_k, a_{k-1}), ..., [a_1, inf)
    lows = np.concatenate(([ref_acc], acc[::-1]))
    highs = np.concatenate((acc[::-1], [np.inf]))
    caps = np.minimum(np.concatenate((fc[::-1], [ref_cost])), ref_cost)
    width = np.maximum(caps[None, :] - c, 0.0)
    sd = max(float(sd_pct), SD_FLOOR_PCT)

    def g(z: np.ndarray) -> np.ndarray:
        return z * ndtr(z) + _INV_SQRT_2PI * np.exp(-0.5 * z * z)

    z_lo = (mu - lows[None, :]) / sd
    with np.errstate(invalid="ignore"):
        z_hi = (mu - highs[None, :]) / sd
        g_hi = np.where(np.isinf(highs)[None, :], 0.0, g(np.where(np.isinf(z_hi), 0.0, z_hi)))
    mass = sd * (g(z_lo) - g_hi)
    return np.maximum((width * mass).sum(axis=1), 0.0)


def accuracy_to_improve(cost: np.ndarray, front_acc: np.ndarray, front_cost: np.ndarray, ref_acc: float) -> np.ndarray:
    """Per candidate cost, the accuracy (%) it must exceed to add area: that of the most
    accurate front point at most as costly (the reference accuracy if none)."""
    acc, fc = _front_sorted(front_acc, front_cost)
    # fc is decreasing along acc (descending): the first point with cost <= c is the most accurate
    rev_cost, rev_acc = fc[::-1], acc[::-1]  # ascending cost, ascending accuracy
    i = np.searchsorted(rev_cost, np.asarray(cost, dtype=float), side="right") - 1
    return np.where(i >= 0, rev_acc[np.maximum(i, 0)], float(ref_acc))


class ScreenedPool:
    """Screened candidates waiting in the ``select`` mode, in arrival order.

    Args:
        estimate: every cell's estimate (table order).
        cost: every cell's hardware cost.
    """

    def __init__(self, estimate: np.ndarray, cost: np.ndarray) -> None:
        self._estimate = estimate
        self._cost = cost
        self.cells: list[int] = []
        self.n_discarded = 0

    def __len__(self) -> int:
        return len(self.cells)

    def append(self, cell: int) -> None:
        self.cells.append(int(cell))

    def discard_dominated(self, model: ErrorModel, front_acc: np.ndarray, front_cost: np.ndarray,
                          ref_acc: float) -> int:
        """Drop the candidates the front dominates under the model; returns how many."""
        if not self.cells or front_acc.size == 0:
            return 0
        cells = np.asarray(self.cells, dtype=np.int64)
        optimistic = model.mean(self._estimate[cells]) + DISCARD_Z * model.sd
        keep = optimistic > accuracy_to_improve(self._cost[cells], front_acc, front_cost, ref_acc)
        dropped = int((~keep).sum())
        if dropped:
            self.cells = [int(c) for c in cells[keep]]
            self.n_discarded += dropped
        return dropped

    def pop_best(self, model: ErrorModel, front_acc: np.ndarray, front_cost: np.ndarray,
                 ref: tuple[float, float]) -> int:
        """Remove and return the candidate with the largest EHVI (ties: the oldest)."""
        if not self.cells:
            raise IndexError("pop from an empty screened pool")
        cells = np.asarray(self.cells, dtype=np.int64)
        if front_acc.size == 0:
            i = int(np.argmax(model.mean(self._estimate[cells])))
        else:
            ehvi = expected_hv_improvement(model.mean(self._estimate[cells]), model.sd, self._cost[cells],
                                           front_acc, front_cost, ref)
            i = int(np.argmax(ehvi))
        return self.cells.pop(i)
