"""cenas-gym: carbon-aware neural architecture search (CE-NAS) as a Gymnasium environment.

Importing the package registers the ids of :data:`ENV_IDS` (``CENAS-v0``, ``CENAS-v1``,
``CENAS-Target-v1``, ``CENAS-Budget-v1``, ``CENAS-Geo-v1``) with Gymnasium. Heavy modules are
imported lazily, so ``import cenas_gym`` stays cheap. The subpackages are the layers (see
their docstrings): carbon, search, sim, envs, policies, compare, rl, cli.
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

#: The env classes, by the kind of run they simulate.
ENTRY_POINTS = {"single-site": "cenas_gym.envs.cenas:CENASEnv", "geo": "cenas_gym.envs.geo:CENASGeoEnv"}
#: Every env id: (kind, fixed arguments). Gymnasium convention: a changed reward is a new version.
ENV_IDS: dict[str, tuple[str, dict[str, Any]]] = {
    "CENAS-v0": ("single-site", {}),
    "CENAS-v1": ("single-site", {"version": "v1"}),
    "CENAS-Target-v1": ("single-site", {"version": "v1", "task": "target"}),
    "CENAS-Budget-v1": ("single-site", {"version": "v1", "task": "budget", "carbon_budget_kg": 25.0}),
    "CENAS-Geo-v1": ("geo", {}),  # one search over GPU pools in several grid regions
}
#: The single-site id of each task that has one fixed (the task agents train on these).
TASK_ENV_IDS: dict[str, str] = {
    kwargs["task"]: env_id for env_id, (kind, kwargs) in ENV_IDS.items() if kind == "single-site" and "task" in kwargs
}
for _id, (_kind, _kwargs) in ENV_IDS.items():
    if _id not in gymnasium.registry:
        gymnasium.register(id=_id, entry_point=ENTRY_POINTS[_kind], kwargs=_kwargs)
