"""``CENAS-v0`` through Gymnasium: API conformance, determinism, rewards, misuse, pickling,
vectorisation, rendering and the observation layout documented in ``CENASEnv``.

Most episodes use ``optimizer="random"`` and short budgets: the env plumbing, not LaMOO, is
under test here (LaMOO appears where the env and the fast path must agree).
"""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest

import cenas_gym  # noqa: F401  (registers CENAS-v0)
from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.envs.cenas import CENASEnv
from cenas_gym.envs.observation import INTENSITY_SCALE_G_PER_KWH, TRAINED_SCALE
from cenas_gym.envs.rewards import CENAS_ALPHA, CENAS_GAMMA
from cenas_gym.carbon.forecast import FORECASTERS
from cenas_gym.policies.play import make_policy, run_policy
from cenas_gym.sim.simulator import SimConfig

FIXED = "2021-07-02T06:00Z"
FAST = {"optimizer": "random", "budget_hours": 8}
RECORD_KEYS = {
    "step", "time_utc", "intensity_g_per_kwh", "gpus_train", "gpus_sample", "train_gpu_s", "sample_gpu_s",
    "idle_gpu_s", "energy_kwh", "carbon_g", "cum_energy_kwh", "cum_carbon_g", "n_trained_step",
    "n_screened_step", "n_trained", "n_screened", "queue_len", "unfinished_jobs", "unfinished_work_s", "hv",
    "hv_gain", "hv_normalized",
}


def play(env, actions=None, seed=0, rng_seed=0):
    """One whole episode; returns (reset obs, reset info, [(obs, reward, term, trunc, info)])."""
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(rng_seed)
    steps = []
    while True:
        action = actions(rng) if actions is not None else env.action_space.sample()
        out = env.step(action)
        steps.append(out)
        if out[2] or out[3]:
            return obs, info, steps


def integer_actions(n):
    return lambda rng: int(rng.integers(0, n + 1))


# -- API conformance -----------------------------------------------------------------------
@pytest.mark.parametrize("render_mode", [None, "ansi", "rgb_array"])
@pytest.mark.parametrize("action_type", ["discrete", "continuous"])
def test_gymnasium_and_sb3_env_checkers_pass_without_warnings(action_type, render_mode):
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gym.make("CENAS-v0", action_type=action_type, render_mode=render_mode, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=render_mode is None)
        sb3_check_env(env, warn=True, skip_render_check=render_mode is None)
    env.close()


def test_continuous_action_space_is_the_documented_training_fraction():
    env = gym.make("CENAS-v0", action_type="continuous", start=FIXED, **FAST)
    space = env.action_space
    assert isinstance(space, gym.spaces.Box) and space.shape == (1,) and space.dtype == np.float32
    assert space.low[0] == -1.0 and space.high[0] == 1.0
    env.reset(seed=0)
    # action a means the fraction (a + 1) / 2; fraction x 8 rounded half up:
    # 0.0625 x 8 = 0.5 -> 1; 0.5 -> 4; 1 -> 8
    for fraction, n_train in [(0.0, 0), (0.0625, 1), (0.06, 0), (0.5, 4), (0.9375, 8), (1.0, 8)]:
        _, _, _, _, info = env.step(np.array([2.0 * fraction - 1.0], dtype=np.float32))
        assert info["gpus_train"] == n_train, fraction


def test_make_in_a_fresh_interpreter_without_importing_the_package():
    code = (
        "import sys, gymnasium as gym\n"
        "assert 'cenas_gym' not in sys.modules and 'CENAS-v0' not in gym.registry\n"
        "env = gym.make('cenas_gym:CENAS-v0', optimizer='random', budget_hours=2)\n"
        "obs, info = env.reset(seed=0)\n"
        "assert obs.shape == (18,)\n"
        "env.step(3)\n"
        "assert 'CENAS-v0' in gym.registry\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# -- determinism ---------------------------------------------------------------------------
def test_same_seed_same_episode_including_random_start():
    def run(seed):
        env = gym.make("CENAS-v0", **FAST)  # random start, noisy forecaster
        return play(env, integer_actions(8), seed=seed), env.unwrapped.episode_context().start

    (obs_a, info_a, steps_a), start_a = run(3)
    (obs_b, info_b, steps_b), start_b = run(3)
    assert start_a == start_b
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_equal(info_a, info_b)
    assert len(steps_a) == len(steps_b)
    for a, b in zip(steps_a, steps_b):
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1:4] == b[1:4]
        np.testing.assert_equal(a[4], b[4])  # NaN-aware dict comparison

    (obs_c, _, steps_c), start_c = run(4)
    assert start_c != start_a
    assert not np.array_equal(obs_c, obs_a)
    assert [s[4]["time_utc"] for s in steps_c] != [s[4]["time_utc"] for s in steps_a]


