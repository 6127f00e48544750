"""The speed scripts run end to end and print every figure the README quotes (tiny settings;
the figures themselves are measured by running the scripts, never asserted in tests)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


def run_script(name: str, *args: str) -> str:
    # the checkout's package first (a script's own folder is sys.path[0], not the checkout)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / name), *args], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_perf_quick_prints_every_cell_long_episode_and_memory():
    out = run_script("perf.py", "--quick", "--memory-episodes", "2")
    for env_id in ("CENAS-v0", "CENAS-v1", "CENAS-Target-v1", "CENAS-Geo-v1"):
        for optimizer in ("lamoo", "random"):
            for pattern in ("vanilla", "heuristic"):
                assert f"{env_id:<16} {optimizer:<15} {pattern:<9}" in out, f"missing {env_id} {optimizer} {pattern}:\n{out}"
    assert "CENAS-Target-v1  lamoo:ordinal" in out and "CENAS-Target-v1  lamoo:svm-split" in out
    for line in ("peak resident memory", "first and the last", "after      2 episodes", "growth from episode"):
        assert line in out, f"missing {line!r} in:\n{out}"


def test_lamoo_options_prints_every_option():
    out = run_script("lamoo_options.py", "--seeds", "2", "--hours", "3")
    for option in ("authors (labels, ordinal, Cp 0.72 %)", "pre-issue-13 (svm, onehot, Cp 10 %)", "final vs authors"):
        assert option in out


def test_forecast_error_prints_mae_per_lead():
    out = run_script("forecast_error.py", "--traces", "US-CAL-CISO:2021", "--leads", "3", "--stride", "200")
    assert "ridge" in out and "persistence" in out and "yesterday" in out
    assert "mean over traces" in out and "   3 " in out
