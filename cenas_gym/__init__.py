"""cenas-gym: carbon-aware neural architecture search (CE-NAS) as a Gymnasium environment.

Importing the package registers ``CENAS-v0``, ``CENAS-v1``, ``CENAS-Target-v1``,
``CENAS-Budget-v1``, ``CENAS-Geo-v1`` and their v2 versions (sampling that informs the
search: :data:`V2_SIMULATOR_DEFAULTS`) with Gymnasium. Heavy modules are imported
lazily, so ``import cenas_gym`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

import gymnasium

__version__ = "0.2.0"

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


#: What the v2 ids change in the simulator (issue 21, README "Sampling that informs the
#: search"): screened candidates compete for training by expected HV improvement under an
#: error model of the 12-epoch estimate (charged 12/200 of a training per screening) and
#: LaMOO's partition learns from them too (``partition``, the best measured mode), on a
#: shared cluster (GPUs that neither train nor sample are released). Any of them can be
#: overridden through ``gym.make``.
V2_SIMULATOR_DEFAULTS: dict[str, Any] = {
    "screening": "partition",
    "estimator": "acc12",
    "accounting": "shared",
    "supernet_train_gpu_h": None,  # the estimator's stated supernet cost (acc12: none)
}

#: The env ids and their fixed arguments (Gymnasium convention: a changed reward is a new version).
ENV_IDS: dict[str, dict[str, Any]] = {
    "CENAS-v0": {},
    "CENAS-v1": {"version": "v1"},
    "CENAS-Target-v1": {"version": "v1", "task": "target"},
    "CENAS-Budget-v1": {"version": "v1", "task": "budget", "carbon_budget_kg": 25.0},
    "CENAS-v2": {"version": "v2", **V2_SIMULATOR_DEFAULTS},
    "CENAS-Target-v2": {"version": "v2", "task": "target", **V2_SIMULATOR_DEFAULTS},
    "CENAS-Budget-v2": {"version": "v2", "task": "budget", "carbon_budget_kg": 25.0, **V2_SIMULATOR_DEFAULTS},
}
for _id, _kwargs in ENV_IDS.items():
    if _id not in gymnasium.registry:
        gymnasium.register(id=_id, entry_point="cenas_gym.env:CENASEnv", kwargs=_kwargs)
if "CENAS-Geo-v1" not in gymnasium.registry:  # one search over GPU pools in several grid regions
    gymnasium.register(id="CENAS-Geo-v1", entry_point="cenas_gym.geo_env:CENASGeoEnv")
if "CENAS-Geo-v2" not in gymnasium.registry:
    gymnasium.register(id="CENAS-Geo-v2", entry_point="cenas_gym.geo_env:CENASGeoEnv", kwargs=V2_SIMULATOR_DEFAULTS)
