"""The names the README documents keep working from their 0.2 places, with a DeprecationWarning
that names the new place (cenas_gym/_moved.py)."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import pytest

import cenas_gym
from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.envs.cenas import CENASEnv
from cenas_gym.policies.play import make_policy, run_policy
from cenas_gym.search.nasbench import ArchTable


@pytest.mark.parametrize("old, name, new", [
    ("cenas_gym.play", "make_policy", make_policy),
    ("cenas_gym.play", "run_policy", run_policy),
    ("cenas_gym.nasbench", "ArchTable", ArchTable),
    ("cenas_gym.carbon", "CarbonTrace", CarbonTrace),
    ("cenas_gym.env", "CENASEnv", CENASEnv),
])
def test_old_paths_warn_and_name_the_new_place(old, name, new):
    module = __import__(old, fromlist=[name])
    with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} moved to {new.__module__}\.{name}"):
        assert getattr(module, name) is new


def test_the_top_level_names_and_ids_stay():
    assert cenas_gym.ArchTable is ArchTable and cenas_gym.CarbonTrace is CarbonTrace
    for env_id in cenas_gym.ENV_IDS:
        assert env_id in gym.registry
    assert set(cenas_gym.TASK_ENV_IDS) == {"target", "budget"}


def test_python_m_cenas_gym_cli_runs_the_command_line():
    done = subprocess.run([sys.executable, "-m", "cenas_gym.cli", "--version"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and cenas_gym.__version__ in done.stdout
