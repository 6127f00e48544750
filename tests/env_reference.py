"""Reference ``CENAS-v0`` episodes (observations, rewards, reward parts) that the env must keep.

``python tests/env_reference.py`` rewrites ``tests/data/env_v0_reference.json`` from the current
code; do that only for a deliberate change of ``CENAS-v0`` (which Gymnasium's convention says
should be a new version instead).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import gymnasium as gym
import numpy as np

import cenas_gym  # noqa: F401
from cenas_gym.policies.play import make_policy

REFERENCE_FILE = Path(__file__).parent / "data" / "env_v0_reference.json"
CASES = [  # (env kwargs, policy, seed)
    ({"optimizer": "random", "budget_hours": 80, "start": "2021-07-02T06:00Z"}, "heuristic:window", 0),
    ({"optimizer": "lamoo", "budget_hours": 12, "reward": "cenas", "forecaster": "oracle"}, "random", 3),
    ({"optimizer": "random", "budget_hours": 24, "carbon_budget_g": 4000.0, "trace": "ES:2022"}, "vanilla", 1),
]


def episode(kwargs: dict, policy_name: str, seed: int) -> dict:
    env = gym.make("CENAS-v0", **kwargs)
    obs, info = env.reset(seed=seed)
    policy = make_policy(policy_name)
    policy.reset(env.unwrapped.episode_context(), env.unwrapped.policy_rng)
    observations, rewards, parts = [obs], [], []
    done = False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, info))
        observations.append(obs)
        rewards.append(reward)
        parts.append(info["reward_breakdown"])
        done = terminated or truncated
    stacked = np.stack(observations).astype(np.float32)
    return {
        "case": [kwargs, policy_name, seed],
        "obs_sha256": hashlib.sha256(stacked.tobytes()).hexdigest(),
        "obs_first": stacked[:2].tolist(),
        "rewards": rewards,
        "reward_breakdown": parts,
    }


if __name__ == "__main__":
    REFERENCE_FILE.write_text(json.dumps([episode(*case) for case in CASES]))
    print(f"wrote {REFERENCE_FILE}")
