"""SIGINT/SIGTERM sent to a real ``cenas-gym compare`` process: it stops within seconds, keeps
the finished runs, says in one line how to resume, leaves no process behind; and a Ray task
whose worker dies is retried without losing a run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from cenas_gym.compare.runstore import RUNS_FILE, read_runs

REPO = Path(__file__).resolve().parent.parent


def grid_args(out: Path, seeds: str, hours: str = "24") -> list[str]:
    return ["compare", "--out", str(out), "--policies", "heuristic,vanilla", "--traces", "ES:2022",
            "--windows", "2022-03-01T00:00Z", "--seeds", seeds, "--hours", hours, "--gpus", "4",
            "--optimizer", "random"]


def start_cli(args: list[str], crash_once_markers: Path | None = None, **env_vars: str) -> subprocess.Popen:
    """``cenas-gym ARGS`` in a new session; with ``crash_once_markers``, through tests/crash_once.py
    (each run's worker dies once)."""
    env = {**os.environ, **env_vars}
    command = [sys.executable, "-m", "cenas_gym.cli"]
    if crash_once_markers is not None:
        tests = str(Path(__file__).resolve().parent)
        env.update(CRASH_ONCE_MARKERS=str(crash_once_markers),
                   PYTHONPATH=os.pathsep.join(filter(None, [tests, str(REPO), env.get("PYTHONPATH")])))
        command = [sys.executable, str(Path(tests) / "crash_once.py")]
    return subprocess.Popen([*command, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for_runs(proc: subprocess.Popen, out: Path, n: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(read_runs(out / RUNS_FILE)) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no run finished in time"
        time.sleep(0.1)


def stop_and_check(proc: subprocess.Popen, out: Path, signum: int, group: bool, want_workers: int) -> str:
    """Send ``signum``; returns stderr after checking exit status, speed, message, processes."""
    workers = descendants(proc.pid)
    assert len(workers) >= want_workers, workers
    sent = time.monotonic()
    if group:  # as Ctrl-C in a terminal: the whole process group
        os.killpg(proc.pid, signum)
    else:
        os.kill(proc.pid, signum)
    _, err = proc.communicate(timeout=30)
    took = time.monotonic() - sent
    assert proc.returncode == 128 + signum, err
    assert took < 10.0, took
    assert "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("cenas-gym: interrupted: ") and "--resume" in last, err
    # The grid stops within seconds (above); the processes it stopped may take longer to be gone on
    # a loaded machine (Ray's own daemons exit after the driver), so their deadline is looser.
    deadline = time.monotonic() + 30.0
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in workers if alive(p)], "processes left behind"
    # what finished is on disk and belongs to this grid
    records = read_runs(out / RUNS_FILE)
    done = int(last.split("interrupted: ")[1].split(" of ")[0])
    assert done == len(records) >= 1
    grid = json.loads((out / "grid.json").read_text())
    assert {r["spec_hash"] for r in records} <= set(grid["runs"])
    partial = pd.read_csv(out / "results.partial.csv")
    assert list(partial["spec_hash"]) == [r["spec_hash"] for r in records]
    assert not (out / "results.csv").exists()
    return last


@pytest.mark.parametrize("signum, group", [(signal.SIGINT, True), (signal.SIGTERM, False)])
def test_process_pool_stops_on_signal(tmp_path, signum, group):
    out = tmp_path / "cmp"
    proc = start_cli(grid_args(out, "0-199") + ["--jobs", "2"])
    try:
        wait_for_runs(proc, out, 1)
        last = stop_and_check(proc, out, signum, group, want_workers=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "--seeds 0-199" in last and "--jobs 2" in last


@pytest.mark.slow
def test_signal_then_resume_gives_the_bytes_of_an_uninterrupted_run(tmp_path):
    from cenas_gym.cli import main

    out = tmp_path / "cmp"
    proc = start_cli(grid_args(out, "0-29") + ["--jobs", "2"])
    wait_for_runs(proc, out, 2)
    last = stop_and_check(proc, out, signal.SIGINT, True, want_workers=2)
    resume = last.split("resume with: cenas-gym ", 1)[1].split()
    assert main(resume) == 0
    fresh = tmp_path / "fresh"
    assert main(grid_args(fresh, "0-29")) == 0
    assert (out / "results.csv").read_bytes() == (fresh / "results.csv").read_bytes()


@pytest.mark.slow
def test_ray_stops_on_signal(tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "cmp"
    proc = start_cli(grid_args(out, "0-199") + ["--backend", "ray"], RAY_NUM_CPUS="2")
    try:
        wait_for_runs(proc, out, 1, timeout=120)
        stop_and_check(proc, out, signal.SIGINT, True, want_workers=1)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow
def test_ray_retries_a_task_whose_worker_died(tmp_path):
    pytest.importorskip("ray")
    from cenas_gym.cli import main

    out, markers = tmp_path / "cmp", tmp_path / "markers"
    markers.mkdir()
    proc = start_cli(grid_args(out, "0-1", hours="6") + ["--backend", "ray"], crash_once_markers=markers)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert sorted(p.name for p in markers.iterdir()) == ["0", "1", "2", "3"]  # every run's worker died once
    fresh = tmp_path / "fresh"
    assert main(grid_args(fresh, "0-1", hours="6")) == 0
    assert (out / "results.csv").read_bytes() == (fresh / "results.csv").read_bytes()


@pytest.mark.slow
def test_a_killed_pool_worker_loses_no_finished_run(tmp_path):
    """A process-pool worker that dies ends the grid with one line saying how to resume;
    the resumed grid equals an uninterrupted one."""
    from cenas_gym.cli import main

    out, markers = tmp_path / "cmp", tmp_path / "markers"
    markers.mkdir()
    for i in range(4):  # runs 0-3 are fine; the first of runs 4-11 to start kills its worker
        (markers / str(i)).touch()
    args = grid_args(out, "0-5", hours="6") + ["--jobs", "2"]
    proc = start_cli(args, crash_once_markers=markers)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("cenas-gym: error: a worker process died") and "runs saved in" in last, err
    assert last.endswith("--resume")
    saved = int(last.split("died (")[1].split("); ")[1].split(" of ")[0])
    assert saved == len(read_runs(out / RUNS_FILE)) >= 1  # (runs in flight at the crash are redone)
    assert main(args + ["--resume"]) == 0
    fresh = tmp_path / "fresh"
    assert main(grid_args(fresh, "0-5", hours="6")) == 0
    assert (out / "results.csv").read_bytes() == (fresh / "results.csv").read_bytes()


def geo_args(out: Path, seeds: str) -> list[str]:
    return ["compare", "--preset", "geo", "--out", str(out), "--sites", "NO:2022:2,ES:2022:4",
            "--policies", "geo-heuristic,geo-greedy,single:NO", "--windows", "2022-07-02T06:00Z", "--seeds", seeds,
            "--hours", "30", "--target-regret", "0.01", "--optimizer", "random"]


def test_geo_grid_stops_on_signal_and_resumes_to_the_same_bytes(tmp_path):
    """compare --preset geo runs on the same engine: SIGINT stops it within seconds with no
    worker left, and --resume completes it to the bytes of an uninterrupted run."""
    from cenas_gym.cli import main

    out = tmp_path / "geo"
    proc = start_cli(geo_args(out, "0-59") + ["--jobs", "2"])
    try:
        wait_for_runs(proc, out, 2)
        last = stop_and_check(proc, out, signal.SIGINT, True, want_workers=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    resume = last.split("resume with: cenas-gym ", 1)[1].split()
    assert "--resume" in resume and main(resume) == 0
    fresh = tmp_path / "fresh"
    assert main(geo_args(fresh, "0-59")) == 0
    assert (out / "results.csv").read_bytes() == (fresh / "results.csv").read_bytes()
