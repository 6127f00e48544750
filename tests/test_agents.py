"""PPO agents: hyperparameters, training, saving/loading, resume, rl-zoo3 and RLlib entry points."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")
pytest.importorskip("yaml")

from cenas_gym.policies.play import make_policy, play_episode, run_policy  # noqa: E402
from cenas_gym.rl.evaluate import evaluate_agent, paired_summary  # noqa: E402
from cenas_gym.policies.hyperparams import load_hyperparams, parse_python_literal  # noqa: E402
from cenas_gym.policies.ppo import PPOPolicy, stats_path_for  # noqa: E402
from cenas_gym.rl.train import train_ppo  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FAST = {"optimizer": "random", "budget_hours": 8}
TINY = {"n_steps": 64, "batch_size": 32, "n_epochs": 2}


@pytest.fixture(scope="module")
def tiny_agent(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ppo")
    return train_ppo(out, ["US-CAL-CISO:2021"], timesteps=256, seed=0, n_envs=1, env_kwargs=FAST,
                     hyperparams_overrides=TINY, progress_bar=False, checkpoint_every=10**9)


def test_hyperparams_parse():
    hp = load_hyperparams(ROOT / "agents" / "ppo.yml")
    assert hp["policy"] == "MlpPolicy"
    assert hp["policy_kwargs"] == {"net_arch": [64, 64]}
    assert hp["normalize"] == {"norm_obs": True, "norm_reward": False}
    assert isinstance(hp["n_timesteps"], int) and hp["n_timesteps"] > 0
    for key in ("n_envs", "learning_rate", "n_steps", "batch_size", "gamma", "gae_lambda", "ent_coef"):
        assert key in hp
    assert hp["env_wrapper"] == "cenas_gym.policies.features.EpisodeWindowFeatures"


def test_literal_parser_never_evaluates():
    assert parse_python_literal("dict(a=dict(pi=[64], vf=[64]), b=(1, 2.5), c='x')") == {
        "a": {"pi": [64], "vf": [64]}, "b": (1, 2.5), "c": "x"}
    for bad in ("__import__('os').system('true')", "dict(**x)", "open('f')", "[x for x in y]"):
        with pytest.raises(ValueError):
            parse_python_literal(bad)


def test_train_saves_zip_and_plain_stats(tiny_agent):
    stats = stats_path_for(tiny_agent)
    assert tiny_agent.is_file() and stats.is_file()
    with np.load(stats, allow_pickle=False) as data:
        assert {"mean", "var", "clip_obs", "epsilon"} <= set(data.files)
    policy = PPOPolicy.load(tiny_agent)
    assert policy.name == f"ppo:{tiny_agent}"
    summary = play_episode(policy, {"trace": "ES:2023", **FAST}, seed=3)
    assert summary["hours"] == 8 and summary["carbon_kg"] > 0 and 0 < summary["final_hv_normalized"] <= 1


def test_same_seed_same_episode(tiny_agent):
    policy = PPOPolicy.load(tiny_agent)
    a = play_episode(policy, {"trace": "ES:2023", **FAST}, seed=5)
    b = play_episode(policy, {"trace": "ES:2023", **FAST}, seed=5)
    assert a == b


def test_agent_needs_observation_and_run_policy_plays_it_through_the_env(tiny_agent):
    policy = PPOPolicy.load(tiny_agent)
    with pytest.raises(RuntimeError):
        policy.act(np.zeros(18, np.float32), {"step": 0})
    with pytest.raises(ValueError, match="gym.make"):
        policy.features(None, {"step": 0})
    from cenas_gym.carbon.trace import CarbonTrace
    from cenas_gym.sim.simulator import SimConfig

    sim = run_policy(policy, SimConfig(**FAST), CarbonTrace.load("ES:2023"), 3, "2023-05-01T00:00Z")
    through_env = play_episode(policy, {"trace": "ES:2023", **FAST}, seed=3, start="2023-05-01T00:00Z")
    assert sim.summary() == {k: through_env[k] for k in sim.summary()}


def test_resume_continues_timesteps(tmp_path):
    kwargs = dict(traces=["ES:2021"], n_envs=1, env_kwargs=FAST, hyperparams_overrides=TINY, progress_bar=False)
    train_ppo(tmp_path, timesteps=64, **kwargs)
    path = train_ppo(tmp_path, timesteps=64, resume=True, **kwargs)
    policy = PPOPolicy.load(path)
    assert policy.model.num_timesteps == 128
    assert (tmp_path / "checkpoints" / "ppo_128_steps.zip").is_file()
    assert (tmp_path / "checkpoints" / "ppo_obs_norm_128_steps.npz").is_file()


def test_resume_without_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        train_ppo(tmp_path, ["ES:2021"], timesteps=64, resume=True, env_kwargs=FAST, progress_bar=False)


def test_train_rejects_overlap(tmp_path):
    with pytest.raises(ValueError, match="both"):
        train_ppo(tmp_path, ["ES:2021"], held_out=["ES:2021"], timesteps=64, env_kwargs=FAST)


def test_missing_files_named(tmp_path, tiny_agent):
    missing = tmp_path / "nope.zip"
    with pytest.raises(FileNotFoundError, match="nope.zip"):
        PPOPolicy.load(missing)
    copy = tmp_path / "agent.zip"
    copy.write_bytes(tiny_agent.read_bytes())
    with pytest.raises(FileNotFoundError, match="agent.obs_norm.npz"):
        PPOPolicy.load(copy)

    with pytest.raises(FileNotFoundError, match="nope.zip"):
        make_policy(f"ppo:{missing}")


def test_corrupt_files_named(tmp_path, tiny_agent):
    bad = tmp_path / "garbage.zip"
    bad.write_bytes(b"\x00not a zip at all\xff" * 10)
    stats_path_for(bad).write_bytes(stats_path_for(tiny_agent).read_bytes())
    with pytest.raises(ValueError, match="garbage.zip"):
        PPOPolicy.load(bad)
    good = tmp_path / "good.zip"
    good.write_bytes(tiny_agent.read_bytes())
    stats_path_for(good).write_bytes(b"garbage")
    with pytest.raises(ValueError, match="good.obs_norm.npz"):
        PPOPolicy.load(good)


def test_evaluate_is_paired(tiny_agent):
    df = evaluate_agent(tiny_agent, ["ES:2023"], n_windows=1, seeds=[0, 1], env_kwargs=FAST,
                        baselines=("heuristic", "vanilla"))
    assert set(df.policy) == {"agent", "heuristic", "vanilla"}
    assert len(df) == 6
    cases = df.groupby("policy")[["start", "seed"]].apply(lambda g: sorted(map(tuple, g.to_numpy())))
    assert cases["agent"] == cases["heuristic"] == cases["vanilla"]
    summary = paired_summary(df).set_index("policy")
    assert summary.loc["heuristic", "diff_hv_per_kg"] == 0
    lo, hi = summary.loc["vanilla", ["diff_carbon_kg_lo", "diff_carbon_kg_hi"]]
    assert lo <= summary.loc["vanilla", "diff_carbon_kg"] <= hi


def test_baseline_through_env_matches_fast_path():
    from cenas_gym.carbon.trace import CarbonTrace
    from cenas_gym.sim.simulator import SimConfig

    env_run = play_episode(make_policy("heuristic"), {"trace": "ES:2023", "start": 500, **FAST}, seed=2)
    fast = run_policy(make_policy("heuristic"), SimConfig(**FAST), CarbonTrace.load("ES:2023"), 2, start=500).summary()
    assert env_run["carbon_kg"] == pytest.approx(fast["carbon_kg"])
    assert env_run["final_hv_normalized"] == pytest.approx(fast["final_hv_normalized"])


SHIPPED = ROOT / "agents" / "ppo_cenas.zip"


@pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped agent")
def test_shipped_agent_acts():
    policy = PPOPolicy.load(SHIPPED)
    import gymnasium as gym

    env = gym.make("CENAS-v0", trace="EIA-BPAT:2022", **FAST)
    obs, info = env.reset(seed=0)
    policy.reset(env.unwrapped.episode_context(), np.random.default_rng(0))
    for _ in range(3):
        action = policy.act(obs, info)
        assert isinstance(action, int) and env.action_space.contains(action)
        obs, _, _, _, info = env.step(action)
    a = play_episode(policy, {"trace": "EIA-BPAT:2022", **FAST}, seed=1)
    b = play_episode(policy, {"trace": "EIA-BPAT:2022", **FAST}, seed=1)
    assert a == b


def test_rl_zoo3_train(tmp_path):
    pytest.importorskip("rl_zoo3")
    cmd = [sys.executable, "-m", "rl_zoo3.train", "--algo", "ppo", "--env", "CENAS-v0", "--gym-packages", "cenas_gym",
           "--conf-file", str(ROOT / "agents" / "ppo.yml"), "-n", "256", "-f", str(tmp_path), "--seed", "0",
           "--eval-freq", "-1", "--vec-env", "dummy", "--n-eval-envs", "1",
           "--env-kwargs", "optimizer:'random'", "budget_hours:8", "trace:'ES:2021'",
           "-params", "n_envs:1", "n_steps:64", "batch_size:32", "n_epochs:2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's cenas_gym, whatever is installed
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert list(tmp_path.rglob("CENAS-v0.zip")), list(tmp_path.rglob("*"))


@pytest.mark.slow
def test_rllib_example_one_iteration():
    pytest.importorskip("ray.rllib")
    cmd = [sys.executable, str(ROOT / "examples" / "rllib_ppo.py"), "--iterations", "1", "--env-runners", "2",
           "--num-cpus", "3", "--budget-hours", "8", "--train-batch", "128", "--minibatch", "32", "--epochs", "1",
           "--traces", "ES:2021"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert '"iteration": 1' in done.stdout
