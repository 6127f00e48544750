"""Finished runs on disk: spec hashes, resume gives the same bytes, folders hold one grid."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from cenas_gym.compare import grid as grid_module
from cenas_gym.compare import runners
from cenas_gym.compare.grid import Grid
from cenas_gym.compare.runners import compare
from cenas_gym.search.lamoo import LamooConfig
from cenas_gym.compare.runstore import FolderInUse, RUNS_FILE, read_runs, spec_hash
from cenas_gym.sim.simulator import SimConfig

REPO = Path(__file__).resolve().parent.parent

GRID = Grid(
    policies=("heuristic", "vanilla"),
    traces=("ES:2022",),
    windows=("2022-03-01T00:00Z",),
    seeds=(0, 1, 2),
    config=SimConfig(n_gpus=2, budget_hours=4.0, optimizer="random"),
)


def test_spec_hash_sees_every_field_and_nested_config():
    spec = GRID.runs()[0]
    h = spec_hash(spec)
    assert len(h) == 16 and h == spec_hash(GRID.runs()[0])
    changed = [
        replace(spec, index=1), replace(spec, policy="vanilla"), replace(spec, trace="ES:2021"),
        replace(spec, start="2022-03-01T01:00Z"), replace(spec, seed=7),
        replace(spec, config=spec.config.with_(n_gpus=3)),
        replace(spec, config=spec.config.with_(lamoo=LamooConfig(degree=3))),  # nested dataclass
    ]
    assert len({h} | {spec_hash(s) for s in changed}) == len(changed) + 1


def test_spec_hash_is_the_same_in_another_python_process():
    code = ("from cenas_gym.compare.grid import Grid; from cenas_gym.sim.simulator import SimConfig; "
            "from cenas_gym.compare.runstore import spec_hash; "
            "g = Grid(policies=('heuristic', 'vanilla'), traces=('ES:2022',), windows=('2022-03-01T00:00Z',), "
            "seeds=(0, 1, 2), config=SimConfig(n_gpus=2, budget_hours=4.0, optimizer='random')); "
            "print(' '.join(spec_hash(s) for s in g.runs()))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"}).stdout.split()
    assert out == [spec_hash(s) for s in GRID.runs()]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("fresh")
    compare(GRID, out, progress=False, plots=False)
    return out


def _interrupt_after(monkeypatch, n: int) -> None:
    """The (n+1)-th run raises KeyboardInterrupt, as SIGINT would."""
    real = runners.run_one
    calls = []

    def run_one(spec):
        if len(calls) == n:
            raise KeyboardInterrupt
        calls.append(spec)
        return real(spec)

    monkeypatch.setattr(runners, "run_one", run_one)


def test_interrupted_then_resumed_gives_the_same_bytes(fresh, tmp_path, monkeypatch):
    out = tmp_path / "cmp"
    _interrupt_after(monkeypatch, 4)
    with pytest.raises(KeyboardInterrupt):
        compare(GRID, out, progress=False, plots=False)
    assert not (out / "results.csv").exists()
    assert len(read_runs(out / RUNS_FILE)) == 4
    partial = (out / "results.partial.csv").read_text().splitlines()
    assert len(partial) == 5 and "spec_hash" in partial[0].split(",")
    grid_json = json.loads((out / "grid.json").read_text())
    assert grid_json["runs"] == [spec_hash(s) for s in GRID.runs()]
    monkeypatch.undo()

    ran = []
    real = runners.run_one
    monkeypatch.setattr(runners, "run_one", lambda spec: ran.append(spec.index) or real(spec))
    compare(GRID, out, progress=False, plots=False, resume=True)
    assert ran == [4, 5]  # only the two missing runs
    assert (out / "results.csv").read_bytes() == (fresh / "results.csv").read_bytes()
    assert not (out / "results.partial.csv").exists()
    # resuming a finished folder runs nothing and writes the same bytes again
    ran.clear()
    compare(GRID, out, progress=False, plots=False, resume=True)
    assert ran == [] and (out / "results.csv").read_bytes() == (fresh / "results.csv").read_bytes()


def test_a_line_cut_short_by_a_crash_is_dropped_and_redone(fresh, tmp_path, monkeypatch):
    out = tmp_path / "cmp"
    _interrupt_after(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        compare(GRID, out, progress=False, plots=False)
    monkeypatch.undo()
    runs = out / RUNS_FILE
    data = runs.read_bytes()
    runs.write_bytes(data[: len(data) - 40])  # the third record loses its end
    assert len(read_runs(runs)) == 2
    compare(GRID, out, progress=False, plots=False, resume=True)
    assert (out / "results.csv").read_bytes() == (fresh / "results.csv").read_bytes()


def test_rows_in_spec_order_whatever_the_completion_order(fresh, tmp_path):
    out = tmp_path / "cmp"
    store_order = list(reversed(range(len(GRID.runs()))))
    from cenas_gym.compare.runstore import RunStore

    specs = GRID.runs()
    store = RunStore.open(out, GRID, specs)
    for i in store_order:
        store.add(i, runners.run_one(specs[i]))
    compare(GRID, out, progress=False, plots=False, resume=True)
    assert (out / "results.csv").read_bytes() == (fresh / "results.csv").read_bytes()


def test_folder_holds_one_grid(fresh, tmp_path):
    other = replace(GRID, seeds=(0, 1), config=GRID.config.with_(budget_hours=5.0), task=None)  # task from the config
    with pytest.raises(FolderInUse) as err:
        compare(other, fresh, progress=False, plots=False, resume=True)
    msg = str(err.value)
    assert "different grid" in msg and "--force" in msg
    assert "seeds: [0, 1, 2] in the folder, [0, 1] now" in msg
    assert "config.budget_hours: 4.0 in the folder, 5.0 now" in msg
    with pytest.raises(FolderInUse, match="different grid"):
        compare(other, fresh, progress=False, plots=False)
    # the same grid without --resume: refused too (finished runs are never dropped silently)
    with pytest.raises(FolderInUse, match=r"already holds 6 of 6 finished run\(s\) of this grid: pass --resume"):
        compare(GRID, fresh, progress=False, plots=False)
    # --force overwrites
    out = tmp_path / "forced"
    compare(GRID, out, progress=False, plots=False)
    compare(other, out, progress=False, plots=False, force=True)
    assert len(read_runs(out / RUNS_FILE)) == len(other.runs()) == 4
    assert json.loads((out / "grid.json").read_text())["seeds"] == [0, 1]


def test_results_without_grid_json_are_not_overwritten(tmp_path):
    (tmp_path / "results.csv").write_text("a\n1\n")
    with pytest.raises(FolderInUse, match="no grid.json"):
        compare(GRID, tmp_path, progress=False, plots=False)
    assert (tmp_path / "results.csv").read_text() == "a\n1\n"


def test_cli_refuses_another_grid_and_names_the_difference(tmp_path, capsys):
    from cenas_gym.cli import main

    args = ["compare", "--out", str(tmp_path), "--policies", "heuristic", "--traces", "ES:2022",
            "--windows", "2022-03-01T00:00Z", "--seeds", "1", "--hours", "3", "--gpus", "2", "--optimizer", "random"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args[:-5] + ["4"] + args[-4:] + ["--resume"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cenas-gym: error: ") and err.count("\n") == 1
    assert "config.budget_hours: 3.0 in the folder, 4.0 now" in err
    assert main(args) == 2 and "--resume" in capsys.readouterr().err
    assert main(args + ["--resume"]) == 0


def test_a_changed_trace_file_is_another_grid(tmp_path):
    import pandas as pd

    path = tmp_path / "flat.csv"
    times = pd.date_range("2021-03-01", periods=12, freq="h", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    pd.DataFrame({"timestamp": times, "value": [100.0] * 12}).to_csv(path, index=False)
    grid = replace(GRID, traces=(str(path),), windows=("2021-03-01T02:00Z",), seeds=(0,))
    out = tmp_path / "cmp"
    compare(grid, out, progress=False, plots=False)
    grid_module.load_trace.cache_clear()
    pd.DataFrame({"timestamp": times, "value": [200.0] * 12}).to_csv(path, index=False)
    with pytest.raises(FolderInUse, match=r"different grid \(files\.\S+flat\.csv: \"\w+\" in the folder, \"\w+\" now"):
        compare(grid, out, progress=False, plots=False, resume=True)
    grid_module.load_trace.cache_clear()
