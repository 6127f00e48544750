"""Offline datasets in the Farama Minari format (``cenas-gym record``): a policy's episodes on
one env id, for offline RL and imitation::

    from cenas_gym.rl.offline import record
    path = record("heuristic", episodes=10, out="datasets", env_id="CENAS-Target-v2")
    # later: MINARI_DATASETS_PATH=datasets python -c "import minari; minari.load_dataset('cenas-gym/CENAS-Target-v2-heuristic-v0')"

Per episode: the observations (reset included: steps + 1), the actions (training GPUs), the
rewards, terminations, truncations, the episode's seed and reset options, and per step (reset
included) the infos of :data:`INFO_KEYS`: cumulative kg CO2eq and kWh, HV regret (and its
log10), normalised HV, the intensity now, training GPUs and trained architectures. Episode
``i`` is played with seed ``seed + i``; the same seed, options and actions replay it exactly
(tests/test_record.py).

Needs the ``offline`` extra (``pip install cenas-gym[offline]``: ``minari[hdf5]``). The
episodes are written with ``minari.create_dataset_from_buffers`` from buffers built here
rather than through ``minari.DataCollector``, whose buffer needs ``jax`` (``minari[create]``,
a few hundred MB) only to append steps; the dataset written is the same Minari format.
"""

from __future__ import annotations

import os
import re
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import gymnasium as gym
import numpy as np

#: The per-step infos a dataset keeps (all numbers; the reset's included), with their source.
INFO_KEYS: dict[str, str] = {
    "carbon_kg": "kg CO2eq emitted so far (initial architectures included)",
    "energy_kwh": "kWh drawn so far",
    "regret": "HV regret 1 - HV / HV(true front) after the step",
    "log10_regret": "log10 of the regret",
    "hv_normalized": "HV / HV(true front) after the step",
    "intensity_now_g_per_kwh": "carbon intensity of the next step's first hour",
    "gpus_train": "GPUs that trained in the step (0 at reset)",
    "n_trained": "architectures fully trained so far",
}

#: Dataset ids: ``cenas-gym/<env id>-<policy>-v0``.
NAMESPACE = "cenas-gym"


