"""Old module paths of 0.2 (before the package had subpackages), kept importable.

``import cenas_gym.play`` (or any other path in :data:`MOVED`) gives a stand-in module whose
names are those of the new module; reading one warns with a ``DeprecationWarning`` that names
the new place. Nothing inside the package may import an old path (tests/test_architecture.py).
Imports nothing of the package at import time.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings
from typing import Any

#: Old module (relative to ``cenas_gym``) -> its new place.
MOVED: dict[str, str] = {
    "forecast": "carbon.forecast",
    **{m: f"search.{m}" for m in ("nasbench", "pareto", "svm", "lamoo", "optimizers", "candidates", "freecells",
                                  "trained_cells", "estimators")},
    **{m: f"sim.{m}" for m in ("accounting", "simulator", "tasks", "episodes", "geo", "screening")},
    "env": "envs.cenas", "geo_env": "envs.geo",
    **{m: f"envs.{m}" for m in ("observation", "rewards", "render")},
    "a3c": "policies.a3c", "geo_policies": "policies.geo", "play": "policies.play",
    "rl.policy": "policies.ppo", "rl.features": "policies.features", "rl.hyperparams": "policies.hyperparams",
    **{m: f"compare.{m}" for m in ("stats", "interrupts", "runstore", "tune")},
    "geo_compare": "compare.geo", "cli_common": "cli.common", "geo_cli": "cli.geo",
}
PREFIX = "cenas_gym."


def _forwarding_getattr(old: str, new: str):
    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(importlib.import_module(new), name)
        warnings.warn(f"{old}.{name} moved to {new}.{name}; import it from there", DeprecationWarning, stacklevel=2)
        return value

    return __getattr__


def forward_from_package(package: str, module: str):
    """A package ``__getattr__`` for a package that replaced a module of the same name: the
    names of ``module`` (where they went) stay readable from ``package``, with a warning."""
    return _forwarding_getattr(package, module)


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old paths of :data:`MOVED` and loads them as forwarding modules."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None):
        if fullname.startswith(PREFIX) and fullname[len(PREFIX):] in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        new = PREFIX + MOVED[module.__name__[len(PREFIX):]]
        module.__doc__ = f"Moved to :mod:`{new}` (deprecated alias)."
        module.__getattr__ = _forwarding_getattr(module.__name__, new)  # type: ignore[method-assign]


def install() -> None:
    """Make the old paths importable (once per process)."""
    if not any(isinstance(f, _OldPaths) for f in sys.meta_path):
        sys.meta_path.insert(0, _OldPaths())
