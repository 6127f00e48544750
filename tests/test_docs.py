"""The documentation's generated pages say what the code does: every env id, observation
feature, policy name and CLI subcommand appears in the rendered docs (rendered through the
site's hook, no MkDocs build needed), and every page of the nav exists."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from cenas_gym import ENV_IDS
from cenas_gym.cli.describe import subcommands
from cenas_gym.envs import describe, observation
from cenas_gym.envs.observation import Feature
from cenas_gym.policies.describe import policy_names_documented

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _hooks():
    spec = importlib.util.spec_from_file_location("cenas_docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nav_pages() -> list[str]:
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages: list[str] = []

    def walk(node) -> None:
        if isinstance(node, str):
            pages.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)

    walk(config["nav"])
    return pages


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    """Every markdown page of the nav with its placeholders filled."""
    hooks = _hooks()
    return {page: hooks.render((DOCS / page).read_text(encoding="utf-8"))
            for page in _nav_pages() if page.endswith(".md")}


def test_nav_pages_exist():
    missing = [page for page in _nav_pages() if not (DOCS / page).is_file()]
    assert not missing, f"mkdocs.yml nav names pages that do not exist: {missing}"


def test_no_placeholder_left(rendered):
    left = {page: re.findall(r"\{\{.*?\}\}", text) for page, text in rendered.items() if "{{" in text}
    assert not left


def test_unknown_placeholder_fails():
    with pytest.raises(KeyError, match="unknown placeholder"):
        _hooks().render("{{ no_such_table }}")


def test_every_env_id_documented(rendered):
    page = rendered["environments.md"]
    missing = [env_id for env_id in ENV_IDS if f"### `{env_id}`" not in page]
    assert not missing, f"env ids missing from docs/environments.md: {missing}"


def test_every_observation_feature_documented(rendered):
    page = rendered["environments.md"]
    tables = describe.feature_tables()
    assert {"V0", "V1", "GEO_SITE", "GEO_SEARCH"} <= set(tables)
    missing = sorted({f.name for features in tables.values() for f in features if f"`{f.name}`" not in page})
    assert not missing, f"observation features missing from docs/environments.md: {missing}"


def test_a_new_feature_table_appears_without_editing_the_docs(monkeypatch):
    monkeypatch.setattr(observation, "TEST_ONLY", (Feature("brand_new_feature", 0.0, 1.0, "a test feature"),),
                        raising=False)
    assert "`brand_new_feature`" in _hooks().render("{{ feature_reference }}")


def test_every_policy_documented(rendered):
    page = rendered["policies.md"]
    missing = [name for name in policy_names_documented() if f"`{name.replace('|', chr(92) + '|')}`" not in page]
    assert not missing, f"policy names missing from docs/policies.md: {missing}"


def test_every_subcommand_documented(rendered):
    page = rendered["cli.md"]
    missing = [cmd for cmd in subcommands() if f"`cenas-gym {cmd}`" not in page]
    assert not missing, f"subcommands missing from docs/cli.md: {missing}"
    assert "usage: cenas-gym run" in page  # the --help texts themselves


def test_tables_come_from_the_code(rendered):
    from cenas_gym.search.estimators import ESTIMATOR_SPECS
    from cenas_gym.sim.accounting import ACCOUNTING_PRESETS

    assert all(f"| `{name}` |" in rendered["simulation.md"] for name in [*ACCOUNTING_PRESETS, *ESTIMATOR_SPECS])
    env = describe.make_unwrapped("CENAS-Target-v1")
    assert f"`{env.action_space}`" in rendered["environments.md"]


def test_snippets_resolve():
    """Every ``--8<-- "FILE[:SECTION]"`` of the docs names a file (and section) that exists."""
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r'--8<-- "([^"]+)"', page.read_text(encoding="utf-8")):
            name, _, section = target.partition(":")
            path = ROOT / name
            assert path.is_file(), f"{page.name}: snippet file {name} not found"
            if section:
                text = path.read_text(encoding="utf-8")
                assert f"[start:{section}]" in text and f"[end:{section}]" in text, f"{page.name}: {target}"


def test_results_page_includes_committed_results(rendered):
    hooks = _hooks()
    folders = hooks.result_folders()
    assert folders, "no committed result folders found"
    page = rendered["results.md"]
    missing = [f.relative_to(ROOT).as_posix() for f in folders if f"`{f.relative_to(ROOT).as_posix()}/`" not in page]
    assert not missing
