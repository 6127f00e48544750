"""compare.py: one row per run, deterministic CSV, backends agree, report and plots written."""

from __future__ import annotations

import pandas as pd
import pytest

from cenas_gym.compare.grid import Grid, parse_seeds
from cenas_gym.compare.presets import PRESETS
from cenas_gym.compare.runners import compare, run_grid
from cenas_gym.compare.stats import mean_ci
from cenas_gym.compare.summary import summarize
from cenas_gym.sim.simulator import SimConfig

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CONFIG_COLUMNS = [
    "policy", "trace", "start", "seed", "gpus", "budget_hours", "optimizer", "accounting",
    "hardware_metric", "estimator", "carbon_budget_kg",
]

TINY = Grid(
    policies=("heuristic", "vanilla", "oracle"),
    traces=("US-CAL-CISO:2021",),
    windows={"US-CAL-CISO:2021": ("2021-07-02T06:00Z",)},
    seeds=(0, 1),
    config=SimConfig(n_gpus=4, budget_hours=6.0, optimizer="random"),
)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    results = compare(TINY, out, progress=False)
    return out, results


def test_one_row_per_run_with_config(written):
    out, results = written
    csv = pd.read_csv(out / "results.csv")
    assert len(csv) == len(TINY.runs()) == 6
    for col in CONFIG_COLUMNS + ["final_hv_normalized", "carbon_kg", "energy_kwh", "hv_per_kg", "hours_to_99pct_hv"]:
        assert col in csv.columns, col
    assert list(csv["run"]) == list(range(6))
    assert set(csv["hardware_metric"]) == {"raspi4_latency_ms"}
    assert set(csv["start"]) == {"2021-07-02T06:00Z"}
    assert (csv["budget_hours"] == 6).all() and (csv["gpus"] == 4).all()
    assert "trajectory" not in csv.columns


def test_csv_is_byte_identical_on_rerun(written, tmp_path):
    out, _ = written
    compare(TINY, tmp_path, progress=False, plots=False)
    assert (tmp_path / "results.csv").read_bytes() == (out / "results.csv").read_bytes()


def test_process_pool_equals_serial(written):
    _, serial = written
    pooled, trajectories = run_grid(TINY, jobs=2, backend="process", progress=False)
    pd.testing.assert_frame_equal(pooled, serial)
    assert len(trajectories) == len(pooled)
    assert len(trajectories[0]) == 6 and {"hv_normalized", "cum_carbon_g", "gpus_train", "intensity_g_per_kwh"} <= set(trajectories[0])


def test_summary_has_every_policy_and_paired_section(written):
    out, _ = written
    text = (out / "summary.md").read_text()
    for policy in TINY.policies:
        assert f"| {policy} |" in text
    assert "Paired differences against `heuristic`" in text
    assert "raspi4_latency_ms" in text
    assert "2.22-3.48x" in text  # heuristic and vanilla both ran: the paper line is there


def test_pngs_written(written):
    out, _ = written
    for name in ("hv_over_hours.png", "hv_vs_carbon.png", "allocation.png", "carbon_bars.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_MAGIC), name


def test_budget_axis_and_boxplots(tmp_path):
    grid = Grid(
        policies=("heuristic", "vanilla"),
        traces=("US-CAL-CISO:2021",),
        windows=("2021-07-02T06:00Z",),
        seeds=(0,),
        config=SimConfig(n_gpus=4, budget_hours=6.0, optimizer="random", accounting="cenas"),
        carbon_budgets_kg=(1.0, 2.0),
    )
    results = compare(grid, tmp_path, progress=False)
    assert sorted(set(results["carbon_budget_kg"])) == [1.0, 2.0]
    vanilla = results[results["policy"] == "vanilla"]
    # A budget ends the run at the end of the step that spends it.
    assert (vanilla["hours"] < 6).all()
    assert (tmp_path / "budget_boxplots.png").read_bytes().startswith(PNG_MAGIC)
    assert "budget 1 kg" in (tmp_path / "summary.md").read_text()


def test_runs_order_and_validation():
    specs = TINY.runs()
    assert [(s.seed, s.policy) for s in specs[:3]] == [(0, "heuristic"), (0, "vanilla"), (0, "oracle")]
    assert specs == TINY.runs()
    with pytest.raises(ValueError, match="not in the grid"):
        Grid(policies=("vanilla",), traces=("ES:2022",), windows={"NO:2022": ("2022-01-01T00:00Z",)})
    assert parse_seeds("3") == (0, 1, 2) and parse_seeds("2-4") == (2, 3, 4) and parse_seeds("1,5") == (1, 5)
    assert set(PRESETS) == {"default", "paper", "neurips", "target", "budget"}
    assert PRESETS["paper"].config.accounting == "cenas" and len(PRESETS["paper"].seeds) >= 10


def test_mean_ci():
    mean, lo, hi = mean_ci([1.0, 2.0, 3.0])
    # t(0.975, 2) = 4.3027; s = 1; half = 4.3027 / sqrt(3)
    assert mean == 2.0 and hi - mean == pytest.approx(4.302653 / 3**0.5, rel=1e-6)
    assert mean_ci([5.0])[0] == 5.0


def test_csv_trace_file(tmp_path):
    times = pd.date_range("2021-03-01", periods=48, freq="h", tz="UTC")
    path = tmp_path / "flat.csv"
    pd.DataFrame({"timestamp": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": [100.0] * 24 + [300.0] * 24}).to_csv(path, index=False)
    grid = Grid(policies=("heuristic", "vanilla"), traces=(str(path),), windows=("2021-03-01T18:00Z",),
                seeds=(0,), config=SimConfig(n_gpus=2, budget_hours=6.0, optimizer="random"))
    results, _ = run_grid(grid, progress=False)
    assert list(results["trace"]) == [str(path)] * 2
    assert "heuristic" in summarize(results)


def test_ray_equals_serial(written):
    ray = pytest.importorskip("ray")
    _, serial = written
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        results, _ = run_grid(TINY, backend="ray", progress=False)
    finally:
        ray.shutdown()
    pd.testing.assert_frame_equal(results, serial)


def test_cli_compare(tmp_path, capsys):
    from cenas_gym.cli import main

    out = tmp_path / "cmp"
    rc = main(["compare", "--out", str(out), "--policies", "heuristic,vanilla", "--traces", "ES:2022",
               "--windows", "2022-03-01T00:00Z", "--seeds", "0-1", "--hours", "6", "--gpus", "2",
               "--optimizer", "random", "--accounting", "cenas"])
    assert rc == 0
    csv = pd.read_csv(out / "results.csv")
    assert len(csv) == 4 and set(csv["accounting"]) == {"cenas"} and set(csv["seed"]) == {0, 1}
    assert set(csv["start"]) == {"2022-03-01T00:00Z"}
    assert "Paired differences" in capsys.readouterr().out
    assert main(["compare", "--out", str(tmp_path / "x"), "--policies", "nope"]) == 2
    assert "unknown policy" in capsys.readouterr().err
