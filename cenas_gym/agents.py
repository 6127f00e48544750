"""Learned GPU-allocation agents: PPO (Stable-Baselines3) trained on ``CENAS-v0``.

Public API (argparse-free; ``cenas-gym train`` / ``cenas-gym evaluate`` wrap it):

* :func:`load_hyperparams` reads an rl-zoo3 hyperparameter file (``agents/ppo.yml``).
* :func:`train_ppo` trains PPO on a set of traces, logs the env's own metrics to
  TensorBoard, checks itself against the CE-NAS heuristic on held-out traces, checkpoints,
  resumes, and saves ``ppo_cenas.zip`` + ``ppo_cenas.obs_norm.npz`` (plain numbers).
* :class:`PPOPolicy` plays a saved agent through the :mod:`cenas_gym.policies` interface.
* :func:`run_agent_episode` plays one episode of any policy through ``gym.make``.
* :func:`evaluate_agent` / :func:`paired_summary` compare the agent with the heuristic and
  the baselines on the same windows and seeds.

Observation seen by the network: the env's observation followed by two features of the
episode window, :func:`window_features` (appended by :class:`EpisodeWindowFeatures` during
training and by :class:`PPOPolicy` when acting): the CE-NAS heuristic's sample share
``(C_now - C_min) / (C_max - C_min)`` over the episode window and the rank of ``C_now``
among the window's hours (share of hours strictly cleaner). They use the same information
as ``heuristic:window`` (the whole episode window), no more.

Stable-Baselines3, PyTorch and PyYAML are needed here (``pip install cenas-gym[rl]``);
``import cenas_gym`` does not import this module.
"""

from __future__ import annotations

import ast
import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import cenas_gym  # noqa: F401  (registers CENAS-v0)

ENV_ID = "CENAS-v0"
AGENT_NAME = "ppo_cenas"
STATS_SUFFIX = ".obs_norm.npz"
N_WINDOW_FEATURES = 2
BASELINE_POLICIES = ("heuristic", "vanilla", "oneshot", "random", "threshold", "oracle")
METRICS = ("final_hv_normalized", "carbon_kg", "hv_per_kg")


def default_hyperparams_path() -> Path:
    """``agents/ppo.yml`` of a source checkout, else the copy shipped in the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "agents" / "ppo.yml", here / "agents_data" / "ppo.yml"):
        if candidate.exists():
            return candidate
    try:
        from importlib.resources import files

        return Path(str(files("cenas_gym.agents_data") / "ppo.yml"))
    except (ModuleNotFoundError, TypeError):
        return here.parent / "agents" / "ppo.yml"


def shipped_agent_path() -> Path | None:
    """The trained agent shipped with the package (``None`` if absent)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "agents" / f"{AGENT_NAME}.zip", here / "agents_data" / f"{AGENT_NAME}.zip"):
        if candidate.exists():
            return candidate
    try:
        from importlib.resources import files

        path = Path(str(files("cenas_gym.agents_data") / f"{AGENT_NAME}.zip"))
        return path if path.exists() else None
    except (ModuleNotFoundError, TypeError):
        return None


# -- hyperparameters (rl-zoo3 format) ------------------------------------------------------
_ACTIVATIONS = {"nn.ReLU": "ReLU", "nn.Tanh": "Tanh", "nn.ELU": "ELU", "nn.LeakyReLU": "LeakyReLU", "nn.SiLU": "SiLU"}


