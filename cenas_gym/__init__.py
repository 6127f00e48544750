"""cenas-gym: carbon-aware neural architecture search (CE-NAS) as a Gymnasium environment.

Importing the package registers ``CENAS-v0``, ``CENAS-v1``, ``CENAS-Target-v1`` and
``CENAS-Budget-v1`` with Gymnasium. Heavy modules are imported
lazily, so ``import cenas_gym`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

import gymnasium

from cenas_gym import _moved

__version__ = "0.2.0"

_LAZY = {
    "ArchTable": "cenas_gym.search.nasbench",
    "CarbonTrace": "cenas_gym.carbon.trace",
    "list_traces": "cenas_gym.carbon.trace",
    "CENASEnv": "cenas_gym.envs.cenas",
    "Simulator": "cenas_gym.sim.simulator",
    "SimConfig": "cenas_gym.sim.simulator",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cenas_gym' has no attribute {name!r}")


_moved.install()  # the module paths of 0.2 keep working, with a DeprecationWarning

#: The env ids and their fixed arguments (Gymnasium convention: a changed reward is a new version).
ENV_IDS: dict[str, dict[str, Any]] = {
    "CENAS-v0": {},
    "CENAS-v1": {"version": "v1"},
    "CENAS-Target-v1": {"version": "v1", "task": "target"},
    "CENAS-Budget-v1": {"version": "v1", "task": "budget", "carbon_budget_kg": 25.0},
}
for _id, _kwargs in ENV_IDS.items():
    if _id not in gymnasium.registry:
        gymnasium.register(id=_id, entry_point="cenas_gym.envs.cenas:CENASEnv", kwargs=_kwargs)
if "CENAS-Geo-v1" not in gymnasium.registry:  # one search over GPU pools in several grid regions
    gymnasium.register(id="CENAS-Geo-v1", entry_point="cenas_gym.envs.geo:CENASGeoEnv")
