"""cenas-gym: carbon-aware neural architecture search (CE-NAS) as a Gymnasium environment.

Importing the package registers the ids of :data:`ENV_IDS` (``CENAS-v0``, ``CENAS-v1``,
``CENAS-Target-v1``, ``CENAS-Budget-v1``, ``CENAS-Geo-v1`` and their v2 versions: sampling that
informs the search, :data:`V2_SIMULATOR_DEFAULTS`) with Gymnasium. Heavy modules are
imported lazily, so ``import cenas_gym`` stays cheap. The subpackages are the layers (see
their docstrings): carbon, search, sim, envs, policies, compare, rl, cli.
"""

from __future__ import annotations

import importlib
from typing import Any

import gymnasium

from cenas_gym import _moved

__version__ = "0.3.0"

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

#: The env classes, by the kind of run they simulate.
ENTRY_POINTS = {"single-site": "cenas_gym.envs.cenas:CENASEnv", "geo": "cenas_gym.envs.geo:CENASGeoEnv"}
#: Every env id: (kind, fixed arguments). Gymnasium convention: a changed reward is a new version.
ENV_IDS: dict[str, tuple[str, dict[str, Any]]] = {
    "CENAS-v0": ("single-site", {}),
    "CENAS-v1": ("single-site", {"version": "v1"}),
    "CENAS-Target-v1": ("single-site", {"version": "v1", "task": "target"}),
    "CENAS-Budget-v1": ("single-site", {"version": "v1", "task": "budget", "carbon_budget_kg": 25.0}),
    "CENAS-Geo-v1": ("geo", {}),  # one search over GPU pools in several grid regions
    "CENAS-v2": ("single-site", {"version": "v2", **V2_SIMULATOR_DEFAULTS}),
    "CENAS-Target-v2": ("single-site", {"version": "v2", "task": "target", **V2_SIMULATOR_DEFAULTS}),
    "CENAS-Budget-v2": ("single-site", {"version": "v2", "task": "budget", "carbon_budget_kg": 25.0,
                                        **V2_SIMULATOR_DEFAULTS}),
    "CENAS-Geo-v2": ("geo", {"version": "v2", **V2_SIMULATOR_DEFAULTS}),
}
#: The v1 single-site id of each task that has one fixed (the task agents train on these).
TASK_ENV_IDS: dict[str, str] = {
    kwargs["task"]: env_id for env_id, (kind, kwargs) in ENV_IDS.items()
    if kind == "single-site" and kwargs.get("version") == "v1" and "task" in kwargs
}
for _id, (_kind, _kwargs) in ENV_IDS.items():
    if _id not in gymnasium.registry:
        gymnasium.register(id=_id, entry_point=ENTRY_POINTS[_kind], kwargs=_kwargs)