def _literal(node: ast.AST) -> Any:
    """A Python literal, where ``dict(k=v, ...)`` and ``nn.<Activation>`` are also allowed.
    Nothing is evaluated: anything else raises ``ValueError``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        if any(kw.arg is None for kw in node.keywords):
            raise ValueError("dict(**...) is not allowed")
        return {kw.arg: _literal(kw.value) for kw in node.keywords}
    if isinstance(node, ast.List):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Attribute) and ast.unparse(node) in _ACTIVATIONS:
        import torch.nn as nn

        return getattr(nn, _ACTIVATIONS[ast.unparse(node)])
    return ast.literal_eval(node)


def parse_python_literal(text: str) -> Any:
    """Parse an rl-zoo3 string such as ``"dict(net_arch=[64, 64])"`` safely (no ``eval``)."""
    try:
        return _literal(ast.parse(text.strip(), mode="eval").body)
    except (SyntaxError, ValueError) as err:
        raise ValueError(f"cannot parse {text!r} as a literal / dict(...): {err}") from None


def _linear_schedule(initial: float):
    def schedule(progress_remaining: float) -> float:
        return progress_remaining * initial

    return schedule


def load_hyperparams(path: str | Path | None = None, env_id: str = ENV_ID) -> dict[str, Any]:
    """Read the ``env_id`` section of an rl-zoo3 hyperparameter file.

    Returns a dict with ``n_envs`` (int), ``n_timesteps`` (int), ``policy`` (str),
    ``normalize`` (dict of ``VecNormalize`` options, or ``None``), ``policy_kwargs`` (dict),
    ``env_kwargs`` (dict), ``env_wrapper`` (str or ``None``) and the remaining PPO
    arguments (``learning_rate`` as a float or, for rl-zoo3's ``"lin_X"``, a linear
    schedule; ``n_steps``, ``batch_size``, ``gamma``, ``gae_lambda``, ``ent_coef``, ...).
    Strings such as ``"dict(net_arch=[64, 64])"`` are parsed with ``ast`` (never ``eval``).
    """
    import yaml

    path = Path(path) if path is not None else default_hyperparams_path()
    if not path.exists():
        raise FileNotFoundError(f"hyperparameter file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict) or env_id not in data:
        raise ValueError(f"{path}: no section for {env_id!r}")
    raw = dict(data[env_id])
    out: dict[str, Any] = {}
    out["n_envs"] = int(raw.pop("n_envs", 1))
    out["n_timesteps"] = int(float(raw.pop("n_timesteps", 100_000)))
    out["policy"] = str(raw.pop("policy", "MlpPolicy"))
    normalize = raw.pop("normalize", False)
    if isinstance(normalize, str):
        normalize = parse_python_literal(normalize)
    if normalize is True:
        normalize = {"norm_obs": True, "norm_reward": True}
    out["normalize"] = dict(normalize) if normalize else None
    for key in ("policy_kwargs", "env_kwargs"):
        value = raw.pop(key, None) or {}
        out[key] = parse_python_literal(value) if isinstance(value, str) else dict(value)
    out["env_wrapper"] = raw.pop("env_wrapper", None)
    lr = raw.pop("learning_rate", 3e-4)
    if isinstance(lr, str) and lr.startswith("lin_"):
        lr = _linear_schedule(float(lr[4:]))
    out["learning_rate"] = float(lr) if not callable(lr) else lr
    for key, value in raw.items():
        if isinstance(value, str) and key != "device":
            try:
                value = float(value) if re.fullmatch(r"[-+0-9.eE]+", value) else value
            except ValueError:
                pass
        out[key] = value
    for key in ("n_steps", "batch_size", "n_epochs"):
        if key in out:
            out[key] = int(out[key])
    return out


# -- observation features ------------------------------------------------------------------
def window_features(context, step: int) -> np.ndarray:
    """The heuristic's sample share and the rank of now in the episode window (both in [0, 1])."""
    window = context.episode_window()
    step = min(max(int(step), 0), context.n_steps - 1)
    now = context.now(step)
    lo, hi = float(window.min()), float(window.max())
    share = 0.0 if hi == lo else (now - lo) / (hi - lo)
    rank = float(np.mean(window < now))
    return np.array([share, rank], dtype=np.float32)


class EpisodeWindowFeatures(gym.ObservationWrapper):
    """Append :func:`window_features` to ``CENAS-v0``'s observation (rl-zoo3 ``env_wrapper``)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        box = env.observation_space
        low = np.concatenate([box.low, np.zeros(N_WINDOW_FEATURES, np.float32)])
        high = np.concatenate([box.high, np.ones(N_WINDOW_FEATURES, np.float32)])
        self.observation_space = gym.spaces.Box(low, high, dtype=np.float32)

    def observation(self, observation):
        base = self.env.unwrapped
        return np.concatenate([observation, window_features(base.episode_context(), base.simulator.t)]).astype(np.float32)


def make_env(traces, env_kwargs: dict | None = None, start=None) -> gym.Env:
    """``CENAS-v0`` on ``traces`` (one drawn per episode) with the agent's features appended."""
    kwargs = dict(env_kwargs or {})
    kwargs.setdefault("start", start)
    trace = list(traces) if not isinstance(traces, str) else traces
    return EpisodeWindowFeatures(gym.make(ENV_ID, trace=trace, **kwargs))