def dataset_id(env_id: str, policy: str) -> str:
    """The default Minari id of ``policy``'s episodes on ``env_id``."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{env_id}-{policy}").strip("_")  # Minari: [-_\w] only
    return f"{NAMESPACE}/{name}-v0"


@contextmanager
def datasets_root(path: str | Path) -> Iterator[Path]:
    """Point Minari at ``path`` (``MINARI_DATASETS_PATH``) for the duration of the block."""
    path = Path(path).expanduser().resolve()
    old = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(path)
    try:
        yield path
    finally:
        if old is None:
            os.environ.pop("MINARI_DATASETS_PATH", None)
        else:
            os.environ["MINARI_DATASETS_PATH"] = old


def _minari() -> Any:
    try:
        import minari
    except ImportError:
        raise ImportError("record needs Minari: pip install cenas-gym[offline]  (or: pip install 'minari[hdf5]>=0.5,<0.6')") from None
    return minari


def info_row(env: gym.Env, info: dict[str, Any]) -> dict[str, float]:
    """The :data:`INFO_KEYS` of one step (or the reset) of a CENAS env, as numbers."""
    sim = env.unwrapped.simulator
    return {
        "carbon_kg": float(sim.cum_carbon_g) / 1000.0,
        "energy_kwh": float(sim.cum_energy_kwh),
        "regret": float(info["regret"]),
        "log10_regret": float(info["log10_regret"]),
        "hv_normalized": float(info["hv_normalized"]),
        "intensity_now_g_per_kwh": float(info["intensity_now_g_per_kwh"]),
        "gpus_train": float(info.get("gpus_train", 0)),
        "n_trained": float(info["n_trained"]),
    }


def env_kwargs_for(policy: Any, env_id: str, env_kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
    """``gym.make`` arguments for ``policy`` on ``env_id``: ``env_kwargs``, plus the options a
    learned agent was trained with (its forecaster); an agent of another env version or task
    is refused (``ValueError``)."""
    kwargs = dict(env_kwargs or {})
    if not getattr(policy, "needs_observation", False):
        return kwargs
    spec_kwargs = gym.spec(env_id).kwargs
    version = spec_kwargs.get("version", "v0")
    wanted = getattr(policy, "env_options", {}).get("version", getattr(policy, "env_version", "v0"))
    if wanted != version:
        raise ValueError(f"policy {getattr(policy, 'name', policy)!r} reads CENAS-{wanted} observations; "
                         f"{env_id} is a {version} id")
    task = getattr(policy, "task", None)
    if task is not None and task != spec_kwargs.get("task"):
        raise ValueError(f"policy {getattr(policy, 'name', policy)!r} was trained for the {task!r} task; "
                         f"{env_id} is not a {task} id")
    options = {k: v for k, v in getattr(policy, "env_options", {}).items() if k != "version"}
    return {**options, **kwargs}


def play_buffer(env: gym.Env, policy: Any, seed: int, episode_id: int) -> Any:
    """One episode of ``policy`` in ``env`` with ``seed``, as a Minari ``EpisodeBuffer``."""
    from minari.data_collector.episode_buffer import EpisodeBuffer

    obs, info = env.reset(seed=seed)
    base = env.unwrapped
    policy.reset(base.episode_context(), base.policy_rng)
    observations, actions, rewards, terms, truncs = [obs], [], [], [], []
    infos = [info_row(env, info)]
    done = False
    while not done:
        action = int(policy.act(obs, info))
        obs, reward, terminated, truncated, info = env.step(action)
        observations.append(obs)
        actions.append(action)
        rewards.append(float(reward))
        terms.append(bool(terminated))
        truncs.append(bool(truncated))
        infos.append(info_row(env, info))
        done = terminated or truncated
    return EpisodeBuffer(
        id=episode_id, seed=int(seed), options=None,
        observations=list(observations), actions=actions, rewards=rewards, terminations=terms, truncations=truncs,
        infos={k: np.asarray([row[k] for row in infos], dtype=np.float64) for k in INFO_KEYS},
    )


def record(
    policy: str,
    episodes: int,
    out: str | Path,
    env_id: str = "CENAS-Target-v2",
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    dataset: str | None = None,
    progress: bool = False,
) -> Path:
    """Record ``episodes`` episodes of ``policy`` (a name, :func:`~cenas_gym.policies.play.make_policy`)
    on ``gym.make(env_id, **env_kwargs)`` (seeds ``seed``, ``seed + 1``, ...) as the Minari
    dataset ``dataset`` (default :func:`dataset_id`) under the folder ``out``; returns the
    dataset's folder. An existing dataset of that id raises ``ValueError``."""
    import cenas_gym
    from cenas_gym.policies.play import make_policy

    minari = _minari()
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    try:
        spec = gym.spec(env_id)
    except gym.error.Error as err:
        raise ValueError(f"env id {env_id!r}: {err}") from None
    if not str(spec.entry_point).endswith(":CENASEnv"):
        raise ValueError(f"record plays the single-site CENAS ids, not {env_id!r}")
    player = make_policy(policy)
    kwargs = env_kwargs_for(player, env_id, env_kwargs)
    dataset = dataset or dataset_id(env_id, policy)
    with datasets_root(out) as root:
        from minari.dataset.minari_dataset import parse_dataset_id

        parse_dataset_id(dataset)  # a malformed id fails before the episodes are played
        if (root / dataset).exists():
            raise ValueError(f"{root / dataset}: a dataset {dataset!r} exists already; choose another --out or id")
        env = gym.make(env_id, **kwargs)
        try:
            from tqdm.auto import tqdm

            buffers = [play_buffer(env, player, seed + i, i) for i in tqdm(range(episodes), disable=not progress,
                                                                            desc="record", unit="episode")]
            with warnings.catch_warnings():  # Minari's advice to add a permalink, an e-mail, an eval env
                warnings.filterwarnings("ignore", message=r"`(code_permalink|author_email|eval_env)` is set to None",
                                        category=UserWarning)
                minari.create_dataset_from_buffers(
                    dataset_id=dataset, buffer=buffers, env=env, algorithm_name=policy, author="cenas-gym record",
                    description=(f"{episodes} episode(s) of the {policy!r} policy on {env_id} {kwargs or ''}, seeds "
                                 f"{seed}..{seed + episodes - 1}; infos: "
                                 + "; ".join(f"{k}: {v}" for k, v in INFO_KEYS.items())),
                    requirements=[f"cenas-gym=={cenas_gym.__version__}"],
                )
        finally:
            env.close()
        return root / dataset


def load(out: str | Path, dataset: str) -> Any:
    """The Minari dataset ``dataset`` recorded under ``out`` (``minari.load_dataset``)."""
    minari = _minari()
    with datasets_root(out):
        return minari.load_dataset(dataset)
