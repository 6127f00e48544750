"""FreeCells answers "the k-th free cell" as a scan of the mask does, and the optimizers draw
the same cells from it as from the mask."""

import numpy as np
import pytest

from cenas_gym.search.freecells import FEW_RANKS, FreeCells, as_free_cells, draw
from cenas_gym.search.optimizers import RandomSearch


@pytest.mark.parametrize("seed", range(5))
def test_nth_equals_a_scan_of_the_mask(seed):
    rng = np.random.default_rng(seed)
    free = FreeCells(2000)
    for _ in range(40):
        free.take_many(rng.choice(2000, size=rng.integers(1, 30)))
        pool = np.flatnonzero(free.mask)
        assert len(free) == pool.size
        for size in (1, FEW_RANKS, FEW_RANKS + 1, pool.size):  # both lookups: one by one, numpy
            ranks = rng.choice(pool.size, size=size, replace=False)
            assert np.array_equal(free.nth(ranks), pool[ranks])
        assert np.array_equal(free.cells(), pool)
    assert np.array_equal(as_free_cells(free.mask).cells(), free.cells())


def test_random_search_draws_what_choice_over_the_mask_draws():
    mask = np.random.default_rng(1).random(15625) < 0.7
    for n in (1, 10, 100):
        old = np.random.default_rng(7).choice(np.flatnonzero(mask), size=n, replace=False)
        search = RandomSearch()
        search.reset(np.zeros(15625), np.zeros(15625), np.random.default_rng(7))
        assert np.array_equal(search.propose(n, as_free_cells(mask)), old)
        search.reset(np.zeros(15625), np.zeros(15625), np.random.default_rng(7))
        assert np.array_equal(search.propose(n, mask), old)


@pytest.mark.parametrize("taken", [0, 1, 5, 15624])
def test_one_cell_is_drawn_as_choice_draws_it(taken):
    free = FreeCells(15625)
    free.take_many(np.random.default_rng(taken).choice(15625, size=taken, replace=False))
    for seed in range(50):
        fast, plain = np.random.default_rng(seed), np.random.default_rng(seed)
        assert draw(fast, free, 1).tolist() == plain.choice(free.cells(), size=1, replace=False).tolist()
        assert fast.random() == plain.random()  # and leaves the generator in the same state
