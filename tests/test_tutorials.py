"""The three tutorials under docs/tutorials/ run end to end (``CENAS_TUTORIAL_FAST=1``: small
budgets, the same code), each in its own process as a reader would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "docs" / "tutorials"
SCRIPTS = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))
#: What each tutorial must print or write (beyond exiting 0).
EXPECT = {
    "01_quickstart.py": ("heuristic", "quickstart.png"),
    "02_train_ppo.py": ("my-ppo", "ppo_budget.zip"),
    "03_bring_your_own.py": ("cleaner-than-yesterday", "compared/summary.md"),
}


def test_three_tutorials_exist():
    assert [p.name for p in SCRIPTS] == sorted(EXPECT)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_tutorial_runs(script: Path, tmp_path: Path):
    if script.name == "02_train_ppo.py":
        pytest.importorskip("stable_baselines3")
    env = {**os.environ, "CENAS_TUTORIAL_FAST": "1", "CENAS_TUTORIAL_OUT": str(tmp_path), "MPLBACKEND": "Agg",
           "PYTHONWARNINGS": "ignore"}
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else root
    done = subprocess.run([sys.executable, str(script)], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"{script.name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    printed, written = EXPECT[script.name]
    assert printed in done.stdout
    assert any(tmp_path.rglob(Path(written).name)), f"{script.name} did not write {written}"
