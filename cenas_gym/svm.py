"""Binary SVMs on NAS-Bench-201 cells (one-hot edge operations), fitted with libsvm.

LaMOO refits a few SVMs every time results arrive, and then needs each SVM's side for every
one of the 15,625 cells. Two things make that cheap without changing a single decision:

- :func:`fit_svm` calls the libsvm solver that scikit-learn's ``SVC`` wraps, with exactly the
  arguments ``SVC.fit`` passes (scikit-learn's input validation costs more than the solve on
  LaMOO's small node samples); if that private entry point is missing it falls back to
  ``SVC``. Tests check both give the same support vectors and decisions.
- :class:`SpaceDecision` evaluates a fitted SVM on the whole space without a kernel matrix:
  on one-hot cells every kernel is a function ``g(m)`` of the number ``m`` of edges on which
  two cells agree (``x.y = m``, ``|x|^2 = 6``). Writing ``g(m) = sum_{k<=m} C(m,k) h(k)``
  (``h`` by Moebius inversion), the decision function ``sum_j a_j g(m_j(x)) + b`` becomes a
  sum over edge subsets S of ``h(|S|) T_S[ops of x on S]``, where ``T_S`` adds up the dual
  coefficients of the support vectors by their ops on S: 64 small tables broadcast over the
  5^6 grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

N_OPS = 5

try:  # the solver behind sklearn.svm.SVC
    from sklearn.svm import _libsvm
except ImportError:  # pragma: no cover - depends on the scikit-learn build
    _libsvm = None


def one_hot(ops: np.ndarray) -> np.ndarray:
    """(n, edges) op codes -> (n, edges x 5) float one-hot features."""
    ops = np.asarray(ops, dtype=np.int64)
    n, edges = ops.shape
    out = np.zeros((n, edges * N_OPS))
    out[np.arange(n)[:, None], np.arange(edges) * N_OPS + ops] = 1.0
    return out


@dataclass(frozen=True)
class FittedSVM:
    """A binary SVM (labels 0/1) in scikit-learn's sign convention: decision > 0 means 1."""

    kernel: str
    degree: int
    gamma: float
    coef0: float
    sv_ops: np.ndarray  # (n_sv, edges) op codes of the support vectors
    dual_coef: np.ndarray  # (n_sv,)
    intercept: float

    def kernel_of_matches(self) -> np.ndarray:
        """The kernel as a function of the number of matching edges, for m = 0..edges."""
        edges = self.sv_ops.shape[1]
        m = np.arange(edges + 1, dtype=np.float64)
        if self.kernel == "linear":
            return m
        if self.kernel == "poly":
            return (self.gamma * m + self.coef0) ** self.degree
        if self.kernel == "rbf":
            return np.exp(-self.gamma * 2.0 * (edges - m))
        return np.tanh(self.gamma * m + self.coef0)  # sigmoid

    def decision(self, ops: np.ndarray) -> np.ndarray:
        """Decision values for a few cells given by their (n, edges) op codes."""
        # one-hot dot products count matching edges exactly (small integers in float64)
        matches = (one_hot(ops) @ one_hot(self.sv_ops).T).astype(np.intp)
        return self.kernel_of_matches()[matches] @ self.dual_coef + self.intercept

    def side(self, ops: np.ndarray) -> np.ndarray:
        """Predicted label (0 or 1) of each cell."""
        return (self.decision(ops) > 0).astype(np.int64)


