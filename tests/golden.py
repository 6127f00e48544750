"""Reference trajectories that performance work must reproduce exactly.

``python tests/golden.py`` rewrites ``tests/data/golden_trajectories.json`` from the current
code; do that only for a deliberate change of behaviour, never to make an optimisation pass.
"""

from __future__ import annotations

import json
from pathlib import Path

from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.search.lamoo import LamooConfig
from cenas_gym.policies.play import make_policy, run_policy
from cenas_gym.sim.simulator import SimConfig

GOLDEN_FILE = Path(__file__).parent / "data" / "golden_trajectories.json"
#: LaMOO's defaults before issue 13 (SVM split, one-hot features, Cp = 10 % of max HV): the
#: cases that use them replay the trajectories stored before the defaults changed, bit for bit
#: (``heuristic:window`` is the heuristic that was called ``heuristic`` then).
PRE_ISSUE_13_LAMOO = {"split": "svm", "encoding": "onehot", "cp_fraction": 0.1}
CASES = [  # (policy, optimizer, seed, hours, LaMOO options)
    ("heuristic:window", "lamoo", 0, 80, PRE_ISSUE_13_LAMOO),
    ("vanilla", "lamoo", 1, 40, PRE_ISSUE_13_LAMOO),
    ("random", "lamoo", 2, 40, PRE_ISSUE_13_LAMOO),
    ("heuristic:window", "random", 0, 80, {}),
    # the defaults since issue 13: the authors' heuristic range and the authors' LaMOO
    ("heuristic", "lamoo", 0, 80, {}),
    ("vanilla", "lamoo", 1, 40, {}),
    ("heuristic", "random", 0, 80, {}),
]


def case_id(case) -> str:
    """A readable, unique name of a case (test ids and the JSON file's keys)."""
    policy, optimizer, seed, hours, lamoo = case
    options = ",".join(f"{k}={v}" for k, v in sorted(lamoo.items()))
    return f"{policy}-{optimizer}-{seed}-{hours}" + (f"-{options}" if options else "")


def trajectory(policy: str, optimizer: str, seed: int, hours: int, lamoo: dict) -> dict:
    trace = CarbonTrace.load("US-CAL-CISO:2021")
    config = SimConfig(optimizer=optimizer, budget_hours=hours)
    if lamoo:
        config = config.with_(lamoo=LamooConfig(**lamoo))
    sim = run_policy(make_policy(policy), config, trace, seed, "2021-07-02T06:00Z")
    keys = ("gpus_train", "n_trained", "n_screened", "queue_len", "unfinished_jobs", "hv", "carbon_g")
    return {
        "case": case_id((policy, optimizer, seed, hours, lamoo)),
        "trained": sim.trained,
        "steps": [[r[k] for k in keys] for r in sim.history],
        "keys": list(keys),
    }


if __name__ == "__main__":
    GOLDEN_FILE.write_text(json.dumps([trajectory(*case) for case in CASES]))
    print(f"wrote {GOLDEN_FILE}")
