"""CENAS-Geo-v1: the multi-site simulator, its env, baselines, CLI and comparison."""

from __future__ import annotations

import json
import math
import pickle
import warnings

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest

import cenas_gym  # noqa: F401  (registers the envs)
from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.cli import main
from cenas_gym.sim.episodes import new_episode
from cenas_gym.sim.geo import (
    DEFAULT_SITES,
    GeoSimulator,
    Site,
    align_sites,
    make_sites,
    new_geo_episode,
    parse_site,
)
from cenas_gym.envs.rewards import task_reward
from cenas_gym.policies.geo import GeoGreedy, GeoHeuristic, make_geo_policy, run_geo_policy
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.sim.tasks import make_task

START = "2022-04-04T00:00Z"
FAST = dict(optimizer="random")


def synthetic(seed: int, hours: int = 200, start: str = "2022-01-01T00:00Z", mean: float = 300.0) -> CarbonTrace:
    return CarbonTrace.synthetic(hours, seed, mean=mean, daily_amplitude=mean / 3, start=start)


# -- the simulator -------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["random", "lamoo"])
def test_one_site_geo_run_is_the_single_site_run(optimizer):
    config = SimConfig(optimizer=optimizer, budget_hours=24, n_gpus=4)
    trace = CarbonTrace.load("ES:2022")
    single = new_episode(config, trace, np.random.default_rng(7), START).sim
    geo = new_geo_episode(config, make_sites(["ES:2022:4"]), np.random.default_rng(7), START).sim
    for action in np.random.default_rng(1).integers(0, 5, 24):
        a, b = single.step(int(action)), geo.step([action])
        assert b["site"] == "total"
        for key, value in a.items():
            if key == "intensity_g_per_kwh":  # the total's is carbon / energy
                assert b[key] == pytest.approx(value, rel=1e-12)
            else:
                assert b[key] == value, key
    assert geo.trained == single.trained
    geo_summary = geo.summary()
    assert geo_summary.pop("sites")[0]["carbon_kg"] == pytest.approx(single.summary()["carbon_kg"])
    assert geo_summary == single.summary()


def test_each_site_is_charged_at_its_own_intensity_and_gpu_seconds_add_up():
    sites = make_sites(DEFAULT_SITES)
    sim = new_geo_episode(SimConfig(budget_hours=12, **FAST), sites, np.random.default_rng(0), START).sim
    assert sim.config.n_gpus == 18
    rng = np.random.default_rng(3)
    for _ in range(12):
        sim.step(np.array([rng.integers(0, s.n_gpus + 1) for s in sites]))
    acc = sim.accounting
    for t, total in enumerate(sim.history):
        rows = sim.site_history[t * 4 : (t + 1) * 4]
        assert [r["site"] for r in rows] == ["NO", "US-CAL-CISO", "ES", "EIA-SOCO"]
        for row, site in zip(rows, sites):
            assert row["train_gpu_s"] + row["sample_gpu_s"] + row["idle_gpu_s"] == pytest.approx(site.n_gpus * 3600)
            energy = acc.energy_kwh(row["train_gpu_s"], row["sample_gpu_s"], row["idle_gpu_s"])
            assert row["energy_kwh"] == energy
            assert row["carbon_g"] == energy * row["intensity_g_per_kwh"]
            assert row["intensity_g_per_kwh"] == site.trace.values_g_per_kwh[site.trace.index_at(START) + t]
        assert total["carbon_g"] == pytest.approx(sum(r["carbon_g"] for r in rows), rel=1e-12)
        assert total["gpus_train"] + total["gpus_sample"] == 18
    summary = sim.summary()
    assert sum(s["carbon_kg"] for s in summary["sites"]) == pytest.approx(summary["carbon_kg"], rel=1e-12)
    assert sum(s["n_trained"] for s in summary["sites"]) == summary["n_trained"] - sim.config.n_init
    # the initial architectures: spread over the sites by GPUs, each at its first-hour intensity
    share = np.array([2, 4, 4, 8]) / 18
    first = np.array([s.trace.values_g_per_kwh[s.trace.index_at(START)] for s in sites])
    assert sim.init_carbon_g == pytest.approx(float(np.sum(sim.init_energy_kwh * share * first)))
    frame = sim.trajectory()
    assert len(frame) == 12 * 5 and list(frame.site[:5]) == ["NO", "US-CAL-CISO", "ES", "EIA-SOCO", "total"]


