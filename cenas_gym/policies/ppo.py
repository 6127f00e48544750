"""A saved PPO agent as a policy, and its observation statistics as plain numbers.

Stable-Baselines3 and PyTorch are imported only when an agent is loaded
(``pip install cenas-gym[rl]``); finding the shipped agent needs neither.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cenas_gym.sim.episodes import EpisodeContext
from cenas_gym.policies.features import window_features

AGENT_NAME = "ppo_cenas"  # file stem of the shipped agent (agents/ppo_cenas.zip)
STATS_SUFFIX = ".obs_norm.npz"


def shipped_agent_path(name: str = AGENT_NAME) -> Path | None:
    """The trained agent ``<name>.zip`` shipped with the package (``None`` if absent)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "agents" / f"{name}.zip", here / "agents_data" / f"{name}.zip"):
        if candidate.exists():
            return candidate
    try:
        from importlib.resources import files

        path = Path(str(files("cenas_gym.agents_data") / f"{name}.zip"))
        return path if path.exists() else None
    except (ModuleNotFoundError, TypeError):
        return None


# -- observation statistics as plain numbers -------------------------------------------------
def stats_path_for(model_path: str | Path) -> Path:
    """``<name>.obs_norm.npz`` next to ``<name>.zip``."""
    return _sibling(model_path, STATS_SUFFIX)


def _sibling(model_path: str | Path, suffix: str) -> Path:
    model_path = Path(model_path)
    stem = model_path.name[: -len(".zip")] if model_path.name.endswith(".zip") else model_path.name
    return model_path.with_name(stem + suffix)


def read_train_meta(model_path: str | Path) -> dict[str, Any]:
    """``<name>.train.json`` next to ``<name>.zip`` (empty when absent)."""
    import json

    path = _sibling(model_path, ".train.json")
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None


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


def apply_stats(vec_normalize: Any, stats: dict[str, Any]) -> None:
    """Load ``stats`` (from :func:`load_obs_stats`) into a ``VecNormalize``."""
    vec_normalize.obs_rms.mean = stats["mean"].copy()
    vec_normalize.obs_rms.var = stats["var"].copy()
    vec_normalize.obs_rms.count = max(stats["count"], 1.0)

def current_stats(vec_norm: Any, obs_dim: int) -> dict[str, Any]:
    """The statistics a ``VecNormalize`` holds now (identity without one)."""
    if vec_norm is not None and vec_norm.norm_obs:
        return {"mean": np.asarray(vec_norm.obs_rms.mean, np.float64).copy(), "var": np.asarray(vec_norm.obs_rms.var, np.float64).copy(),
                "clip_obs": float(vec_norm.clip_obs), "epsilon": float(vec_norm.epsilon), "count": float(vec_norm.obs_rms.count)}
    return {"mean": np.zeros(obs_dim), "var": np.ones(obs_dim), "clip_obs": float("inf"), "epsilon": 0.0, "count": 0.0}

