"""Train the third-wave agents, ``ppo-timing`` and ``ppo-geo`` (issue 22): imitation of the best
deployable baseline, then PPO, on causal inputs with the real proposer (LaMOO) in the loop.

Both agents read only their env's causal observation (the intensity now and its place in the
trailing 7 days, a ``yesterday`` forecast, the search state); neither sees the episode
window or the whole trace. The training recipe, the same for both (:data:`AGENTS`):

1. **Behaviour cloning.** The teacher (the best deployable baseline on the training split)
   plays :attr:`AgentSpec.bc_episodes` training episodes; the observation statistics are set
   from them and the policy is fitted to the teacher's actions (cross-entropy) until it
   gives them :data:`BC_TARGET_PROB` probability on average (not 1: PPO still explores).
2. **PPO** over ``SubprocVecEnv`` (one env per core), observations and rewards normalised
   (``VecNormalize``), small steps (:data:`PPO_ARGS`) so the cloned start is refined, not
   forgotten.

Writes ``<out>/<stem>.zip`` (SB3 PPO), ``<stem>.obs_norm.npz`` (the observation statistics
as plain numbers, what :class:`~cenas_gym.policies.ppo.PPOPolicy` loads),
``<stem>.vecnormalize.pkl`` (SB3's ``VecNormalize``), ``<stem>.train.json`` (every setting,
timesteps, wall time) and ``<stem>.episodes.csv`` (one row per training episode: the learning
curve; the first rows, marked ``phase=teacher``, are the teacher's).

    python -m cenas_gym.rl.agent_train --agent ppo-geo --seed 0 --timesteps 150000 --out runs/geo/seed0
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from cenas_gym.carbon.catalogue import TRAIN_TRACES

#: PPO settings shared by both agents: small, clipped steps from the cloned start.
PPO_ARGS: dict[str, Any] = {
    "learning_rate": 1e-4, "n_steps": 512, "batch_size": 128, "n_epochs": 5, "gamma": 0.995,
    "gae_lambda": 0.95, "ent_coef": 0.0, "clip_range": 0.1, "policy_kwargs": {"net_arch": [64, 64]},
}
#: Behaviour cloning stops once the policy gives the teacher's actions this mean probability.
BC_TARGET_PROB = 0.9
#: ... or after this many passes over the teacher's data (Adam, learning rate :data:`BC_LR`).
BC_MAX_EPOCHS = 400
BC_LR = 1e-3

#: The geo agent's training months (2022; its held-out windows are July-December 2022).
GEO_TRAIN_SPAN = ("2022-01-01T00:00:00Z", 181 * 24)
#: The geo agent's two training site sets (GPUs 2, 4, 4, 8, as ``DEFAULT_SITES``); the held-out
#: set (:data:`GEO_HELD_OUT_SITES`) swaps in grids it never saw (EIA-BPAT, EIA-CISO).
GEO_TRAIN_SITE_SETS: tuple[tuple[str, ...], ...] = (
    ("NO:2022:2", "US-CAL-CISO:2022:4", "ES:2022:4", "EIA-SOCO:2022:8"),
    ("NO:2022:2", "US-CAL-CISO:2022:4", "ES:2022:4", "EIA-AZPS:2022:8"),
)
#: The zones the geo agent may train on (2022): the grids of :data:`GEO_TRAIN_SITE_SETS`.
GEO_TRAIN_ZONES: tuple[str, ...] = ("NO", "US-CAL-CISO", "ES", "EIA-AZPS", "EIA-SOCO")
#: ``--train-sites NAME``: the site sets ppo-geo trains on (GPUs 2, 4, 4, 8 in every set).
#: ``default``: :data:`GEO_TRAIN_SITE_SETS`. ``permuted``: every assignment of the three cleaner
#: grids to the 2-, 4- and 4-GPU slots, with either 8-GPU grid (12 sets), so that no slot has one
#: grid to learn by heart. ``pool``: every assignment of 4 of the 5 training zones to the 4 slots
#: (120 sets), so that clean and dirty grids appear in every slot.
GEO_SITE_SETS: dict[str, tuple[tuple[str, ...], ...]] = {
    "default": GEO_TRAIN_SITE_SETS,
    "permuted": tuple((f"{a}:2022:2", f"{b}:2022:4", f"{c}:2022:4", f"{d}:2022:8")
                      for d in ("EIA-SOCO", "EIA-AZPS") for a, b, c in itertools.permutations(GEO_TRAIN_ZONES[:3])),
    "pool": tuple((f"{a}:2022:2", f"{b}:2022:4", f"{c}:2022:4", f"{d}:2022:8")
                  for a, b, c, d in itertools.permutations(GEO_TRAIN_ZONES, 4)),
}
GEO_HELD_OUT_SITES: tuple[str, ...] = ("EIA-BPAT:2022:2", "EIA-CISO:2022:4", "ES:2022:4", "EIA-SOCO:2022:8")
#: Held-out geo windows start in this span (July-December 2022, after the training months).
GEO_HELD_OUT_SPAN = ("2022-07-01T00:00:00Z", "2022-12-27T00:00:00Z")


@dataclass(frozen=True)
class AgentSpec:
    """One agent: what it plays, what it learns from first, and where it ships."""

    name: str  #: policy name (``cenas-gym run --policy NAME``)
    stem: str  #: file stem under agents/
    env_id: str
    env_kwargs: dict[str, Any]  #: arguments of ``gym.make(env_id, ...)`` besides the traces or sites
    teacher: str  #: the baseline cloned first (chosen on the training split: the model card)
    bc_episodes: int
    task: str = "target"
    notes: str = ""


AGENTS: dict[str, AgentSpec] = {
    "ppo-timing": AgentSpec(
        name="ppo-timing", stem="ppo_timing", env_id="CENAS-Target-v2",
        env_kwargs={"version": "v2", "forecaster": "yesterday"},
        teacher="fixed:5", bc_episodes=40,
        notes="single site, 8 GPUs, target task (regret 0.002 within 160 h), shared accounting, partition "
              "screening with the acc12 estimate (the v2 defaults); one training trace per episode",
    ),
    "ppo-geo": AgentSpec(
        name="ppo-geo", stem="ppo_geo", env_id="CENAS-Geo-v2",
        env_kwargs={"version": "v2", "forecaster": "yesterday", "hours": 80, "screening": "queue",
                    "estimator": "oneshot", "supernet_train_gpu_h": 0.0, "accounting": "cenas"},
        teacher="geo-greedy:10", bc_episodes=24,
        notes="4 sites (2, 4, 4, 8 GPUs), target task with an 80 h cap, cenas accounting (the largest geo "
              "headroom), the authors' queue screening; one of two site sets per episode, January-June 2022",
    ),
}


class SiteSetsEnv(gym.Env):
    """``CENAS-Geo-v2`` over several site sets with the same GPU counts: each reset draws one
    (from the env's seeded generator) and plays a random window of it."""

    def __init__(self, site_sets: Sequence[Sequence[Any]], **env_kwargs: Any) -> None:
        from cenas_gym.envs.geo import CENASGeoEnv

        self.envs = [CENASGeoEnv(sites=list(sites), **env_kwargs) for sites in site_sets]
        first = self.envs[0]
        for env in self.envs[1:]:
            if env.action_space != first.action_space or env.observation_space != first.observation_space:
                raise ValueError("SiteSetsEnv: every site set needs the same GPUs per site (same spaces)")
        self.action_space, self.observation_space = first.action_space, first.observation_space
        self.current = first

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.current = self.envs[int(self.np_random.integers(len(self.envs)))]
        return self.current.reset(seed=int(self.np_random.integers(2**31)), options=options)

    def step(self, action):
        return self.current.step(action)

    def episode_context(self):
        return self.current.episode_context()

    @property
    def policy_rng(self) -> np.random.Generator:
        return self.current.policy_rng


def geo_train_sites(site_sets: Sequence[Sequence[str]] = GEO_TRAIN_SITE_SETS) -> list[list[Any]]:
    """``site_sets`` (``"GRID:YEAR:GPUS"`` strings) with each trace cut to :data:`GEO_TRAIN_SPAN`."""
    from cenas_gym.carbon.trace import CarbonTrace
    from cenas_gym.sim.geo import Site

    start, hours = GEO_TRAIN_SPAN
    sets = []
    for specs in site_sets:
        sites = []
        for spec in specs:
            trace_name, _, gpus = spec.rpartition(":")
            sites.append(Site(trace_name.split(":")[0], CarbonTrace.load(trace_name).window(start, hours), int(gpus)))
        sets.append(sites)
    return sets


def make_train_env(spec: AgentSpec, site_sets: Sequence[Sequence[str]] = GEO_TRAIN_SITE_SETS) -> gym.Env:
    """One training env of ``spec`` (random windows of the training traces, or of ``site_sets``)."""
    import cenas_gym  # noqa: F401  (registers the ids)

    if spec.env_id.startswith("CENAS-Geo"):
        return SiteSetsEnv(geo_train_sites(site_sets), **spec.env_kwargs)
    return gym.make(spec.env_id, trace=list(TRAIN_TRACES), **{k: v for k, v in spec.env_kwargs.items() if k != "version"})


class _Curve:
    """The learning curve: one CSV row per finished episode (teacher's first, then PPO's)."""

    HEADER = ["phase", "timesteps", "carbon_kg", "reached_target", "final_log10_regret", "hours"]

    def __init__(self, path: Path) -> None:
        self.file = path.open("w", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow(self.HEADER)

    def add(self, phase: str, timesteps: int, summary: dict[str, Any]) -> None:
        self.writer.writerow([phase, timesteps, f"{summary['carbon_kg']:.4f}", int(bool(summary.get("reached_target"))),
                              f"{summary['final_log10_regret']:.4f}", summary.get("hours", "")])
        self.file.flush()


def collect_teacher(spec: AgentSpec, seed: int, curve: _Curve,
                    site_sets: Sequence[Sequence[str]] = GEO_TRAIN_SITE_SETS) -> tuple[np.ndarray, np.ndarray]:
    """The teacher's observations and actions over ``spec.bc_episodes`` training episodes."""
    from cenas_gym.policies.geo import make_geo_policy
    from cenas_gym.policies.play import make_policy

    env = make_train_env(spec, site_sets)
    base = env.unwrapped  # a SiteSetsEnv is its own
    teacher = make_geo_policy(spec.teacher) if isinstance(env, SiteSetsEnv) else make_policy(spec.teacher)
    observations, actions = [], []
    for episode in range(spec.bc_episodes):
        obs, info = env.reset(seed=seed * 10_000 + episode)
        teacher.reset(base.episode_context(), base.policy_rng)
        done = False
        while not done:
            action = teacher.act(obs, info)
            observations.append(np.asarray(obs, np.float32))
            actions.append(np.asarray(action, np.int64).reshape(-1))
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        curve.add("teacher", 0, info["episode_summary"])
    env.close()
    return np.stack(observations), np.stack(actions)


def clone(model: Any, obs: np.ndarray, actions: np.ndarray, seed: int) -> dict[str, float]:
    """Fit ``model``'s policy to (normalised) ``obs`` -> ``actions``; returns the fit's figures."""
    import torch

    torch.manual_seed(seed)
    policy = model.policy
    optimizer = torch.optim.Adam(policy.parameters(), lr=BC_LR)
    x = torch.as_tensor(obs)
    a = torch.as_tensor(actions if actions.shape[1] > 1 else actions[:, 0])
    prob = 0.0
    for epoch in range(1, BC_MAX_EPOCHS + 1):
        _, log_prob, _ = policy.evaluate_actions(x, a)
        prob = float(torch.exp(log_prob.detach()).mean())
        if prob >= BC_TARGET_PROB:
            break
        loss = -log_prob.mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"bc_epochs": epoch, "bc_mean_prob": round(prob, 4), "bc_samples": int(len(obs))}


class _PPOCurve:
    def __new__(cls, curve: _Curve, max_wall_s: float | None):
        from stable_baselines3.common.callbacks import BaseCallback

        class PPOCurve(BaseCallback):
            def _on_training_start(self) -> None:
                self.started = time.monotonic()

            def _on_step(self) -> bool:
                for info in self.locals.get("infos", []):
                    if info.get("episode_summary"):
                        curve.add("ppo", self.num_timesteps, info["episode_summary"])
                return max_wall_s is None or time.monotonic() - self.started < max_wall_s

        return PPOCurve()


def ppo_overrides(pairs: Sequence[str]) -> dict[str, float]:
    """``["learning_rate=3e-4", "ent_coef=0.01"]`` -> overrides of :data:`PPO_ARGS` (numbers only;
    ``n_steps``, ``batch_size`` and ``n_epochs`` must be whole). Raises ValueError naming the
    pair that is not ``KEY=NUMBER`` of a known numeric setting."""
    out: dict[str, float] = {}
    numeric = [k for k, v in PPO_ARGS.items() if isinstance(v, (int, float))]
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or key not in numeric:
            raise ValueError(f"--ppo {pair!r}: expected KEY=NUMBER with KEY one of {numeric}")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"--ppo {pair!r}: {text!r} is not a number") from None
        if isinstance(PPO_ARGS[key], int):
            if not value.is_integer() or value < 1:
                raise ValueError(f"--ppo {pair!r}: {key} must be a positive whole number")
            value = int(value)
        out[key] = value
    return out


