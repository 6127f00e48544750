"""The ``cenas-gym`` command line, one module per subcommand; :func:`main` is the entry point
(``cenas-gym = "cenas_gym.cli:main"``; ``python -m cenas_gym.cli`` runs it too).

Layer 8 (top): may import every other layer.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cenas-gym`` with ``argv`` (default: the process arguments); the exit status."""
    from cenas_gym.cli.app import main as run

    return run(argv)
