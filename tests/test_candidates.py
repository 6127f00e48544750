"""The candidate queue keeps dominator counts incrementally; its order must equal a recount."""

import numpy as np
import pytest

from cenas_gym.search.candidates import CandidateQueue


def brute_force_pop(queue: list[int], acc: np.ndarray, cost: np.ndarray) -> int:
    counts = [
        sum(acc[j] >= acc[i] and cost[j] <= cost[i] and (acc[j] > acc[i] or cost[j] < cost[i]) for j in queue)
        for i in queue
    ]
    return queue.pop(counts.index(min(counts)))  # first minimum: FIFO ties


@pytest.mark.parametrize("seed", range(5))
def test_interleaved_appends_and_pops_match_a_full_recount(seed):
    rng = np.random.default_rng(seed)
    n_cells = 200
    # few distinct values: many ties and exact duplicates
    acc = rng.integers(0, 5, size=n_cells).astype(float)
    cost = rng.integers(0, 5, size=n_cells).astype(float)
    queue = CandidateQueue(acc, cost)
    reference: list[int] = []
    for cell in rng.permutation(n_cells):
        queue.append(cell)
        reference.append(int(cell))
        while len(reference) > 10 or (reference and rng.random() < 0.4):
            assert queue.pop_least_dominated() == brute_force_pop(reference, acc, cost)
        assert queue.cells == reference
    while reference:
        assert queue.pop_least_dominated() == brute_force_pop(reference, acc, cost)


def test_starts_from_a_given_list_and_updates_it_in_place():
    acc = np.array([50.0, 60.0, 60.0, 40.0, 70.0])
    cost = np.array([10.0, 10.0, 5.0, 1.0, 20.0])
    cells = [0, 1, 2, 3, 4]
    queue = CandidateQueue(acc, cost, cells)
    assert queue.pop_least_dominated() == 2 and cells == [0, 1, 3, 4]
    queue.append(2)
    assert cells == [0, 1, 3, 4, 2] and len(queue) == 5


def test_pop_from_empty_queue_says_so():
    with pytest.raises(IndexError, match="empty candidate queue"):
        CandidateQueue(np.zeros(3), np.zeros(3)).pop_least_dominated()
