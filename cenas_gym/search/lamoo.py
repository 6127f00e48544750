"""LaMOO (Zhao et al., "Multi-objective Optimization by Learning Space Partitions", ICLR 2022),
as CE-NAS uses it on NAS-Bench-201.

The fully trained architectures are split recursively: in a node, each sample is labelled by
its dominance number (how many of the node's samples dominate it; the better half, ties in
order of arrival, is "good"), an SVM (scikit-learn ``SVC``) learns good from bad, and the
node's samples go to the children either by their labels (``split="labels"``, the authors'
code) or by the side the SVM predicts (``split="svm"``). A node splits while it holds more
than ``min_split`` samples, is shallower than ``max_depth``, its labels hold both classes and
the SVM predicts both sides on its samples. A node's value is the hypervolume of its samples;
its UCB score is ``value + 2 Cp sqrt(2 ln n_parent / n_node)``.

A region is chosen either as the leaf with the highest UCB over all leaves (``"leaf"``, the
CE-NAS default) or by descending from the root to the child with the higher UCB
(``"mcts"``). Proposals are drawn uniformly from the untouched architectures inside that
region (the SVMs on the path all put them on the path's side). The space is discrete and
small (15,625 cells): proposals are the first untouched cells of a random permutation that
lie inside the region, uniform sampling and never a continuous relaxation. Membership is
tested exactly, along the permutation and only as far as needed, and remembered until the
next refit. If the region holds fewer untouched architectures than asked for, all
of them are proposed and the rest drawn uniformly from outside it.

Architectures are encoded for the SVMs as the one-hot of their six edge operations (30
features, ``encoding="onehot"``, the default) or as the authors do, six ordinal features
``op x 0.2`` (``encoding="ordinal"``; measured worse, see :class:`LamooConfig`); the SVMs
are libsvm's, fitted as ``SVC`` fits them (:mod:`cenas_gym.svm`).

Cost (issue 20; every number as 0.2.0 computed it, checked against a copy of 0.2.0's LaMOO in
``tests/lamoo_reference.py``): a refit reads the kernel indices and dominance relations of its
node samples from :class:`~cenas_gym.trained_cells.TrainedCells`, grown by the new rows only.
With the label split the tree is grown by the labels without fitting, and only the SVMs the
selected leaf depends on are fitted: its ancestors, and any unfitted node whose UCB as a leaf
could match the leaf's (2.8 fits per refit instead of 6.3 on ``CENAS-Target-v1`` with every
GPU training). A node's hypervolume and UCB are computed when first asked. The random
permutation is drawn by rank over :class:`~cenas_gym.freecells.FreeCells`, and membership is
tested along it in blocks sized by the region's share of the cells tested since the refit,
multiplying float32 features. What remains there (one core, every GPU training, ~4.2 ms per
step): per proposal the permutation of all free cells (~0.14 ms for 15,300; 8.6 proposals,
~1.2 ms per step), which the random stream requires, and per refit libsvm's solves (about n^2,
~1 ms per step); membership tests ~0.8 ms.

What the authors' code does (cake-lab/CE-NAS, files as stored at commit 42fcf77; the
data README cites 7a2ad3e9 of the same repository; the LaMOO code ``cenas_RL.py`` runs):
``lamoo/Classifier.py`` ``split_data`` sends each sample to the good or bad kid by its
label ``plabel`` (not by ``svm.predict``); ``is_splittable_svm`` asks for two label classes
and two predicted sides; ``lamoo/tasks/nasbench201/cifar10.py`` encodes a cell as 6 floats
``op x 0.2``; ``cenas_RL.py`` sets ``--cp`` default 30 on a maximum hypervolume of
4150.7236328125 (``_max_hv``, their units), i.e. Cp = 0.723 % of the maximum HV; their
README advises 10 % ("as a rule of thumb"). Remaining differences from their code, kept:
labels count strict dominators and give the good label to ``ceil(n/2)`` samples in stable
order (theirs: weak dominance, ``int(n/2)`` good, numpy's default sort); UCB ties go to the
first leaf (theirs: at random); proposals are uniform inside the region and are
de-duplicated against everything already trained, queued or screened (theirs:
``lamoo/sampler.py`` ``random_sample_nasbench201`` picks with replacement among filtered
random draws, and ``cenas_RL.py`` runs the sampler in a fresh child process every hour, so
the cells it deletes from its list are deleted only in that process's copy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from cenas_gym.search.freecells import FreeCells, as_free_cells, draw
from cenas_gym.search.nasbench import ArchTable
from cenas_gym.search.svm import ENCODINGS, FittedSVM, fit_on_kernel_index, gamma_of, ordinal, svm_features
from cenas_gym.search.trained_cells import TrainedCells

N_OPS = 5
SPLITS = ("labels", "svm")
#: Bounds on the first block of a proposal's permutation tested for membership (cells).
MIN_FIRST_BLOCK, MAX_FIRST_BLOCK = 8, 4096
#: The authors' Cp relative to their maximum hypervolume: ``--cp`` default 30 (cake-lab/CE-NAS
#: ``cenas_RL.py``) over ``_max_hv = 4150.7236328125`` (``lamoo/tasks/nasbench201/cifar10.py``).
CENAS_CP_FRACTION = 30.0 / 4150.7236328125
#: LaMOO's README rule of thumb (and this package's default before issue 13): 10 % of max HV.
README_CP_FRACTION = 0.1


@dataclass(frozen=True)
class LamooConfig:
    """LaMOO's settings (defaults: the CE-NAS authors' code, cake-lab/CE-NAS @ 42fcf77, except
    the encoding, see below).

    Attributes:
        kernel, degree, gamma, C: the SVM (CE-NAS: polynomial kernel, degree 4, gamma "scale";
            LaMOO's README reports RBF slightly better).
        min_split: a node splits only if it holds more than this many samples.
        max_depth: maximum depth of the partition tree (root = 0).
        cp_fraction: exploration constant Cp as a fraction of the maximum hypervolume (the
            HV of the table's true front), so that it means the same in any units. Default
            :data:`CENAS_CP_FRACTION` = 30 / 4150.72 = 0.723 % (the authors' ``--cp 30`` on
            their maximum HV); :data:`README_CP_FRACTION` = 0.1 is LaMOO's README advice and
            this package's default before issue 13.
        select: ``"leaf"`` (best UCB over all leaves) or ``"mcts"`` (descend by UCB).
        split: how a node's samples go to its children: ``"labels"`` (by their dominance
            label, the authors' ``Classifier.split_data``) or ``"svm"`` (by the side the
            fitted SVM predicts, so that a child's samples lie in the child's region; this
            package's default before issue 13).
        encoding: the SVM's features: ``"onehot"`` (30 features, the default) or
            ``"ordinal"`` (six features ``op x 0.2``, the authors'). Not the authors' choice
            by default because it measurably hurts: the ordinal code puts an order on
            categorical operations that a polynomial kernel cannot undo. Measured by
            ``python benchmarks/lamoo_options.py --seeds 10`` (all 8 GPUs train for 80 h,
            paired seeds): final normalised HV 0.99862 with ordinal vs 0.99924 with one-hot
            (label split both; paired difference +0.00062 [+0.00022, +0.00101], i.e. the
            HV regret falls from 0.00138 to 0.00076), lower HV after 100 and 200 trained
            architectures too, and an episode about twice as slow; the depth-1 "good" side
            of the ordinal SVM is less accurate than the whole space (86.6 % vs 87.06 %,
            ``tests/test_lamoo.py``), the one-hot one more accurate.
    """

    kernel: str = "poly"
    degree: int = 4
    gamma: str | float = "scale"
    C: float = 1.0
    min_split: int = 10
    max_depth: int = 3
    cp_fraction: float = CENAS_CP_FRACTION
    select: str = "leaf"
    split: str = "labels"
    encoding: str = "onehot"

    def __post_init__(self) -> None:
        if self.select not in ("leaf", "mcts"):
            raise ValueError(f"LamooConfig.select must be 'leaf' or 'mcts', got {self.select!r}")
        if self.split not in SPLITS:
            raise ValueError(f"LamooConfig.split must be one of {list(SPLITS)}, got {self.split!r}")
        if self.encoding not in ENCODINGS:
            raise ValueError(f"LamooConfig.encoding must be one of {list(ENCODINGS)}, got {self.encoding!r}")
        if self.kernel not in ("poly", "rbf", "linear", "sigmoid"):
            raise ValueError(f"LamooConfig.kernel must be poly, rbf, linear or sigmoid, got {self.kernel!r}")
        if self.min_split < 2 or self.max_depth < 0 or self.cp_fraction < 0:
            raise ValueError(
                f"LamooConfig needs min_split >= 2, max_depth >= 0, cp_fraction >= 0; got "
                f"{self.min_split}, {self.max_depth}, {self.cp_fraction}"
            )


@dataclass(eq=False)  # nodes compare by identity
class _Node:
    samples: np.ndarray  # NB201 indices
    depth: int
    positions: np.ndarray = field(repr=False)  # the samples' positions in the order of training
    value: float | None = None  # hypervolume of the samples; None until asked (LaMOO._value)
    ucb: float | None = None  # UCB score under its parent; None until asked (LaMOO._ucb)
    svm: FittedSVM | None = None
    children: tuple[_Node, _Node] | None = None  # (good side, bad side)
    parent: _Node | None = field(default=None, repr=False)
    labels: np.ndarray | None = field(default=None, repr=False)  # dominance labels (1: good)
    fitted: bool = True  # False: the SVM is not fitted yet, the children are those of the labels


@lru_cache(maxsize=8)
def feature_table(table: ArchTable, encoding: str = "onehot", dtype: type = np.float64) -> np.ndarray:
    """The (cached, read-only) SVM features (:func:`cenas_gym.svm.svm_features`) of every cell,
    as float64 or float32 (the same small integers and zeros/ones)."""
    features = svm_features(table.ops, encoding).astype(dtype)
    features.flags.writeable = False
    return features


@lru_cache(maxsize=8)
def one_hot_square_deviations(table: ArchTable) -> np.ndarray:
    """``(x - 0.2)^2`` of every one-hot feature of every cell (cached, read-only): what
    ``x.var()`` sums for any set of one-hot rows, whose mean is 6n / 30n = 0.2 for every n."""
    deviation = feature_table(table, "onehot") - 0.2
    squares = deviation * deviation
    squares.flags.writeable = False
    return squares


def one_hot_table(table: ArchTable) -> np.ndarray:
    """The (cached, read-only) one-hot features of every cell of a table."""
    return feature_table(table, "onehot")


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
        self.ops = table.ops.astype(np.int64)
        self._features = feature_table(table, self.config.encoding)  # what the SVMs multiply
        self._features32 = feature_table(table, self.config.encoding, np.float32)  # the same, faster
        self._square_deviations = one_hot_square_deviations(table)  # for gamma "scale" on one-hot rows
        self.cp = self.config.cp_fraction * max_hv
        self.ref_point = ref_point

    def reset(self, acc_pct: np.ndarray, cost: np.ndarray, rng: np.random.Generator) -> None:
        cfg = self.config
        self._acc = acc_pct
        self._cost = cost
        self._rng = rng
        self._trained = TrainedCells(self.ops, acc_pct, cost, self.ref_point, cfg.kernel, cfg.encoding)
        self._path: list[tuple[FittedSVM, int]] | None = None  # None: refit before the next proposal
        self._membership: np.ndarray | None = None  # per cell: -1 untested, 0 outside, 1 inside
        self._tested = (0, 0)  # cells tested for membership since the refit, and inside
        self.root: _Node | None = None

    def observe(self, indices: np.ndarray) -> None:
        if len(indices):
            self._trained.add(indices)
            self._path = None

    # -- the partition -------------------------------------------------------------------
    def _value(self, node: _Node) -> float:
        """The node's hypervolume (computed when first asked: only the leaves' are needed)."""
        if node.value is None:
            node.value = self._trained.hypervolume(node.positions)
        return node.value

    def _build(self, pos: np.ndarray, depth: int, parent: _Node | None) -> _Node:
        """The subtree over the trained cells at positions ``pos`` (in order of training).

        With ``split="labels"`` no SVM is fitted here: a node that may split gets the
        children its labels give, tentatively (``fitted`` False), and :meth:`_select` fits
        only the nodes whose answer can change the selected leaf (:meth:`_fit`)."""
        idx = self._trained.cells[pos]
        node = _Node(samples=idx, depth=depth, positions=pos, parent=parent)
        cfg = self.config
        if idx.size <= cfg.min_split or depth >= cfg.max_depth:
            return node
        counts = self._trained.dominator_counts(pos)
        good = np.zeros(idx.size, dtype=np.int64)
        good[np.argsort(counts, kind="stable")[: (idx.size + 1) // 2]] = 1
        if good.min() == good.max():
            return node
        node.labels, node.fitted = good, False
        if cfg.split == "labels":
            node.children = (self._build(pos[good == 1], depth + 1, node), self._build(pos[good == 0], depth + 1, node))
        else:  # the children are the SVM's sides: fit now
            self._fit(node)
        return node

    def _fit(self, node: _Node) -> None:
        """Fit the node's SVM; the node splits if the SVM predicts both sides on its samples
        (else it becomes a leaf)."""
        cfg, idx, pos = self.config, node.samples, node.positions
        ops = self.ops[idx]
        svm, side = fit_on_kernel_index(
            ops, self._trained.kernel_index(pos), node.labels,
            kernel=cfg.kernel, degree=cfg.degree, gamma=self._gamma(idx, ops), C=cfg.C, encoding=cfg.encoding,
            need_sides=cfg.split == "svm",
        )
        node.fitted = True
        if side is not None and side.min() == side.max():
            node.children = None  # the SVM cannot separate: keep the node whole
            return
        node.svm = svm
        if cfg.split == "svm":
            node.children = (
                self._build(pos[side == 1], node.depth + 1, node),
                self._build(pos[side == 0], node.depth + 1, node),
            )

    def _gamma(self, idx: np.ndarray, ops: np.ndarray) -> float:
        """The kernel coefficient ``SVC`` would use on these cells' features (:func:`gamma_of`)."""
        cfg = self.config
        if cfg.encoding == "ordinal":
            return gamma_of(ordinal(ops), cfg.gamma)
        if cfg.gamma != "scale":
            return gamma_of(self._features[idx], cfg.gamma)
        # x.var() of one-hot rows x, with numpy's own steps: mean 0.2 (see
        # one_hot_square_deviations), the same squares summed by the same reduction, / 30n
        width = self._features.shape[1]
        var = float(self._square_deviations[idx].sum()) / (idx.size * width)
        return 1.0 / (width * var) if var != 0 else 1.0

    def _ucb(self, node: _Node) -> float:
        """The node's UCB score under its parent (computed when first asked)."""
        if node.ucb is None:
            n_parent = node.parent.samples.size
            node.ucb = self._value(node) + 2.0 * self.cp * np.sqrt(2.0 * np.log(n_parent) / node.samples.size)
        return node.ucb

    def _select(self, root: _Node) -> _Node:
        """The selected leaf, fitting the SVMs the answer depends on (see :meth:`_build`)."""
        if self.config.select == "mcts":
            node = root
            while True:
                if not node.fitted:
                    self._fit(node)
                if node.children is None:
                    return node
                scores = [self._ucb(child) for child in node.children]
                node = node.children[int(np.argmax(scores))]
        while True:
            # the best leaf of the tree in which every unfitted node splits
            leaves: list[_Node] = []
            unfitted: list[_Node] = []
            stack = [root]
            while stack:
                node = stack.pop()
                if node.children is None:
                    leaves.append(node)
                else:
                    if not node.fitted:
                        unfitted.append(node)
                    stack.extend(reversed(node.children))  # good side first
            if len(leaves) == 1:
                return leaves[0]
            scores = [self._ucb(leaf) for leaf in leaves]
            best = leaves[int(np.argmax(scores))]
            ancestors = []
            node = best.parent
            while node is not None:
                ancestors.append(node)
                node = node.parent
            # it is the best leaf of the fitted tree once its ancestors are known to split and
            # no unfitted node could, as a leaf, score as high (the first maximum wins)
            undecided = [node for node in reversed(ancestors) if not node.fitted]
            if not undecided:
                undecided = [node for node in unfitted if node not in ancestors
                             and self._ucb(node) >= max(scores)]
            if not undecided:
                return best
            self._fit(undecided[0])

    def region_path(self) -> list[tuple[FittedSVM, int]]:
        """The selected region as (SVM, side) pairs from the root down (refitted if stale)."""
        if self._path is None:
            if not self._trained.n:
                self.root, self._path = None, []
                return self._path
            self.root = self._build(np.arange(self._trained.n), 0, None)
            leaf = self._select(self.root)
            path: list[tuple[FittedSVM, int]] = []
            while leaf.parent is not None:
                parent = leaf.parent
                path.append((parent.svm, 1 if parent.children[0] is leaf else 0))
                leaf = parent
            self._path = path[::-1]
            self._membership = None
            self._tested = (0, 0)  # cells tested for membership since the refit, and inside
        return self._path

    def _inside(self, cells: np.ndarray) -> np.ndarray:
        """Whether each cell lies inside the selected region; memoised until the next refit.

        A cell is tested by the path's SVMs from the deepest (fewest support vectors) up, and
        only while it is still inside."""
        path = self.region_path()  # refits (and forgets memberships) if stale
        membership = self._membership
        if membership is None:
            membership = self._membership = np.full(self.ops.shape[0], -1, dtype=np.int8)
        known = membership[cells]
        unknown = cells[known < 0]
        if unknown.size:
            still = unknown  # the cells still inside
            for svm, side in reversed(path):
                still = still[svm.on_side(self._features32[still], side)]
                if not still.size:
                    break
            membership[unknown] = 0
            membership[still] = 1
            self._tested = (self._tested[0] + unknown.size, self._tested[1] + still.size)
            known = membership[cells]
        return known == 1

    def _block(self, n: int) -> int:
        """How many cells of the permutation to test first for ``n`` proposals: about twice
        what the region's share of the cells tested since the refit predicts (the answer does
        not depend on it: the first ``n`` inside, in permutation order; only the work does)."""
        tested, inside = self._tested
        share = (inside + 1) / (tested + 2)
        return int(min(MAX_FIRST_BLOCK, max(MIN_FIRST_BLOCK, 2 * n / share)))

    def region_mask(self) -> np.ndarray:
        """Mask over the whole table: inside the selected region."""
        return self._inside(np.arange(self.ops.shape[0]))

    def propose(self, n: int, available: FreeCells | np.ndarray) -> np.ndarray:
        free = as_free_cells(available)
        n_free = len(free)
        if n <= 0 or n_free == 0:
            return np.empty(0, dtype=np.int64)
        n = min(n, n_free)
        if not self.region_path():
            return draw(self._rng, free, n)
        # uniform over the region: the first n of a random permutation of the free cells that
        # lie inside it; if it holds fewer, the rest are the first ones outside it (uniform
        # too). The permutation is drawn by rank (the random numbers of rng.permutation(free
        # cells)); membership is tested along it, a block at a time, only as far as needed.
        ranks = self._rng.permutation(n_free)
        pool = free.cells()
        chosen: list[np.ndarray] = []
        found, start, block = 0, 0, self._block(n)
        while found < n and start < n_free:
            part = pool[ranks[start : start + block]]
            hits = part[self._inside(part)]
            chosen.append(hits)
            found += hits.size
            start += block
            block *= 2
        chosen_cells = np.concatenate(chosen)[:n]
        if chosen_cells.size < n:  # the whole permutation was tested
            order = pool[ranks]
            outside = order[~self._inside(order)]
            chosen_cells = np.concatenate((chosen_cells, outside[: n - chosen_cells.size]))
        return chosen_cells


class MultiFidelityLaMOO(LaMOO):
    """LaMOO whose partition also learns from screened cells (``screening="partition"``,
    issue 21): besides the trained cells (true accuracy), the cells waiting in the screened
    pool enter the tree at the accuracy the error model predicts for them
    (:meth:`observe_estimates`, a fidelity label: replaced by the truth once trained). Hours of
    sampling so move the search region before training resumes. The pool holds at most
    ``pool_cap`` cells, so the tree grows by that much at most."""

    def reset(self, acc_pct: np.ndarray, cost: np.ndarray, rng: np.random.Generator) -> None:
        self._true_acc = acc_pct
        super().reset(np.array(acc_pct, dtype=np.float64), cost, rng)  # a copy: estimates are written in
        self._estimated: list[int] = []

    def observe(self, indices: np.ndarray) -> None:
        if len(indices):
            idx = np.asarray(indices, dtype=np.int64)
            self._acc[idx] = self._true_acc[idx]  # the truth replaces the estimate
        super().observe(indices)

    def observe_estimates(self, cells: np.ndarray, acc_pct: np.ndarray) -> None:
        """The screened cells now waiting, at their predicted accuracy (%); replaces the last set."""
        cells = np.asarray(cells, dtype=np.int64)
        self._acc[cells] = acc_pct
        self._estimated = [int(c) for c in cells]
        self._path = None

    def region_path(self) -> list[tuple[FittedSVM, int]]:
        """As :meth:`LaMOO.region_path`, on the trained cells followed by the waiting screened
        ones (at their predicted accuracy): a :class:`TrainedCells` of both, built for this
        refit only (the estimates change every step, so nothing of it is kept)."""
        if self._path is None and self._estimated:
            trained = self._trained
            known = set(trained.cells[: trained.n].tolist())
            extra = [c for c in self._estimated if c not in known]
            if extra:
                cfg = self.config
                both = TrainedCells(self.ops, self._acc, self._cost, self.ref_point, cfg.kernel, cfg.encoding)
                both.add(np.concatenate((trained.cells[: trained.n], np.asarray(extra, dtype=np.int64))))
                self._trained = both
                try:
                    return super().region_path()  # node values are all computed in here
                finally:
                    self._trained = trained
        return super().region_path()
