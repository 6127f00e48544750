"""Packaging checks: the wheel ships the data, the import stays light, the CLI is declared.

The wheel is built from a copy of the source tree in ``tmp_path`` (so setuptools' ``build/``
and ``*.egg-info`` by-products never land in the checkout), without build isolation, so the
test needs ``build`` and ``setuptools`` installed (the ``dev`` extra) but no network.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import cenas_gym
from cenas_gym.carbon import trace as carbon

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = REPO / "pyproject.toml"

# Copied into the build tree: everything but VCS data, caches, build outputs and run outputs.
_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
    ".pytest_cache", ".benchmarks", "runs", "out", "shared",
)


def _trace_file(name: str) -> str:
    """Shipped file name of a trace, the way cenas_gym.carbon.trace locates it."""
    # carbon._file_name: "US-CAL-CISO:2021:lca" -> "US-CAL-CISO_2021_lca.csv.gz"
    fn = getattr(carbon, "_file_name", None)
    return fn(name) if fn is not None else name.replace(":", "_") + ".csv.gz"


def _build_requirements_missing() -> str | None:
    if importlib.util.find_spec("build") is None:
        return "the `build` package is not importable (pip install -e '.[dev]')"
    if importlib.util.find_spec("setuptools") is None:
        return "setuptools is not installed"
    return None


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    """(names in the wheel, the source copy it was built from)."""
    missing = _build_requirements_missing()
    if missing:
        pytest.skip(f"cannot build the wheel: {missing}")
    tmp = tmp_path_factory.mktemp("wheel")
    src, dist = tmp / "src", tmp / "dist"
    shutil.copytree(REPO, src, ignore=_IGNORE)
    cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(src)]
    if importlib.util.find_spec("wheel") is None:
        # pyproject's build-system lists "wheel", which setuptools >= 70.1 no longer needs;
        # without isolation `build` would refuse, so skip its requirement check.
        cmd.insert(4, "--skip-dependency-check")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, timeout=600)
    assert proc.returncode == 0, f"wheel build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    wheels = sorted(dist.glob("cenas_gym-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {dist}, found {[w.name for w in wheels]}"
    with zipfile.ZipFile(wheels[0]) as zf:
        return zf.namelist(), src


@pytest.fixture(scope="module")
def wheel_names(built: tuple[list[str], Path]) -> list[str]:
    return built[0]


def test_wheel_ships_table_and_sources(wheel_names: list[str]) -> None:
    for f in ("cenas_gym/data/nb201.csv.gz", "cenas_gym/data/SOURCES.md", "cenas_gym/traces/SOURCES.md"):
        assert f in wheel_names, f"{f} is missing from the wheel"


def test_wheel_ships_every_trace(wheel_names: list[str]) -> None:
    names = cenas_gym.list_traces()
    assert names, "list_traces() is empty"
    missing = [n for n in names if f"cenas_gym/traces/{_trace_file(n)}" not in wheel_names]
    assert not missing, f"traces missing from the wheel: {missing}"


def test_wheel_ships_every_module(built: tuple[list[str], Path]) -> None:
    wheel_names, src = built
    pkg = src / "cenas_gym"  # the copy the wheel was built from
    modules = sorted(f"cenas_gym/{p.relative_to(pkg).as_posix()}" for p in pkg.rglob("*.py") if "__pycache__" not in p.parts)
    missing = [m for m in modules if m not in wheel_names]
    assert not missing, f"modules missing from the wheel: {missing}"


def test_import_does_not_pull_heavy_modules() -> None:
    code = (
        "import cenas_gym, sys; "
        "print([m for m in ('torch','stable_baselines3','matplotlib') if m in sys.modules])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", f"import cenas_gym imported heavy modules: {proc.stdout.strip()}"


def test_console_script_declared() -> None:
    with PYPROJECT.open("rb") as fh:
        project = tomllib.load(fh)["project"]
    scripts = project.get("scripts", {})
    assert scripts.get("cenas-gym") == "cenas_gym.cli:main", f"[project.scripts] = {scripts}"
