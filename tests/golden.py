"""Reference trajectories that performance work must reproduce exactly.

``python tests/golden.py`` rewrites ``tests/data/golden_trajectories.json`` from the current
code; do that only for a deliberate change of behaviour, never to make an optimisation pass.
"""

from __future__ import annotations

import json
from pathlib import Path

from cenas_gym.carbon import CarbonTrace
from cenas_gym.play import make_policy, run_policy
from cenas_gym.simulator import SimConfig

GOLDEN_FILE = Path(__file__).parent / "data" / "golden_trajectories.json"
CASES = [  # (policy, optimizer, seed, hours)
    ("heuristic", "lamoo", 0, 80),
    ("vanilla", "lamoo", 1, 40),
    ("random", "lamoo", 2, 40),
    ("heuristic", "random", 0, 80),
]


def trajectory(policy: str, optimizer: str, seed: int, hours: int) -> dict:
    trace = CarbonTrace.load("US-CAL-CISO:2021")
    sim = run_policy(make_policy(policy), SimConfig(optimizer=optimizer, budget_hours=hours), trace, seed, "2021-07-02T06:00Z")
    keys = ("gpus_train", "n_trained", "n_screened", "queue_len", "unfinished_jobs", "hv", "carbon_g")
    return {
        "case": [policy, optimizer, seed, hours],
        "trained": sim.trained,
        "steps": [[r[k] for k in keys] for r in sim.history],
        "keys": list(keys),
    }


if __name__ == "__main__":
    GOLDEN_FILE.write_text(json.dumps([trajectory(*case) for case in CASES]))
    print(f"wrote {GOLDEN_FILE}")