def test_reseeding_the_same_env_replays_the_episode_and_unseeded_resets_move_on():
    env = gym.make("CENAS-v0", **FAST)
    first = play(env, integer_actions(8), seed=11)
    start_first = env.unwrapped.episode_context().start
    env.reset()
    start_next = env.unwrapped.episode_context().start
    again = play(env, integer_actions(8), seed=11)
    assert env.unwrapped.episode_context().start == start_first
    assert start_next != start_first
    for a, b in zip(first[2], again[2]):
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1] == b[1]


# -- a whole episode -----------------------------------------------------------------------
def test_random_action_episode_terminates_after_the_default_budget():
    env = gym.make("cenas_gym:CENAS-v0", optimizer="random")
    obs, info, steps = play(env, seed=5)
    assert env.unwrapped.config.budget_hours == 80.0
    assert len(steps) == 80
    assert [s[2] for s in steps] == [False] * 79 + [True]
    assert not any(s[3] for s in steps)
    assert info["step"] == 0 and "hv_normalized" in info
    for i, (_, reward, _, _, step_info) in enumerate(steps):
        assert RECORD_KEYS <= set(step_info)
        assert step_info["step"] == i + 1  # the step about to be played
        assert set(step_info["reward_breakdown"]) == {"hv", "carbon"}
        assert math.isclose(reward, sum(step_info["reward_breakdown"].values()), rel_tol=0, abs_tol=1e-12)
        gpu_s = step_info["train_gpu_s"] + step_info["sample_gpu_s"] + step_info["idle_gpu_s"]
        assert math.isclose(gpu_s, 8 * 3600.0, rel_tol=1e-12)
        assert step_info["carbon_g"] == pytest.approx(step_info["energy_kwh"] * step_info["intensity_g_per_kwh"])
        assert ("episode_summary" in step_info) == (i == 79)
    summary = steps[-1][4]["episode_summary"]
    assert summary["hours"] == 80.0
    assert summary["carbon_kg"] == pytest.approx(steps[-1][4]["cum_carbon_g"] / 1000.0)
    assert math.isnan(steps[-1][4]["intensity_now_g_per_kwh"])
    with pytest.raises(RuntimeError, match="ended"):
        env.step(0)


def test_heuristic_episode_through_gym_make():
    env = gym.make("CENAS-v0", start=FIXED, optimizer="random")
    obs, info = env.reset(seed=0)
    policy = make_policy("heuristic:window")  # C_min/C_max over the episode window
    ctx = env.unwrapped.episode_context()
    policy.reset(ctx, np.random.default_rng(0))
    window = ctx.episode_window()
    lo, hi = window.min(), window.max()
    terminated, n = False, 0
    while not terminated:
        action = policy.act(obs, info)
        assert env.action_space.contains(action)
        lam = (info["intensity_now_g_per_kwh"] - lo) / (hi - lo)
        assert action == 8 - math.floor(lam * 8 + 0.5)
        obs, reward, terminated, truncated, info = env.step(action)
        assert info["gpus_train"] == action and not truncated
        n += 1
    assert n == 80
    # dirtiest hour: all sample; cleanest hour: all train
    trains = [r["gpus_train"] for r in env.unwrapped.simulator.history]
    assert trains[int(np.argmax(window))] == 0 and trains[int(np.argmin(window))] == 8