def test_jobs_stay_at_the_site_that_started_them():
    sites = [Site("A", synthetic(0), 2), Site("B", synthetic(1), 2)]
    sim = GeoSimulator(SimConfig(budget_hours=10, **FAST), sites, np.random.default_rng(0))
    sim.step([2, 2])  # NB201 training takes 1,084-6,922 s: some jobs run past the hour
    a_jobs = [list(job) for job in sim.site_unfinished[0]]
    assert a_jobs, "site A should carry a job into the next step"
    sim.step([0, 2])  # A trains nothing: its jobs wait there, untouched
    assert [list(job) for job in sim.site_unfinished[0]] == a_jobs
    assert sim.site_history[-2]["train_gpu_s"] == 0.0
    sim.step([2, 0])  # A resumes its own jobs first
    resumed = {arch for arch, _ in a_jobs}
    assert resumed <= set(sim.trained) | {arch for arch, _ in sim.site_unfinished[0]}
    assert not resumed & {arch for arch, _ in sim.site_unfinished[1]}


def test_bad_actions_name_the_site():
    sim = GeoSimulator(SimConfig(budget_hours=2, **FAST), make_sites(["NO:2022:2", "ES:2022:4"]), np.random.default_rng(0))
    with pytest.raises(ValueError, match="site 'NO' must be in \\[0, 2\\], got 3"):
        sim.step([3, 0])
    with pytest.raises(ValueError, match="2 integers"):
        sim.step([1])
    with pytest.raises(TypeError, match="intensities_at"):
        sim.intensity_at(0)


# -- sites ---------------------------------------------------------------------------------
def test_parse_site_reads_name_year_gpus_and_says_what_is_wrong():
    site = parse_site("ES:2022:lca:4")
    assert (site.name, site.trace.name, site.n_gpus) == ("ES", "ES:2022:lca", 4)
    for text, message in [("NO:2022", "expected NAME:YEAR:GPUS"), ("NO:2022:x", "GPUS must be a positive integer"),
                          ("NO:2022:0", "positive integer, got 0"), ("XX:2022:2", "XX:2022")]:
        with pytest.raises(ValueError, match=message):
            parse_site(text)
    with pytest.raises(ValueError, match="unique"):
        make_sites(["NO:2022:2", "NO:2021:2"])


def test_sites_are_cut_to_their_common_hours_and_misaligned_ones_refused():
    a = synthetic(0, hours=100, start="2022-01-01T00:00Z")
    b = synthetic(1, hours=100, start="2022-01-02T00:00Z")
    aligned = align_sites([Site("A", a, 1), Site("B", b, 1)], 3600)
    assert [len(s.trace) for s in aligned] == [76, 76]
    assert aligned[0].trace.start == aligned[1].trace.start == pd.Timestamp("2022-01-02", tz="UTC")
    assert aligned[1].trace.values_g_per_kwh[0] == b.values_g_per_kwh[0]
    half_hour = synthetic(2, hours=100, start="2022-01-01T00:30Z")
    with pytest.raises(ValueError, match="site 'C'.*not aligned in UTC"):
        align_sites([Site("A", a, 1), Site("C", half_hour, 1)], 3600)
    with pytest.raises(ValueError, match="share no hour"):
        align_sites(make_sites(["NO:2021:1", "EIA-SOCO:2022:1"]), 3600)
    short = [Site("A", a, 1), Site("B", synthetic(3, hours=30), 1)]
    with pytest.raises(ValueError, match="too short|no room"):
        new_geo_episode(SimConfig(budget_hours=40, **FAST), short, np.random.default_rng(0))
    with pytest.raises(ValueError, match="site 'B'.*budget needs 40"):
        GeoSimulator(SimConfig(budget_hours=40, **FAST), short, np.random.default_rng(0))


# -- baselines -----------------------------------------------------------------------------
def test_greedy_fills_the_cleanest_sites_first_and_heuristic_is_per_site():
    sites = make_sites(DEFAULT_SITES)
    episode = new_geo_episode(SimConfig(budget_hours=48, **FAST), sites, np.random.default_rng(0), START)
    ctx = episode.context
    greedy = GeoGreedy(8)
    greedy.reset(ctx, episode.policy_rng)
    for step in (0, 17, 40):
        now = ctx.now(step)
        order = np.argsort(now, kind="stable")
        expected = np.zeros(4, dtype=int)
        left = 8
        for i in order:
            expected[i] = min(ctx.n_gpus[i], left)
            left -= expected[i]
        np.testing.assert_array_equal(greedy.act(None, {"step": step}), expected)
    heuristic = GeoHeuristic()
    heuristic.reset(ctx, episode.policy_rng)
    for step in (0, 17, 40):
        got = heuristic.act(None, {"step": step})
        for i, n in enumerate(ctx.n_gpus):
            window = ctx.episode_window(i)
            share = (ctx.now(step)[i] - window.min()) / (window.max() - window.min())
            assert got[i] == n - math.floor(share * n + 0.5)


