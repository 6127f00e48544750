"""LaMOO (Zhao et al., "Multi-objective Optimization by Learning Space Partitions", ICLR 2022),
as CE-NAS uses it on NAS-Bench-201.

The fully trained architectures are split recursively: in a node, each sample is labelled by
its dominance number (how many of the node's samples dominate it; the better half, ties in
order of arrival, is "good"), an SVM (scikit-learn ``SVC``) learns good from bad, and the
node's samples go to the child on the side the SVM predicts. A node splits while it holds
more than ``min_split`` samples and is shallower than ``max_depth``. A node's value is the
hypervolume of its samples; its UCB score is ``value + 2 Cp sqrt(2 ln n_parent / n_node)``.

A region is chosen either as the leaf with the highest UCB over all leaves (``"leaf"``, the
CE-NAS default) or by descending from the root to the child with the higher UCB
(``"mcts"``). Proposals are drawn uniformly from the untouched architectures inside that
region (the SVMs on the path all put them on the path's side). The space is discrete and
small (15,625 cells), so region membership is computed exactly for every cell once per refit
(:class:`SpaceDecision`, no kernel matrix), and proposals are the first untouched cells of a
random permutation that lie inside the region: uniform sampling, never a continuous
relaxation. If the region holds fewer
untouched architectures than asked for, all of them are proposed and the rest drawn
uniformly from outside it.

Architectures are encoded as the one-hot of their six edge operations (30 features).

Faults of the authors' code that this avoids: proposals are de-duplicated against
everything already trained, queued or screened; the partition is refitted whenever new
results arrive (the authors' RL state froze its hypervolume feature).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from math import comb

import numpy as np
from sklearn.svm import SVC

from cenas_gym.nasbench import ArchTable
from cenas_gym.pareto import dominance_counts, hypervolume

N_OPS = 5


@dataclass(frozen=True)
class LamooConfig:
    """LaMOO's settings (defaults: CE-NAS's choices).

    Attributes:
        kernel, degree, gamma, C: the SVM (CE-NAS: polynomial kernel, degree 4, gamma "scale";
            LaMOO's README reports RBF slightly better).
        min_split: a node splits only if it holds more than this many samples.
        max_depth: maximum depth of the partition tree (root = 0).
        cp_fraction: exploration constant Cp as a fraction of the maximum hypervolume
            (the HV of the table's true front); the LaMOO authors advise 10 %.
        select: ``"leaf"`` (best UCB over all leaves) or ``"mcts"`` (descend by UCB).
    """

    kernel: str = "poly"
    degree: int = 4
    gamma: str | float = "scale"
    C: float = 1.0
    min_split: int = 10
    max_depth: int = 3
    cp_fraction: float = 0.1
    select: str = "leaf"

    def __post_init__(self) -> None:
        if self.select not in ("leaf", "mcts"):
            raise ValueError(f"LamooConfig.select must be 'leaf' or 'mcts', got {self.select!r}")
        if self.kernel not in ("poly", "rbf", "linear", "sigmoid"):
            raise ValueError(f"LamooConfig.kernel must be poly, rbf, linear or sigmoid, got {self.kernel!r}")
        if self.min_split < 2 or self.max_depth < 0 or self.cp_fraction < 0:
            raise ValueError(
                f"LamooConfig needs min_split >= 2, max_depth >= 0, cp_fraction >= 0; got "
                f"{self.min_split}, {self.max_depth}, {self.cp_fraction}"
            )


@dataclass
class _Node:
    samples: np.ndarray  # NB201 indices
    depth: int
    value: float
    svm: SVC | None = None
    children: tuple[_Node, _Node] | None = None  # (good side, bad side)
    parent: _Node | None = field(default=None, repr=False)


def _kernel_of_matches(svm: SVC, n_edges: int) -> np.ndarray:
    """The SVM's kernel as a function of m, the number of edges on which two one-hot
    architectures agree (x.y = m and |x|^2 = |y|^2 = n_edges): values for m = 0..n_edges."""
    m = np.arange(n_edges + 1, dtype=np.float64)
    gamma = svm._gamma
    if svm.kernel == "linear":
        return m
    if svm.kernel == "poly":
        return (gamma * m + svm.coef0) ** svm.degree
    if svm.kernel == "rbf":
        return np.exp(-gamma * 2.0 * (n_edges - m))
    return np.tanh(gamma * m + svm.coef0)  # sigmoid


class SpaceDecision:
    """Exact SVM decision values over the whole categorical space, without kernel matrices.

    On one-hot cells every kernel is a function g(m) of the number m of matching edges.
    Writing g(m) = sum_{k<=m} C(m, k) h(k) (h by Moebius inversion) turns the decision
    function sum_j a_j g(m_j(x)) + b into sum over edge subsets S of
    h(|S|) * T_S[ops of x on S], where T_S sums the dual coefficients of the support vectors
    by their ops on S: 64 small tables instead of a 15,625 x n_SV kernel matrix.
    """

    def __init__(self, ops: np.ndarray) -> None:
        self.ops = np.asarray(ops, dtype=np.int64)
        n, edges = self.ops.shape
        self.n_edges = edges
        self.subsets = [tuple(e for e in range(edges) if mask >> e & 1) for mask in range(1 << edges)]
        self.codes = np.zeros((len(self.subsets), n), dtype=np.int64)  # ops on S as a base-5 code
        for i, subset in enumerate(self.subsets):
            for e in subset:
                self.codes[i] = self.codes[i] * N_OPS + self.ops[:, e]

    def decision(self, svm: SVC) -> np.ndarray:
        """``svm.decision_function`` for every cell of the table (sklearn's sign convention)."""
        g = _kernel_of_matches(svm, self.n_edges)
        h = np.array(
            [sum((-1) ** (k - i) * comb(k, i) * g[i] for i in range(k + 1)) for k in range(self.n_edges + 1)]
        )
        sv_ops = self._sv_ops(svm)
        alpha = svm.dual_coef_[0]
        out = np.full(self.codes.shape[1], svm.intercept_[0])
        for i, subset in enumerate(self.subsets):
            code = np.zeros(len(sv_ops), dtype=np.int64)
            for e in subset:
                code = code * N_OPS + sv_ops[:, e]
            table = np.bincount(code, weights=alpha, minlength=N_OPS ** len(subset))
            out += h[len(subset)] * table[self.codes[i]]
        return out

    def _sv_ops(self, svm: SVC) -> np.ndarray:
        sv = svm.support_vectors_.reshape(len(svm.support_vectors_), self.n_edges, N_OPS)
        return sv.argmax(axis=2)

    def side(self, svm: SVC) -> np.ndarray:
        """``svm.predict`` for every cell of the table."""
        return svm.classes_[(self.decision(svm) > 0).astype(np.int64)]


def svm_side(svm: SVC, x: np.ndarray) -> np.ndarray:
    """``svm.predict(x)`` for a fitted binary SVC, computed from its support vectors (sklearn's
    input validation costs more than the arithmetic on small batches)."""
    sv = svm.support_vectors_
    k = _kernel_of_matches(svm, x.shape[1] // N_OPS)[np.rint(x @ sv.T).astype(np.int64)]
    decision = k @ svm.dual_coef_[0] + svm.intercept_[0]
    return svm.classes_[(decision > 0).astype(np.int64)]


@lru_cache(maxsize=4)
def space_decision(table: ArchTable) -> SpaceDecision:
    """The (cached) whole-space SVM evaluator of a table."""
    return SpaceDecision(table.ops)


def one_hot(ops: np.ndarray) -> np.ndarray:
    """(n, 6) op codes -> (n, 30) float one-hot features."""
    n, edges = ops.shape
    out = np.zeros((n, edges * N_OPS))
    out[np.arange(n)[:, None], np.arange(edges) * N_OPS + ops] = 1.0
    return out


class LaMOO:
    """Space-partitioning proposer over the discrete NAS-Bench-201 space."""

    def __init__(
        self,
        table: ArchTable,
        max_hv: float,
        ref_point: tuple[float, float],
        config: LamooConfig | None = None,
    ) -> None:
        self.config = config or LamooConfig()
        self.features = one_hot(table.ops.astype(np.int64))
        self._space = space_decision(table)
        self.cp = self.config.cp_fraction * max_hv
        self.ref_point = ref_point

    def reset(self, acc_pct: np.ndarray, cost: np.ndarray, rng: np.random.Generator) -> None:
        self._acc = acc_pct
        self._cost = cost
        self._rng = rng
        self._trained: list[int] = []
        self._path: list[tuple[SVC, int]] | None = None  # None: refit before the next proposal
        self._mask: np.ndarray | None = None
        self.root: _Node | None = None

    def observe(self, indices: np.ndarray) -> None:
        if len(indices):
            self._trained.extend(int(i) for i in indices)
            self._path = None

    # -- the partition -------------------------------------------------------------------
    def _hv(self, idx: np.ndarray) -> float:
        return hypervolume(self._acc[idx], self._cost[idx], *self.ref_point)

    def _build(self, idx: np.ndarray, depth: int, parent: _Node | None) -> _Node:
        node = _Node(samples=idx, depth=depth, value=self._hv(idx), parent=parent)
        cfg = self.config
        if idx.size <= cfg.min_split or depth >= cfg.max_depth:
            return node
        counts = dominance_counts(self._acc[idx], self._cost[idx])
        good = np.zeros(idx.size, dtype=np.int64)
        good[np.argsort(counts, kind="stable")[: (idx.size + 1) // 2]] = 1
        if good.min() == good.max():
            return node
        svm = SVC(kernel=cfg.kernel, degree=cfg.degree, gamma=cfg.gamma, C=cfg.C)
        svm.fit(self.features[idx], good)
        side = svm_side(svm, self.features[idx])
        if side.min() == side.max():
            return node  # the SVM cannot separate: keep the node whole
        node.svm = svm
        node.children = (
            self._build(idx[side == 1], depth + 1, node),
            self._build(idx[side == 0], depth + 1, node),
        )
        return node

    def _ucb(self, node: _Node, n_parent: int) -> float:
        return node.value + 2.0 * self.cp * np.sqrt(2.0 * np.log(n_parent) / node.samples.size)

    def _select(self, root: _Node) -> _Node:
        if self.config.select == "mcts":
            node = root
            while node.children is not None:
                scores = [self._ucb(child, node.samples.size) for child in node.children]
                node = node.children[int(np.argmax(scores))]
            return node
        leaves: list[_Node] = []
        stack = [root]
        while stack:
            node = stack.pop()
            if node.children is None:
                leaves.append(node)
            else:
                stack.extend(reversed(node.children))  # good side first
        if len(leaves) == 1:
            return leaves[0]
        scores = [self._ucb(leaf, leaf.parent.samples.size) for leaf in leaves]
        return leaves[int(np.argmax(scores))]

    def region_path(self) -> list[tuple[SVC, int]]:
        """The selected region as (SVM, side) pairs from the root down (refitted if stale)."""
        if self._path is None:
            if not self._trained:
                self.root, self._path = None, []
                return self._path
            self.root = self._build(np.asarray(self._trained, dtype=np.int64), 0, None)
            leaf = self._select(self.root)
            path: list[tuple[SVC, int]] = []
            while leaf.parent is not None:
                parent = leaf.parent
                path.append((parent.svm, 1 if parent.children[0] is leaf else 0))
                leaf = parent
            self._path = path[::-1]
            self._mask = None
        return self._path

    def region_mask(self) -> np.ndarray:
        """Mask over the whole table: inside the selected region (cached until the next refit)."""
        if self._mask is None:
            mask = np.ones(self._space.codes.shape[1], dtype=bool)
            for svm, side in self.region_path():
                mask &= self._space.side(svm) == side
            self._mask = mask
        return self._mask

    def propose(self, n: int, available: np.ndarray) -> np.ndarray:
        pool = np.flatnonzero(available)
        if n <= 0 or pool.size == 0:
            return np.empty(0, dtype=np.int64)
        n = min(n, pool.size)
        if not self.region_path():
            return self._rng.choice(pool, size=n, replace=False)
        # uniform over the region: the first n of a random permutation that lie inside it;
        # if it holds fewer, the rest are the first ones outside it (uniform too)
        order = self._rng.permutation(pool)
        inside = self.region_mask()[order]
        chosen = order[inside][:n]
        if chosen.size < n:
            chosen = np.concatenate((chosen, order[~inside][: n - chosen.size]))
        return chosen
