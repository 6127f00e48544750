"""The shipped task agents (ppo-target, ppo-budget): they load by name, play the same episode
on the fast path and through gym.make, deterministically, and read only causal inputs."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

from cenas_gym.carbon.trace import CarbonTrace  # noqa: E402
from cenas_gym.policies.play import make_policy, play_in_env, run_policy  # noqa: E402
from cenas_gym.policies.ppo import PPOPolicy  # noqa: E402
from cenas_gym.sim.simulator import SimConfig  # noqa: E402
from cenas_gym.sim.tasks import make_task  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HOURS = 12  # short episodes: the test plays the first 12 h of a run
AGENTS = {"ppo-target": ("target", "CENAS-Target-v1"), "ppo-budget": ("budget", "CENAS-Budget-v1")}
START = "2023-04-10T00:00:00+00:00"


def _config(task: str) -> SimConfig:
    return make_task(task, hours=HOURS, carbon_budget_kg=25.0 if task == "budget" else None).apply(SimConfig())


def _actions(sim) -> list[int]:
    return [int(r["gpus_train"]) for r in sim.history]


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_agent_files_and_meta(name):
    stem = name.replace("-", "_")
    for suffix in (".zip", ".obs_norm.npz", ".vecnormalize.pkl", ".train.json"):
        assert (ROOT / "agents" / f"{stem}{suffix}").is_file()
    meta = json.loads((ROOT / "agents" / f"{stem}.train.json").read_text())
    assert meta["env_id"] == AGENTS[name][1]
    assert meta["env_kwargs"]["forecaster"] in ("yesterday", "persistence")  # causal forecasts only
    assert not set(meta["traces"]) & {"US-CAL-CISO:2023", "ES:2023", "EIA-CISO:2022", "EIA-BPAT:2022"}


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_agent_plays_same_episode_fast_path_and_gym_make(name):
    task, env_id = AGENTS[name]
    policy = make_policy(name)
    assert isinstance(policy, PPOPolicy) and policy.name == name and policy.env_version == "v1"
    trace = CarbonTrace.load("ES:2023")
    first = run_policy(policy, _config(task), trace, seed=4, start=START)
    again = run_policy(make_policy(name), _config(task), trace, seed=4, start=START)
    assert _actions(first) == _actions(again) and first.summary() == again.summary()
    assert len(first.history) > 0
    env = gym.make(env_id, trace="ES:2023", start=START, hours=HOURS, forecaster=policy.env_options["forecaster"])
    via_gym = play_in_env(env, make_policy(name), seed=4)
    assert _actions(via_gym) == _actions(first)
    assert via_gym.summary()["carbon_kg"] == first.summary()["carbon_kg"]


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_agent_refuses_another_task(name):
    other = "budget" if AGENTS[name][0] == "target" else "target"
    with pytest.raises(ValueError, match="trained for"):
        run_policy(make_policy(name), _config(other), CarbonTrace.load("ES:2023"), seed=0, start=START)


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_agent_inputs_are_causal(name):
    """Tripling every intensity after hour c + forecast_hours leaves the first c actions unchanged."""
    task, _ = AGENTS[name]
    policy = make_policy(name)
    horizon = int(policy.env_options.get("forecast_hours", 6))
    trace = CarbonTrace.load("US-CAL-CISO:2023")
    config = _config(task)
    base = run_policy(policy, config, trace, seed=1, start=START)
    cut = 3  # perturbed from hour cut + horizon + 1 = 10 on: inside the 12 h run
    start_index = trace.index_at(START)
    values = np.array(trace.values_g_per_kwh, dtype=float)
    values[start_index + cut + horizon + 1:] *= 3.0
    future_changed = CarbonTrace(trace.name, trace.times, values, trace.step_s)
    changed = run_policy(make_policy(name), config, future_changed, seed=1, start=START)
    assert _actions(changed)[: cut + 1] == _actions(base)[: cut + 1]
    assert changed.summary()["carbon_kg"] != base.summary()["carbon_kg"]  # the perturbation did reach the run


@pytest.mark.parametrize("env_id", ["CENAS-Target-v1", "CENAS-Budget-v1"])
def test_rl_zoo3_trains_the_task_ids(tmp_path, env_id):
    """agents/ppo.yml has sections for the v1 task ids; rl-zoo3 writes its vecnormalize.pkl."""
    import os
    import subprocess
    import sys

    pytest.importorskip("rl_zoo3")
    cmd = [sys.executable, "-m", "rl_zoo3.train", "--algo", "ppo", "--env", env_id, "--gym-packages", "cenas_gym",
           "--conf-file", str(ROOT / "agents" / "ppo.yml"), "-n", "128", "-f", str(tmp_path), "--seed", "0",
           "--eval-freq", "-1", "--vec-env", "dummy", "--n-eval-envs", "1",
           "--env-kwargs", "optimizer:'random'", "hours:8", "trace:'ES:2021'", "forecaster:'yesterday'",
           "-params", "n_steps:64", "batch_size:32", "n_epochs:1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert list(tmp_path.rglob(f"{env_id}.zip")), list(tmp_path.rglob("*"))
    assert list(tmp_path.rglob("vecnormalize.pkl"))


def test_task_agent_names_take_no_argument():
    with pytest.raises(ValueError, match="takes no ':' argument"):
        make_policy("ppo-target:agents/ppo_target.zip")
