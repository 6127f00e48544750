"""Optimisations must not change a single result: trajectories equal the stored reference."""

import json

import pytest

from golden import CASES, GOLDEN_FILE, case_id, trajectory

GOLDEN = {entry["case"]: entry for entry in json.loads(GOLDEN_FILE.read_text())}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_trajectory_is_unchanged(case):
    expected = GOLDEN[case_id(case)]
    got = trajectory(*case)
    assert got["trained"] == expected["trained"]  # the same architectures, in the same order
    assert got["steps"] == expected["steps"]  # bit for bit: floats compared exactly
