"""``CENAS-v0`` keeps its exact observations and rewards (tests/env_reference.py wrote them)."""

import json

import pytest

from env_reference import CASES, REFERENCE_FILE, episode

REFERENCE = json.loads(REFERENCE_FILE.read_text())


@pytest.mark.parametrize("index", range(len(CASES)))
def test_v0_episode_is_unchanged(index):
    assert episode(*CASES[index]) == REFERENCE[index]
