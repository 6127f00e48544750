"""The policy names as a markdown table, made from the one registry of names
(:func:`cenas_gym.policies.play.policy_table`), for the documentation: a policy added to the
registry appears in ``docs/policies.md`` without editing it.
"""

from __future__ import annotations


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def policy_names_documented() -> list[str]:
    """How every policy name is written (``"fixed:K"``, ``"ppo[:PATH]"``), geo ones included."""
    from cenas_gym.policies.play import policy_table

    return [usage for _, usage, _ in policy_table()]


def policy_markdown() -> str:
    """One row per policy name: kind (rule-based, learned, geo), how to write it, what it does."""
    from cenas_gym.policies.play import policy_table

    lines = ["| kind | `--policy` | what it does |", "|---|---|---|"]
    lines += [f"| {kind} | `{_cell(usage)}` | {_cell(text)} |" for kind, usage, text in policy_table()]
    return "\n".join(lines)
