"""Optimisations must not change a single result: trajectories equal the stored reference."""

import json

import pytest

from golden import CASES, GOLDEN_FILE, trajectory

GOLDEN = {tuple(entry["case"]): entry for entry in json.loads(GOLDEN_FILE.read_text())}


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_trajectory_is_unchanged(case):
    expected = GOLDEN[tuple(case)]
    got = trajectory(*case)
    assert got["trained"] == expected["trained"]  # the same architectures, in the same order
    assert got["steps"] == expected["steps"]  # bit for bit: floats compared exactly
