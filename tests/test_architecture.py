"""The package's folders are its layers; imports only go down (no import circle), checked on
the source with ``ast``.

Each subpackage's docstring says ``Layer N``: the test reads the layers from there. Every
module lives in a layer folder, except the package's ``__init__`` (it only registers the env
ids) and ``_moved`` (the deprecated old paths). Every import counts, including those inside
functions (a lazy import is still a dependency). A module may import modules of its own layer
or of a lower one, never of a higher one, and never an old (moved) path.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cenas_gym"
#: Top-level modules that belong to no layer and import nothing of one.
FREE = {"__init__", "_moved"}


def _layer_of_folder(folder: Path) -> int:
    doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))) or ""
    found = re.search(r"^Layer (\d+)", doc, re.MULTILINE)
    assert found, f"{folder.name}/__init__.py: the docstring must say 'Layer N'"
    return int(found.group(1))


#: folder -> layer number (lowest first), read from the subpackages' docstrings.
FOLDER_LAYER = {p.name: _layer_of_folder(p) for p in sorted(PACKAGE.iterdir()) if (p / "__init__.py").is_file()}


def _layer(module: str) -> int:
    return FOLDER_LAYER[module.split(".")[0]]


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


def test_every_module_lives_in_a_layer_folder():
    loose = sorted(m for m in _modules() if m not in FREE and m.split(".")[0] not in FOLDER_LAYER)
    assert not loose, f"put these modules in a layer folder: {loose}"


def test_layers_are_the_documented_order():
    order = sorted(FOLDER_LAYER, key=FOLDER_LAYER.get)
    assert order == ["carbon", "data", "search", "sim", "envs", "policies", "compare", "rl", "cli"], order


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
            if _layer(target) > _layer(module):
                wrong.append(f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)})")
    assert not wrong, "imports against the layer order:\n" + "\n".join(sorted(wrong))


def test_no_module_imports_an_old_path():
    from cenas_gym._moved import MOVED

    modules = _modules()
    old = [f"{m} imports cenas_gym.{n}" for m, p in modules.items() if m != "_moved" for n in _imports(p)
           if any(n == old or n.startswith(old + ".") for old in MOVED)]
    assert not old, "import the new paths:\n" + "\n".join(sorted(old))


def test_the_free_modules_import_no_layer():
    modules = _modules()
    for module in FREE & set(modules):
        targets = {_resolve(name, modules) for name in _imports(modules[module])} - {None}
        assert targets <= FREE, f"{module} imports {sorted(targets - FREE)}"


def test_no_circle():
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