def fit_svm(
    ops: np.ndarray,
    labels: np.ndarray,
    *,
    kernel: str = "poly",
    degree: int = 4,
    gamma: str | float = "scale",
    C: float = 1.0,
) -> FittedSVM:
    """Fit ``SVC(kernel, degree, gamma, C)`` on the one-hot cells; labels must hold 0 and 1."""
    ops = np.asarray(ops, dtype=np.int64)
    x = one_hot(ops)
    y = np.asarray(labels, dtype=np.float64)
    if gamma == "scale":
        var = x.var()
        gamma_value = 1.0 / (x.shape[1] * var) if var != 0 else 1.0
    elif gamma == "auto":
        gamma_value = 1.0 / x.shape[1]
    else:
        gamma_value = float(gamma)
    if _libsvm is not None:
        _libsvm.set_verbosity_wrap(0)  # libsvm's print switch is global; SVC.fit sets it too
        support, _, _, dual, intercept, *_ = _libsvm.fit(
            x,
            y,
            svm_type=0,
            sample_weight=np.empty(0),
            class_weight=np.empty(0),
            kernel=kernel,
            C=C,
            nu=0.0,
            probability=0,
            degree=degree,
            shrinking=1,
            tol=1e-3,
            cache_size=200,
            coef0=0.0,
            gamma=gamma_value,
            epsilon=0.0,
            max_iter=-1,
            random_seed=0,
        )
        # SVC flips both signs for two classes so that decision > 0 means classes_[1]
        dual_coef, intercept_value = -dual[0], -float(intercept[0])
    else:  # pragma: no cover
        from sklearn.svm import SVC

        svc = SVC(kernel=kernel, degree=degree, gamma=gamma, C=C).fit(x, y.astype(np.int64))
        support, dual_coef, intercept_value = svc.support_, svc.dual_coef_[0], float(svc.intercept_[0])
    return FittedSVM(kernel, degree, gamma_value, 0.0, ops[support], np.asarray(dual_coef), intercept_value)


class SpaceDecision:
    """Exact decision values of a :class:`FittedSVM` over every cell of a table.

    The edges are split into two halves A and B; a cell is a pair (a, b) of half-cells and
    its match count with a support vector is ``m = m_A(a) + m_B(b)``. With ``M_A`` (half-cells
    of A x support vectors) and ``M_B`` likewise, the decision over the whole grid is

        f(a, b) = intercept + sum_s sum_j [M_A[a, j] = s] coef_j g(s + M_B[b, j])

    one matrix product of (|A| x (hA + 1) n_sv) by ((hA + 1) n_sv x |B|).
    """

    def __init__(self, ops: np.ndarray) -> None:
        ops = np.asarray(ops, dtype=np.int64)
        self.n_edges = ops.shape[1]
        self.n_cells = ops.shape[0]
        self.half = self.n_edges // 2  # edges 0..half-1 form A, the rest B
        grid = np.ravel_multi_index(tuple(ops.T), (N_OPS,) * self.n_edges)  # cell -> grid position
        self.grid_code = grid
        self._half_cells_a = _all_cells(self.half)  # (5^hA, hA), C order
        self._half_cells_b = _all_cells(self.n_edges - self.half)

    def decision(self, svm: FittedSVM) -> np.ndarray:
        """Decision value of every cell (indexed like the table)."""
        g = svm.kernel_of_matches()
        sv = svm.sv_ops
        n_sv = sv.shape[0]
        matches_a = (self._half_cells_a[:, None, :] == sv[None, :, : self.half]).sum(axis=2)  # (|A|, n_sv)
        matches_b = (self._half_cells_b[:, None, :] == sv[None, :, self.half :]).sum(axis=2)  # (|B|, n_sv)
        levels = self.half + 1
        left = np.zeros((matches_a.shape[0], levels, n_sv))
        rows, cols = np.indices(matches_a.shape)
        left[rows, matches_a, cols] = svm.dual_coef[cols]
        right = g[np.arange(levels)[:, None, None] + matches_b.T[None, :, :]]  # (levels, n_sv, |B|)
        grid = left.reshape(-1, levels * n_sv) @ right.reshape(levels * n_sv, -1)
        return grid.ravel()[self.grid_code] + svm.intercept

    def side(self, svm: FittedSVM) -> np.ndarray:
        """Predicted label (0 or 1) of every cell."""
        return (self.decision(svm) > 0).astype(np.int64)


def _all_cells(n_edges: int) -> np.ndarray:
    """Every op assignment of ``n_edges`` edges, (5^n_edges, n_edges), in C (ravel) order."""
    return np.array(np.unravel_index(np.arange(N_OPS**n_edges), (N_OPS,) * n_edges), dtype=np.int64).T.reshape(
        -1, n_edges
    )
