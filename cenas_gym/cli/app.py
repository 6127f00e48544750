"""The ``cenas-gym`` command line.

    cenas-gym traces list [--json]
    cenas-gym traces show NAME|FILE [--json]
    cenas-gym traces plot NAME --out FILE.png [--start ISO] [--hours H]
    cenas-gym space [--json] [--cost COLUMN]
    cenas-gym run --policy POLICY [--trace NAME | --trace-file PATH [--fill-gaps]] [--start ISO]
                  [--hours H] [--seed S] [--gpus N] [--optimizer lamoo|random]
                  [--accounting cenas|default|shared] [--task fixed-time|target|budget] [--target-regret R]
                  [--carbon-budget-kg X] [--json] [--trajectory FILE.csv]
    cenas-gym run --sites NAME:YEAR:GPUS,... --policy geo-... [--task T]   (several sites: cli/geo.py)
    cenas-gym compare [--out DIR] [--preset default|paper|neurips|target|budget|geo] [--policies a,b] [--traces a,b]
                      [--trace-file PATH ...] [--windows ISO,ISO] [--seeds N|A-B] [--hours H] [--gpus N]
                      [--optimizer lamoo|random] [--accounting default|shared|cenas] [--task T] [--target-regret R]
                      [--carbon-budget-kg X] [--jobs N] [--backend serial|process|ray] [--address ADDR]
                      [--resume] [--force]
    cenas-gym bench --policy NAME|A,B|all|module:Class [--jobs N] [--store DIR] [--resume] [--force]
                    [--out ENTRY.json|DIR] [--leaderboard] [--root DIR] [--json]
                    (the frozen CENAS-Bench-1 suite: score card, JSON entry, LEADERBOARD.md; alone,
                    --leaderboard rebuilds LEADERBOARD.md from benchmarks/leaderboard/)
    cenas-gym record --policy NAME --episodes N --out DIR [--env-id ID] [--seed S] [--trace NAME] [--start ISO]
                     (a Minari dataset for offline RL; needs the offline extra)

Structure (for adding subcommands): one module per subcommand (``cli/<name>.py``) with a
small ``add_<name>(sub)`` function that takes the argparse subparsers object, adds its parser
and sets ``func`` to a handler ``cmd_<name>(args) -> int``. :data:`SUBCOMMANDS` lists the
``add_*`` functions in help order; :func:`build_parser` calls each. Shared option groups and
their readers live in :mod:`cenas_gym.cli.options`, the error type, JSON output and the
recorded command line in :mod:`cenas_gym.cli.common`.

User errors (unknown trace or policy, bad start, malformed CSV, unwritable output) print
``cenas-gym: error: <message>`` on stderr and exit with status 2, never a traceback: handlers
just raise ValueError (TraceError is one), KeyError, OSError or :class:`CLIError`, and
:func:`main` reports them. Heavy modules (pandas, the NB201 table, matplotlib) are imported
inside the handlers, so ``cenas-gym --help`` stays fast.

SIGINT/SIGTERM during ``compare``, ``evaluate`` or ``train`` stop the work cleanly (workers
stopped, finished runs or a checkpoint saved) and print one line, ``cenas-gym: interrupted:
... resume with: <this command> --resume``; the exit status is 128 + the signal number.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from cenas_gym.cli.bench import add_bench
from cenas_gym.cli.common import ARGV, PROG, CLIError, Stopped, log
from cenas_gym.cli.compare import add_compare
from cenas_gym.cli.evaluate import add_evaluate
from cenas_gym.cli.record import add_record
from cenas_gym.cli.run import add_run
from cenas_gym.cli.space import add_space
from cenas_gym.cli.traces import add_traces
from cenas_gym.cli.train import add_train
from cenas_gym.cli.tune import add_tune


#: ``add_*`` functions, in help order; append new subcommands here.
SUBCOMMANDS: list[Callable[[Any], None]] = [add_traces, add_space, add_run, add_compare, add_train, add_evaluate,
                                            add_tune, add_bench, add_record]


def build_parser() -> argparse.ArgumentParser:
    from cenas_gym import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="CE-NAS carbon-aware neural architecture search as a Gymnasium environment: "
                    "carbon traces, the NAS-Bench-201 space, simulated searches.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (INFO)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def _message(err: BaseException) -> str:
    if isinstance(err, KeyError) and err.args:  # str(KeyError) wraps the message in quotes
        return str(err.args[0])
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        return f"{err.filename}: {err.strerror}"
    return str(err) or type(err).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 user error, 128 + N after
    signal N: 130 for SIGINT, 143 for SIGTERM)."""
    ARGV[:] = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help/--version (0) or a usage error (2, message printed)
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("cenas_gym").setLevel(logging.INFO)
    try:
        return int(args.func(args))
    except Stopped as stop:
        print(f"{PROG}: {stop}", file=sys.stderr)
        return stop.exit_status
    except KeyboardInterrupt as err:  # outside the long loops: nothing to save
        print(f"{PROG}: interrupted", file=sys.stderr)
        return int(getattr(err, "exit_status", 130))
    except (CLIError, ValueError, KeyError, OSError) as err:  # TraceError is a ValueError
        log.debug("user error", exc_info=True)
        print(f"{PROG}: error: {_message(err)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
