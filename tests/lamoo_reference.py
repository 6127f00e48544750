"""The LaMOO of cenas-gym 0.2.0 (commit 9a0586b): every SVM fitted by :func:`fit_svm` on the
node's cells, every node's hypervolume by :func:`hypervolume`, region membership by
``FittedSVM.decision_features`` over blocks of a permutation of the free cells. Slow and
plain: the tests check that :class:`cenas_gym.search.lamoo.LaMOO` proposes exactly what it proposes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cenas_gym.search.freecells import FreeCells
from cenas_gym.search.lamoo import LamooConfig, feature_table
from cenas_gym.search.nasbench import ArchTable
from cenas_gym.search.pareto import count_dominators, hypervolume
from cenas_gym.search.svm import FittedSVM, fit_svm


@dataclass
class _Node:
    samples: np.ndarray  # NB201 indices
    depth: int
    value: float
    svm: FittedSVM | None = None
    children: tuple[_Node, _Node] | None = None  # (good side, bad side)
    parent: _Node | None = field(default=None, repr=False)


class ReferenceLaMOO:
    """cenas_gym.search.lamoo.LaMOO as released in 0.2.0 (commit 9a0586b), kept verbatim but for the
    FreeCells argument of propose."""

    def __init__(
        self,
        table: ArchTable,
        max_hv: float,
        ref_point: tuple[float, float],
        config: LamooConfig | None = None,
    ) -> None:
        self.config = config or LamooConfig()
        self.ops = table.ops.astype(np.int64)
        self._features = feature_table(table, self.config.encoding)  # what the SVMs multiply
        self.cp = self.config.cp_fraction * max_hv
        self.ref_point = ref_point

    def reset(self, acc_pct: np.ndarray, cost: np.ndarray, rng: np.random.Generator) -> None:
        self._acc = acc_pct
        self._cost = cost
        self._rng = rng
        self._trained: list[int] = []
        self._path: list[tuple[FittedSVM, int]] | None = None  # None: refit before the next proposal
        self._membership: np.ndarray | None = None  # per cell: -1 untested, 0 outside, 1 inside
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
        counts = count_dominators(self._acc[idx], self._cost[idx])
        good = np.zeros(idx.size, dtype=np.int64)
        good[np.argsort(counts, kind="stable")[: (idx.size + 1) // 2]] = 1
        if good.min() == good.max():
            return node
        svm = fit_svm(
            self.ops[idx], good, kernel=cfg.kernel, degree=cfg.degree, gamma=cfg.gamma, C=cfg.C, encoding=cfg.encoding
        )
        side = svm.side(self.ops[idx])
        if side.min() == side.max():
            return node  # the SVM cannot separate: keep the node whole
        if cfg.split == "labels":
            side = good
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

    def region_path(self) -> list[tuple[FittedSVM, int]]:
        """The selected region as (SVM, side) pairs from the root down (refitted if stale)."""
        if self._path is None:
            if not self._trained:
                self.root, self._path = None, []
                return self._path
            self.root = self._build(np.asarray(self._trained, dtype=np.int64), 0, None)
            leaf = self._select(self.root)
            path: list[tuple[FittedSVM, int]] = []
            while leaf.parent is not None:
                parent = leaf.parent
                path.append((parent.svm, 1 if parent.children[0] is leaf else 0))
                leaf = parent
            self._path = path[::-1]
            self._membership = None
        return self._path

    def _inside(self, cells: np.ndarray) -> np.ndarray:
        """Whether each cell lies inside the selected region; memoised until the next refit.

        A cell is tested by the path's SVMs from the deepest (fewest support vectors) up, and
        only while it is still inside."""
        path = self.region_path()  # refits (and forgets memberships) if stale
        membership = self._membership
        if membership is None:
            membership = self._membership = np.full(self.ops.shape[0], -1, dtype=np.int8)
        unknown = cells[membership[cells] < 0]
        if unknown.size:
            inside = np.ones(unknown.size, dtype=bool)
            for svm, side in reversed(path):
                still = np.flatnonzero(inside)
                if still.size == 0:
                    break
                inside[still] = (svm.decision_features(self._features[unknown[still]]) > 0) == side
            membership[unknown] = inside
        return membership[cells] == 1

    def region_mask(self) -> np.ndarray:
        """Mask over the whole table: inside the selected region."""
        return self._inside(np.arange(self.ops.shape[0]))

    def propose(self, n: int, available) -> np.ndarray:
        available = available.mask if isinstance(available, FreeCells) else available
        pool = np.flatnonzero(available)
        if n <= 0 or pool.size == 0:
            return np.empty(0, dtype=np.int64)
        n = min(n, pool.size)
        if not self.region_path():
            return self._rng.choice(pool, size=n, replace=False)
        # uniform over the region: the first n of a random permutation that lie inside it;
        # if it holds fewer, the rest are the first ones outside it (uniform too). Membership
        # is tested along the permutation, a block at a time, only as far as needed.
        order = self._rng.permutation(pool)
        chosen: list[np.ndarray] = []
        found, start, block = 0, 0, max(128, 16 * n)
        while found < n and start < order.size:
            part = order[start : start + block]
            hits = part[self._inside(part)]
            chosen.append(hits)
            found += hits.size
            start += block
            block *= 2
        chosen_cells = np.concatenate(chosen)[:n]
        if chosen_cells.size < n:  # the whole permutation was tested
            outside = order[~self._inside(order)]
            chosen_cells = np.concatenate((chosen_cells, outside[: n - chosen_cells.size]))
        return chosen_cells
