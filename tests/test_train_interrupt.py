"""SIGINT/SIGTERM to a real ``cenas-gym train``: it saves a checkpoint and the observation
stats, says how to resume, and ``--resume`` continues from there."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("stable_baselines3")
pytest.importorskip("yaml")

from cenas_gym.policies.ppo import PPOPolicy, load_obs_stats  # noqa: E402
from cenas_gym.rl.train import train_ppo  # noqa: E402
from cenas_gym.compare.interrupts import Interrupted  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TINY_CONF = """CENAS-v0:
  n_envs: 1
  n_timesteps: 1000000
  policy: 'MlpPolicy'
  normalize: "dict(norm_obs=True, norm_reward=False)"
  env_wrapper: cenas_gym.policies.features.EpisodeWindowFeatures
  env_kwargs:
    optimizer: 'random'
    budget_hours: 8
  n_steps: 32
  batch_size: 32
  n_epochs: 1
  policy_kwargs: "dict(net_arch=[16])"
"""


def train_args(out: Path, conf: Path, n_envs: int) -> list[str]:
    return ["train", "--out", str(out), "--traces", "ES:2021", "--held-out", "", "--conf-file", str(conf),
            "--n-envs", str(n_envs), "--timesteps", "1000000", "--eval-every", "1000000000"]


@pytest.mark.parametrize("signum, n_envs", [
    (signal.SIGINT, 2),  # Ctrl-C to the group, SubprocVecEnv workers
    pytest.param(signal.SIGTERM, 1, marks=pytest.mark.slow),  # `kill PID`, one in-process env
])
def test_signal_saves_a_checkpoint_and_resume_continues(tmp_path, signum, n_envs):
    from cenas_gym.cli import main

    conf = tmp_path / "tiny.yml"
    conf.write_text(TINY_CONF)
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "cenas_gym.cli", *train_args(out, conf, n_envs)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not list((out / "tb").glob("PPO_*/events.*")):  # learning has started
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.2)
        time.sleep(1.0)
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)  # Ctrl-C: the env workers get it too
        else:
            os.kill(proc.pid, signum)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    match = re.fullmatch(r"cenas-gym: interrupted: saved (\S+ppo_(\d+)_steps\.zip) and its observation stats; "
                         r"resume with: cenas-gym (train .*--resume)", last)
    assert match, stderr
    steps = int(match.group(2))
    assert steps > 0 and f"[interrupted at {steps} timesteps: saving]" in stdout
    ckpt = Path(match.group(1))
    stats = load_obs_stats(ckpt.with_name(f"ppo_obs_norm_{steps}_steps.npz"))
    assert stats["count"] > 1  # the running observation statistics, not fresh ones
    model = PPOPolicy.load(out / "ppo_cenas.zip")
    assert model.model.num_timesteps == steps

    resume = shlex.split(match.group(3))
    assert resume == train_args(out, conf, n_envs) + ["--resume"]
    resume[resume.index("--timesteps") + 1] = "64"  # 64 more, then stop
    assert main(resume) == 0
    resumed = PPOPolicy.load(out / "ppo_cenas.zip")
    assert resumed.model.num_timesteps == steps + 64
    after = load_obs_stats(out / "checkpoints" / f"ppo_obs_norm_{steps + 64}_steps.npz")
    # continued from the saved statistics: + the 64 new observations and each env's first one
    assert after["count"] == stats["count"] + 64 + n_envs


def test_stop_flag_in_process_saves_then_raises(tmp_path, monkeypatch):
    """The fast variant: the flag a signal would set is set at the 41st env step."""
    from cenas_gym.compare import interrupts

    reads = []

    class SetAfter40Steps(interrupts.StopFlag):
        @property
        def signum(self):
            reads.append(1)
            return signal.SIGINT if len(reads) > 40 else None

        @signum.setter
        def signum(self, value):
            pass

    monkeypatch.setattr(interrupts, "StopFlag", SetAfter40Steps)
    kwargs = dict(traces=["ES:2021"], n_envs=1, env_kwargs={"optimizer": "random", "budget_hours": 8},
                  hyperparams_overrides={"n_steps": 32, "batch_size": 32, "n_epochs": 1}, progress_bar=False)
    with pytest.raises(Interrupted):
        train_ppo(tmp_path, timesteps=10_000, **kwargs)
    assert [p.name for p in (tmp_path / "checkpoints").glob("ppo_*_steps.zip")] == ["ppo_41_steps.zip"]
    stats = load_obs_stats(tmp_path / "checkpoints" / "ppo_obs_norm_41_steps.npz")
    assert PPOPolicy.load(tmp_path / "ppo_cenas.zip").model.num_timesteps == 41
    monkeypatch.undo()
    path = train_ppo(tmp_path, timesteps=32, resume=True, **kwargs)
    assert PPOPolicy.load(path).model.num_timesteps == 41 + 32
    after = load_obs_stats(tmp_path / "checkpoints" / "ppo_obs_norm_73_steps.npz")
    # continued from the saved statistics: + the 32 new observations and the env's first one
    assert after["count"] == stats["count"] + 32 + 1
