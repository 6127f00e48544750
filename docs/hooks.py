"""MkDocs hook: fill the pages' ``{{ name }}`` placeholders with tables generated from the code,
and publish the committed result plots.

Each placeholder is a function of :data:`GENERATORS`, backed by the package's describe modules
(:mod:`cenas_gym.envs.describe`, :mod:`cenas_gym.policies.describe`, :mod:`cenas_gym.cli.describe`)
or, for the results, by the folders under ``benchmarks/results/`` as committed. An unknown
placeholder fails the build. ``tests/test_docs.py`` renders every page through :func:`render`
without running MkDocs.

A line ``--8<-- "FILE"`` or ``--8<-- "FILE:SECTION"`` includes a repository file, or the part
of it between the lines holding ``[start:SECTION]`` and ``[end:SECTION]`` (the README's
quickstart and data sections: written once, shown in both places). Relative links that then
point outside ``docs/`` at a file of the repository become code spans naming the file, since
the site does not hold it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
RESULTS = REPO / "benchmarks" / "results"
#: Where the result plots are published in the site.
RESULTS_URI = "results"
#: The text files of a result folder that the results page includes, in this order.
RESULT_TEXTS = ("COMMAND.md", "summary.md", "tune.md", "NOTE.md", "perf.txt")

PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
SNIPPET = re.compile(r'^--8<-- "([^"]+)"[ \t]*$', re.MULTILINE)


def include(target: str) -> str:
    """The text of repository file ``FILE`` or of its section (``FILE:SECTION``)."""
    name, _, section = target.partition(":")
    text = _links_from_repo_root((REPO / name).read_text(encoding="utf-8"), (REPO / name).parent)
    if not section:
        return text
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if f"[start:{section}]" in line]
    ends = [i for i, line in enumerate(lines) if f"[end:{section}]" in line]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ValueError(f"docs: {name} must hold one [start:{section}] line and one [end:{section}] line after it")
    return "\n".join(lines[starts[0] + 1:ends[0]])


def _links_from_repo_root(markdown: str, file_dir: Path) -> str:
    """Relative links of a file in ``file_dir`` rewritten relative to the repository root (where
    an included file's links are resolved from)."""

    def fix(match: re.Match) -> str:
        text, target, anchor = match.group(1), match.group(2), match.group(3) or ""
        if re.match(r"^[a-z]+:", target) or target.startswith("/") or file_dir == REPO:
            return match.group(0)
        resolved = (file_dir / target).resolve()
        if not resolved.exists():
            return match.group(0)
        return f"[{text}]({resolved.relative_to(REPO).as_posix()}{anchor})"

    return _LINK.sub(fix, markdown)


def _envs(name: str) -> Callable[[], str]:
    def generate() -> str:
        from cenas_gym.envs import describe

        return getattr(describe, name)()

    return generate


def _policy_table() -> str:
    from cenas_gym.policies.describe import policy_markdown

    return policy_markdown()


def _cli_reference() -> str:
    from cenas_gym.cli.describe import cli_markdown

    return cli_markdown()


def _headings_to_bold(text: str) -> str:
    """Markdown headings of an included file as bold lines (they stay out of the page's toc)."""
    out, fence = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fence = not fence
        m = None if fence else re.match(r"^#{1,6} +(.*)$", line)
        out.append(f"**{m.group(1).strip()}**" if m else line)
    return "\n".join(out)


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line.strip() else "" for line in text.splitlines())


def result_folders() -> list[Path]:
    """Every folder under ``benchmarks/results/`` that holds a text :data:`RESULT_TEXTS` or a plot."""
    if not RESULTS.is_dir():
        return []
    found = {p.parent for name in RESULT_TEXTS for p in RESULTS.rglob(name)} | {p.parent for p in RESULTS.rglob("*.png")}
    return sorted(found)


def _result_section(folder: Path) -> str:
    rel = folder.relative_to(REPO).as_posix()
    lines = [f"### `{rel}/`", ""]
    for name in RESULT_TEXTS:
        path = folder / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8").strip()
        if name.endswith(".txt"):
            text = f"```text\n{text}\n```"
        else:
            text = _headings_to_bold(text)
        kind = "info" if name == "COMMAND.md" else "abstract"
        opener = "???+" if name == "COMMAND.md" else "???"
        lines += [f'{opener} {kind} "{name}"', "", _indent(text), ""]
    plots = sorted(folder.glob("*.png"))
    if plots:
        uri = f"{RESULTS_URI}/{folder.relative_to(RESULTS).as_posix()}"
        lines += ['??? example "plots"', ""]
        lines += [_indent(f"![{p.stem}]({uri}/{p.name})\n") for p in plots]
        lines.append("")
    return "\n".join(lines)


def results_folders() -> str:
    """Every committed result folder: its command, summary and plots (collapsed)."""
    folders = result_folders()
    if not folders:
        return "*(no committed results in this checkout)*"
    return "\n\n".join(_result_section(f) for f in folders)


#: placeholder name -> function returning its markdown.
GENERATORS: dict[str, Callable[[], str]] = {
    "env_overview": _envs("env_overview"),
    "env_ids_detail": _envs("env_ids_detail"),
    "feature_reference": _envs("feature_reference"),
    "reward_table": _envs("reward_table"),
    "task_table": _envs("task_table"),
    "accounting_table": _envs("accounting_table"),
    "estimator_table": _envs("estimator_table"),
    "policy_table": _policy_table,
    "cli_reference": _cli_reference,
    "results_folders": results_folders,
}


def render(markdown: str) -> str:
    """``markdown`` with every snippet line included and every ``{{ name }}`` replaced by
    ``GENERATORS[name]()``."""
    markdown = SNIPPET.sub(lambda m: include(m.group(1)), markdown)

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise KeyError(f"docs: unknown placeholder {{{{ {name} }}}}; known: {sorted(GENERATORS)}")
        return GENERATORS[name]()

    return PLACEHOLDER.sub(fill, markdown)


_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s#]+)(#[^)\s]*)?\)")


def repo_links_to_code(markdown: str, page_dir: Path) -> str:
    """Relative links to repository files outside ``docs/`` as code spans (the site lacks them)."""

    def fix(match: re.Match) -> str:
        text, target = match.group(1), match.group(2)
        if re.match(r"^[a-z]+:", target) or target.startswith("/"):
            return match.group(0)
        resolved = (page_dir / target).resolve()
        if resolved.exists() or (DOCS / target).exists():
            try:
                resolved.relative_to(DOCS)
                return match.group(0)  # a docs file: MkDocs checks it
            except ValueError:
                pass
        from_repo = REPO / target
        if from_repo.exists():
            return text if text.startswith("`") else f"`{target}`" if text == target else f"{text} (`{target}`)"
        return match.group(0)

    return _LINK.sub(fix, markdown)


# -- MkDocs events ---------------------------------------------------------------------------

def on_page_markdown(markdown: str, page, config, files) -> str:
    page_dir = (DOCS / page.file.src_uri).parent
    return repo_links_to_code(render(markdown), page_dir)


def on_files(files, config):
    """Publish the committed result plots under ``results/`` in the site."""
    from mkdocs.structure.files import File

    for png in sorted(RESULTS.rglob("*.png")) if RESULTS.is_dir() else []:
        uri = f"{RESULTS_URI}/{png.relative_to(RESULTS).as_posix()}"
        files.append(File.generated(config, uri, abs_src_path=str(png)))
    return files
