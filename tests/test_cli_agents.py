"""`cenas-gym evaluate` and `run --policy ppo`: the shipped agent through the command line."""

import json

import pytest

pytest.importorskip("stable_baselines3")

from cenas_gym.policies.ppo import shipped_agent_path  # noqa: E402
from cenas_gym.cli import main  # noqa: E402

pytestmark = pytest.mark.skipif(shipped_agent_path() is None, reason="no shipped agent")


def test_run_with_the_shipped_agent(capsys):
    assert main(["run", "--policy", "ppo", "--optimizer", "random", "--hours", "10", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["policy"] == "ppo" and result["hours"] == 10.0 and result["carbon_kg"] > 0


def test_evaluate_writes_paired_tables(tmp_path, capsys):
    out = tmp_path / "ev"
    argv = ["evaluate", "--traces", "ES:2023", "--seeds", "2", "--hours", "8", "--optimizer", "random",
            "--policies", "ppo,heuristic", "--out", str(out)]
    assert main(argv) == 0
    summary = (out / "summary.md").read_text()
    assert "| ppo |" in summary and "Paired differences against `heuristic`" in summary
    assert (out / "results.csv").read_text().count("\n") == 1 + 2 * 2  # header + 2 policies x 2 seeds


def test_train_without_traces_is_a_user_error(capsys):
    assert main(["train", "--out", "/nonexistent-dir/x", "--traces", "", "--timesteps", "64"]) == 2
    assert "cenas-gym: error:" in capsys.readouterr().err


def test_evaluate_on_a_process_pool_after_loading_the_agent_here(tmp_path):
    """The CLI loads the agent (torch) in the parent before the pool starts: forked workers
    used to deadlock there, so the pool must start its workers cleanly."""
    out = tmp_path / "ev"
    argv = ["evaluate", "--traces", "ES:2023", "--seeds", "2", "--hours", "6", "--optimizer", "random",
            "--policies", "ppo,heuristic", "--jobs", "2", "--out", str(out)]
    assert main(argv) == 0
    assert (out / "results.csv").read_text().count("\n") == 1 + 2 * 2