def test_single_site_policy_runs_on_that_site_alone():
    sites = make_sites(DEFAULT_SITES)
    sim = run_geo_policy(make_geo_policy("single:ES"), SimConfig(budget_hours=6, **FAST), sites, 0, START)
    assert [s.name for s in sim.sites] == ["ES"] and sim.config.n_gpus == 4
    assert all(r["gpus_train"] == 4 for r in sim.history)
    with pytest.raises(ValueError, match="no site named 'XX'"):
        run_geo_policy(make_geo_policy("single:XX"), SimConfig(budget_hours=6, **FAST), sites, 0, START)
    with pytest.raises(ValueError, match="unknown geo policy"):
        make_geo_policy("heuristic")


# -- the env -------------------------------------------------------------------------------
@pytest.mark.parametrize("action_type", ["discrete", "continuous"])
def test_gymnasium_and_sb3_env_checkers_pass_without_warnings(action_type):
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gym.make("CENAS-Geo-v1", action_type=action_type, hours=24, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(env, warn=True, skip_render_check=True)
    space = env.action_space
    if action_type == "discrete":
        np.testing.assert_array_equal(space.nvec, [3, 5, 5, 9])
    else:
        assert space.shape == (4,) and space.dtype == np.float32
    assert env.observation_space.shape == (4 * (4 + 6) + 7,)


def test_env_plays_the_same_episode_as_the_fast_path():
    task = make_task("target", hours=60, target_regret=0.005)
    env = gym.make("CENAS-Geo-v1", task="target", hours=60, target_regret=0.005, start=START, **FAST)
    obs, info = env.reset(seed=3)
    base = env.unwrapped
    policy = make_geo_policy("geo-heuristic")
    policy.reset(base.episode_context(), base.policy_rng)
    total, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, info))
        assert env.observation_space.contains(obs)
        total += reward
        done = terminated or truncated
    fast = run_geo_policy(make_geo_policy("geo-heuristic"), task.apply(SimConfig(**FAST)), make_sites(None), 3, START)
    assert base.simulator.history == fast.history
    assert base.simulator.site_history == fast.site_history
    summary = info["episode_summary"]
    if summary["reached_target"]:  # the target return is minus the kg to target
        assert total == pytest.approx(-(summary["kg_to_target"] - summary["init_carbon_kg"]))
    else:
        assert total == pytest.approx(-(summary["carbon_kg"] - summary["init_carbon_kg"]) - base.miss_penalty_kg)


def test_same_seed_same_bits_and_pickled_env_continues_identically():
    def play(env, actions):
        out = []
        for action in actions:
            obs, reward, *_ = env.step(action)
            out.append((obs.tobytes(), reward))
        return out

    actions = [np.array(a) for a in ([2, 4, 4, 8], [0, 1, 2, 3], [1, 4, 0, 8], [2, 0, 4, 0])]
    a = gym.make("CENAS-Geo-v1", task="fixed-time", hours=24, **FAST)  # random start, noisy forecast
    b = gym.make("CENAS-Geo-v1", task="fixed-time", hours=24, **FAST)
    a.reset(seed=11)
    b.reset(seed=11)
    assert play(a, actions[:2]) == play(b, actions[:2])
    copy = pickle.loads(pickle.dumps(a))
    assert play(a, actions[2:]) == play(copy, actions[2:])
    assert a.unwrapped.simulator.site_history == copy.unwrapped.simulator.site_history


def test_task_rewards_follow_issue_12():
    target, budget, fixed = make_task("target"), make_task("budget", carbon_budget_kg=10), make_task("fixed-time")
    assert task_reward(target, 1500.0, -2.0, -2.5) == {"carbon": -1.5, "missed_target": 0.0}
    assert sum(task_reward(target, 1500.0, -2.0, -2.5, missed_target=True, miss_penalty_kg=40.0).values()) == -41.5
    assert task_reward(budget, 1500.0, -2.0, -2.5) == {"log10_regret": 0.5}
    assert sum(task_reward(fixed, 1500.0, -2.0, -2.5, carbon_price_per_kg=0.1).values()) == pytest.approx(0.5 - 0.15)
    env = gym.make("CENAS-Geo-v1", task="budget", carbon_budget_kg=5.0, start=START, **FAST)
    obs, info = env.reset(seed=0)
    first = math.log10(info["regret"])
    total, done = 0.0, False
    while not done:
        obs, reward, done, _, info = env.step(env.unwrapped.gpus.copy())
        total += reward
    assert info["episode_summary"]["carbon_kg"] >= 5.0
    assert total == pytest.approx(first - info["episode_summary"]["final_log10_regret"])


