"""Stable-Baselines3 callbacks used by :func:`cenas_gym.rl.train.train_ppo`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback, CheckpointCallback

from cenas_gym.policies.play import make_policy, play_episode
from cenas_gym.policies.ppo import PPOPolicy, current_stats, save_obs_stats

#: Episode metrics logged to TensorBoard and compared in the held-out checks.
METRICS = ("final_hv_normalized", "carbon_kg", "hv_per_kg")


class EpisodeMetricsCallback(BaseCallback):
    """Log ``info["episode_summary"]`` metrics (``cenas/...``) at every episode end."""

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", []):
            summary = info.get("episode_summary")
            if summary:
                for key in METRICS + ("final_log10_regret", "n_trained", "train_gpu_h"):
                    self.logger.record_mean(f"cenas/{key}", float(summary[key]))
        return True


class NpzCheckpointCallback(CheckpointCallback):
    """``CheckpointCallback`` that stores the observation statistics as plain numbers."""

    def _on_step(self) -> bool:
        if self.n_calls % self.save_freq == 0:
            self.model.save(self._checkpoint_path(extension="zip"))
            save_obs_stats(self._checkpoint_path("obs_norm_", extension="npz"), self.model.get_vec_normalize_env(),
                           self.model.observation_space.shape[0])
        return True


class HeldOutEvalCallback(BaseCallback):
    """Every ``every`` timesteps: the current agent and the heuristic on the same held-out
    windows and seeds (paired); logs both and their difference (``eval/...``)."""

    def __init__(self, cases: Sequence[tuple[str, int, int]], env_kwargs: dict[str, Any], every: int) -> None:
        super().__init__()
        self.cases, self.env_kwargs, self.every = cases, env_kwargs, every
        self.next_at = every
        self.reference: list[dict[str, Any]] | None = None

    def _play(self, policy: Any) -> list[dict[str, Any]]:
        return [play_episode(policy, {**self.env_kwargs, "trace": t}, seed, start) for t, start, seed in self.cases]

    def _evaluate(self) -> None:
        if self.reference is None:
            self.reference = self._play(make_policy("heuristic"))
        stats = current_stats(self.model.get_vec_normalize_env(), self.model.observation_space.shape[0])
        runs = self._play(PPOPolicy(self.model, stats, "<training>"))
        line = [f"[eval @ {self.num_timesteps}]"]
        for key in METRICS:
            a = np.array([r[key] for r in runs])
            h = np.array([r[key] for r in self.reference])
            self.logger.record(f"eval/agent_{key}", float(a.mean()))
            self.logger.record(f"eval/heuristic_{key}", float(h.mean()))
            self.logger.record(f"eval/diff_{key}", float((a - h).mean()))
            line.append(f"{key}: agent {a.mean():.4f} heuristic {h.mean():.4f}")
        print("  ".join(line), flush=True)

    def _on_step(self) -> bool:
        if self.num_timesteps >= self.next_at:
            self.next_at = self.num_timesteps + self.every
            self._evaluate()
        return True


class WallClockLimit(BaseCallback):
    """Stop training after ``seconds`` of wall time."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.deadline = time.monotonic() + seconds

    def _on_step(self) -> bool:
        if time.monotonic() > self.deadline:
            print(f"[wall-clock limit reached at {self.num_timesteps} timesteps]", flush=True)
            return False
        return True


class TqdmProgress(BaseCallback):
    """Progress bar with tqdm alone (SB3's own needs ``rich`` too)."""

    def _on_training_start(self) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=self.locals["total_timesteps"] - self.model.num_timesteps, unit="step")

    def _on_step(self) -> bool:
        self.bar.update(self.training_env.num_envs)
        return True

    def _on_training_end(self) -> None:
        self.bar.close()


class StopOnSignal(BaseCallback):
    """End training at the next env step once a :class:`~cenas_gym.compare.interrupts.StopFlag` is set."""

    def __init__(self, flag: Any) -> None:
        super().__init__()
        self.flag = flag

    def _on_step(self) -> bool:
        if self.flag.signum is not None:
            print(f"[interrupted at {self.num_timesteps} timesteps: saving]", flush=True)
            return False
        return True