# -- observation statistics as plain numbers -------------------------------------------------
def stats_path_for(model_path: str | Path) -> Path:
    model_path = Path(model_path)
    stem = model_path.name[: -len(".zip")] if model_path.name.endswith(".zip") else model_path.name
    return model_path.with_name(stem + STATS_SUFFIX)


def save_obs_stats(path: str | Path, vec_normalize=None, obs_dim: int | None = None) -> Path:
    """Write mean, var, clip_obs, epsilon (``.npz``, no pickle). Without ``vec_normalize``:
    identity statistics (mean 0, var 1 - epsilon, no clipping)."""
    path = Path(path)
    if vec_normalize is not None and getattr(vec_normalize, "norm_obs", False):
        rms = vec_normalize.obs_rms
        mean, var = np.asarray(rms.mean, np.float64), np.asarray(rms.var, np.float64)
        clip, eps, count = float(vec_normalize.clip_obs), float(vec_normalize.epsilon), float(rms.count)
    else:
        eps = 1e-8
        mean, var = np.zeros(obs_dim), np.full(obs_dim, 1.0 - eps)
        clip, count = float("inf"), 0.0
    np.savez(path, mean=mean, var=var, clip_obs=np.float64(clip), epsilon=np.float64(eps), count=np.float64(count))
    return path


