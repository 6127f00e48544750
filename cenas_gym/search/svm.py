"""Binary SVMs on NAS-Bench-201 cells, fitted with libsvm.

Two encodings of a cell's six edge operations (op codes 0..4):

- ``"onehot"``: 30 features, one 0/1 per (edge, op);
- ``"ordinal"``: the CE-NAS authors' encoding, six features ``op x 0.2`` in [0, 0.8]
  (cake-lab/CE-NAS ``lamoo/tasks/nasbench201/cifar10.py``: ``dim = 6``,
  ``_denormalize_operation`` returns ``op * 0.2``; their SVMs are ``SVC`` on these).

LaMOO refits a few SVMs every time results arrive, and then asks on which side of them
candidate cells lie. Three things make that cheap without changing a single decision:

- :func:`fit_svm` calls the libsvm solver that scikit-learn's ``SVC`` wraps, with exactly the
  arguments ``SVC.fit`` passes (scikit-learn's input validation costs more than the solve on
  LaMOO's small node samples); if that private entry point is missing (ImportError) or no
  longer takes those arguments (TypeError, AttributeError) it falls back to the public
  ``SVC(kernel="precomputed")`` on the same Gram matrix. Tests check both give the same
  support vectors and decisions. pyproject.toml caps scikit-learn below 2 for this reason.
- On one-hot cells every kernel is a function ``g(m)`` of the number ``m`` of edges on which
  two cells agree (``x.y = m``, ``|x|^2 = 6``), so :meth:`FittedSVM.decision` looks the kernel
  up in a 7-entry table instead of evaluating it. On ordinal cells a kernel is a function of
  one small integer too: ``x.y = 0.04 a.b`` (dot-product kernels) or
  ``|x - y|^2 = 0.04 |a - b|^2`` (RBF) for op codes ``a, b``, so the table has 97 entries.
  One-hot kernel values equal libsvm's bit for bit; ordinal ones equal them to rounding
  (libsvm sums the float products ``0.2a x 0.2b``; here ``0.04 x`` the exact integer sum).
- LaMOO tests region membership only for the cells it is about to propose
  (:mod:`cenas_gym.lamoo`), never for the whole space.
- :func:`fit_on_kernel_index` fits on kernel indices the caller already has (LaMOO keeps
  them for every pair of trained cells, :mod:`cenas_gym.trained_cells`) and returns the sides
  the SVM predicts on its own samples from the Gram matrix it was fitted on.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

N_OPS = 5
ENCODINGS = ("onehot", "ordinal")
ORDINAL_STEP = 0.2  # the authors' feature of op code k is k x 0.2

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


def ordinal(ops: np.ndarray) -> np.ndarray:
    """(n, edges) op codes -> (n, edges) float features ``op x 0.2`` (the authors' encoding)."""
    return np.asarray(ops, dtype=np.int64) * ORDINAL_STEP


def svm_features(ops: np.ndarray, encoding: str) -> np.ndarray:
    """What :meth:`FittedSVM.decision_features` multiplies with the support vectors: one-hot
    features, or (ordinal) the op codes as float64 (exact small integers)."""
    if encoding == "onehot":
        return one_hot(ops)
    if encoding == "ordinal":
        return np.asarray(ops, dtype=np.float64)
    raise ValueError(f"SVM encoding must be one of {list(ENCODINGS)}, got {encoding!r}")


@lru_cache(maxsize=1024)  # as kernel_of_matches: refits meet the same gamma values again
def ordinal_kernel_table(kernel: str, gamma: float, coef0: float, degree: int, edges: int) -> np.ndarray:
    """Kernel value between two ordinal cells as a function of one integer ``s`` of their op
    codes ``a, b``: ``s = a.b`` for dot-product kernels, ``s = |a - b|^2`` for RBF, for
    ``s = 0 .. 16 x edges``. Feature dot products are ``0.04 s`` (features are ``0.2 x op``).
    Cached, read-only."""
    scale = ORDINAL_STEP * ORDINAL_STEP
    values = []
    for s in range(16 * edges + 1):
        if kernel == "rbf":
            values.append(math.exp(-gamma * (scale * s)))
        else:
            values.append(float(kernel_of_dot(kernel, gamma, coef0, degree, scale * s)))
    table = np.array(values)
    table.flags.writeable = False
    return table


def kernel_of_dot(kernel: str, gamma: float, coef0: float, degree: int, dot: float) -> float:
    """A dot-product kernel (linear, poly, sigmoid) of a dot product, in libsvm's arithmetic."""
    if kernel == "linear":
        return dot
    if kernel == "poly":
        return _powi(gamma * dot + coef0, degree)
    return math.tanh(gamma * dot + coef0)


def _powi(base: float, times: int) -> float:  # libsvm's svm.cpp
    result, tmp = 1.0, base
    while times > 0:
        if times % 2 == 1:
            result *= tmp
        tmp *= tmp
        times //= 2
    return result


@lru_cache(maxsize=1024)  # LaMOO's refits meet the same few gamma values again and again
def kernel_of_matches(kernel: str, gamma: float, coef0: float, degree: int, edges: int) -> np.ndarray:
    """Kernel value between two one-hot cells that agree on m edges, for m = 0..edges
    (cached, read-only).

    Computed with libsvm's own arithmetic (``powi`` by squaring, ``|x|^2 + |y|^2 - 2 x.y`` for
    RBF, C's ``exp``/``tanh``), so a Gram matrix read from this table equals the one libsvm
    would compute, bit for bit."""
    powi = _powi
    values = []
    for m in range(edges + 1):
        dot = float(m)  # x.y of one-hot cells: the number of matching edges
        if kernel == "linear":
            values.append(dot)
        elif kernel == "poly":
            values.append(powi(gamma * dot + coef0, degree))
        elif kernel == "rbf":
            values.append(math.exp(-gamma * (float(edges) + float(edges) - 2.0 * dot)))
        else:  # sigmoid
            values.append(math.tanh(gamma * dot + coef0))
    table = np.array(values)
    table.flags.writeable = False
    return table


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
    encoding: str = "onehot"  # "onehot" or "ordinal" (see the module docstring)

    def kernel_of_matches(self) -> np.ndarray:
        """The kernel as a function of the number of matching edges, for m = 0..edges."""
        return kernel_of_matches(self.kernel, self.gamma, self.coef0, self.degree, self.sv_ops.shape[1])

    @cached_property
    def _sv_features_t(self) -> np.ndarray:
        return svm_features(self.sv_ops, self.encoding).T

    @cached_property
    def _kernel_table(self) -> np.ndarray:
        if self.encoding == "ordinal":
            return ordinal_kernel_table(self.kernel, self.gamma, self.coef0, self.degree, self.sv_ops.shape[1])
        return self.kernel_of_matches()

    def decision(self, ops: np.ndarray) -> np.ndarray:
        """Decision values for a few cells given by their (n, edges) op codes."""
        return self.decision_features(svm_features(ops, self.encoding))

    @cached_property
    def _sv_features_t32(self) -> np.ndarray:
        return np.ascontiguousarray(self._sv_features_t, dtype=np.float32)

    def decision_features(self, features: np.ndarray) -> np.ndarray:
        """Decision values for cells given by :func:`svm_features` of their op codes (float64,
        or float32: the same values, as the products below are exact in both)."""
        # dot products of one-hot features / op codes are exact small integers (at most
        # 16 x edges), in float64 and in float32 alike; float32 multiplies twice as fast
        products = features @ (self._sv_features_t32 if features.dtype == np.float32 else self._sv_features_t)
        if self.encoding == "ordinal" and self.kernel == "rbf":  # index by |a - b|^2 instead
            products = (features * features).sum(axis=1)[:, None] + self._sv_square[None, :] - 2.0 * products
        return self._kernel_table.take(products.astype(np.intp)) @ self.dual_coef + self.intercept

    def on_side(self, features: np.ndarray, side: int) -> np.ndarray:
        """Whether the SVM puts each cell (given by :func:`svm_features`, float32 or float64)
        on ``side``: ``(decision > 0) == side``. Compared as ``x > -b`` instead of ``x + b > 0``:
        the same answer, as a rounded sum is never zero unless the exact one is."""
        if self.encoding == "ordinal" and self.kernel == "rbf":
            return (self.decision_features(features) > 0) == side
        products = features @ (self._sv_features_t32 if features.dtype == np.float32 else self._sv_features_t)
        partial = self._kernel_table.take(products.astype(np.intp)) @ self.dual_coef
        return partial > -self.intercept if side else partial <= -self.intercept

    @cached_property
    def _sv_square(self) -> np.ndarray:
        return (self.sv_ops.astype(np.float64) ** 2).sum(axis=1)

    def decision_one_hot(self, features: np.ndarray) -> np.ndarray:
        """Decision values for cells given by their (n, edges x 5) one-hot features."""
        if self.encoding != "onehot":
            raise ValueError(f"decision_one_hot on an SVM fitted on {self.encoding!r} features")
        return self.decision_features(features)

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
    encoding: str = "onehot",
) -> FittedSVM:
    """Fit ``SVC(kernel, degree, gamma, C)`` on the cells' ``encoding`` (``"onehot"`` or
    ``"ordinal"``, see the module docstring); labels must hold 0 and 1."""
    ops = np.asarray(ops, dtype=np.int64)
    if encoding not in ENCODINGS:
        raise ValueError(f"SVM encoding must be one of {list(ENCODINGS)}, got {encoding!r}")
    x = one_hot(ops) if encoding == "onehot" else ordinal(ops)
    svm, _ = fit_on_kernel_index(
        ops, kernel_index(ops, ops, kernel, encoding), labels,
        kernel=kernel, degree=degree, gamma=gamma_of(x, gamma), C=C, encoding=encoding,
    )
    return svm


