"""Train PPO (Stable-Baselines3) on ``CENAS-v0``, top to bottom:

1. :func:`training_envs`: the vectorised envs (one trace drawn per episode, random windows,
   the agent's window features appended, observations normalised);
2. :func:`load_or_create_model`: a fresh PPO, or the latest checkpoint on ``resume``;
3. :func:`make_callbacks`: episode metrics, checkpoints, held-out checks, wall-clock limit;
4. ``model.learn``; then :func:`save_agent` writes ``ppo_cenas.zip`` + ``.obs_norm.npz``.
   SIGINT/SIGTERM stop learning after the current env step; the agent, its observation
   stats and a checkpoint are saved as at the end, then :class:`~cenas_gym.compare.interrupts.Interrupted`
   is raised (``resume=True`` continues from the checkpoint).

Stable-Baselines3, PyTorch and PyYAML are needed here (``pip install cenas-gym[rl]``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cenas_gym.policies.features import make_env
from cenas_gym.policies.hyperparams import load_hyperparams
from cenas_gym.policies.ppo import AGENT_NAME, apply_stats, load_obs_stats, save_obs_stats, stats_path_for
from cenas_gym.rl.splits import held_out_cases

WRAPPER = "cenas_gym.policies.features.EpisodeWindowFeatures"  # the only env_wrapper train_ppo supports
_NOT_PPO_ARGS = ("n_envs", "n_timesteps", "policy", "normalize", "env_kwargs", "env_wrapper")


def latest_checkpoint(folder: Path) -> Path | None:
    """The ``ppo_<N>_steps.zip`` with the largest N in ``folder`` (``None`` if none)."""
    best, best_steps = None, -1
    for path in folder.glob("ppo_*_steps.zip"):
        match = re.fullmatch(r"ppo_(\d+)_steps\.zip", path.name)
        if match and int(match.group(1)) > best_steps:
            best, best_steps = path, int(match.group(1))
    return best


def training_envs(traces: list[str], env_kwargs: dict[str, Any], n_envs: int, seed: int, hp: dict[str, Any]) -> Any:
    """``n_envs`` envs (``SubprocVecEnv`` when > 1), wrapped in ``VecNormalize`` when the
    hyperparameters normalise."""
    import multiprocessing as mp

    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecNormalize

    def env_fn():
        if mp.parent_process() is not None:  # a SubprocVecEnv worker: Ctrl-C is for the parent
            from cenas_gym.compare.interrupts import ignore_sigint

            ignore_sigint()
        return make_env(traces, env_kwargs)

    vec_cls, vec_kwargs = DummyVecEnv, None
    if n_envs > 1:  # fork: works from `python -c` / stdin too; torch has run nothing yet here
        vec_cls = SubprocVecEnv
        vec_kwargs = {"start_method": "fork" if "fork" in mp.get_all_start_methods() else "spawn"}
    venv = make_vec_env(env_fn, n_envs=n_envs, seed=seed, vec_env_cls=vec_cls, vec_env_kwargs=vec_kwargs)
    if hp["normalize"]:
        norm = {"norm_obs": True, "norm_reward": False, **hp["normalize"]}
        venv = VecNormalize(venv, gamma=hp.get("gamma", 0.99), **norm)
    return venv


def load_or_create_model(venv: Any, hp: dict[str, Any], out_dir: Path, seed: int, resume: bool, verbose: int) -> tuple[Any, Path | None]:
    """(model, the checkpoint it resumed from or ``None``)."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecNormalize

    ckpt_dir = out_dir / "checkpoints"
    latest = latest_checkpoint(ckpt_dir) if resume else None
    if resume and latest is None:
        raise FileNotFoundError(f"resume: no checkpoint ppo_<N>_steps.zip in {ckpt_dir}")
    if latest is None:
        ppo_args = {k: v for k, v in hp.items() if k not in _NOT_PPO_ARGS}
        model = PPO(hp["policy"], venv, seed=seed, device="cpu", tensorboard_log=str(out_dir / "tb"), verbose=verbose, **ppo_args)
        return model, None
    model = PPO.load(latest, env=venv, device="cpu", tensorboard_log=str(out_dir / "tb"))
    stats_file = latest.with_name(latest.name.replace("ppo_", "ppo_obs_norm_", 1)[: -len(".zip")] + ".npz")
    if isinstance(venv, VecNormalize):
        apply_stats(venv, load_obs_stats(stats_file))
    print(f"resuming from {latest} ({model.num_timesteps} timesteps)", flush=True)
    return model, latest


