"""The package's layers import only downward (no import circle), checked on the source with ``ast``.

Every import counts, including those inside functions (a lazy import is still a dependency).
A module may import modules of its own layer or of a lower one, never of a higher one.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cenas_gym"

#: Lowest first. A new module must be given a layer here (the test fails until it is).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("data", ("carbon", "nasbench", "forecast", "stats", "data.build_nb201", "interrupts")),
    ("sim", ("accounting", "estimators", "screening", "candidates", "freecells", "pareto", "svm", "trained_cells",
             "lamoo", "optimizers", "simulator", "tasks")),
    ("env", ("episodes", "observation", "rewards", "env", "render", "geo", "geo_env")),
    ("policies", ("policies", "a3c", "geo_policies", "rl.hyperparams", "rl.features", "rl.policy", "rl.splits")),
    ("play", ("play",)),
    ("train", ("rl.callbacks", "rl.train", "rl.task_train")),
    ("compare", ("runstore", "compare", "geo_compare", "tune")),
    ("evaluate", ("rl.evaluate", "rl.task_eval")),
    ("cli", ("cli_common", "geo_cli", "cli")),
]
LAYER_OF = {module: i for i, (_, modules) in enumerate(LAYERS) for module in modules}
#: Import nothing of the package beyond registering the env ids (checked separately).
FREE = {"__init__", "rl.__init__", "data.__init__"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        out[".".join(rel.parts)] = path
    return out


def _imports(path: Path) -> set[str]:
    """Package modules ``path`` imports (``cenas_gym.x.y`` -> ``x.y``), at any depth."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.startswith("cenas_gym."):
                found.add(name[len("cenas_gym."):])
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """``rl.policy.PPOPolicy`` -> ``rl.policy``; a package (``rl``) -> ``rl.__init__``."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in modules:
            return candidate
        if f"{candidate}.__init__" in modules:
            return f"{candidate}.__init__"
    return None


def test_every_module_has_a_layer():
    missing = sorted(m for m in _modules() if m not in LAYER_OF and m not in FREE)
    assert not missing, f"give these modules a layer in tests/test_architecture.py: {missing}"


def test_imports_only_go_down():
    modules = _modules()
    wrong = []
    for module, path in modules.items():
        if module in FREE:
            continue
        for name in _imports(path):
            target = _resolve(name, modules)
            if target is None or target in FREE:
                continue
            if LAYER_OF[target] > LAYER_OF[module]:
                wrong.append(f"{module} ({LAYERS[LAYER_OF[module]][0]}) imports {target} ({LAYERS[LAYER_OF[target]][0]})")
    assert not wrong, "imports against the layer order:\n" + "\n".join(sorted(wrong))


def test_the_free_modules_import_no_layer():
    modules = _modules()
    for module in FREE & set(modules):
        targets = {_resolve(name, modules) for name in _imports(modules[module])} - {None}
        assert targets <= FREE, f"{module} imports {sorted(targets - FREE)}"


def test_no_circle_within_a_layer():
    modules = _modules()
    graph = {m: {t for n in _imports(p) if (t := _resolve(n, modules)) and t not in FREE and t != m}
             for m, p in modules.items() if m not in FREE}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join(trail + [node, nxt]))
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