def gamma_of(x: np.ndarray, gamma: str | float) -> float:
    """The kernel coefficient ``SVC`` uses on features ``x``: ``"scale"``, ``"auto"`` or a number."""
    if gamma == "scale":
        var = x.var()
        return 1.0 / (x.shape[1] * var) if var != 0 else 1.0
    if gamma == "auto":
        return 1.0 / x.shape[1]
    return float(gamma)


def kernel_index(ops_a: np.ndarray, ops_b: np.ndarray, kernel: str, encoding: str) -> np.ndarray:
    """(len a, len b) integers the kernel between two cells is a function of (see the module
    docstring): matching edges (one-hot), ``a.b`` or, for RBF, ``|a - b|^2`` of the op codes
    (ordinal). Exact integers, as int64."""
    a = np.asarray(ops_a, dtype=np.int64)
    b = np.asarray(ops_b, dtype=np.int64)
    if encoding == "onehot":  # matching edges = dot product of one-hot rows (exact in float)
        return (one_hot(a) @ one_hot(b).T).astype(np.int64)
    dot = a @ b.T
    if kernel == "rbf":
        return (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2 * dot
    return dot


def kernel_table(kernel: str, gamma: float, degree: int, edges: int, encoding: str) -> np.ndarray:
    """The kernel as a function of :func:`kernel_index` (coef0 = 0, as ``SVC``'s default)."""
    if encoding == "onehot":
        return kernel_of_matches(kernel, gamma, 0.0, degree, edges)
    return ordinal_kernel_table(kernel, gamma, 0.0, degree, edges)


def fit_on_kernel_index(
    ops: np.ndarray,
    index: np.ndarray,
    labels: np.ndarray,
    *,
    kernel: str,
    degree: int,
    gamma: float,
    C: float,
    encoding: str,
    need_sides: bool = True,
) -> tuple[FittedSVM, np.ndarray | None]:
    """Fit on cells given their op codes and the (n, n) :func:`kernel_index` between them;
    also returns the side (0/1, int64) the fitted SVM predicts for each of these cells.

    The Gram matrix read from the kernel table equals libsvm's own kernel values bit for bit
    (tested against SVC), and reading it is ~2x faster than libsvm's dense kernel. The sides
    are computed from the same kernel values as :meth:`FittedSVM.side` computes them.

    With ``need_sides=False`` (the caller only asks whether the SVM predicts both sides) the
    sides are ``None`` when the fit has margin support vectors (``0 < |alpha| < C``) of both
    labels: libsvm stops with their decision values within its tolerance (1e-3) of +-1, so
    the SVM predicts both sides."""
    gram = kernel_table(kernel, gamma, degree, ops.shape[1], encoding).take(index)  # = table[index], faster
    y = np.asarray(labels, dtype=np.float64)
    support, dual_coef, intercept = _fit_precomputed(gram, y, C)
    dual = np.asarray(dual_coef)
    svm = FittedSVM(kernel, degree, gamma, 0.0, ops[support], dual, intercept, encoding)
    if not need_sides:
        margin = np.abs(dual) < C
        margin_labels = y[support[margin]]
        if margin_labels.size and margin_labels.min() != margin_labels.max():
            return svm, None
    side = ((gram[:, support] @ dual + intercept) > 0).astype(np.int64)
    return svm, side


def _fit_precomputed(gram: np.ndarray, y: np.ndarray, C: float) -> tuple[np.ndarray, np.ndarray, float]:
    """(support indices, dual coefficients, intercept) of a C-SVC on a precomputed Gram
    matrix, in SVC's sign convention: libsvm's private entry point when it takes the
    arguments we pass, else the public ``SVC(kernel="precomputed")`` (same solver, same
    numbers, more input checking)."""
    global _libsvm
    if _libsvm is not None:
        try:
            return _fit_libsvm(gram, y, C)
        except (TypeError, AttributeError) as err:  # the private API changed: use the public one
            warnings.warn(f"sklearn.svm._libsvm.fit no longer takes our arguments ({err}); "
                          "using SVC(kernel='precomputed') from now on", RuntimeWarning, stacklevel=3)
            _libsvm = None
    from sklearn.svm import SVC

    svc = SVC(kernel="precomputed", C=C).fit(gram, y.astype(np.int64))
    return svc.support_, svc.dual_coef_[0], float(svc.intercept_[0])


def _fit_libsvm(gram: np.ndarray, y: np.ndarray, C: float) -> tuple[np.ndarray, np.ndarray, float]:
    """What ``SVC(kernel="precomputed", C=C).fit(gram, y)`` does, without its input checks.
    The keyword arguments are exactly those SVC.fit passes (scikit-learn 1.3 to 1.x)."""
    _libsvm.set_verbosity_wrap(0)  # libsvm's print switch is global; SVC.fit sets it too
    support, _, _, dual, intercept, *_ = _libsvm.fit(
        gram,
        y,
        svm_type=0,
        sample_weight=np.empty(0),
        class_weight=np.empty(0),
        kernel="precomputed",
        C=C,
        nu=0.0,
        probability=0,
        degree=3,  # unused with a precomputed kernel
        shrinking=1,
        tol=1e-3,
        cache_size=200,
        coef0=0.0,
        gamma=1.0,  # unused with a precomputed kernel
        epsilon=0.0,
        max_iter=-1,
        random_seed=0,
    )
    # SVC flips both signs for two classes so that decision > 0 means classes_[1]
    return support, -dual[0], -float(intercept[0])
