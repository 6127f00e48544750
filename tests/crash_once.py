"""Test seam: the ``cenas-gym`` command line with runs whose worker process dies once.

    CRASH_ONCE_MARKERS=DIR python tests/crash_once.py compare ...

The first time the run with index ``i`` starts, it creates ``DIR/i`` and ends its own process
(``os._exit``), as a crashed worker would; the retried run finds the marker and runs normally.
It replaces :func:`cenas_gym.compare.runners.run_one`, the function the worker backends submit;
the workers import this module by name, so ``tests/`` must be on their ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from cenas_gym.compare import runners

MARKERS_ENV = "CRASH_ONCE_MARKERS"
play = runners.run_one  # the runners' own, kept before __main__ swaps it


def run_one_crashing_once(spec: Any) -> dict[str, Any]:
    marker = Path(os.environ[MARKERS_ENV]) / str(spec.index)
    if not marker.exists():
        marker.touch()
        os._exit(70)
    return play(spec)


if __name__ == "__main__":
    import crash_once  # this file as a module (not __main__), so workers unpickle the function by name

    from cenas_gym.cli import main

    runners.run_one = crash_once.run_one_crashing_once
    sys.exit(main(sys.argv[1:]))
