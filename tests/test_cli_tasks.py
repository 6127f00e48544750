"""``--task`` on the command line: run JSON keys, trajectories with regret, compare per task."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from cenas_gym.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TARGET_KEYS = {"reached_target", "kg_to_target", "hours_to_target", "final_regret", "final_log10_regret", "target_regret"}


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_run_target_reached_prints_kg_and_hours_to_target(capsys):
    r = _json(capsys, ["run", "--policy", "vanilla", "--optimizer", "random", "--task", "target",
                       "--target-regret", "0.01", "--hours", "40", "--json"])
    assert TARGET_KEYS | {"carbon_kg", "hours", "final_hv_normalized"} <= set(r)
    assert r["task"] == "target" and r["reached_target"] is True and r["stopped_by"] == "target"
    assert r["final_regret"] <= 0.01 and r["final_log10_regret"] == pytest.approx(math.log10(r["final_regret"]))
    # the run ends in the step that reaches the target: what it emitted is the kg to target
    assert r["kg_to_target"] == r["carbon_kg"] and r["hours_to_target"] == r["hours"] < 40


def test_run_target_missed_gives_nulls(capsys):
    r = _json(capsys, ["run", "--policy", "heuristic", "--optimizer", "random", "--target-regret", "1e-6",
                       "--hours", "3", "--json"])
    assert r["task"] == "target" and r["budget_hours"] == 3
    assert r["reached_target"] is False and r["kg_to_target"] is None and r["hours_to_target"] is None
    assert r["stopped_by"] == "time budget" and r["hours"] == 3


def test_run_default_hours_per_task(capsys):
    r = _json(capsys, ["run", "--policy", "vanilla", "--optimizer", "random", "--json", "--target-regret", "0.5"])
    # a loose target: the initial architectures reach it, the run ends before its first step
    assert r["budget_hours"] == 160 and r["hours"] == 0 and r["kg_to_target"] == r["init_carbon_kg"]
    r = _json(capsys, ["run", "--policy", "vanilla", "--optimizer", "random", "--json", "--hours", "2"])
    assert r["task"] == "fixed-time" and r["reached_target"] is None and r["kg_to_target"] is None


def test_run_task_errors(capsys):
    assert main(["run", "--policy", "vanilla", "--task", "budget"]) == 2
    assert "carbon budget" in capsys.readouterr().err
    assert main(["run", "--policy", "vanilla", "--task", "target", "--target-regret", "2"]) == 2
    assert "target_regret" in capsys.readouterr().err


def test_run_trajectory_has_regret_per_step(tmp_path: Path, capsys):
    path = tmp_path / "t.csv"
    assert main(["run", "--policy", "vanilla", "--optimizer", "random", "--hours", "4", "--trajectory", str(path)]) == 0
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 4
    for row in rows:
        regret = float(row["regret"])
        assert regret == pytest.approx(max(1.0 - float(row["hv_normalized"]), 1e-6))
        assert float(row["log10_regret"]) == pytest.approx(math.log10(regret))


def test_compare_budget_task_writes_tables_and_plots(tmp_path: Path, capsys):
    out = tmp_path / "budget"
    argv = ["compare", "--task", "budget", "--carbon-budget-kg", "1", "--policies", "heuristic,vanilla",
            "--traces", "ES:2022", "--seeds", "2", "--hours", "8", "--optimizer", "random", "--out", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    results = pd.read_csv(out / "results.csv")
    assert set(results["task"]) == {"budget"} and set(results["carbon_budget_kg"]) == {1.0}
    assert {"final_regret", "final_log10_regret", "target_regret", "reached_target", "kg_to_target",
            "hours_to_target"} <= set(results.columns)
    assert results["kg_to_target"].isna().all() and results["reached_target"].isna().all()  # empty in the CSV
    assert (results["budget_hours"] == 8).all()
    text = (out / "summary.md").read_text()
    assert "# Policy comparison: budget task" in text and "final log10 regret at equal carbon budget" in text
    for name in ("attainment.png", "regret_over_hours.png", "pareto.png", "carbon_bars.png"):
        assert (out / name).read_bytes().startswith(PNG_MAGIC), name


def test_compare_target_task_on_the_default_preset_windows(tmp_path: Path, capsys):
    out = tmp_path / "target"
    argv = ["compare", "--task", "target", "--target-regret", "0.01", "--hours", "12", "--policies",
            "heuristic,vanilla,oracle:target", "--traces", "ES:2022", "--seeds", "1", "--optimizer", "random",
            "--out", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    results = pd.read_csv(out / "results.csv")
    assert set(results["start"]) == {"2022-04-04T00:00Z"}  # the default preset's Spanish window
    assert set(results["task"]) == {"target"} and (results["target_regret"] == 0.01).all()
    text = (out / "summary.md").read_text()
    assert "kg CO2 to reach the target, paired against `heuristic`" in text and "| oracle:target | 1 |" in text


def test_compare_presets_keep_their_tasks():
    import argparse

    from cenas_gym.cli.app import build_parser
    from cenas_gym.cli.options import grid_from_args

    def grid(*argv: str):
        return grid_from_args(build_parser().parse_args(["compare", *argv]))

    assert grid("--preset", "paper").task.name == "fixed-time" and grid("--preset", "paper").config.budget_hours == 80
    g = grid("--preset", "budget")
    assert g.task.name == "budget" and g.carbon_budgets_kg == (10.0, 25.0)
    g = grid("--preset", "budget", "--carbon-budget-kg", "5")
    assert g.carbon_budgets_kg == () and g.config.carbon_budget_g == 5000.0
    g = grid("--preset", "neurips", "--task", "target")
    assert g.carbon_budgets_kg == () and g.config.target_regret == 0.002 and g.config.budget_hours == 160
    g = grid("--hours", "6")
    assert g.task.name == "fixed-time" and g.config.budget_hours == 6
    assert isinstance(g, object) and argparse  # noqa: B018


def test_every_preset_is_named_once_with_a_description():
    from cenas_gym.compare.presets import DESCRIPTIONS, PRESETS

    assert set(DESCRIPTIONS) == set(PRESETS) | {"geo"}


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_task_agents_have_one_command_line(command, capsys):
    assert main([command, "--task", "target", "--help"]) == 0
    assert "--task" in capsys.readouterr().out


@pytest.mark.parametrize("module,command", [("task_train", "cenas-gym train --task"),
                                            ("task_eval", "cenas-gym evaluate --task")])
def test_old_task_entry_points_say_where_they_went(module, command):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", f"cenas_gym.rl.{module}", "--task", "target"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and command in done.stderr


def test_evaluate_task_judges_policy_names_paired(tmp_path, capsys):
    out = tmp_path / "judge"
    assert main(["evaluate", "--task", "target", "--traces", "ES:2023", "--policies", "vanilla,heuristic",
                 "--seeds", "1", "--windows", "1", "--optimizer", "random", "--out", str(out)]) == 0
    summary = (out / "summary.md").read_text()
    assert summary.startswith("command: `cenas-gym evaluate --task target")
    assert "| vanilla | 1 |" in summary and "| heuristic | 1 |" in summary