# -- the agent as a policy -------------------------------------------------------------------
class PPOPolicy:
    """A saved PPO agent behind the :mod:`cenas_gym.policies.rules` interface.

    It reads the env's observation, so it runs only through the env it was trained on (see
    :func:`cenas_gym.policies.play.run_policy`), not on the simulator's fast path. Two kinds:

    * the ``CENAS-v0`` agent (no ``env_id`` in its ``.train.json``): the v0 observation plus
      the episode-window features of :mod:`cenas_gym.policies.features`;
    * a task agent (:mod:`cenas_gym.rl.task_train`; ``env_id`` ``CENAS-Target-v1`` or
      ``CENAS-Budget-v1``; or :mod:`cenas_gym.rl.agent_train`'s ``ppo-timing`` on
      ``CENAS-Target-v2``): the v1 observation only (causal), with the env options it was
      trained with (``forecaster``) in :attr:`env_options`.
    """

    needs_observation = True  # run_policy plays it through the env

    def __init__(self, model, stats: dict[str, Any], path: str | Path, meta: dict[str, Any] | None = None) -> None:
        self.model = model
        self.stats = stats
        self.path = Path(path)
        self.name = f"ppo:{path}"
        self.ctx: EpisodeContext | None = None
        meta = meta or {}
        #: ``"v0"`` (window features appended), ``"v1"`` or ``"v2"`` (the observation alone).
        self.env_version: str = (meta.get("env_kwargs") or {}).get("version") or ("v1" if meta.get("env_id") else "v0")
        #: the task the agent was trained for (``None``: the v0 agent).
        self.task: str | None = meta.get("task")
        #: env arguments the observation depends on (forecaster), as trained.
        self.env_options: dict[str, Any] = {k: v for k, v in (meta.get("env_kwargs") or {}).items()
                                            if k in ("forecaster", "forecast_hours", "forecast_epsilon")}

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
        return cls(model, stats, path, read_train_meta(path))

    def reset(self, context: EpisodeContext, rng: np.random.Generator) -> None:
        self.ctx = context
        self.rng = rng
        n_actions = getattr(self.model.action_space, "n", None)
        if n_actions is not None and n_actions != context.n_gpus + 1:
            raise ValueError(f"{self.name}: trained for {n_actions - 1} GPUs, the episode has {context.n_gpus}")

    def features(self, observation, info: dict[str, Any]) -> np.ndarray:
        if observation is None:
            raise ValueError(f"{self.name} reads the env's observation: run it through gym.make('CENAS-v0') (cenas_gym.policies.play.run_policy)")
        if self.ctx is None:
            raise RuntimeError(f"{self.name}: call reset(context, rng) first")
        full = np.asarray(observation, np.float32).reshape(-1)
        if self.env_version == "v0":
            full = np.concatenate([full, window_features(self.ctx, info["step"])])
        s = self.stats
        normed = (full - s["mean"]) / np.sqrt(s["var"] + s["epsilon"])
        return np.clip(normed, -s["clip_obs"], s["clip_obs"]).astype(np.float32)

    def act(self, observation, info: dict[str, Any]) -> int:
        action, _ = self.model.predict(self.features(observation, info), deterministic=True)
        return int(np.asarray(action).reshape(-1)[0])



class GeoPPOPolicy(PPOPolicy):
    """A saved PPO agent for the geo env (``CENAS-Geo-v2``, :mod:`cenas_gym.rl.agent_train`):
    training GPUs per site from the env's observation. :func:`cenas_gym.policies.geo.run_geo_policy`
    plays it through the env with the options it was trained with (:attr:`env_options`:
    version, forecaster)."""

    def __init__(self, model, stats: dict[str, Any], path: str | Path, meta: dict[str, Any] | None = None) -> None:
        super().__init__(model, stats, path, meta)
        self.name = f"ppo-geo:{path}"
        self.env_options["version"] = (meta or {}).get("env_kwargs", {}).get("version", "v2")

    def reset(self, context: Any, rng: np.random.Generator) -> None:  # a GeoContext
        self.ctx = context
        self.rng = rng
        nvec = getattr(self.model.action_space, "nvec", None)
        if nvec is None or list(nvec) != [n + 1 for n in context.n_gpus]:
            raise ValueError(f"{self.name}: trained for sites with {None if nvec is None else [int(n) - 1 for n in nvec]} "
                             f"GPUs, the run's sites have {list(context.n_gpus)}")

    def features(self, observation, info: dict[str, Any]) -> np.ndarray:
        if observation is None:
            raise ValueError(f"{self.name} reads the env's observation: play it with run_geo_policy (through CENAS-Geo-v2)")
        s = self.stats
        normed = (np.asarray(observation, np.float32).reshape(-1) - s["mean"]) / np.sqrt(s["var"] + s["epsilon"])
        return np.clip(normed, -s["clip_obs"], s["clip_obs"]).astype(np.float32)

    def act(self, observation, info: dict[str, Any]) -> np.ndarray:
        action, _ = self.model.predict(self.features(observation, info), deterministic=True)
        return np.asarray(action, dtype=np.int64).reshape(-1)
