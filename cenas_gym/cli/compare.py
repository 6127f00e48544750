"""``cenas-gym compare``: a grid of policies x traces x windows x seeds into a folder
(results.csv, summary.md, PNGs); ``--resume``, ``--force``, interrupts. ``run_grid_command`` is
shared with ``evaluate``."""

from __future__ import annotations

import argparse
from typing import Any

from cenas_gym.cli.common import _check_output_dir, CLIError, log, resume_command, Stopped
from cenas_gym.cli.options import add_grid_options, grid_from_args


def add_compare(sub: Any) -> None:
    p = sub.add_parser("compare", help="compare policies over traces, windows and seeds: CSV, summary, plots",
                       description="Run a grid of policies x traces x windows x seeds and write results.csv, "
                                   "summary.md (means, 95 % CIs, paired differences against the heuristic) "
                                   "and PNG plots. Options override the preset.")
    p.add_argument("--out", metavar="DIR", default="cenas-compare", help="output folder (default cenas-compare)")
    add_grid_options(p)
    from cenas_gym.cli.geo import add_geo_options

    add_geo_options(p)
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    if args.preset == "geo" or getattr(args, "sites", None):  # CENAS-Geo-v1 baselines
        from cenas_gym.cli.geo import geo_grid_from_args

        return run_grid_command(args, geo_grid_from_args(args))
    return run_grid_command(args, grid_from_args(args))


def run_grid_command(args: argparse.Namespace, grid: Any) -> int:
    """Run ``grid`` into ``--out`` and print its summary (``compare`` and ``evaluate``)."""
    from concurrent.futures.process import BrokenProcessPool
    from pathlib import Path

    from cenas_gym.compare.runners import compare

    if args.jobs < 1:
        raise CLIError(f"--jobs must be >= 1, got {args.jobs}")
    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {args.out}: exists and is not a folder")
    _check_output_dir(str(out), "--out")
    backend = args.backend or ("process" if args.jobs > 1 else "serial")
    n = len(grid.runs())
    log.info("compare: %d runs, backend %s, %d job(s) -> %s", n, backend, args.jobs, out)
    try:
        compare(grid, out, jobs=args.jobs, backend=backend, address=args.address, resume=args.resume,
                force=args.force)
    except ImportError as err:  # ray or matplotlib missing
        raise CLIError(str(err)) from None
    except KeyboardInterrupt as err:  # SIGINT or SIGTERM: the finished runs are on disk
        raise Stopped(err, _resume_hint(out, n)) from None
    except BrokenProcessPool as err:  # a worker was killed (out of memory, kill -9): the same
        raise CLIError(f"a worker process died ({err}); " + _resume_hint(out, n).replace("interrupted: ", "")) from None
    print((out / "summary.md").read_text(encoding="utf-8"))
    print(f"wrote {n} runs to {out}/results.csv, summary.md and PNGs")
    return 0


def _resume_hint(out: Any, total: int) -> str:
    from cenas_gym.compare.runstore import RUNS_FILE, read_runs

    done = len(read_runs(out / RUNS_FILE))
    return f"interrupted: {done} of {total} runs saved in {out}; resume with: {resume_command()}"