# -- rewards -------------------------------------------------------------------------------
def test_default_return_is_hv_progress_minus_kg_co2():
    env = gym.make("CENAS-v0", start=FIXED, optimizer="random", budget_hours=40)
    obs, info, steps = play(env, integer_actions(8), seed=2)
    k = env.unwrapped.forecast_steps
    init = info["hv_normalized"]
    final = steps[-1][4]["hv_normalized"]
    progress = (final - init) / (1.0 - init)
    kg = sum(s[4]["carbon_g"] for s in steps) / 1000.0
    ret = sum(s[1] for s in steps)
    assert abs(ret - (100.0 * progress - kg)) < 1e-9
    assert steps[-1][0][7 + k] == pytest.approx(progress, abs=1e-6)
    assert progress > 0 and kg > 0
    for _, _, _, _, i in steps:
        assert i["reward_breakdown"]["carbon"] == pytest.approx(-i["carbon_g"] / 1000.0, rel=1e-12)


def test_default_reward_weights():
    kwargs = dict(start=FIXED, optimizer="random", budget_hours=8, hv_weight=7.0, carbon_weight_per_kg=3.0)
    _, info, steps = play(gym.make("CENAS-v0", **kwargs), integer_actions(8), seed=2)
    progress = (steps[-1][4]["hv_normalized"] - info["hv_normalized"]) / (1.0 - info["hv_normalized"])
    kg = sum(s[4]["carbon_g"] for s in steps) / 1000.0
    assert abs(sum(s[1] for s in steps) - (7.0 * progress - 3.0 * kg)) < 1e-9


def test_cenas_reward_parts_follow_the_documented_formula():
    env = gym.make("CENAS-v0", start=FIXED, optimizer="random", budget_hours=20, reward="cenas")
    _, _, steps = play(env, integer_actions(8), seed=1)
    sim = env.unwrapped.simulator
    window_max = float(env.unwrapped.episode_context().episode_window().max())
    T = 20
    assert any(s[4]["hv_gain"] > 0 for s in steps) and any(s[4]["n_trained_step"] > 0 for s in steps)
    for _, reward, _, _, i in steps:
        t = i["step"]  # steps played, after this one
        parts = i["reward_breakdown"]
        assert set(parts) == {"hv", "carbon", "samples"}
        assert parts["hv"] == pytest.approx(
            CENAS_ALPHA * i["hv_gain"] / sim.space.max_hv * (0.8 * t / T + 0.8), rel=1e-12, abs=1e-15
        )
        assert parts["carbon"] == pytest.approx(-i["carbon_g"] / 8 * 2.0 / window_max, rel=1e-12)
        assert parts["samples"] == pytest.approx(CENAS_GAMMA * i["n_trained_step"])
        assert CENAS_ALPHA == 20.0 and CENAS_GAMMA == 0.05
        assert reward == pytest.approx(sum(parts.values()), rel=1e-12, abs=1e-15)


# -- env and fast path agree ---------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["random", "lamoo"])
def test_env_and_run_policy_give_identical_histories(optimizer):
    kwargs = {"optimizer": optimizer, "budget_hours": 20}
    env = gym.make("CENAS-v0", start=FIXED, **kwargs)
    obs, info = env.reset(seed=7)
    policy = make_policy("heuristic")
    policy.reset(env.unwrapped.episode_context(), np.random.default_rng(0))
    terminated = False
    while not terminated:
        obs, _, terminated, _, info = env.step(policy.act(obs, info))
    fast = run_policy(make_policy("heuristic"), SimConfig(**kwargs), CarbonTrace.load("US-CAL-CISO:2021"), 7, start=FIXED)
    assert env.unwrapped.simulator.history == fast.history
    assert env.unwrapped.simulator.summary() == fast.summary()


def test_env_and_run_policy_draw_the_same_random_window():
    env = gym.make("CENAS-v0", **FAST)  # forecast look-ahead 6; run_policy needs none
    trace = CarbonTrace.load("US-CAL-CISO:2021")
    for seed in (0, 1):
        env.reset(seed=seed)
        fast = run_policy(make_policy("vanilla"), SimConfig(**FAST), trace, seed)
        assert fast.trace.times[0] == env.unwrapped.simulator.trace.times[0]
        while not env.unwrapped.simulator.done:
            env.step(8)
        assert env.unwrapped.simulator.history == fast.history


# -- misuse --------------------------------------------------------------------------------
def test_step_before_reset_raises():
    env = gym.make("CENAS-v0", **FAST, disable_env_checker=True)
    with pytest.raises(RuntimeError, match="reset"):
        env.unwrapped.step(0)
    with pytest.raises(RuntimeError, match="reset"):
        env.unwrapped.episode_context()
    assert env.unwrapped.simulator is None