def make_callbacks(
    out_dir: Path,
    n_envs: int,
    env_kwargs: dict[str, Any],
    held_out: Sequence[str],
    eval_seeds: Sequence[int],
    eval_windows: int,
    eval_every: int,
    checkpoint_every: int,
    max_wall_s: float | None,
    progress_bar: bool,
) -> tuple[list[Any], bool]:
    """(callbacks, whether SB3's own progress bar can be used)."""
    from cenas_gym.rl import callbacks as cb

    callbacks: list[Any] = [
        cb.EpisodeMetricsCallback(),
        cb.NpzCheckpointCallback(save_freq=max(checkpoint_every // n_envs, 1), save_path=str(out_dir / "checkpoints"),
                                 name_prefix="ppo"),
    ]
    if held_out:
        callbacks.append(cb.HeldOutEvalCallback(held_out_cases(held_out, eval_seeds, eval_windows, env_kwargs), env_kwargs, eval_every))
    if max_wall_s is not None:
        callbacks.append(cb.WallClockLimit(max_wall_s))
    sb3_bar = False
    if progress_bar:
        try:
            import rich  # noqa: F401
            import tqdm  # noqa: F401

            sb3_bar = True
        except ImportError:
            callbacks.append(cb.TqdmProgress())
    return callbacks, sb3_bar


def save_agent(model: Any, out_dir: Path, meta: dict[str, Any]) -> Path:
    """Write the model, its plain-number stats, a final checkpoint and ``ppo_cenas.train.json``."""
    model_path = out_dir / f"{AGENT_NAME}.zip"
    vec_norm, obs_dim = model.get_vec_normalize_env(), model.observation_space.shape[0]
    model.save(model_path)
    save_obs_stats(stats_path_for(model_path), vec_norm, obs_dim)
    ckpt_dir = out_dir / "checkpoints"
    ckpt_dir.mkdir(exist_ok=True)
    model.save(ckpt_dir / f"ppo_{model.num_timesteps}_steps.zip")
    save_obs_stats(ckpt_dir / f"ppo_obs_norm_{model.num_timesteps}_steps.npz", vec_norm, obs_dim)
    meta = {**meta, "num_timesteps": int(model.num_timesteps)}
    (out_dir / f"{AGENT_NAME}.train.json").write_text(json.dumps(meta, indent=2, default=str))
    return model_path


def train_ppo(
    out_dir: str | Path,
    traces: Sequence[str],
    held_out: Sequence[str] = (),
    timesteps: int | None = None,
    seed: int = 0,
    n_envs: int | None = None,
    hyperparams_path: str | Path | None = None,
    env_kwargs: dict[str, Any] | None = None,
    eval_every: int = 25_000,
    resume: bool = False,
    progress_bar: bool = True,
    *,
    eval_seeds: Sequence[int] = (0, 1),
    eval_windows: int = 1,
    checkpoint_every: int = 50_000,
    max_wall_s: float | None = None,
    hyperparams_overrides: dict[str, Any] | None = None,
    verbose: int = 0,
) -> Path:
    """Train PPO on ``CENAS-v0`` and save ``out_dir/ppo_cenas.zip`` (+ ``.obs_norm.npz``).

    Args:
        out_dir: folder for the model, its stats, ``checkpoints/`` and TensorBoard ``tb/``.
        traces: training traces; one is drawn per episode, windows start at random hours.
        held_out: traces for the periodic paired check against the heuristic (``eval/...``
            in TensorBoard, one line per check on stdout); empty: no check.
        timesteps: timesteps to train (on ``resume``: further timesteps); default: the
            file's ``n_timesteps``.
        seed: seed of PPO and of the training envs.
        n_envs: parallel envs (``SubprocVecEnv`` when > 1); default: the file's ``n_envs``.
        hyperparams_path: rl-zoo3 hyperparameter file (default ``agents/ppo.yml``).
        env_kwargs: options of ``CENAS-v0`` for training and the held-out check, merged over
            the file's ``env_kwargs`` (e.g. ``{"optimizer": "random"}``).
        eval_every: timesteps between held-out checks.
        resume: continue from the latest checkpoint in ``out_dir/checkpoints`` (model and
            observation stats), keeping the timestep count.
        progress_bar: show a progress bar (SB3's with ``rich``, else tqdm).
        eval_seeds, eval_windows: the held-out check's seeds and windows per trace and seed.
        checkpoint_every: timesteps between checkpoints (model zip + stats npz).
        max_wall_s: stop (and save) after this many seconds of training.
        hyperparams_overrides: replace entries of the file (e.g. ``{"n_steps": 64}``).
        verbose: SB3 verbosity.

    SIGINT/SIGTERM during training: stop after the current env step, save the model, its
    observation stats and a checkpoint as at the end, then raise
    :class:`~cenas_gym.compare.interrupts.Interrupted` (``resume=True`` continues from there).

    Returns:
        the path of the saved model zip.
    """
    out_dir, hp, n_envs, total, kwargs, trace_list = _train_settings(
        out_dir, traces, held_out, timesteps, n_envs, hyperparams_path, hyperparams_overrides, env_kwargs)
    if resume and latest_checkpoint(out_dir / "checkpoints") is None:  # before any env worker starts
        raise FileNotFoundError(f"resume: no checkpoint ppo_<N>_steps.zip in {out_dir / 'checkpoints'}")
    venv = training_envs(trace_list, kwargs, n_envs, seed, hp)
    model, latest = load_or_create_model(venv, hp, out_dir, seed, resume, verbose)
    callbacks, sb3_bar = make_callbacks(out_dir, n_envs, kwargs, held_out, eval_seeds, eval_windows, eval_every,
                                        checkpoint_every, max_wall_s, progress_bar)
    meta = {"traces": trace_list, "held_out": list(held_out), "env_kwargs": kwargs, "seed": seed, "n_envs": n_envs}
    return _learn_and_save(model, venv, latest, out_dir, total, callbacks, sb3_bar, meta)


def _train_settings(
    out_dir: str | Path,
    traces: Sequence[str],
    held_out: Sequence[str],
    timesteps: int | None,
    n_envs: int | None,
    hyperparams_path: str | Path | None,
    hyperparams_overrides: dict[str, Any] | None,
    env_kwargs: dict[str, Any] | None,
) -> tuple[Path, dict[str, Any], int, int, dict[str, Any], list[str]]:
    """(out_dir, hyperparameters, n_envs, total timesteps, env kwargs, training traces) of :func:`train_ppo`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    hp = load_hyperparams(hyperparams_path)
    hp.update(hyperparams_overrides or {})
    if hp.get("env_wrapper") not in (None, WRAPPER):
        raise ValueError(f"env_wrapper {hp['env_wrapper']!r}: train_ppo supports only {WRAPPER}")
    n_envs = int(n_envs or hp["n_envs"])
    total = int(timesteps if timesteps is not None else hp["n_timesteps"])
    kwargs = {**{k: v for k, v in hp["env_kwargs"].items() if k not in ("trace", "start")}, **(env_kwargs or {})}
    trace_list = [traces] if isinstance(traces, str) else list(traces)
    overlap = set(trace_list) & set(held_out)
    if overlap:
        raise ValueError(f"traces {sorted(overlap)} are both trained on and held out")
    return out_dir, hp, n_envs, total, kwargs, trace_list


def _learn_and_save(
    model: Any,
    venv: Any,
    latest: Path | None,
    out_dir: Path,
    total: int,
    callbacks: list[Any],
    sb3_bar: bool,
    meta: dict[str, Any],
) -> Path:
    """Learn ``total`` timesteps (SIGINT/SIGTERM: stop after the current env step), save, close the envs."""
    from stable_baselines3.common.callbacks import CallbackList

    from cenas_gym.compare.interrupts import Interrupted, StopFlag
    from cenas_gym.rl.callbacks import StopOnSignal

    stop = StopFlag()
    callbacks.append(StopOnSignal(stop))
    started = time.monotonic()
    with stop:
        model.learn(total_timesteps=total, callback=CallbackList(callbacks), progress_bar=sb3_bar,
                    reset_num_timesteps=latest is None, tb_log_name="PPO")
    wall = time.monotonic() - started
    meta = {**meta, "wall_s_this_run": round(wall, 1), "resumed_from": str(latest) if latest else None}
    model_path = save_agent(model, out_dir, meta)
    print(f"saved {model_path} after {model.num_timesteps} timesteps ({wall:.0f} s this run)", flush=True)
    venv.close()
    if stop.signum is not None:
        raise Interrupted(stop.signum)  # after saving: the caller learns that training was cut short
    return model_path