def test_env_misuse_raises_clearly():
    with pytest.raises(ValueError, match="GPUs are set per site"):
        gym.make("CENAS-Geo-v1", n_gpus=8)
    with pytest.raises(ValueError, match="task must be one of"):
        gym.make("CENAS-Geo-v1", task="fast")
    env = gym.make("CENAS-Geo-v1", hours=4, **FAST)
    with pytest.raises(RuntimeError, match="reset"):
        env.unwrapped.step(np.zeros(4, dtype=np.int64))
    env.reset(seed=0)
    with pytest.raises(ValueError, match="MultiDiscrete"):
        env.step(np.array([3, 0, 0, 0]))


# -- CLI -----------------------------------------------------------------------------------
def test_run_sites_prints_the_task_keys_per_site_and_total(capsys, tmp_path):
    traj = tmp_path / "t.csv"
    argv = ["run", "--sites", "NO:2022:2,ES:2022:4", "--policy", "geo-greedy:3", "--task", "target",
            "--target-regret", "0.01", "--hours", "40", "--optimizer", "random", "--json", "--trajectory", str(traj)]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("reached_target", "kg_to_target", "hours_to_target", "final_log10_regret", "target_regret"):
        assert key in result
    assert [s["site"] for s in result["sites"]] == ["NO", "ES"] and result["gpus"] == 6
    frame = pd.read_csv(traj)
    assert list(frame.site.unique()) == ["NO", "ES", "total"] and len(frame) == 3 * result["hours"]


@pytest.mark.parametrize("sites, message", [
    ("NO:2022", "expected NAME:YEAR:GPUS"), ("NO:2022:two", "GPUS must be a positive integer"),
    ("NO:2021:2,EIA-SOCO:2022:2", "share no hour"),
])
def test_run_sites_errors_are_one_line(capsys, sites, message):
    assert main(["run", "--sites", sites, "--policy", "geo-vanilla", "--optimizer", "random"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cenas-gym: error: ") and message in err and "Traceback" not in err


def test_compare_geo_preset_writes_results_summary_and_plots(capsys, tmp_path):
    argv = ["compare", "--preset", "geo", "--policies", "geo-heuristic,geo-greedy,single:NO",
            "--sites", "NO:2022:2,ES:2022:4", "--windows", START, "--seeds", "2", "--hours", "30",
            "--target-regret", "0.01", "--optimizer", "random", "--out", str(tmp_path)]
    assert main(argv) == 0
    results = pd.read_csv(tmp_path / "results.csv")
    assert len(results) == 6 and set(results.policy) == {"geo-heuristic", "geo-greedy", "single:NO"}
    summary = (tmp_path / "summary.md").read_text()
    assert "Paired against geo-heuristic" in summary and "Best single-site run" in summary
    for png in ("allocation.png", "regret.png", "kg_to_target.png"):
        assert (tmp_path / png).stat().st_size > 1000


def test_geo_observation_comes_from_its_feature_table():
    from cenas_gym.envs import observation

    env = gym.make("CENAS-Geo-v1", sites=["NO:2022:2", "ES:2022:4"], forecast_hours=3, optimizer="random")
    block = observation.size(observation.GEO_SITE, 3)
    assert env.observation_space.shape == (2 * block + observation.size(observation.GEO_SEARCH, 3),)
    assert observation.markdown_table(observation.GEO_SITE).splitlines()[2] in env.unwrapped.__doc__


@pytest.mark.parametrize("env_id", ["CENAS-v1", "CENAS-Geo-v1"])
def test_both_envs_check_their_shared_options_alike(env_id):
    with pytest.raises(ValueError, match="forecast_epsilon must be >= 0"):
        gym.make(env_id, forecast_epsilon=-0.1, optimizer="random")
    with pytest.raises(ValueError, match="miss_penalty_kg must be >= 0 or None"):
        gym.make(env_id, miss_penalty_kg=-1.0, optimizer="random")