def train_agent(name: str, out_dir: str | Path, seed: int = 0, timesteps: int = 100_000, n_envs: int = 2,
                max_wall_s: float | None = None, ppo: dict[str, float] | None = None,
                train_sites: str = "default") -> Path:
    """Clone the teacher, then PPO for ``timesteps`` (or until ``max_wall_s``) with
    :data:`PPO_ARGS` updated by ``ppo`` (an ablation; :func:`ppo_overrides`); ``train_sites``:
    the key of :data:`GEO_SITE_SETS` ppo-geo trains on.
    Returns the zip."""
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecNormalize

    from cenas_gym.policies.ppo import save_obs_stats

    if name not in AGENTS:
        raise ValueError(f"agent must be one of {list(AGENTS)}, got {name!r}")
    spec = AGENTS[name]
    geo = spec.env_id.startswith("CENAS-Geo")
    if train_sites not in GEO_SITE_SETS:
        raise ValueError(f"train_sites must be one of {list(GEO_SITE_SETS)}, got {train_sites!r}")
    if train_sites != "default" and not geo:
        raise ValueError(f"train_sites applies to ppo-geo only, not {name!r}")
    site_sets = GEO_SITE_SETS[train_sites]
    ppo_args = {**PPO_ARGS, **(ppo or {})}
    torch.set_num_threads(1)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    curve = _Curve(out / f"{spec.stem}.episodes.csv")
    started = time.monotonic()
    obs, actions = collect_teacher(spec, seed, curve, site_sets)
    teacher_s = time.monotonic() - started

    factories = [lambda: make_train_env(spec, site_sets) for _ in range(n_envs)]
    venv = SubprocVecEnv(factories) if n_envs > 1 else DummyVecEnv(factories)
    venv.seed(seed)
    venv = VecNormalize(venv, norm_obs=True, norm_reward=True, gamma=ppo_args["gamma"])
    venv.obs_rms.mean = obs.mean(axis=0).astype(np.float64)
    venv.obs_rms.var = obs.var(axis=0).astype(np.float64)
    venv.obs_rms.count = float(len(obs))
    model = PPO("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, **ppo_args)
    bc = clone(model, venv.normalize_obs(obs).astype(np.float32), actions, seed)
    print(f"{name} seed {seed}: cloned {spec.teacher} ({bc})", flush=True)
    ppo_started = time.monotonic()
    model.learn(total_timesteps=timesteps, callback=_PPOCurve(curve, max_wall_s))
    wall = time.monotonic() - started
    model.save(out / f"{spec.stem}.zip")
    save_obs_stats(out / f"{spec.stem}.obs_norm.npz", venv, model.observation_space.shape[0])
    venv.save(str(out / f"{spec.stem}.vecnormalize.pkl"))
    meta = {
        "agent": name, "env_id": spec.env_id, "task": spec.task, "env_kwargs": spec.env_kwargs,
        "training": ({"site_sets": [list(s) for s in site_sets], "span": list(GEO_TRAIN_SPAN)}
                     if geo else {"traces": list(TRAIN_TRACES)}),
        "notes": spec.notes, "teacher": spec.teacher, "bc_episodes": spec.bc_episodes, **bc,
        "seed": seed, "n_envs": n_envs, "timesteps_asked": timesteps, "num_timesteps": int(model.num_timesteps),
        "wall_s": round(wall, 1), "teacher_wall_s": round(teacher_s, 1), "ppo_wall_s": round(time.monotonic() - ppo_started, 1),
        "ppo": ppo_args, "normalize": {"norm_obs": True, "norm_reward": True},
        "inputs": f"{spec.env_id} observation only (causal: trailing 7 days, yesterday forecast, search state)",
        "command": f"python -m cenas_gym.rl.agent_train --agent {name} --seed {seed} --timesteps {timesteps} "
                   f"--n-envs {n_envs}" + (f" --max-wall-s {max_wall_s:g}" if max_wall_s else "")
                   + "".join(f" --ppo {k}={v:g}" for k, v in (ppo or {}).items())
                   + (f" --train-sites {train_sites}" if train_sites != "default" else "") + " --out DIR",
    }
    (out / f"{spec.stem}.train.json").write_text(json.dumps(meta, indent=2))
    venv.close()
    curve.file.close()
    print(f"saved {out / spec.stem}.zip after {model.num_timesteps} timesteps ({wall:.0f} s)", flush=True)
    return out / f"{spec.stem}.zip"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cenas_gym.rl.agent_train", description=__doc__.split("\n\n")[0])
    p.add_argument("--agent", choices=list(AGENTS), required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timesteps", type=int, default=100_000, help="PPO timesteps after cloning (default %(default)s)")
    p.add_argument("--n-envs", type=int, default=2, help="envs in SubprocVecEnv, one per core (default %(default)s)")
    p.add_argument("--max-wall-s", type=float, default=None, help="stop PPO after this many seconds")
    p.add_argument("--ppo", nargs="+", default=[], metavar="KEY=NUMBER",
                   help="override PPO settings for an ablation, e.g. --ppo learning_rate=3e-4 ent_coef=0.01")
    p.add_argument("--train-sites", choices=list(GEO_SITE_SETS), default="default",
                   help="ppo-geo: the site sets to train on (GEO_SITE_SETS; default %(default)s)")
    p.add_argument("--out", required=True, help="output folder")
    args = p.parse_args(argv)
    try:
        overrides = ppo_overrides(args.ppo)
    except ValueError as err:
        p.error(str(err))
    train_agent(args.agent, args.out, args.seed, args.timesteps, args.n_envs, args.max_wall_s, overrides,
                args.train_sites)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
