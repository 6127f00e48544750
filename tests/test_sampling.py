"""Issue 21: the `shared` accounting, estimators at their real cost, screening modes.

Expected numbers come from the physics (GPU-seconds x power x PUE / 3.6e6 x intensity) or
from the table's own columns, never copied from a run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cenas_gym.sim.accounting import ACCOUNTING_PRESETS
from cenas_gym.carbon.trace import CarbonTrace


def trace_of(values, start="2021-01-01T00:00Z") -> CarbonTrace:
    times = pd.date_range(pd.Timestamp(start), periods=len(values), freq="h")
    return CarbonTrace(name="hand", times=times, values_g_per_kwh=np.asarray(values, dtype=float))


def test_shared_charges_busy_gpus_at_board_power_and_released_gpus_nothing():
    shared, default = ACCOUNTING_PRESETS["shared"], ACCOUNTING_PRESETS["default"]
    intensity = 237.0
    # an hour with 3 training GPUs and 5 released (neither training nor sampling)
    kwh = shared.energy_kwh(3 * 3600.0, 0.0, 5 * 3600.0)
    assert kwh * intensity == pytest.approx(3 * 400.0 * 1.1 * intensity / 1000.0, rel=1e-12)
    assert shared.idle_power_w == 0.0
    assert (shared.train_power_w, shared.sample_power_w, shared.pue, shared.charge_initial_samples) == (
        default.train_power_w, default.sample_power_w, default.pue, default.charge_initial_samples)
    # a sampling GPU-hour costs what a training one does
    assert shared.energy_kwh(0.0, 3600.0, 0.0) == shared.energy_kwh(3600.0, 0.0, 0.0)


# ---------------------------------------------------------------------- estimators and their cost
from cenas_gym.search.estimators import ESTIMATOR_SPECS, estimate_values, screening_seconds  # noqa: E402
from cenas_gym.search.nasbench import ArchTable  # noqa: E402
from cenas_gym.sim.screening import (  # noqa: E402
    DISCARD_Z,
    ErrorModel,
    ScreenedPool,
    expected_hv_improvement,
    fit_error_model,
)
from cenas_gym.sim.simulator import SimConfig, Simulator  # noqa: E402

STEP_S = 3600.0


@pytest.fixture(scope="module")
def table() -> ArchTable:
    return ArchTable.load()


@pytest.fixture(scope="module")
def table_5400() -> ArchTable:
    frame = ArchTable.load().frame.copy()
    frame["train_time_cifar10_s"] = 5400.0
    return ArchTable(frame)


def test_acc12_screening_costs_12_of_200_epochs_of_the_cells_training(table):
    np.testing.assert_array_equal(screening_seconds(table, "acc12"), table.column("train_time_cifar10_s") * (12 / 200))


def test_zero_cost_proxies_cost_their_measured_time_and_are_finite(table):
    np.testing.assert_array_equal(screening_seconds(table, "naswot"), table.column("naswot_time_s"))
    np.testing.assert_array_equal(screening_seconds(table, "synflow"), table.column("synflow_time_s"))
    for name in ("naswot", "synflow"):
        raw, est = table.column(ESTIMATOR_SPECS[name].column), estimate_values(table, name)
        assert np.isfinite(est).all() and (est[np.isfinite(raw)] == raw[np.isfinite(raw)]).all()
        assert (est[~np.isfinite(raw)] == raw[np.isfinite(raw)].min()).all()


def test_oracle_is_the_true_accuracy_and_not_deployable(table):
    np.testing.assert_array_equal(estimate_values(table, "oracle"), table.column("acc_cifar10_pct"))
    assert not ESTIMATOR_SPECS["oracle"].deployable
    assert all(spec.deployable for name, spec in ESTIMATOR_SPECS.items() if name != "oracle")


def test_queue_mode_charges_acc12_screenings_exactly(table_5400):
    cfg = SimConfig(n_gpus=1, budget_hours=1, n_init=2, optimizer="random", queue_cap=10, estimator="acc12",
                    accounting="shared")
    sim = Simulator(cfg, trace_of([100.0]), np.random.default_rng(0), table_5400)
    record = sim.step(0)
    assert record["sample_gpu_s"] == 10 * 5400.0 * 12 / 200  # 10 screenings of 324 s, then the queue is full
    assert record["idle_gpu_s"] == STEP_S - 3240.0
    assert record["carbon_g"] == pytest.approx(3240.0 * 400.0 * 1.1 / 3.6e6 * 100.0, rel=1e-12)  # idle released


def test_supernet_none_charges_the_estimators_stated_cost_once(table_5400):
    cfg = SimConfig(n_gpus=2, budget_hours=1, n_init=4, optimizer="random", estimator="fewshot",
                    supernet_train_gpu_h=None, accounting="shared")
    sim = Simulator(cfg, trace_of([50.0]), np.random.default_rng(0), table_5400)
    gpu_s = 4 * 5400.0 + ESTIMATOR_SPECS["fewshot"].supernet_gpu_h * 3600.0
    assert sim.init_energy_kwh == pytest.approx(gpu_s * 400.0 * 1.1 / 3.6e6, rel=1e-12)
    assert cfg.supernet_gpu_h == 10.0 and SimConfig().supernet_gpu_h == 0.0  # default: v0/v1, supernet free


# ---------------------------------------------------------------------- screening modes
def test_queue_is_the_default_screening():
    assert SimConfig().screening == "queue"


@pytest.mark.parametrize(("field", "value"), [("screening", "magic"), ("estimator", "zero-cost"), ("pool_cap", 0)])
def test_bad_screening_settings_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        SimConfig(**{field: value})


@pytest.mark.parametrize("mode", ["select", "partition"])
def test_a_new_mode_with_no_sampling_gpu_is_vanilla(mode):
    trace = CarbonTrace.load("US-CAL-CISO:2021").window("2021-07-02T06:00Z", 12)
    runs = []
    for screening in ("queue", mode):
        cfg = SimConfig(n_gpus=4, budget_hours=12, screening=screening, estimator="acc12", accounting="shared")
        sim = Simulator(cfg, trace, np.random.default_rng(3))
        for _ in range(12):
            sim.step(4)
        runs.append(sim)
    queue, select = runs
    assert select.trained == queue.trained
    assert select.history == queue.history
    assert select.n_screened == 0 and select.pool.n_discarded == 0


def test_select_with_the_oracle_reaches_the_target_where_the_queue_does_not():
    trace = CarbonTrace.load("US-CAL-CISO:2021").window("2021-07-02T06:00Z", 12)
    trained = {}
    for screening in ("queue", "select"):
        cfg = SimConfig(n_gpus=4, budget_hours=12, screening=screening, estimator="oracle", target_regret=0.002)
        sim = Simulator(cfg, trace, np.random.default_rng(0))
        while not sim.done:
            sim.step(2)
        trained[screening] = (sim.reached_target, len(sim.trained))
    assert trained["select"][0] and not trained["queue"][0]


def test_ehvi_with_no_error_is_the_exact_hypervolume_gain():
    from cenas_gym.search.pareto import hypervolume

    front_acc, front_cost, ref = np.array([90.0, 80.0, 60.0]), np.array([10.0, 5.0, 2.0]), (0.0, 20.0)
    for acc, cost in [(85.0, 4.0), (95.0, 15.0), (70.0, 1.0), (50.0, 3.0), (99.0, 25.0)]:
        gain = hypervolume(np.append(front_acc, acc), np.append(front_cost, cost), *ref) - hypervolume(front_acc, front_cost, *ref)
        assert expected_hv_improvement([acc], 0.0, [cost], front_acc, front_cost, ref)[0] == pytest.approx(gain, abs=1e-9)
    # with error: the expectation over N(85, 3^2) is above the gain at the mean (convex in accuracy)
    at_mean = expected_hv_improvement([85.0], 0.0, [4.0], front_acc, front_cost, ref)[0]
    assert expected_hv_improvement([85.0], 3.0, [4.0], front_acc, front_cost, ref)[0] > at_mean


def test_error_model_of_an_exact_estimate_is_the_identity():
    model = fit_error_model(np.array([50.0, 70.0, 90.0, 93.0]), np.array([50.0, 70.0, 90.0, 93.0]))
    assert model.intercept == pytest.approx(0.0, abs=1e-9) and model.slope == pytest.approx(1.0)
    assert model.sd == pytest.approx(1e-6)


def test_pool_discards_what_the_front_dominates_under_the_model():
    est = np.array([80.0, 89.0, 95.0])
    cost = np.array([5.0, 5.0, 5.0])
    pool = ScreenedPool(est, cost)
    for cell in range(3):
        pool.append(cell)
    model = ErrorModel(0.0, 1.0, 1.0, 10)  # truth ~ estimate +- 1 %
    # front point (90 %, cost 4): needs > 90 % at cost 5; 80 + 2 sd and 89 + 2 sd - only 89 survives
    assert 89.0 + DISCARD_Z > 90.0 > 80.0 + DISCARD_Z
    assert pool.discard_dominated(model, np.array([90.0]), np.array([4.0]), 0.0) == 1
    assert pool.cells == [1, 2] and pool.n_discarded == 1
    assert pool.pop_best(model, np.array([90.0]), np.array([4.0]), (0.0, 20.0)) == 2


# ---------------------------------------------------------------------- env ids and command line
def test_v2_ids_partition_with_acc12_under_shared_and_v1_keeps_the_queue():
    import gymnasium as gym

    import cenas_gym

    for env_id in ("CENAS-v2", "CENAS-Target-v2", "CENAS-Budget-v2"):
        config = gym.make(env_id).unwrapped.config
        assert (config.screening, config.estimator, config.accounting) == ("partition", "acc12", "shared"), env_id
    assert gym.spec("CENAS-Geo-v2").kwargs == {"version": "v2", **cenas_gym.V2_SIMULATOR_DEFAULTS}
    for env_id in ("CENAS-v0", "CENAS-v1", "CENAS-Target-v1"):
        config = gym.make(env_id).unwrapped.config
        assert (config.screening, config.estimator, config.supernet_train_gpu_h) == ("queue", "oneshot", 0.0)
    with pytest.raises(ValueError, match="screening"):
        gym.make("CENAS-v2", screening="magic")


@pytest.mark.parametrize("mode", ["select", "partition"])
def test_cli_run_reports_trained_screened_and_kg_to_target(mode, capsys):
    import json

    from cenas_gym.cli import main

    argv = ["run", "--policy", "fixed:4", "--task", "target", "--accounting", "shared", "--screening", mode,
            "--estimator", "acc12", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["screening"] == mode and out["estimator"] == "acc12" and out["accounting"] == "shared"
    assert out["reached_target"] and out["kg_to_target"] == out["carbon_kg"] > 0
    assert out["n_screened"] > out["n_trained"] > 0 and out["n_discarded"] > 0


@pytest.mark.parametrize(("option", "value"), [("--screening", "magic"), ("--estimator", "magic")])
def test_cli_names_a_bad_screening_or_estimator(option, value, capsys):
    from cenas_gym.cli import main

    assert main(["run", "--policy", "vanilla", option, value]) == 2
    assert option in capsys.readouterr().err


# ---------------------------------------------------------------------- the benchmark scripts
def _bench(name: str):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sampling_grid_runs_vanilla_once_per_window_and_seed():
    bench = _bench("sampling")
    modes = ("queue", "select", "partition")
    specs = bench.plan(bench.WINDOWS, bench.SEEDS, bench.POLICIES, tuple(ESTIMATOR_SPECS), modes, bench.OTHER_SEEDS)
    vanilla = [s for _, s in specs if s.policy == "vanilla"]
    assert len(vanilla) == len(bench.WINDOWS) * len(bench.SEEDS) == 30
    per_case = len(bench.POLICIES) * len(modes)
    assert len(specs) == 30 * (1 + per_case * 2) + 15 * per_case * (len(ESTIMATOR_SPECS) - 2) == 1830
    assert all(s.config.supernet_gpu_h == 0.0 and s.config.screening == "queue" for s in vanilla)
    assert all(s.config.accounting == "shared" and s.config.target_regret == 0.002 for _, s in specs)
    fewshot = next(s for k, s in specs if "|fewshot|" in k)
    assert fewshot.config.supernet_gpu_h == ESTIMATOR_SPECS["fewshot"].supernet_gpu_h


@pytest.mark.slow
def test_sampling_quick_subset_writes_the_report(tmp_path):
    bench = _bench("sampling")
    assert bench.main(["--quick", "--policies", "fixed:4", "--estimators", "oracle", "--modes", "select",
                       "--out", str(tmp_path)]) == 0
    text = (tmp_path / "summary.md").read_text()
    assert "| fixed:4 | oracle | select | 4/4 |" in text


def test_headroom_family_sizes_and_plans():
    bench = _bench("headroom")
    assert len(bench.single_plans()) == 10 and len(bench.geo_plans(4)) == 15
    plan = bench._policy("plan:q0.5@48h", geo=False)
    assert (plan.level, plan.deadline_h) == (0.5, 48)
    assert bench._policy("plan:sites0+2", geo=True).subset == (0, 2)


@pytest.mark.slow
def test_headroom_episode_charges_each_accounting():
    bench = _bench("headroom")
    row = bench.play({"phase": "eval", "region": "US-CAL-CISO:2022", "policy": "vanilla", "mode": "queue",
                      "start": "2022-07-02T06:00Z", "seed": 0})
    # vanilla never samples or idles: shared = default; cenas charges 1 kW / (400 W x 1.1) per GPU and not the start
    assert row["kg_to_target_shared"] == pytest.approx(row["kg_to_target_default"])
    assert row["kg_to_target_cenas"] > row["kg_to_target_shared"]


def test_multi_fidelity_lamoo_learns_estimates_and_replaces_them_with_the_truth(table):
    from cenas_gym.search.lamoo import MultiFidelityLaMOO
    from cenas_gym.search.pareto import Objectives

    acc, cost = Objectives().values(table)
    lamoo = MultiFidelityLaMOO(table, max_hv=1.0, ref_point=(0.0, 100.0))
    lamoo.reset(acc, cost, np.random.default_rng(0))
    trained = np.arange(0, 40)
    lamoo.observe(trained)
    lamoo.observe_estimates(np.array([100, 101]), np.array([99.0, 98.0]))
    lamoo.region_path()
    assert set(lamoo.root.samples.tolist()) == set(range(40)) | {100, 101}
    assert lamoo._acc[100] == 99.0 and acc[100] != 99.0  # the shared truth is untouched
    lamoo.observe(np.array([100]))
    assert lamoo._acc[100] == acc[100]
    assert lamoo._trained.n == 41 and lamoo._trained.cells[40] == 100
