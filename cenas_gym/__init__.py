"""cenas-gym: carbon-aware neural architecture search (CE-NAS) as a Gymnasium environment.

Importing the package registers ``CENAS-v0`` with Gymnasium. Heavy modules are imported
lazily, so ``import cenas_gym`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

import gymnasium

__version__ = "0.1.0"

_LAZY = {
    "ArchTable": "cenas_gym.nasbench",
    "CarbonTrace": "cenas_gym.carbon",
    "list_traces": "cenas_gym.carbon",
    "CENASEnv": "cenas_gym.env",
    "Simulator": "cenas_gym.simulator",
    "SimConfig": "cenas_gym.simulator",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cenas_gym' has no attribute {name!r}")


if "CENAS-v0" not in gymnasium.registry:
    gymnasium.register(id="CENAS-v0", entry_point="cenas_gym.env:CENASEnv")
if "CENAS-Geo-v1" not in gymnasium.registry:  # one search over GPU pools in several grid regions
    gymnasium.register(id="CENAS-Geo-v1", entry_point="cenas_gym.geo_env:CENASGeoEnv")
