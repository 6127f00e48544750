"""Tasks are data: each sets the SimConfig fields that end a run, and refuses what it cannot use."""

import pytest

from cenas_gym.sim.simulator import SimConfig
from cenas_gym.sim.tasks import DEFAULT_CAP_HOURS, DEFAULT_TARGET_REGRET, Task, make_task, task_of


def test_defaults():
    assert make_task("fixed-time").apply(SimConfig()) == SimConfig(budget_hours=80.0)
    target = make_task("target").apply(SimConfig())
    assert (target.target_regret, target.budget_hours, target.carbon_budget_g) == (DEFAULT_TARGET_REGRET, DEFAULT_CAP_HOURS, None)
    budget = make_task("budget", carbon_budget_kg=25).apply(SimConfig())
    assert (budget.carbon_budget_g, budget.budget_hours, budget.target_regret) == (25000.0, DEFAULT_CAP_HOURS, None)


def test_apply_clears_what_the_task_does_not_use():
    config = SimConfig(carbon_budget_g=5000.0, target_regret=0.01)
    assert make_task("fixed-time", hours=40).apply(config) == SimConfig(budget_hours=40.0)


@pytest.mark.parametrize("task", [make_task("fixed-time", hours=12), make_task("target", target_regret=0.001),
                                  make_task("budget", carbon_budget_kg=10, hours=100)])
def test_task_of_reads_back_the_task(task):
    assert task_of(task.apply(SimConfig())) == task


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(name="deadline"), "task must be one of"),
        (dict(name="budget"), "carbon_budget_kg must be > 0"),
        (dict(name="target", target_regret=0.0), "target_regret must be in"),
        (dict(name="fixed-time", target_regret=0.01), "takes no target_regret"),
        (dict(name="target", target_regret=0.01, carbon_budget_kg=3.0), "takes no carbon_budget_kg"),
        (dict(name="target", hours=0, target_regret=0.01), "hours must be > 0"),
    ],
)
def test_bad_tasks_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Task(**kwargs)


def test_budget_task_needs_a_budget():
    with pytest.raises(ValueError, match="--carbon-budget-kg"):
        make_task("budget")
