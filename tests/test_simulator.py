"""The simulator's physics, pinned to the second and to the gram.

Expected numbers are computed here from first principles (GPU-seconds x power x PUE /
3.6e6 x intensity), on small hand-built traces and tables whose job lengths are chosen by
the test, never copied from a run.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cenas_gym.sim.accounting import ACCOUNTING_PRESETS
from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.search.nasbench import ArchTable
from cenas_gym.sim.simulator import SimConfig, Simulator

STEP_S = 3600.0
DEFAULT = ACCOUNTING_PRESETS["default"]


def trace_of(values, start="2021-01-01T00:00Z", name="hand") -> CarbonTrace:
    """An hourly trace with exactly these intensities (gCO2eq/kWh)."""
    times = pd.date_range(pd.Timestamp(start), periods=len(values), freq="h")
    return CarbonTrace(name=name, times=times, values_g_per_kwh=np.asarray(values, dtype=float))


def table_with(train_s=None, **columns) -> ArchTable:
    """The shipped table with ``train_time_cifar10_s`` (array or scalar) and other columns replaced."""
    frame = ArchTable.load().frame.copy()
    if train_s is not None:
        frame["train_time_cifar10_s"] = np.broadcast_to(np.asarray(train_s, dtype=float), len(frame)).copy()
    for name, values in columns.items():
        frame[name] = values
    return ArchTable(frame)


@pytest.fixture(scope="module")
def table_5400() -> ArchTable:
    """Every architecture trains in exactly 5400 s (1.5 h)."""
    return table_with(5400.0)


@pytest.fixture(scope="module")
def table_variable() -> ArchTable:
    """Training times 3737..6637 s (all longer than one step, shorter than two), by index;
    the odd 37 s keep sums of remainders off the step boundary."""
    return table_with(3737.0 + (np.arange(15625) % 30) * 100.0)


@pytest.fixture(scope="module")
def cal_trace() -> CarbonTrace:
    return CarbonTrace.load("US-CAL-CISO:2021").window("2021-07-02T06:00Z", 80)


def run(sim: Simulator, allocations) -> Simulator:
    for n in allocations:
        if sim.done:
            break
        sim.step(n)
    return sim


# ---------------------------------------------------------------------- a job across steps
def test_job_spanning_two_steps_cenas_preset(table_5400):
    cfg = SimConfig(n_gpus=1, budget_hours=2, n_init=0, optimizer="random", accounting="cenas")
    sim = Simulator(cfg, trace_of([100.0, 300.0]), np.random.default_rng(0), table=table_5400)

    r1 = sim.step(1)
    assert r1["train_gpu_s"] == 3600.0 and r1["sample_gpu_s"] == 0.0 and r1["idle_gpu_s"] == 0.0
    assert r1["n_trained_step"] == 0
    assert len(sim.unfinished) == 1
    first, remaining = sim.unfinished[0]
    assert remaining == 5400.0 - 3600.0
    # 1 kW for one hour = 1 kWh, at 100 g/kWh
    assert r1["energy_kwh"] == pytest.approx(1.0, rel=1e-12)
    assert r1["carbon_g"] == pytest.approx(100.0, rel=1e-12)

    r2 = sim.step(1)
    # 1800 s finishing the first job, then 1800 s of the next one
    assert r2["train_gpu_s"] == 3600.0
    assert r2["n_trained_step"] == 1 and sim.trained == [first]
    assert len(sim.unfinished) == 1
    second, remaining2 = sim.unfinished[0]
    assert second != first and remaining2 == 5400.0 - 1800.0
    assert r2["carbon_g"] == pytest.approx(300.0, rel=1e-12)
    assert r2["cum_carbon_g"] == pytest.approx(400.0, rel=1e-12)
    assert sim.init_carbon_g == 0.0


def test_job_spanning_two_steps_default_preset(table_5400):
    """2 GPUs, one training and one sampling: every GPU-second charged (400 W / 400 W / 60 W, PUE 1.1)."""
    eval_s, cap = 10.0, 4
    cfg = SimConfig(
        n_gpus=2, budget_hours=2, n_init=0, queue_cap=cap, optimizer="random", oneshot_eval_s=eval_s
    )
    sim = Simulator(cfg, trace_of([100.0, 300.0]), np.random.default_rng(1), table=table_5400)

    def expected_kwh(train, sample, idle):
        return (train * 400.0 + sample * 400.0 + idle * 60.0) * 1.1 / 3.6e6

    # step 1: fill the queue (cap screenings); the trainer takes one, one more is screened;
    # the 5400 s job runs the whole hour
    r1 = sim.step(1)
    sample1 = (cap + 1) * eval_s
    assert r1["train_gpu_s"] == 3600.0
    assert r1["sample_gpu_s"] == pytest.approx(sample1, abs=1e-9)
    assert r1["idle_gpu_s"] == pytest.approx(2 * 3600.0 - 3600.0 - sample1, abs=1e-9)
    assert r1["n_screened_step"] == cap + 1 and r1["queue_len"] == cap
    e1 = expected_kwh(3600.0, sample1, 3600.0 - sample1)
    assert r1["energy_kwh"] == pytest.approx(e1, rel=1e-12)
    assert r1["carbon_g"] == pytest.approx(e1 * 100.0, rel=1e-12)

    # step 2: resume (1800 s), take the next queued job at t=1800 (one more screening)
    r2 = sim.step(1)
    assert r2["train_gpu_s"] == 3600.0
    assert r2["sample_gpu_s"] == pytest.approx(eval_s, abs=1e-9)
    assert r2["n_trained_step"] == 1 and r2["n_screened_step"] == 1
    e2 = expected_kwh(3600.0, eval_s, 3600.0 - eval_s)
    assert r2["energy_kwh"] == pytest.approx(e2, rel=1e-12)
    assert r2["carbon_g"] == pytest.approx(e2 * 300.0, rel=1e-12)
    assert sim.unfinished[0][1] == 5400.0 - 1800.0


def test_initial_samples_charged_at_first_intensity_by_default(table_5400):
    cfg = SimConfig(n_gpus=2, budget_hours=1, n_init=4, optimizer="random", supernet_train_gpu_h=2.0)
    sim = Simulator(cfg, trace_of([250.0]), np.random.default_rng(0), table=table_5400)
    gpu_s = 4 * 5400.0 + 2.0 * 3600.0
    kwh = gpu_s * 400.0 * 1.1 / 3.6e6
    assert sim.init_energy_kwh == pytest.approx(kwh, rel=1e-12)
    assert sim.init_carbon_g == pytest.approx(kwh * 250.0, rel=1e-12)
    assert sim.cum_carbon_g == sim.init_carbon_g
    assert len(sim.trained) == 4 and len(set(sim.trained)) == 4


# ---------------------------------------------------------------------- conservation
def test_gpu_seconds_add_up_for_random_allocations(cal_trace):
    for seed in range(6):
        rng = np.random.default_rng(100 + seed)
        n_gpus = int(rng.integers(1, 9))
        cfg = SimConfig(n_gpus=n_gpus, budget_hours=40, optimizer="random", queue_cap=int(rng.integers(1, 12)))
        sim = Simulator(cfg, cal_trace, np.random.default_rng(seed))
        while not sim.done:
            n = int(rng.integers(0, n_gpus + 1))
            r = sim.step(n)
            total = r["train_gpu_s"] + r["sample_gpu_s"] + r["idle_gpu_s"]
            assert total == pytest.approx(n_gpus * STEP_S, abs=1e-6)
            assert 0.0 <= r["train_gpu_s"] <= n * STEP_S + 1e-9
            assert 0.0 <= r["sample_gpu_s"] <= (n_gpus - n) * STEP_S + 1e-9
            assert r["idle_gpu_s"] >= -1e-9
            assert r["queue_len"] <= cfg.queue_cap


@pytest.mark.parametrize("accounting", ["default", "cenas"])
def test_carbon_is_energy_times_intensity_and_totals_are_sums(cal_trace, accounting):
    cfg = SimConfig(n_gpus=8, budget_hours=80, optimizer="random", accounting=accounting)
    sim = Simulator(cfg, cal_trace, np.random.default_rng(3))
    rng = np.random.default_rng(4)
    run(sim, rng.integers(0, 9, size=80))
    acc = ACCOUNTING_PRESETS[accounting]
    for k, r in enumerate(sim.history):
        assert r["step"] == k
        assert r["intensity_g_per_kwh"] == cal_trace.values_g_per_kwh[k]
        assert r["time_utc"] == cal_trace.times[k].isoformat()
        kwh = (
            r["train_gpu_s"] * acc.train_power_w
            + r["sample_gpu_s"] * acc.sample_power_w
            + r["idle_gpu_s"] * acc.idle_power_w
        ) * acc.pue / 3.6e6
        assert r["energy_kwh"] == pytest.approx(kwh, rel=1e-12, abs=1e-15)
        assert r["carbon_g"] == pytest.approx(r["energy_kwh"] * r["intensity_g_per_kwh"], rel=1e-12, abs=1e-12)
        assert r["cum_carbon_g"] == pytest.approx(
            sim.init_carbon_g + sum(h["carbon_g"] for h in sim.history[: k + 1]), rel=1e-12
        )
        assert r["cum_energy_kwh"] == pytest.approx(
            sim.init_energy_kwh + sum(h["energy_kwh"] for h in sim.history[: k + 1]), rel=1e-12
        )
    s = sim.summary()
    assert s["carbon_kg"] == pytest.approx(sim.history[-1]["cum_carbon_g"] / 1000.0, rel=1e-12)
    assert s["energy_kwh"] == pytest.approx(sim.history[-1]["cum_energy_kwh"], rel=1e-12)
    assert s["train_gpu_h"] == pytest.approx(sum(h["train_gpu_s"] for h in sim.history) / 3600.0)


def test_cenas_preset_matches_authors_formula(cal_trace):
    """cake-lab/CE-NAS: cost += training seconds x intensity / 3600; sampling, idle, init free."""
    cfg = SimConfig(
        n_gpus=8, budget_hours=80, optimizer="random", accounting="cenas", n_init=10, supernet_train_gpu_h=3.0
    )
    sim = Simulator(cfg, cal_trace, np.random.default_rng(5))
    assert sim.init_carbon_g == 0.0 and sim.init_energy_kwh == 0.0
    rng = np.random.default_rng(6)
    run(sim, rng.integers(0, 9, size=80))
    total = 0.0
    for r in sim.history:
        authors = r["train_gpu_s"] * r["intensity_g_per_kwh"] / 3600.0
        assert r["carbon_g"] == pytest.approx(authors, rel=1e-12, abs=1e-12)
        total += authors
    assert sim.cum_carbon_g == pytest.approx(total, rel=1e-12)
    # sampling alone costs nothing
    sim2 = Simulator(cfg.with_(budget_hours=3), cal_trace, np.random.default_rng(7))
    r = sim2.step(0)
    assert r["sample_gpu_s"] > 0 and r["carbon_g"] == 0.0 and r["energy_kwh"] == 0.0


# ---------------------------------------------------------------------- the queue
def test_pop_queue_least_dominated_with_fifo_ties():
    # queued candidates 0..4 with hand-set (estimated accuracy %, cost ms):
    #   0: (50, 10)  dominated by 1 and 2
    #   1: (60, 10)  dominated by 2
    #   2: (60,  5)  front
    #   3: (40,  1)  front
    #   4: (70, 20)  front
    # pops: 2 (first of the front), then 1 (front once 2 is gone), then 0, 3, 4 (all front, FIFO)
    est = ArchTable.load().column("oneshot_acc_cifar10_pct").copy()
    cost = ArchTable.load().column("raspi4_latency_ms").copy()
    est[:5] = [50.0, 60.0, 60.0, 40.0, 70.0]
    cost[:5] = [10.0, 10.0, 5.0, 1.0, 20.0]
    table = table_with(oneshot_acc_cifar10_pct=est, raspi4_latency_ms=cost)
    cfg = SimConfig(n_gpus=1, budget_hours=1, n_init=0, optimizer="random")
    sim = Simulator(cfg, trace_of([100.0]), np.random.default_rng(0), table=table)
    sim.queue = [0, 1, 2, 3, 4]
    assert [sim.candidates.pop_least_dominated() for _ in range(5)] == [2, 1, 0, 3, 4]
    # the estimate, not the true accuracy, decides: same hand-set costs, another order
    sim.queue = [4, 3, 2, 1, 0]
    assert [sim.candidates.pop_least_dominated() for _ in range(5)] == [4, 3, 2, 1, 0]


def test_pop_queue_matches_brute_force_on_real_table():
    cfg = SimConfig(n_gpus=1, budget_hours=1, n_init=0, optimizer="random")
    sim = Simulator(cfg, trace_of([100.0]), np.random.default_rng(0))
    est, cost = sim.space.est_acc_pct, sim.space.cost
    rng = np.random.default_rng(11)
    for _ in range(20):
        queue = [int(i) for i in rng.choice(15625, size=int(rng.integers(1, 15)), replace=False)]
        # duplicate an objective pair to force ties sometimes
        sim.queue = list(queue)
        while queue:
            counts = [
                sum(
                    est[j] >= est[i] and cost[j] <= cost[i] and (est[j] > est[i] or cost[j] < cost[i])
                    for j in queue
                )
                for i in queue
            ]
            expected = queue.pop(counts.index(min(counts)))
            assert sim.candidates.pop_least_dominated() == expected
        assert sim.queue == []


# ---------------------------------------------------------------------- never twice
class _RecordingList(list):
    """A list that remembers everything ever appended to it."""

    def __init__(self, *args):
        super().__init__(*args)
        self.appended: list[int] = []

    def append(self, x):
        self.appended.append(x)
        super().append(x)


@pytest.mark.parametrize(
    "optimizer,allocation",
    [
        ("random", "random"),
        ("random", "alternate"),
        ("random", "half"),
        ("lamoo", "random"),
        ("lamoo", "alternate"),
    ],
)
def test_nothing_trained_or_screened_twice(cal_trace, optimizer, allocation):
    cfg = SimConfig(n_gpus=8, budget_hours=80, optimizer=optimizer, queue_cap=6)
    sim = Simulator(cfg, cal_trace, np.random.default_rng(21))
    sim.queue = _RecordingList(sim.queue)
    rng = np.random.default_rng(22)
    allocations = {
        "random": rng.integers(0, 9, size=80),
        "alternate": [8 if k % 2 else 1 for k in range(80)],
        "half": [4] * 80,
    }[allocation]
    run(sim, allocations)
    assert sim.t == 80 and sim.done
    trained = sim.trained
    assert len(set(trained)) == len(trained)
    screened = sim.queue.appended
    assert len(set(screened)) == len(screened) == sim.n_screened > 0
    queued = set(sim.queue)
    running = {int(a) for a, _ in sim.unfinished}
    assert len(running) == len(sim.unfinished)
    assert not queued & set(trained) and not running & set(trained) and not queued & running
    # every screened candidate is still queued, being trained, or trained
    assert set(screened) <= queued | running | set(trained)
    # everything touched is unavailable, everything else available
    touched = queued | running | set(trained)
    assert not sim.available[list(touched)].any()
    assert sim.available.sum() == 15625 - len(touched)
    assert sim.history[-1]["n_trained"] == len(trained)


# ---------------------------------------------------------------------- unfinished jobs
@pytest.mark.parametrize("seed", [3, 8, 10, 11])
def test_unfinished_resume_first_oldest_first_exact_remainder(table_variable, seed):
    train_s = table_variable.column("train_time_cifar10_s")
    cfg = SimConfig(n_gpus=3, budget_hours=4, n_init=0, optimizer="random", accounting="cenas")
    sim = Simulator(cfg, trace_of([100.0, 200.0, 300.0, 400.0]), np.random.default_rng(seed), table=table_variable)

    sim.step(3)  # three fresh jobs, each longer than the step
    assert sim.trained == []
    jobs = [(a, r) for a, r in sim.unfinished]
    assert len(jobs) == 3
    for a, r in jobs:
        assert r == train_s[a] - 3600.0
    assert sim.unfinished_work_s == sum(r for _, r in jobs)

    # one GPU: resumes the oldest first, then the next, then a fresh job fills the hour
    r = sim.step(1)
    t, finished, carried = 0.0, [], []
    pending = list(jobs)
    while pending and t < 3600.0:
        a, rem = pending.pop(0)
        if t + rem <= 3600.0:
            finished.append(a)
            t += rem
        else:
            carried.append((a, rem - (3600.0 - t)))
            t = 3600.0
    assert sim.trained == finished
    assert r["train_gpu_s"] == 3600.0
    got = [(a, rem) for a, rem in sim.unfinished]
    if t < 3600.0:  # a fresh job started at t; it cannot finish (>= 3737 s)
        fresh, fresh_rem = got[-1]
        assert fresh not in {a for a, _ in jobs}
        assert fresh_rem == train_s[fresh] - (3600.0 - t)
        got = got[:-1]
    assert got == carried + pending  # not-yet-resumed jobs keep their place after the carried ones

    # more GPUs than unfinished jobs: all resumed at t=0, oldest on the lowest GPU
    before = [(a, rem) for a, rem in sim.unfinished]
    assert 1 <= len(before) <= 3
    before_trained = len(sim.trained)
    sim.step(3)
    # each GPU takes one job at t=0 in GPU order (oldest first); those with <= 3600 s left
    # finish, and the fresh jobs started after them cannot (>= 3737 s); the others are
    # carried first, in their old order, 3600 s shorter
    assert sim.trained[before_trained:] == [a for a, rem in before if rem <= 3600.0]
    still = [(a, rem - 3600.0) for a, rem in before if rem > 3600.0]
    assert [(a, rem) for a, rem in sim.unfinished][: len(still)] == still
    assert len(sim.unfinished) == 3 - len(still) + len(still)  # 3 GPUs, each ends the hour on a job


def test_resume_order_with_uniform_jobs(table_5400):
    cfg = SimConfig(n_gpus=3, budget_hours=3, n_init=0, optimizer="random")
    sim = Simulator(cfg, trace_of([100.0, 200.0, 300.0]), np.random.default_rng(9), table=table_5400)
    sim.step(3)
    a, b, c = (job[0] for job in sim.unfinished)
    assert [job[1] for job in sim.unfinished] == [1800.0, 1800.0, 1800.0]
    r = sim.step(1)  # A (0..1800), then B (1800..3600): both finish; C waits untouched
    assert sim.trained == [a, b]
    assert [list(j) for j in sim.unfinished] == [[c, 1800.0]]
    assert r["train_gpu_s"] == 3600.0 and r["n_trained_step"] == 2
    sim.step(2)  # GPU 0 resumes C; GPU 1 starts fresh; GPU 0 then starts another fresh at 1800
    assert sim.trained == [a, b, c]
    rems = [j[1] for j in sim.unfinished]
    assert rems == [5400.0 - 3600.0, 5400.0 - 1800.0]


def test_resumed_job_carried_again_stays_ahead_of_untouched_ones():
    """A (oldest) finishes, B is resumed at 3000 s and carried again, C is not touched:
    B must still come before C (oldest first), with 2400 s left."""
    table = table_with(6600.0)
    cfg = SimConfig(n_gpus=3, budget_hours=3, n_init=0, optimizer="random")
    sim = Simulator(cfg, trace_of([100.0, 200.0, 300.0]), np.random.default_rng(0), table=table)
    sim.step(3)
    a, b, c = (job[0] for job in sim.unfinished)
    assert [job[1] for job in sim.unfinished] == [3000.0] * 3
    sim.step(1)
    assert sim.trained == [a]
    assert [list(j) for j in sim.unfinished] == [[b, 2400.0], [c, 3000.0]]
    sim.step(1)  # B done at 2400, then C resumed and carried (1800 s left)
    assert sim.trained == [a, b]
    assert [list(j) for j in sim.unfinished] == [[c, 3000.0 - 1200.0]]


# ---------------------------------------------------------------------- extremes
def test_no_training_gpus_trains_nothing_and_sampling_stops_when_queue_full(cal_trace):
    cfg = SimConfig(n_gpus=4, budget_hours=10, optimizer="random", queue_cap=7, oneshot_eval_s=5.0)
    sim = Simulator(cfg, cal_trace, np.random.default_rng(0))
    n_init = len(sim.trained)
    run(sim, [0] * 10)
    assert len(sim.trained) == n_init
    assert all(r["train_gpu_s"] == 0.0 and r["n_trained_step"] == 0 for r in sim.history)
    assert not sim.unfinished
    assert sim.n_screened == 7 and len(sim.queue) == 7  # queue full: sampling stops
    assert sim.history[0]["sample_gpu_s"] == 7 * 5.0
    assert all(r["sample_gpu_s"] == 0.0 and r["idle_gpu_s"] == 4 * STEP_S for r in sim.history[1:])


def test_all_gpus_training_screens_nothing(cal_trace):
    cfg = SimConfig(n_gpus=4, budget_hours=10, optimizer="random")
    sim = Simulator(cfg, cal_trace, np.random.default_rng(0))
    run(sim, [4] * 10)
    assert sim.n_screened == 0 and sim.queue == []
    for r in sim.history:
        assert r["sample_gpu_s"] == 0.0 and r["n_screened_step"] == 0
        assert r["train_gpu_s"] == pytest.approx(4 * STEP_S, rel=1e-12)  # sums of real job times
    assert len(sim.trained) > cfg.n_init


# ---------------------------------------------------------------------- budgets and validation
def test_time_budget_ends_after_n_steps(cal_trace):
    cfg = SimConfig(n_gpus=2, budget_hours=5, optimizer="random")
    sim = Simulator(cfg, cal_trace, np.random.default_rng(0))
    for k in range(5):
        assert not sim.done
        sim.step(1)
    assert sim.done and sim.t == 5 and len(sim.history) == 5
    with pytest.raises(RuntimeError):
        sim.step(1)
    assert sim.summary()["hours"] == 5.0
    # 30-minute steps: 5 hours = 10 steps
    half = SimConfig(n_gpus=2, step_s=1800, budget_hours=5, optimizer="random")
    assert half.n_steps == 10


@pytest.mark.parametrize("budget,steps", [(350.0, 2), (400.0, 2), (401.0, 3), (50.0, 1)])
def test_carbon_budget_ends_run_at_end_of_step(table_5400, budget, steps):
    # cenas preset, 1 GPU always training: exactly 1 kWh per step -> 100, 300, 200, 100 g
    cfg = SimConfig(
        n_gpus=1, budget_hours=4, n_init=0, optimizer="random", accounting="cenas", carbon_budget_g=budget
    )
    sim = Simulator(cfg, trace_of([100.0, 300.0, 200.0, 100.0]), np.random.default_rng(0), table=table_5400)
    while not sim.done:
        sim.step(1)
    assert sim.t == steps
    assert sim.cum_carbon_g == pytest.approx([100.0, 400.0, 600.0, 700.0][steps - 1], rel=1e-12)
    assert sim.cum_carbon_g >= budget
    with pytest.raises(RuntimeError):
        sim.step(1)


def test_carbon_budget_counts_initial_samples(table_5400):
    # default preset: 2 initial jobs of 5400 s at 400 W x 1.1, at 100 g/kWh = 0.132 kg... the
    # budget below is smaller than that, so the run is over before it starts
    init_g = 2 * 5400.0 * 400.0 * 1.1 / 3.6e6 * 100.0
    cfg = SimConfig(n_gpus=1, budget_hours=2, n_init=2, optimizer="random", carbon_budget_g=init_g * 0.5)
    sim = Simulator(cfg, trace_of([100.0, 100.0]), np.random.default_rng(0), table=table_5400)
    assert sim.init_carbon_g == pytest.approx(init_g, rel=1e-12)
    assert sim.done
    with pytest.raises(RuntimeError):
        sim.step(1)


@pytest.mark.parametrize("bad", [-1, 5, 2.0, 1.5, True, False, "2", None])
def test_bad_n_train_raises(cal_trace, bad):
    sim = Simulator(SimConfig(n_gpus=4, budget_hours=2, optimizer="random"), cal_trace, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"\[0, 4\]"):
        sim.step(bad)
    assert sim.t == 0 and sim.history == []
    sim.step(np.int64(2))  # numpy integers are fine
    assert sim.t == 1


@pytest.mark.parametrize(
    "field,value",
    [
        ("n_gpus", 0),
        ("n_gpus", 2.5),
        ("step_s", 0),
        ("step_s", 10.5),
        ("budget_hours", 0),
        ("budget_hours", 1.5),  # not a whole number of 1-hour steps
        ("carbon_budget_g", 0.0),
        ("carbon_budget_g", -5.0),
        ("n_init", -1),
        ("n_init", 1.5),
        ("queue_cap", 0),
        ("optimizer", "grid"),
        ("estimator", "zero-cost"),
        ("oneshot_eval_s", 0.0),
        ("supernet_train_gpu_h", -1.0),
        ("accounting", "green"),
    ],
)
def test_bad_config_names_field(field, value):
    with pytest.raises(ValueError, match=field):
        SimConfig(**{field: value})


def test_with_validates_and_trace_too_short(cal_trace):
    with pytest.raises(ValueError, match="n_gpus"):
        SimConfig().with_(n_gpus=-2)
    with pytest.raises(ValueError, match="needs 81"):
        Simulator(SimConfig(budget_hours=81, optimizer="random"), cal_trace, np.random.default_rng(0))


# ---------------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("optimizer", ["lamoo", "random"])
def test_same_seed_same_trajectory(cal_trace, optimizer):
    cfg = SimConfig(n_gpus=8, budget_hours=40, optimizer=optimizer)
    allocations = [k % 9 for k in range(40)]

    def trajectory(seed):
        sim = run(Simulator(cfg, cal_trace, np.random.default_rng(seed)), allocations)
        return sim.history, sim.trained, sim.summary()

    h1, t1, s1 = trajectory(42)
    h2, t2, s2 = trajectory(42)
    assert h1 == h2 and t1 == t2 and s1 == s2  # bit for bit: == on floats
    h3, t3, _ = trajectory(43)
    assert t3 != t1 and h3 != h1


# ---------------------------------------------------------------------- summary
def test_summary_is_plain_and_json_serialisable(cal_trace):
    cfg = SimConfig(n_gpus=8, budget_hours=10, optimizer="random")
    sim = run(Simulator(cfg, cal_trace, np.random.default_rng(0)), [2, 6] * 5)
    s = sim.summary()
    required = {
        "final_hv": float,
        "final_hv_normalized": float,
        "carbon_kg": float,
        "energy_kwh": float,
        "n_trained": int,
        "n_screened": int,
        "hv_per_kg": float,
        "hours": float,
    }
    for key, kind in required.items():
        assert type(s[key]) is kind, (key, type(s[key]))
    target_keys = {"target_regret", "reached_target", "kg_to_target", "hours_to_target"}
    for key, value in s.items():
        if key in target_keys:
            assert value is None, key  # no target in this run: null, not a number
        else:
            assert type(value) in (float, int), (key, type(value))
    assert s["final_regret"] == pytest.approx(1.0 - s["final_hv_normalized"])
    assert s["final_log10_regret"] == pytest.approx(np.log10(s["final_regret"]))
    for record in sim.history:
        for key, value in record.items():
            assert type(value) in (float, int, str), (key, type(value))
    json.loads(json.dumps(s))
    json.loads(json.dumps(sim.history))
    assert s["n_trained"] == len(sim.trained) and s["n_screened"] == sim.n_screened
    assert s["hours"] == 10.0
    assert s["final_hv"] == sim.hv and s["final_hv_normalized"] == pytest.approx(sim.hv / sim.space.max_hv)
    assert s["hv_per_kg"] == pytest.approx(s["final_hv_normalized"] / s["carbon_kg"])
    assert 0.0 < s["final_hv_normalized"] <= 1.0


# ---------------------------------------------------------------------- target task
def test_target_regret_ends_the_run_in_the_step_that_reaches_it(cal_trace):
    free = Simulator(SimConfig(n_gpus=8, budget_hours=40, optimizer="random"), cal_trace, np.random.default_rng(3))
    while not free.done:
        free.step(8)
    regrets = [r["regret"] for r in free.history]
    target = regrets[len(regrets) // 2]  # a level the free run reaches mid-way
    first = next(i for i, r in enumerate(regrets) if r <= target)
    cfg = SimConfig(n_gpus=8, budget_hours=40, optimizer="random", target_regret=target)
    sim = Simulator(cfg, cal_trace, np.random.default_rng(3))
    while not sim.done:
        sim.step(8)
    assert sim.t == first + 1  # the same run, stopped at the end of that step
    s = sim.summary()
    assert s["reached_target"] is True and s["hours_to_target"] == float(first + 1)
    assert s["kg_to_target"] == pytest.approx(free.history[first]["cum_carbon_g"] / 1000.0, abs=1e-12)


def test_target_missed_within_the_cap_reports_nulls(cal_trace):
    cfg = SimConfig(n_gpus=8, budget_hours=3, optimizer="random", target_regret=1e-6)
    sim = Simulator(cfg, cal_trace, np.random.default_rng(0))
    while not sim.done:
        sim.step(8)
    s = sim.summary()
    assert sim.t == 3 and s["reached_target"] is False
    assert s["kg_to_target"] is None and s["hours_to_target"] is None


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 5e-7])
def test_target_regret_outside_its_range_is_refused(bad):
    with pytest.raises(ValueError, match="target_regret"):
        SimConfig(target_regret=bad)
