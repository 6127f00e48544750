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
    candidates = _split(args.candidates) if args.candidates else list(FIXED_CANDIDATES + THRESHOLD_CANDIDATES)
    config = SimConfig(n_gpus=args.gpus, optimizer=args.optimizer, accounting=args.accounting,
                       **screening_fields(args))
    scores, best, results = tune(task, _split(args.traces), parse_seeds(args.seeds), config, candidates,
                                 jobs=args.jobs, backend="process" if args.jobs > 1 else "serial")
    write_report(args.out, task, scores, best, results, command_line())
    print((Path(args.out) / "tune.md").read_text(encoding="utf-8"))
    return 0