@pytest.mark.parametrize("action", [-1, 9, 2.5, "3", [0.3], True, np.array([3]), None])
def test_discrete_action_outside_the_space_raises_naming_the_range(action):
    env = gym.make("CENAS-v0", start=FIXED, **FAST)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"\[0, 8\]"):
        env.unwrapped.step(action)
    env.unwrapped.step(np.int64(3))  # numpy integers are fine; the failed calls played nothing
    assert env.unwrapped.simulator.t == 1


@pytest.mark.parametrize("action", [1.5, -1.1, [0.2, 0.3], np.nan, [[0.5, 0.5]], "0.5"])
def test_continuous_action_outside_the_space_raises_naming_the_range(action):
    env = gym.make("CENAS-v0", start=FIXED, action_type="continuous", **FAST)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        env.unwrapped.step(action)
    assert env.unwrapped.simulator.t == 0


def test_step_after_termination_raises_until_reset():
    env = gym.make("CENAS-v0", start=FIXED, optimizer="random", budget_hours=2)
    env.reset(seed=0)
    env.step(1)
    assert env.step(1)[2]
    with pytest.raises(RuntimeError, match="reset"):
        env.unwrapped.step(1)
    env.reset(seed=0)
    env.step(1)


def test_unknown_keyword_lists_the_valid_options():
    with pytest.raises(ValueError) as err:
        gym.make("CENAS-v0", forcaster="oracle")
    message = str(err.value)
    assert "forcaster" in message
    for option in ("forecaster", "action_type", "reward", "n_gpus", "budget_hours", "carbon_budget_g"):
        assert option in message


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"forecaster": "crystal-ball"}, "forecaster"),
        ({"reward": "profit"}, "reward"),
        ({"action_type": "multi"}, "action_type"),
        ({"render_mode": "human"}, "render_mode"),
        ({"forecast_hours": -1}, "forecast_hours"),
        ({"forecast_hours": 2.5}, "forecast_hours"),
        ({"hv_weight": -1.0}, "hv_weight"),
        ({"optimizer": "bayes"}, "optimizer"),
        ({"n_gpus": 0}, "n_gpus"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CENASEnv(**kwargs)


def test_fixed_start_without_room_for_budget_and_forecast_raises():
    # the trace ends 2021-12-31T23:00Z: 8 h from 10:00 plus a 6 h look-ahead just fit
    gym.make("CENAS-v0", start="2021-12-31T10:00Z", forecaster="oracle", **FAST).reset(seed=0)
    env = gym.make("CENAS-v0", start="2021-12-31T11:00Z", **FAST)
    with pytest.raises(ValueError, match="no room"):
        env.reset(seed=0)


# -- pickling and vectorisation ------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["random", "lamoo"])
def test_pickled_env_continues_identically(optimizer):
    env = gym.make("CENAS-v0", optimizer=optimizer, budget_hours=6)  # random start, noisy forecast
    env.reset(seed=4)
    env.step(3)
    copy = pickle.loads(pickle.dumps(env))
    for action in (5, 0, 8, 2, 7):
        a, b = env.step(action), copy.step(action)
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1:4] == b[1:4]
        np.testing.assert_equal(a[4], b[4])
    assert env.unwrapped.simulator.history == copy.unwrapped.simulator.history


def test_gymnasium_async_vector_env_resets_and_steps():
    envs = gym.make_vec("CENAS-v0", num_envs=2, vectorization_mode="async", **FAST)
    try:
        obs, infos = envs.reset(seed=0)
        assert obs.shape == (2, 18) and obs.dtype == np.float32
        for _ in range(3):
            obs, rewards, terminated, truncated, infos = envs.step(np.array([2, 6]))
        assert obs.shape == (2, 18) and rewards.shape == (2,)
        assert not terminated.any() and not truncated.any()
        np.testing.assert_array_equal(infos["gpus_train"], [2, 6])
    finally:
        envs.close()


