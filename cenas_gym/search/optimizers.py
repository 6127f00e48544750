"""Optimizers propose which architectures to look at next.

An optimizer sees the true objectives of the architectures that were fully trained
(:meth:`Optimizer.observe`) and proposes untouched architectures (:meth:`Optimizer.propose`).
It draws every random number from the generator the simulator hands it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from cenas_gym.search.freecells import FreeCells, as_free_cells, draw
from cenas_gym.search.nasbench import ArchTable


class Optimizer(Protocol):
    """What the simulator needs from a search strategy."""

    def reset(self, acc_pct: np.ndarray, cost: np.ndarray, rng: np.random.Generator) -> None:
        """Start a new search over the whole table (objective arrays indexed by NB201 index)."""

    def observe(self, indices: np.ndarray) -> None:
        """These architectures finished training: their true objectives are now known."""

    def propose(self, n: int, available: FreeCells | np.ndarray) -> np.ndarray:
        """Up to ``n`` distinct NB201 indices among the free cells (a :class:`FreeCells`, or a
        boolean mask: True where free)."""


class RandomSearch:
    """Uniform sampling without replacement from the untouched architectures."""

    def reset(self, acc_pct: np.ndarray, cost: np.ndarray, rng: np.random.Generator) -> None:
        self._rng = rng

    def observe(self, indices: np.ndarray) -> None:
        pass

    def propose(self, n: int, available: FreeCells | np.ndarray) -> np.ndarray:
        free = as_free_cells(available)
        n_free = len(free)
        if n <= 0 or n_free == 0:
            return np.empty(0, dtype=np.int64)
        # the draw of rng.choice(free cells, ...), by rank: same random numbers, same cells
        return draw(self._rng, free, min(n, n_free))

    def propose_one(self, free: FreeCells) -> int | None:
        """``propose(1, free)``'s cell as an int (None when no cell is free): the same draw,
        ``rng.integers(len(free))`` (see :func:`draw`), without the array around it."""
        n_free = len(free)
        if n_free == 0:
            return None
        return free.nth_one(int(self._rng.integers(n_free)))


OPTIMIZERS = ("lamoo", "random")


def make_optimizer(name: str, table: ArchTable, max_hv: float, ref_point: tuple[float, float], **lamoo_kwargs) -> Optimizer:
    """Build an optimizer by name: ``"lamoo"`` (default) or ``"random"``."""
    if name == "random":
        if lamoo_kwargs:
            raise ValueError(f"options {sorted(lamoo_kwargs)} only apply to optimizer='lamoo'")
        return RandomSearch()
    if name == "lamoo":
        from cenas_gym.search.lamoo import LaMOO, LamooConfig

        return LaMOO(table, max_hv=max_hv, ref_point=ref_point, config=LamooConfig(**lamoo_kwargs))
    raise ValueError(f"unknown optimizer {name!r}; choose one of {list(OPTIMIZERS)}")