def load_obs_stats(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"observation-normalisation stats not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            stats = {k: np.asarray(data[k], np.float64) for k in ("mean", "var", "clip_obs", "epsilon")}
            stats["count"] = float(data["count"]) if "count" in data else 1.0
    except Exception as err:  # noqa: BLE001  (zipfile / KeyError / ValueError: all mean "corrupt")
        raise ValueError(f"{path}: not a readable observation-stats file ({type(err).__name__}: {err})") from None
    if stats["mean"].shape != stats["var"].shape or stats["mean"].ndim != 1:
        raise ValueError(f"{path}: mean and var must be 1-D arrays of the same length")
    stats["clip_obs"], stats["epsilon"] = float(stats["clip_obs"]), float(stats["epsilon"])
    return stats


def _apply_stats(vec_normalize, stats: dict[str, Any]) -> None:
    vec_normalize.obs_rms.mean = stats["mean"].copy()
    vec_normalize.obs_rms.var = stats["var"].copy()
    vec_normalize.obs_rms.count = max(stats["count"], 1.0)


# -- the agent as a policy -------------------------------------------------------------------
class PPOPolicy:
    """A saved PPO agent behind the :mod:`cenas_gym.policies` interface.

    It reads the env's observation, so it runs only through ``gym.make("CENAS-v0")``
    (see :func:`run_agent_episode`), not on the simulator's fast path.
    """

    needs_observation = True  # run_policy plays it through the env

    def __init__(self, model, stats: dict[str, Any], path: str | Path) -> None:
        self.model = model
        self.stats = stats
        self.path = Path(path)
        self.name = f"ppo:{path}"
        self.ctx = None

    @classmethod
    def load(cls, path: str | Path, stats_path: str | Path | None = None) -> PPOPolicy:
        """Load ``path`` (an SB3 PPO zip) and its ``<name>.obs_norm.npz`` statistics.

        Raises ``FileNotFoundError`` (missing file) or ``ValueError`` (unreadable file), each
        naming the file.
        """
        from stable_baselines3 import PPO

        path = Path(path)
        if not path.exists() and path.suffix != ".zip" and path.with_suffix(".zip").exists():
            path = path.with_suffix(".zip")
        if not path.is_file():
            raise FileNotFoundError(f"PPO agent not found: {path}")
        stats_file = Path(stats_path) if stats_path is not None else stats_path_for(path)
        stats = load_obs_stats(stats_file)
        # schedules are replaced by constants so that loading unpickles no functions
        custom = {"learning_rate": 0.0, "lr_schedule": lambda _: 0.0, "clip_range": lambda _: 0.0}
        try:
            model = PPO.load(path, device="cpu", custom_objects=custom)
        except Exception as err:  # noqa: BLE001  (SB3 raises zipfile/pickle/Key/Runtime errors)
            raise ValueError(f"{path}: not a readable Stable-Baselines3 PPO model ({type(err).__name__}: {err})") from None
        shape = model.observation_space.shape
        if shape is None or shape != stats["mean"].shape:
            raise ValueError(f"{stats_file}: stats have shape {stats['mean'].shape}, the model in {path} expects {shape}")
        return cls(model, stats, path)

    def reset(self, context, rng: np.random.Generator) -> None:
        self.ctx = context
        self.rng = rng
        n_actions = getattr(self.model.action_space, "n", None)
        if n_actions is not None and n_actions != context.n_gpus + 1:
            raise ValueError(f"{self.name}: trained for {n_actions - 1} GPUs, the episode has {context.n_gpus}")

    def features(self, observation, info: dict[str, Any]) -> np.ndarray:
        if observation is None:
            raise ValueError(f"{self.name} reads the env's observation: run it through gym.make('CENAS-v0') (run_agent_episode)")
        if self.ctx is None:
            raise RuntimeError(f"{self.name}: call reset(context, rng) first")
        full = np.concatenate([np.asarray(observation, np.float32).reshape(-1), window_features(self.ctx, info["step"])])
        s = self.stats
        normed = (full - s["mean"]) / np.sqrt(s["var"] + s["epsilon"])
        return np.clip(normed, -s["clip_obs"], s["clip_obs"]).astype(np.float32)

    def act(self, observation, info: dict[str, Any]) -> int:
        action, _ = self.model.predict(self.features(observation, info), deterministic=True)
        return int(np.asarray(action).reshape(-1)[0])


def run_agent_episode(policy, env_kwargs: dict | None = None, seed: int = 0, start=None) -> dict[str, Any]:
    """Play one episode of ``policy`` (a :class:`PPOPolicy` or any baseline) through
    ``gym.make("CENAS-v0", **env_kwargs)``; returns the episode summary plus ``trace`` and
    ``start`` (index of the first step). The policy gets the episode's own policy generator,
    so the same seed gives the same numbers as the simulator's fast path."""
    kwargs = dict(env_kwargs or {})
    if start is not None:
        kwargs["start"] = start
    from cenas_gym.episodes import play_in_env

    env = gym.make(ENV_ID, **kwargs)
    try:
        summary = dict(play_in_env(env, policy, seed).summary())
        summary["trace"] = env.unwrapped.trace.name
        summary["start"] = int(env.unwrapped.episode_context().start)
        return summary
    finally:
        env.close()


# -- training ------------------------------------------------------------------------------
def _callbacks_module():
    from stable_baselines3.common.callbacks import BaseCallback, CheckpointCallback

    class EpisodeMetricsCallback(BaseCallback):
        """Log ``info["episode_summary"]`` metrics (``cenas/...``) at every episode end."""

        def _on_step(self) -> bool:
            for info in self.locals.get("infos", []):
                summary = info.get("episode_summary")
                if summary:
                    for key in METRICS + ("n_trained", "train_gpu_h"):
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

        def __init__(self, cases, env_kwargs, every: int) -> None:
            super().__init__()
            self.cases, self.env_kwargs, self.every = cases, env_kwargs, every
            self.next_at = every
            self.reference = None

        def _evaluate(self) -> None:
            from cenas_gym.policies import make_policy

            if self.reference is None:
                self.reference = [
                    run_agent_episode(make_policy("heuristic"), {**self.env_kwargs, "trace": t}, seed, start)
                    for t, start, seed in self.cases
                ]
            vec_norm = self.model.get_vec_normalize_env()
            stats = _current_stats(vec_norm, self.model.observation_space.shape[0])
            agent = PPOPolicy(self.model, stats, "<training>")
            runs = [run_agent_episode(agent, {**self.env_kwargs, "trace": t}, seed, start) for t, start, seed in self.cases]
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

    return EpisodeMetricsCallback, NpzCheckpointCallback, HeldOutEvalCallback, WallClockLimit, TqdmProgress


def _current_stats(vec_norm, obs_dim: int) -> dict[str, Any]:
    if vec_norm is not None and vec_norm.norm_obs:
        return {"mean": np.asarray(vec_norm.obs_rms.mean, np.float64).copy(), "var": np.asarray(vec_norm.obs_rms.var, np.float64).copy(),
                "clip_obs": float(vec_norm.clip_obs), "epsilon": float(vec_norm.epsilon), "count": float(vec_norm.obs_rms.count)}
    return {"mean": np.zeros(obs_dim), "var": np.ones(obs_dim), "clip_obs": float("inf"), "epsilon": 0.0, "count": 0.0}


def held_out_cases(traces: Sequence[str], seeds: Sequence[int], n_windows: int, env_kwargs: dict | None = None,
                   window_seed: int = 12345) -> list[tuple[str, int, int]]:
    """(trace, start index, seed) triples: ``n_windows`` random windows per trace and seed,
    drawn reproducibly (``window_seed``), valid for the env's budget and forecast."""
    from cenas_gym.carbon import CarbonTrace
    from cenas_gym.episodes import resolve_start
    from cenas_gym.simulator import SimConfig
    from dataclasses import fields

    kwargs = dict(env_kwargs or {})
    known = {f.name for f in fields(SimConfig)}
    config = SimConfig(**{k: v for k, v in kwargs.items() if k in known})
    lookahead = int(kwargs.get("forecast_hours", 6))
    cases = []
    for i, name in enumerate(traces):
        trace = CarbonTrace.load(name)
        if trace.step_s != config.step_s:
            trace = trace.resample(config.step_s)
        rng = np.random.default_rng([window_seed, i])
        for seed in seeds:
            for _ in range(n_windows):
                cases.append((name, resolve_start(trace, config.n_steps, lookahead, rng, None), int(seed)))
    return cases


def _latest_checkpoint(folder: Path) -> Path | None:
    best, best_steps = None, -1
    for path in folder.glob("ppo_*_steps.zip"):
        match = re.fullmatch(r"ppo_(\d+)_steps\.zip", path.name)
        if match and int(match.group(1)) > best_steps:
            best, best_steps = path, int(match.group(1))
    return best


def train_ppo(
    out_dir: str | Path,
    traces: Sequence[str],
    held_out: Sequence[str] = (),
    timesteps: int | None = None,
    seed: int = 0,
    n_envs: int | None = None,
    hyperparams_path: str | Path | None = None,
    env_kwargs: dict | None = None,
    eval_every: int = 25_000,
    resume: bool = False,
    progress_bar: bool = True,
    *,
    eval_seeds: Sequence[int] = (0, 1),
    eval_windows: int = 1,
    checkpoint_every: int = 50_000,
    max_wall_s: float | None = None,
    hyperparams_overrides: dict | None = None,
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

    Returns:
        the path of the saved model zip.
    """
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecNormalize

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    hp = load_hyperparams(hyperparams_path)
    hp.update(hyperparams_overrides or {})
    if hp.get("env_wrapper") not in (None, f"{__name__}.EpisodeWindowFeatures"):
        raise ValueError(f"env_wrapper {hp['env_wrapper']!r}: train_ppo supports only {__name__}.EpisodeWindowFeatures")
    n_envs = int(n_envs or hp["n_envs"])
    total = int(timesteps if timesteps is not None else hp["n_timesteps"])
    kwargs = {**{k: v for k, v in hp["env_kwargs"].items() if k not in ("trace", "start")}, **(env_kwargs or {})}
    trace_list = [traces] if isinstance(traces, str) else list(traces)
    overlap = set(trace_list) & set(held_out)
    if overlap:
        raise ValueError(f"traces {sorted(overlap)} are both trained on and held out")

    def env_fn():
        return make_env(trace_list, kwargs)

    import multiprocessing as mp

    vec_cls, vec_kwargs = DummyVecEnv, None
    if n_envs > 1:  # fork: works from `python -c` / stdin too; torch has run nothing yet here
        vec_cls = SubprocVecEnv
        vec_kwargs = {"start_method": "fork" if "fork" in mp.get_all_start_methods() else "spawn"}
    venv = make_vec_env(env_fn, n_envs=n_envs, seed=seed, vec_env_cls=vec_cls, vec_env_kwargs=vec_kwargs)
    normalize = hp["normalize"]
    if normalize:
        norm = {"norm_obs": True, "norm_reward": False, **normalize}
        venv = VecNormalize(venv, gamma=hp.get("gamma", 0.99), **norm)

    ppo_args = {k: v for k, v in hp.items() if k not in ("n_envs", "n_timesteps", "policy", "normalize", "env_kwargs", "env_wrapper")}
    ckpt_dir = out_dir / "checkpoints"
    latest = _latest_checkpoint(ckpt_dir) if resume else None
    if resume and latest is None:
        raise FileNotFoundError(f"resume: no checkpoint ppo_<N>_steps.zip in {ckpt_dir}")
    if latest is not None:
        model = PPO.load(latest, env=venv, device="cpu", tensorboard_log=str(out_dir / "tb"))
        stats_file = latest.with_name(latest.name.replace("ppo_", "ppo_obs_norm_", 1)[: -len(".zip")] + ".npz")
        if isinstance(venv, VecNormalize):
            _apply_stats(venv, load_obs_stats(stats_file))
        print(f"resuming from {latest} ({model.num_timesteps} timesteps)", flush=True)
    else:
        model = PPO(hp["policy"], venv, seed=seed, device="cpu", tensorboard_log=str(out_dir / "tb"), verbose=verbose, **ppo_args)

    Metrics, Checkpoint, HeldOut, WallClock, Tqdm = _callbacks_module()
    callbacks = [Metrics(), Checkpoint(save_freq=max(checkpoint_every // n_envs, 1), save_path=str(ckpt_dir), name_prefix="ppo")]
    if held_out:
        cases = held_out_cases(held_out, eval_seeds, eval_windows, kwargs)
        callbacks.append(HeldOut(cases, kwargs, eval_every))
    if max_wall_s is not None:
        callbacks.append(WallClock(max_wall_s))
    sb3_bar = False
    if progress_bar:
        try:
            import rich  # noqa: F401
            import tqdm  # noqa: F401

            sb3_bar = True
        except ImportError:
            callbacks.append(Tqdm())
    started = time.monotonic()
    model.learn(total_timesteps=total, callback=CallbackList(callbacks), progress_bar=sb3_bar,
                reset_num_timesteps=latest is None, tb_log_name="PPO")
    wall = time.monotonic() - started
    model_path = out_dir / f"{AGENT_NAME}.zip"
    model.save(model_path)
    obs_dim = model.observation_space.shape[0]
    save_obs_stats(stats_path_for(model_path), model.get_vec_normalize_env(), obs_dim)
    ckpt_dir.mkdir(exist_ok=True)
    model.save(ckpt_dir / f"ppo_{model.num_timesteps}_steps.zip")
    save_obs_stats(ckpt_dir / f"ppo_obs_norm_{model.num_timesteps}_steps.npz", model.get_vec_normalize_env(), obs_dim)
    meta = {"traces": trace_list, "held_out": list(held_out), "env_kwargs": kwargs, "seed": seed, "n_envs": n_envs,
            "num_timesteps": int(model.num_timesteps), "wall_s_this_run": round(wall, 1), "resumed_from": str(latest) if latest else None}
    (out_dir / f"{AGENT_NAME}.train.json").write_text(json.dumps(meta, indent=2, default=str))
    print(f"saved {model_path} after {model.num_timesteps} timesteps ({wall:.0f} s this run)", flush=True)
    venv.close()
    return model_path


# -- evaluation ------------------------------------------------------------------------------
def _run_case(args) -> list[dict[str, Any]]:
    agent_path, policies, env_kwargs, trace, start, seed = args
    from cenas_gym.policies import make_policy

    if "agent" in policies:
        import torch

        torch.set_num_threads(1)

    rows = []
    for name in policies:
        policy = PPOPolicy.load(agent_path) if name == "agent" else make_policy(name)
        summary = run_agent_episode(policy, {**env_kwargs, "trace": trace}, seed, start)
        rows.append({"policy": name, "trace": trace, "start": start, "seed": seed, **{k: summary[k] for k in METRICS},
                     "n_trained": summary["n_trained"]})
    return rows


def evaluate_agent(
    agent_path: str | Path | None,
    traces: Sequence[str],
    windows: Sequence[int | str] | None = None,
    n_windows: int = 2,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    env_kwargs: dict | None = None,
    *,
    baselines: Sequence[str] = BASELINE_POLICIES,
    n_jobs: int = 1,
    window_seed: int = 12345,
):
    """The agent, the heuristic and the baselines on the same windows and seeds, through the env.

    Args:
        agent_path: a saved PPO zip (``None``: baselines only).
        traces: evaluation traces (normally held out from training).
        windows: start times / indices used on every trace; default: ``n_windows`` random
            windows per trace and seed (reproducible, ``window_seed``).
        seeds: episode seeds; every policy plays every (trace, window, seed) case.
        env_kwargs: ``CENAS-v0`` options (default: LaMOO, the env's defaults).
        baselines: policy names (:func:`cenas_gym.policies.make_policy`); ``heuristic`` is
            the reference of :func:`paired_summary` and is always included.
        n_jobs: worker processes (cases are split between them).

    Returns:
        a DataFrame, one row per (policy, trace, start, seed), columns ``policy``, ``trace``,
        ``start``, ``seed``, ``final_hv_normalized``, ``carbon_kg``, ``hv_per_kg``,
        ``n_trained``; the agent's rows are named ``agent``. ``df.attrs["paired_summary"]``
        holds :func:`paired_summary` of it (as records).
    """
    import pandas as pd

    kwargs = dict(env_kwargs or {})
    kwargs.pop("trace", None)
    kwargs.pop("start", None)
    policies = (["agent"] if agent_path is not None else []) + ["heuristic"] + [b for b in baselines if b != "heuristic"]
    if agent_path is not None:  # fail early with a clear error
        if n_jobs > 1:  # no torch in the parent before forking workers
            for path in (Path(agent_path), stats_path_for(agent_path)):
                if not path.is_file():
                    raise FileNotFoundError(f"PPO agent file not found: {path}")
        else:
            PPOPolicy.load(agent_path)
    if windows is None:
        cases = held_out_cases(traces, seeds, n_windows, kwargs, window_seed)
    else:
        cases = [(t, w, int(s)) for t in traces for w in windows for s in seeds]
    jobs = [(str(agent_path) if agent_path is not None else None, policies, kwargs, t, w, s) for t, w, s in cases]
    if n_jobs > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(n_jobs) as pool:
            results = pool.map(_run_case, jobs, chunksize=1)
    else:
        results = [_run_case(job) for job in jobs]
    df = pd.DataFrame([row for rows in results for row in rows])
    df.attrs["paired_summary"] = paired_summary(df).to_dict("records")
    return df


def paired_summary(df, reference: str = "heuristic", confidence: float = 0.95):
    """Per policy: mean of each metric, and the paired difference to ``reference`` on the same
    (trace, start, seed) cases: mean, relative difference (% of the reference's mean) and a
    ``confidence`` t-interval (``scipy.stats.t``)."""
    import pandas as pd
    from scipy import stats

    keys = ["trace", "start", "seed"]
    ref = df[df.policy == reference][keys + list(METRICS)]
    rows = []
    for name, group in df.groupby("policy", sort=False):
        g = group
        joined = group[keys + list(METRICS)].merge(ref, on=keys, how="inner", suffixes=("", "_ref"))
        row: dict[str, Any] = {"policy": name, "n": len(joined)}
        for m in METRICS:
            row[m] = float(g[m].mean())
        for m in METRICS:
            d = (joined[m] - joined[m + "_ref"]).to_numpy(float)
            mean = float(d.mean()) if d.size else float("nan")
            if d.size > 1 and d.std(ddof=1) > 0:
                half = float(stats.t.ppf(0.5 + confidence / 2, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))
            else:
                half = 0.0 if d.size > 1 else float("nan")
            ref_mean = float(joined[m + "_ref"].mean()) if d.size else float("nan")
            row[f"diff_{m}"] = mean
            row[f"diff_{m}_lo"] = mean - half
            row[f"diff_{m}_hi"] = mean + half
            row[f"rel_{m}_pct"] = 100.0 * mean / ref_mean if ref_mean else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