@pytest.mark.parametrize(
    "env_id, start_method",
    [
        # forkserver/spawn children unpickle the lambda but never import cenas_gym (Gymnasium
        # 1.x loads no env plugins), so the id must name the module...
        ("cenas_gym:CENAS-v0", None),
        # ... while forked children inherit the registration done by `import cenas_gym`
        ("CENAS-v0", "fork"),
    ],
)
def test_sb3_subproc_vec_env_resets_and_steps(env_id, start_method):
    from stable_baselines3.common.vec_env import SubprocVecEnv

    envs = SubprocVecEnv(
        [lambda: gym.make(env_id, optimizer="random", budget_hours=8) for _ in range(2)], start_method=start_method
    )
    try:
        envs.seed(0)
        obs = envs.reset()
        assert obs.shape == (2, 18)
        for _ in range(8):  # through the end of the episode: auto-reset
            obs, rewards, dones, infos = envs.step(np.array([1, 7]))
        assert dones.all()
        assert all("episode_summary" in i and "terminal_observation" in i for i in infos)
        assert [i["gpus_train"] for i in infos] == [1, 7]
    finally:
        envs.close()


# -- render --------------------------------------------------------------------------------
def test_render_ansi_has_a_header_and_one_line_per_step():
    env = gym.make("CENAS-v0", start=FIXED, render_mode="ansi", **FAST)
    env.reset(seed=0)
    assert env.render().splitlines()[0].startswith("time (UTC)")
    assert len(env.render().splitlines()) == 1
    for n in range(1, 4):
        env.step(n)
        text = env.render()
        assert isinstance(text, str)
        lines = text.splitlines()
        assert len(lines) == 1 + n
        assert lines[-1].startswith("2021-07-02T0" + str(5 + n))
        assert lines[-1].split()[2:4] == [str(n), str(8 - n)]


def test_render_rgb_array_is_an_uint8_image():
    env = gym.make("CENAS-v0", start=FIXED, render_mode="rgb_array", optimizer="random", budget_hours=4)
    env.reset(seed=0)
    before = env.render()
    env.step(4)
    image = env.render()
    for img in (before, image):
        assert isinstance(img, np.ndarray) and img.dtype == np.uint8
        assert img.ndim == 3 and img.shape[2] == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert not np.array_equal(before, image)
    assert image.std() > 0


def test_render_without_mode_warns_and_before_reset_raises():
    env = CENASEnv(**FAST)
    with pytest.warns(UserWarning, match="render_mode"):
        assert env.render() is None
    with pytest.raises(RuntimeError, match="reset"):
        CENASEnv(render_mode="ansi", **FAST).render()


# -- observation ---------------------------------------------------------------------------
@pytest.mark.parametrize("forecaster", FORECASTERS)
def test_observation_has_the_documented_length_and_stays_in_the_space(forecaster):
    env = gym.make("CENAS-v0", forecaster=forecaster, optimizer="random")
    for k in (6, 0, 24):
        env = gym.make("CENAS-v0", forecaster=forecaster, forecast_hours=k, optimizer="random")
        assert env.observation_space.shape == (12 + k,)
        obs, _, steps = play(env, integer_actions(8), seed=k)
        for o in [obs] + [s[0] for s in steps]:
            assert o.shape == (12 + k,) and o.dtype == np.float32
            assert env.observation_space.contains(o), o


def test_observation_features_match_the_documented_layout():
    k = 6
    env = gym.make("CENAS-v0", start=FIXED, forecaster="oracle", forecast_hours=k, optimizer="random", budget_hours=10)
    obs, info = env.reset(seed=0)
    ctx = env.unwrapped.episode_context()
    values = ctx.intensity_g_per_kwh
    action_rng = np.random.default_rng(0)
    for t in range(10):
        now = values[ctx.start + t]
        trailing = values[ctx.start + t + 1 - 168 : ctx.start + t + 1]
        sim = env.unwrapped.simulator
        expected = np.empty(12 + k)
        expected[0] = now / INTENSITY_SCALE_G_PER_KWH
        expected[1] = (now - trailing.min()) / (trailing.max() - trailing.min())
        expected[2 : 2 + k] = values[ctx.start + t + 1 : ctx.start + t + 1 + k] / INTENSITY_SCALE_G_PER_KWH
        hour = (6 + t) % 24  # FIXED starts at 06:00 UTC
        expected[2 + k] = np.sin(2 * np.pi * hour / 24)
        expected[3 + k] = np.cos(2 * np.pi * hour / 24)
        expected[4 + k] = 1 - t / 10
        expected[5 + k] = 1.0
        expected[6 + k] = sim.hv_normalized
        expected[9 + k] = len(sim.trained) / TRAINED_SCALE
        expected[10 + k] = len(sim.queue) / 10
        expected[11 + k] = sim.unfinished_work_s / (8 * 3600)
        layout = [i for i in range(12 + k) if i not in (7 + k, 8 + k)]
        np.testing.assert_allclose(obs[layout], expected[layout].astype(np.float32), rtol=1e-6, atol=1e-7)
        assert info["intensity_now_g_per_kwh"] == now
        progress_before = obs[7 + k]
        obs, _, _, _, info = env.step(int(action_rng.integers(0, 9)))
        assert obs[8 + k] == pytest.approx(obs[7 + k] - progress_before, abs=1e-6)
    assert obs[4 + k] == 0.0


