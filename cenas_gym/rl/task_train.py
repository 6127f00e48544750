"""Train a PPO agent for one v1 task (``CENAS-Target-v1`` / ``CENAS-Budget-v1``) on causal inputs.

The agent reads only the env's v1 observation: the intensity now, its place in the trailing
7 days, the forecaster's next ``k`` hours (``noisy`` by default: Gaussian error around the
true future, sd = 0.1 x mean intensity), the hour of day and the search state. No feature of
the episode window (unlike the v0 agent's :mod:`cenas_gym.policies.features`).

Writes ``<out>/<name>.zip`` (SB3 PPO), ``<name>.obs_norm.npz`` (observation statistics as
plain numbers, what :class:`~cenas_gym.policies.ppo.PPOPolicy` loads), ``<name>.vecnormalize.pkl``
(SB3's ``VecNormalize``, for rl-zoo3's tooling), ``<name>.train.json`` (settings, wall time)
and ``<name>.episodes.csv`` (one row per training episode: the learning curve).

    python -m cenas_gym.rl.task_train --task target --seed 0 --timesteps 80000 --out runs/target_s0
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cenas_gym import TASK_ENV_IDS
from cenas_gym.carbon.catalogue import TRAIN_TRACES


#: The PPO arguments the task agents take from their section of agents/ppo.yml (the one source).
PPO_KEYS = ("learning_rate", "n_steps", "batch_size", "n_epochs", "gamma", "gae_lambda", "ent_coef", "clip_range",
            "policy_kwargs")


def ppo_args(task: str) -> dict[str, Any]:
    """PPO settings of the ``task`` agent: the ``TASK_ENV_IDS[task]`` section of agents/ppo.yml."""
    from cenas_gym.policies.hyperparams import load_hyperparams

    hyperparams = load_hyperparams(env_id=TASK_ENV_IDS[task])
    return {key: hyperparams[key] for key in PPO_KEYS if key in hyperparams}


class _EpisodeLog:
    """SB3 callback writing one CSV row per finished training episode and stopping at a wall limit."""

    def __new__(cls, path: Path, max_wall_s: float | None):
        from stable_baselines3.common.callbacks import BaseCallback

        class EpisodeLog(BaseCallback):
            def _on_training_start(self) -> None:
                self.file = path.open("w", newline="")
                self.writer = csv.writer(self.file)
                self.writer.writerow(["timesteps", "trace", "carbon_kg", "reached_target", "final_log10_regret", "steps"])
                self.started = time.monotonic()

            def _on_step(self) -> bool:
                for info in self.locals.get("infos", []):
                    s = info.get("episode_summary")
                    if s:
                        self.writer.writerow([self.num_timesteps, s.get("trace", ""), f"{s['carbon_kg']:.4f}",
                                              int(bool(s.get("reached_target"))), f"{s['final_log10_regret']:.4f}",
                                              s.get("steps", "")])
                        self.file.flush()
                return max_wall_s is None or time.monotonic() - self.started < max_wall_s

            def _on_training_end(self) -> None:
                self.file.close()

        return EpisodeLog()


def train_task_agent(
    task: str,
    out_dir: str | Path,
    seed: int = 0,
    timesteps: int = 80_000,
    traces: Sequence[str] = TRAIN_TRACES,
    optimizer: str = "lamoo",
    forecaster: str = "noisy",
    name: str | None = None,
    max_wall_s: float | None = None,
    target_regret: float | None = None,
    warm_start: float = 0.0,
) -> Path:
    """Train PPO on ``TASK_ENV_IDS[task]`` (one training trace drawn per episode, random
    windows); returns the saved model zip. ``max_wall_s`` stops early (the steps done are in
    the ``.train.json``). ``target_regret`` replaces the target task's 0.002 in training
    (the random proposer reaches 0.002 in no 160 h window: train it on an easier target).
    ``warm_start`` > 0 adds that much to the initial logit of "all GPUs train" (the policy
    starts near vanilla, the strongest simple baseline; PPO learns when to deviate)."""
    import gymnasium as gym
    from stable_baselines3 import PPO
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    import cenas_gym  # noqa: F401  (registers the ids)
    from cenas_gym.policies.ppo import save_obs_stats

    import torch

    torch.set_num_threads(1)  # tiny net: more threads only contend on shared cores
    if task not in TASK_ENV_IDS:
        raise ValueError(f"task must be one of {list(TASK_ENV_IDS)}, got {task!r}")
    env_id = TASK_ENV_IDS[task]
    name = name or f"ppo_{task}"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    env_kwargs = {"trace": list(traces), "optimizer": optimizer, "forecaster": forecaster}
    if target_regret is not None:
        env_kwargs["target_regret"] = float(target_regret)
    venv = DummyVecEnv([lambda: Monitor(gym.make(env_id, **env_kwargs))])
    venv.seed(seed)
    ppo = ppo_args(task)
    venv = VecNormalize(venv, norm_obs=True, norm_reward=True, gamma=ppo["gamma"])
    model = PPO("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, **ppo)
    if warm_start:
        with torch.no_grad():
            model.policy.action_net.bias[-1] += float(warm_start)
    started = time.monotonic()
    model.learn(total_timesteps=timesteps, callback=_EpisodeLog(out / f"{name}.episodes.csv", max_wall_s))
    wall = time.monotonic() - started
    model.save(out / f"{name}.zip")
    save_obs_stats(out / f"{name}.obs_norm.npz", venv, model.observation_space.shape[0])
    venv.save(str(out / f"{name}.vecnormalize.pkl"))
    meta = {"env_id": env_id, "task": task, "env_kwargs": {k: v for k, v in env_kwargs.items() if k != "trace"},
            "traces": list(traces), "seed": seed, "timesteps_asked": timesteps, "num_timesteps": int(model.num_timesteps),
            "wall_s": round(wall, 1), "ppo": ppo, "normalize": {"norm_obs": True, "norm_reward": True},
            "n_stack": 1, "warm_start_logit": warm_start, "inputs": "CENAS-v1 observation only (causal: trailing 7 days, forecast, search state)"}
    (out / f"{name}.train.json").write_text(json.dumps(meta, indent=2))
    venv.close()
    print(f"saved {out / name}.zip after {model.num_timesteps} timesteps ({wall:.0f} s)", flush=True)
    return out / f"{name}.zip"


def train_task_agents(task: str, out_dir: str | Path, seeds: Sequence[int], **options: Any) -> list[Path]:
    """One agent per seed in ``out_dir/seed<N>`` (:func:`train_task_agent` with ``options``);
    ``cenas-gym train --task`` calls this."""
    return [train_task_agent(task, Path(out_dir) / f"seed{seed}", seed, **options) for seed in seeds]


if __name__ == "__main__":
    raise SystemExit("python -m cenas_gym.rl.task_train moved: use `cenas-gym train --task target|budget --out DIR` "
                     "(`cenas-gym train --help` lists the options)")
