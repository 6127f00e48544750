"""The command line's reference as markdown, made from the parser itself
(:func:`cenas_gym.cli.app.build_parser`): every subcommand (and nested subcommand, such as
``traces list``) with its ``--help``. A subcommand added to :data:`cenas_gym.cli.app.SUBCOMMANDS`
appears in ``docs/cli.md`` without editing it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator

#: Width of the help texts in the docs (argparse reads it from $COLUMNS).
HELP_WIDTH = 100


def _subparsers_action(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    for action in parser._actions:  # argparse offers no public way to list subparsers
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = _subparsers_action(parser)
    return {} if action is None else dict(action.choices)


def _summaries(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Each subcommand's one-line ``help=`` (as ``cenas-gym --help`` lists it)."""
    action = _subparsers_action(parser)
    return {} if action is None else {a.dest: a.help or "" for a in action._choices_actions}


def walk(parser: argparse.ArgumentParser | None = None, path: tuple[str, ...] = (), summary: str = ""
         ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str]]:
    """(command path, parser, one-line summary) for the top-level parser and every subcommand,
    depth first."""
    if parser is None:
        from cenas_gym.cli.app import build_parser

        parser = build_parser()
    yield path, parser, summary
    summaries = _summaries(parser)
    for name, sub in _subparsers(parser).items():
        yield from walk(sub, path + (name,), summaries.get(name, ""))


def subcommands() -> list[str]:
    """Every subcommand as it is typed after ``cenas-gym`` (``"run"``, ``"traces list"``, ...)."""
    return [" ".join(path) for path, _, _ in walk() if path]


def help_text(parser: argparse.ArgumentParser) -> str:
    """``parser``'s ``--help`` at :data:`HELP_WIDTH` columns."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_WIDTH)
    try:
        return parser.format_help()
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def cli_markdown() -> str:
    """A summary table of the subcommands, then each one's ``--help`` in a code block."""
    entries = list(walk())
    rows = ["| command | what it does |", "|---|---|"]
    sections = []
    for path, parser, summary in entries:
        name = " ".join(("cenas-gym",) + path)
        if path:
            anchor = "-".join(("cenas-gym",) + path)
            rows.append(f"| [`{name}`](#{anchor}) | {summary.replace('|', '/')} |")
        level = "#" * min(2 + len(path), 4)
        sections.append(f"{level} `{name}`\n\n```text\n{help_text(parser).rstrip()}\n```")
    return "\n".join(rows) + "\n\n" + "\n\n".join(sections)
