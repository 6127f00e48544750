"""The speed scripts run end to end and print every figure the README quotes (tiny settings;
the figures themselves are measured by running the scripts, never asserted in tests)."""

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
ENV = {**os.environ, "PYTHONPATH": str(BENCHMARKS.parent)}  # this checkout's cenas_gym, whatever is installed


def run_script(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / name), *args], capture_output=True, text=True, timeout=300, env=ENV
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_perf_prints_throughput_time_split_and_memory():
    out = run_script("perf.py", "--runs", "1", "--memory-episodes", "2")
    for line in (
        "gym.make(CENAS-v0).step            lamoo",
        "simulator fast path (no gym)       lamoo",
        "gym.make(CENAS-v0).step            random",
        "simulator fast path (no gym)       random",
        "time split inside env.step, lamoo:",
        "time split inside env.step, random:",
        "env adapter (obs, reward, info)",
        "memory: peak RSS",
        "after      2 random-search episodes",
    ):
        assert line in out, f"missing {line!r} in:\n{out}"


def test_sim_speed_runs():
    out = run_script("sim_speed.py", "--runs", "1")
    assert "lamoo" in out and "random" in out
