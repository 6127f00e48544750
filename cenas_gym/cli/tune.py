"""``cenas-gym tune``: the best ``fixed:K`` and ``threshold:P`` for a task on training traces."""

from __future__ import annotations

import argparse
from typing import Any

from cenas_gym.cli.common import CLIError, _check_output_dir, _split, command_line
from cenas_gym.cli.options import _trace_lists, add_screening_options, add_task_options, screening_fields, task_from_args


def add_tune(sub: Any) -> None:
    from cenas_gym.sim.accounting import ACCOUNTING_PRESETS

    train_traces = _trace_lists()[0]
    p = sub.add_parser("tune", help="choose the best fixed:K and threshold:P for a task on training traces",
                       description="Play fixed:1..8 and threshold:10..90 (and the heuristic, for reference) on one "
                                   "random window per training trace and seed, score them for the task and write "
                                   "tune.json, tune.md and results.csv. See cenas_gym/tune.py for the scores.")
    p.add_argument("--out", metavar="DIR", default="cenas-tune", help="output folder (default cenas-tune)")
    p.add_argument("--traces", metavar="A,B", default=train_traces,
                   help=f"traces to tune on (default: the PPO agents' training traces {train_traces})")
    p.add_argument("--seeds", metavar="N|A-B", default="0-3", help="seeds, one random window each (default 0-3)")
    p.add_argument("--candidates", metavar="A,B", default=None, help="policies to try (default fixed:1..8, threshold:10..90)")
    p.add_argument("--hours", type=float, default=None, metavar="H", help="time cap in hours (default 160)")
    p.add_argument("--carbon-budget-kg", type=float, default=None, metavar="X", help="budget task: the carbon budget")
    add_task_options(p)
    p.add_argument("--gpus", type=int, default=8, metavar="N", help="GPUs in the pool (default 8)")
    p.add_argument("--optimizer", choices=("lamoo", "random"), default="lamoo", help="search algorithm (default lamoo)")
    p.add_argument("--accounting", choices=sorted(ACCOUNTING_PRESETS), default="default", help="accounting preset")
    add_screening_options(p)
    p.add_argument("--sites", metavar="A:Y:G,B:Y:G,...", action="append", default=None,
                   help="tune the geo baselines instead (geo-greedy:2..18, geo-rule:K:Q:S grid) on these sites; "
                        "repeat for several site sets (same windows on each); needs --windows")
    p.add_argument("--windows", metavar="ISO,ISO", default=None, help="with --sites: window starts (UTC)")
    p.add_argument("--fill-gaps", action="store_true", help="with --sites: fill gaps in CSV site traces")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)")
    p.set_defaults(func=cmd_tune)


def cmd_tune(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cenas_gym.compare.grid import parse_seeds
    from cenas_gym.sim.simulator import SimConfig
    from cenas_gym.compare.tune import FIXED_CANDIDATES, THRESHOLD_CANDIDATES, tune, write_report

    if args.task is None and args.target_regret is None and args.carbon_budget_kg is None:
        args.task = "target"
    task = task_from_args(args)
    if task.name == "fixed-time":
        raise CLIError("tune: the fixed-time task has two objectives (kg, regret) and no single score; "
                       "use --task target or --task budget")
    if args.jobs < 1:
        raise CLIError(f"--jobs must be >= 1, got {args.jobs}")
    _check_output_dir(str(Path(args.out).expanduser()), "--out")
    backend = "process" if args.jobs > 1 else "serial"
    if args.sites:
        from cenas_gym.cli.geo import sites_from_text
        from cenas_gym.compare.tune import GEO_CANDIDATES, tune_geo

        if not args.windows:
            raise CLIError("tune --sites: give --windows ISO,ISO (window starts on the training part of the traces)")
        for text in args.sites:
            sites_from_text(text, args.fill_gaps)  # fail before running on a bad site
        candidates = _split(args.candidates) if args.candidates else list(GEO_CANDIDATES)
        config = SimConfig(optimizer=args.optimizer, accounting=args.accounting, **screening_fields(args))
        scores, best, results = tune_geo(task, [_split(text) for text in args.sites], _split(args.windows),
                                         parse_seeds(args.seeds), config, candidates, jobs=args.jobs, backend=backend)
    else:
        candidates = _split(args.candidates) if args.candidates else list(FIXED_CANDIDATES + THRESHOLD_CANDIDATES)
        config = SimConfig(n_gpus=args.gpus, optimizer=args.optimizer, accounting=args.accounting,
                           **screening_fields(args))
        scores, best, results = tune(task, _split(args.traces), parse_seeds(args.seeds), config, candidates,
                                     jobs=args.jobs, backend=backend)
    write_report(args.out, task, scores, best, results, command_line())
    print((Path(args.out) / "tune.md").read_text(encoding="utf-8"))
    return 0