# -- carbon budget -------------------------------------------------------------------------
def test_carbon_budget_terminates_early():
    budget = 5000.0
    env = gym.make("CENAS-v0", start=FIXED, optimizer="random", carbon_budget_g=budget)
    obs, info, steps = play(env, lambda rng: 8, seed=0)
    k = env.unwrapped.forecast_steps
    sim = env.unwrapped.simulator
    assert sim.init_carbon_g > 0  # the default accounting charges the initial architectures
    assert obs[5 + k] == pytest.approx(1.0 - sim.init_carbon_g / budget)
    assert steps[-1][0][5 + k] == pytest.approx(1.0 - steps[-1][4]["cum_carbon_g"] / budget, abs=1e-6)
    assert 1 < len(steps) < 80
    assert steps[-1][2] and not steps[-1][3]
    assert steps[-1][4]["cum_carbon_g"] >= budget > steps[-2][4]["cum_carbon_g"]
    assert "episode_summary" in steps[-1][4]
    assert steps[-1][4]["episode_summary"]["hours"] == len(steps)
    fractions = [s[0][5 + k] for s in steps]
    assert fractions == sorted(fractions, reverse=True) and fractions[-1] <= 0.0
    assert all(env.observation_space.contains(s[0]) for s in steps)
    with pytest.raises(RuntimeError):
        env.step(8)


def test_overshooting_a_small_carbon_budget_stays_in_the_observation_space():
    # "cenas" accounting charges nothing up front; one all-train hour emits ~1.9 kg > 2 x 300 g
    env = gym.make("CENAS-v0", start=FIXED, optimizer="random", accounting="cenas", carbon_budget_g=300.0)
    obs, _ = env.reset(seed=0)
    k = env.unwrapped.forecast_steps
    assert obs[5 + k] == 1.0
    obs, _, terminated, _, info = env.step(8)
    assert terminated and info["cum_carbon_g"] > 2 * 300.0
    assert obs[5 + k] == -1.0
    assert env.observation_space.contains(obs)


def test_a_carbon_budget_spent_by_the_initial_charge_is_refused_at_reset():
    env = gym.make("CENAS-v0", start=FIXED, optimizer="random", carbon_budget_g=500.0)  # initial charge ~1 kg
    with pytest.raises(ValueError, match="carbon_budget_g"):
        env.reset(seed=0)
    with pytest.raises(RuntimeError, match="reset"):
        env.unwrapped.step(8)


def test_a_set_of_traces_draws_one_per_episode_reproducibly():
    names = ["US-CAL-CISO:2021", "NO:2021"]
    env = gym.make("CENAS-v0", trace=names, **FAST)
    drawn = []
    for seed in range(8):
        env.reset(seed=seed)
        drawn.append(env.unwrapped.simulator.trace.name.split("@")[0])
        obs, *_ = env.step(4)
        assert env.observation_space.contains(obs)
    assert set(drawn) == set(names)
    again = gym.make("CENAS-v0", trace=names, **FAST)
    for seed in range(8):
        again.reset(seed=seed)
        assert again.unwrapped.simulator.trace.name.split("@")[0] == drawn[seed]
    with pytest.raises(ValueError, match="at least one"):
        CENASEnv(trace=[], **FAST)
