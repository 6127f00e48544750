"""The ``cenas-gym`` command line, called in-process through ``main([...])``."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cenas_gym.cli import main

REPO = Path(__file__).resolve().parent.parent
SHORT_RUN = ["run", "--policy", "heuristic", "--optimizer", "random", "--hours", "10"]


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> object:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Exit 2 with one ``cenas-gym: error: ...`` line (argparse usage errors: usage first,
    then ``cenas-gym <command>: error: ...``), never a traceback."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert "Traceback" not in err and captured.out == ""
    if err.startswith("usage: cenas-gym"):
        assert "error: " in err.splitlines()[-1], err
    else:
        assert err.startswith("cenas-gym: error: ") and err.count("\n") == 1, err
    return err


# ------------------------------------------------------------------------ traces
def test_traces_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(capsys, ["traces", "list", "--json"])
    by_name = {r["name"]: r for r in rows}
    assert "US-CAL-CISO:2021" in by_name
    r = by_name["US-CAL-CISO:2021"]
    assert (r["zone"], r["year"], r["kind"], r["hours"]) == ("US-CAL-CISO", "2021", "direct", 8760)
    assert by_name["US-CAL-CISO:2021:lca"]["kind"] == "lca"
    assert 150 < r["mean_g_per_kwh"] < 250


def test_traces_list_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traces", "list"]) == 0
    assert "US-CAL-CISO:2021" in capsys.readouterr().out


def test_traces_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    info = _json(capsys, ["traces", "show", "US-CAL-CISO:2021", "--json"])
    assert info["stats"]["hours"] == 8760
    assert info["stats"]["min"] <= info["stats"]["p50"] <= info["stats"]["max"]
    assert info["start"] == "2021-01-01T00:00:00Z" and info["end"] == "2021-12-31T23:00:00Z"
    assert info["filled_hours"] == 0 and info["source"] == "Electricity Maps"


def test_traces_show_reports_filled_hours(capsys: pytest.CaptureFixture[str]) -> None:
    info = _json(capsys, ["traces", "show", "EIA-CISO:2022", "--json"])
    assert info["filled_hours"] == 3 and len(info["filled"]) == 3


def test_traces_plot_writes_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "trace.png"
    argv = ["traces", "plot", "US-CAL-CISO:2021", "--out", str(out), "--start", "2021-07-01T00:00Z", "--hours", "48"]
    assert main(argv) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_trace_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    err = _error(capsys, ["traces", "show", "US-CAL-CISO:2031"])
    assert "US-CAL-CISO:2031" in err and "did you mean" in err


# ------------------------------------------------------------------------- space
def test_space_json(capsys: pytest.CaptureFixture[str]) -> None:
    s = _json(capsys, ["space", "--json"])
    assert s["size"] == 15625 and s["cost"] == "raspi4_latency_ms"
    assert s["pareto_front_size"] > 0 and s["hv"] > 0
    assert s["hv_reference_point"]["acc_pct"] == 0 and s["hv_reference_point"]["cost"] > 0
    assert set(s["spearman_vs_true_accuracy"]) == {
        "oneshot_acc_cifar10_pct", "fewshot_acc_cifar10_pct", "acc12_cifar10_pct", "naswot_cifar10",
    }
    assert all(0 < rho < 1 for rho in s["spearman_vs_true_accuracy"].values())
    assert 90 < s["best_accuracy_pct"] < 100 and 0 <= s["best_accuracy_index"] < 15625


def test_space_other_cost_and_bad_cost(capsys: pytest.CaptureFixture[str]) -> None:
    s = _json(capsys, ["space", "--json", "--cost", "pi5_energy_mj"])
    assert s["cost"] == "pi5_energy_mj" and s["pareto_front_size"] > 0
    err = _error(capsys, ["space", "--cost", "nope"])
    assert "raspi4_latency_ms" in err  # argparse lists the valid choices


# --------------------------------------------------------------------------- run
RUN_KEYS = {
    "final_hv", "final_hv_normalized", "carbon_kg", "energy_kwh", "n_trained", "n_screened",
    "hv_per_kg", "hours", "policy", "trace", "start", "seed", "gpus", "optimizer", "accounting",
    "hardware_metric",
}


def test_run_json_keys_and_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    r = _json(capsys, SHORT_RUN + ["--json"])
    assert RUN_KEYS <= set(r)
    assert r["hours"] == 10 and r["policy"] == "heuristic" and r["trace"] == "US-CAL-CISO:2021"
    assert r["start"] == "2021-07-02T06:00:00Z" and r["seed"] == 0 and r["gpus"] == 8
    assert (r["optimizer"], r["accounting"], r["hardware_metric"]) == ("random", "default", "raspi4_latency_ms")
    assert 0 < r["final_hv_normalized"] <= 1 and r["carbon_kg"] > 0


def test_run_text_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(SHORT_RUN) == 0
    out = capsys.readouterr().out
    assert "hypervolume" in out and "kg CO2eq" in out


def test_run_trajectory_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "traj.csv"
    r = _json(capsys, SHORT_RUN + ["--json", "--trajectory", str(path)])
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 10
    for col in ("intensity_g_per_kwh", "energy_kwh", "carbon_g", "train_gpu_s", "sample_gpu_s",
                "idle_gpu_s", "hv", "hv_normalized"):
        assert col in rows[0], col
    step_carbon_g = sum(float(row["carbon_g"]) for row in rows)
    # summary's carbon_kg includes the initial samples (init_carbon_kg), charged before step 0
    assert step_carbon_g == pytest.approx(r["carbon_kg"] * 1000 - r["init_carbon_kg"] * 1000, rel=1e-9)
    assert float(rows[-1]["hv_normalized"]) == pytest.approx(r["final_hv_normalized"])
    # per step, train + sample + idle GPU-seconds fill the pool
    for row in rows:
        total = float(row["train_gpu_s"]) + float(row["sample_gpu_s"]) + float(row["idle_gpu_s"])
        assert total == pytest.approx(8 * 3600)


def test_run_same_seed_same_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(SHORT_RUN + ["--json", "--seed", "3"]) == 0
    first = capsys.readouterr().out
    assert main(SHORT_RUN + ["--json", "--seed", "3"]) == 0
    assert capsys.readouterr().out == first
    assert main(SHORT_RUN + ["--json", "--seed", "4"]) == 0
    assert capsys.readouterr().out != first


def test_run_carbon_budget_stops_early(capsys: pytest.CaptureFixture[str]) -> None:
    r = _json(capsys, SHORT_RUN + ["--json", "--carbon-budget-kg", "2"])
    assert r["stopped_by"] == "carbon budget" and r["hours"] < 10 and r["carbon_kg"] >= 2


def test_run_trace_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mine.csv"
    lines = ["timestamp,value"] + [f"2024-03-01T{h:02d}:00:00Z,{100 + 10 * h}" for h in range(12)]
    path.write_text("\n".join(lines) + "\n")
    r = _json(capsys, ["run", "--policy", "vanilla", "--optimizer", "random", "--hours", "6",
                       "--trace-file", str(path), "--json"])
    # the default start (July 2) is not in this file: the run starts at its first hour
    assert r["trace"] == "mine" and r["start"] == "2024-03-01T00:00:00Z" and r["hours"] == 6


def test_run_trace_file_fill_gaps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gappy.csv"
    hours = [h for h in range(8) if h != 3]
    path.write_text("timestamp,value\n" + "".join(f"2024-03-01T{h:02d}:00:00Z,{100 + h}\n" for h in hours))
    err = _error(capsys, ["run", "--policy", "vanilla", "--hours", "4", "--trace-file", str(path)])
    assert "gap" in err
    r = _json(capsys, ["run", "--policy", "vanilla", "--optimizer", "random", "--hours", "4",
                       "--trace-file", str(path), "--fill-gaps", "--json"])
    assert r["hours"] == 4


def test_malformed_trace_file_names_the_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    # line 1 header, lines 2.. data; line 4 holds a non-number
    path.write_text("timestamp,value\n2024-03-01T00:00Z,100\n2024-03-01T01:00Z,110\n2024-03-01T02:00Z,abc\n"
                    "2024-03-01T03:00Z,120\n")
    err = _error(capsys, ["run", "--policy", "heuristic", "--trace-file", str(path)])
    assert "line 4" in err and "abc" in err and str(path) in err


def test_missing_trace_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _error(capsys, ["run", "--policy", "heuristic", "--trace-file", str(tmp_path / "nope.csv")])
    assert "nope.csv" in err


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["run", "--policy", "greedy"], "unknown policy 'greedy'"),
        (["run", "--policy", "fixed:x"], "fixed needs an integer"),
        (["run", "--policy", "heuristic", "--trace", "MARS:2021"], "MARS:2021"),
        (["run", "--policy", "heuristic", "--start", "not-a-time"], "not-a-time"),
        (["run", "--policy", "heuristic", "--start", "2021-07-02T06:30Z"], "step boundary"),
        (["run", "--policy", "heuristic", "--start", "2021-12-31T00:00Z"], "leaves no room"),
        (["run", "--policy", "heuristic", "--gpus", "0"], "n_gpus"),
        (["run", "--policy", "heuristic", "--estimator", "magic"], "estimator"),
        (["run", "--policy", "heuristic", "--fill-gaps"], "--fill-gaps"),
        (["run", "--policy", "heuristic", "--optimizer", "bayes"], "invalid choice"),
        (["run"], "--policy"),
        ([], "required"),
    ],
)
def test_user_errors_exit_2(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert needle in _error(capsys, argv)


def test_unwritable_trajectory_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _error(capsys, SHORT_RUN + ["--trajectory", str(tmp_path / "no" / "such" / "dir.csv")])
    assert "dir.csv" in err


def test_verbose_flag_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-v", "traces", "show", "NO:2021", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "NO:2021"


# ---------------------------------------------------------------------- console script
def test_console_script_help() -> None:
    exe = shutil.which("cenas-gym")
    cmd = [exe, "--help"] if exe else [sys.executable, "-m", "cenas_gym.cli", "--help"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    for word in ("traces", "space", "run", "--verbose"):
        assert word in proc.stdout


def test_sub_hourly_trace_file_is_aggregated_and_the_cli_says_so(tmp_path, capsys):
    path = tmp_path / "q15.csv"
    times = [f"2021-06-01T{h:02d}:{m:02d}:00Z" for h in range(0, 13) for m in (0, 15, 30, 45)][2:-1]
    path.write_text("timestamp,value\n" + "".join(f"{t},{100 + i}\n" for i, t in enumerate(times)))
    assert main(["traces", "show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "covers      2021-06-01T01:00:00Z .. 2021-06-01T11:00:00Z (step 3600 s, 11 h)" in out
    note = ("aggregated 49 values of 15-minute steps to 11 hourly means; dropped the partial first hour "
            "2021-06-01T00:00:00Z (2 of 4 values) and the partial last hour 2021-06-01T12:00:00Z (3 of 4 values)")
    assert f"note        {note}" in out
    info = _json(capsys, ["traces", "show", str(path), "--json"])
    assert info["notes"] == [note] and info["stats"]["hours"] == 11
    assert main(SHORT_RUN[:-1] + ["4", "--trace-file", str(path), "--start", "2021-06-01T02:00Z"]) == 0
    captured = capsys.readouterr()
    assert f"cenas-gym: note: {path}: {note}" in captured.err
    assert "from 2021-06-01T02:00:00Z for 4 h" in captured.out
