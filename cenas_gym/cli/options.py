"""Option groups shared by several subcommands and their readers: the trace (``--trace`` |
``--trace-file``), the simulator and task settings, and the grid options of ``compare`` and
``evaluate``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cenas_gym.cli.common import CLIError, DEFAULT_START, PROG, _split, start_from_args
from cenas_gym.carbon.catalogue import DEFAULT_TRACE


def add_trace_options(p: argparse.ArgumentParser) -> None:
    """``--trace NAME`` | ``--trace-file PATH`` (+ ``--fill-gaps``)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--trace", metavar="NAME", default=None,
                   help=f"shipped carbon trace (default {DEFAULT_TRACE}; see `{PROG} traces list`)")
    g.add_argument("--trace-file", metavar="PATH", default=None,
                   help="CSV trace (Electricity Maps export, EIA/dc-rl file, or timestamp,value)")
    p.add_argument("--fill-gaps", action="store_true",
                   help="with --trace-file (or --sites PATH.csv:GPUS): fill missing hours/values by linear "
                        "interpolation")


def trace_from_args(args: argparse.Namespace):  # -> CarbonTrace
    """The trace named by :func:`add_trace_options`'s options."""
    from cenas_gym.carbon.trace import CarbonTrace

    if args.trace_file is not None:
        return say_notes(CarbonTrace.from_csv(args.trace_file, fill_gaps=args.fill_gaps))
    if args.fill_gaps:
        raise CLIError("--fill-gaps only applies to --trace-file or to --sites with PATH.csv:GPUS sites")
    return CarbonTrace.load(args.trace or DEFAULT_TRACE)


def say_notes(trace: Any) -> Any:
    """Tell the user (stderr) what loading did to a trace file (e.g. hourly means of
    15-minute values, partial hours dropped); returns the trace."""
    for note in getattr(trace, "notes", ()):
        print(f"{PROG}: note: {trace.source}: {note}", file=sys.stderr)
    return trace


def add_sim_options(p: argparse.ArgumentParser) -> None:
    """Window and simulator settings: start, hours, seed, GPUs, optimizer, accounting, ..."""
    from cenas_gym.search.nasbench import ArchTable
    from cenas_gym.search.optimizers import OPTIMIZERS
    from cenas_gym.sim.accounting import ACCOUNTING_PRESETS
    from cenas_gym.sim.simulator import SimConfig
    from cenas_gym.sim.tasks import DEFAULT_CAP_HOURS

    defaults = SimConfig()  # every default below is SimConfig's
    p.add_argument("--start", metavar="ISO", default=None,
                   help=f"first hour (UTC), e.g. {DEFAULT_START}; 'random' draws it from the seed. "
                        "Default: July 2, 06:00 UTC of the trace's first year (the trace's first "
                        "hour if that does not fit)")
    p.add_argument("--hours", type=float, default=None, metavar="H",
                   help="time budget (fixed-time) or time cap (target, budget) in hours "
                        f"(default {defaults.budget_hours:g} for fixed-time, {DEFAULT_CAP_HOURS:g} for target and budget)")
    add_task_options(p)
    p.add_argument("--seed", type=int, default=0, help="random seed (default %(default)s)")
    p.add_argument("--gpus", type=int, default=defaults.n_gpus, metavar="N", help="GPUs in the pool (default %(default)s)")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default=defaults.optimizer,
                   help="search algorithm (default %(default)s)")
    p.add_argument("--accounting", choices=sorted(ACCOUNTING_PRESETS), default=defaults.accounting,
                   help="energy/carbon accounting preset (default: %(default)s)")
    p.add_argument("--carbon-budget-kg", type=float, default=None, metavar="X",
                   help="stop at the end of the hour in which X kg CO2eq have been emitted")
    p.add_argument("--cost", choices=list(ArchTable.hardware_metrics), default=defaults.objectives.cost,
                   help="hardware-cost objective (default %(default)s)")
    add_screening_options(p)


def add_task_options(p: argparse.ArgumentParser) -> None:
    """``--task`` and ``--target-regret`` (``--hours`` and ``--carbon-budget-kg`` are the
    task's other parameters)."""
    from cenas_gym.sim.tasks import DEFAULT_TARGET_REGRET, TASKS

    p.add_argument("--task", choices=list(TASKS), default=None,
                   help="fixed-time: a time budget; target: reach --target-regret within a --hours cap; budget: "
                        "spend at most --carbon-budget-kg within a --hours cap. Default: target if --target-regret "
                        "is given, budget if --carbon-budget-kg is, else fixed-time (compare: the preset's)")
    p.add_argument("--target-regret", type=float, default=None, metavar="R",
                   help=f"target task: HV regret to reach, 1 - HV/HV(true front) (default {DEFAULT_TARGET_REGRET:g})")


def task_from_args(args: argparse.Namespace, base: Any = None):  # -> cenas_gym.sim.tasks.Task
    """The task of :func:`add_task_options`'s options; unset parameters come from ``base``
    (a preset's task) when it is the same task, else from :func:`~cenas_gym.sim.tasks.make_task`."""
    from cenas_gym.sim.tasks import make_task

    name = args.task
    if name is None:
        if args.target_regret is not None:
            name = "target"
        elif args.carbon_budget_kg is not None:
            name = "budget"
        else:
            name = base.name if base is not None else "fixed-time"
    same = base is not None and base.name == name
    hours = args.hours if args.hours is not None else (base.hours if same else None)
    target = args.target_regret if args.target_regret is not None else (base.target_regret if same else None)
    budget = args.carbon_budget_kg if args.carbon_budget_kg is not None else (base.carbon_budget_kg if same else None)
    return make_task(name, hours=hours, target_regret=target, carbon_budget_kg=budget)


def config_from_args(args: argparse.Namespace):  # -> SimConfig
    """The :class:`SimConfig` of :func:`add_sim_options`'s options (task applied)."""
    from cenas_gym.search.pareto import Objectives
    from cenas_gym.sim.simulator import SimConfig

    config = SimConfig(
        n_gpus=args.gpus,
        optimizer=args.optimizer,
        objectives=Objectives(cost=args.cost),
        accounting=args.accounting,
        **screening_fields(args),
    )
    return task_from_args(args).apply(config)


def add_grid_options(p: argparse.ArgumentParser) -> None:
    """The options shared by ``compare`` and ``evaluate``: what to run and how."""
    from cenas_gym.compare.presets import DESCRIPTIONS as PRESET_DESCRIPTIONS
    from cenas_gym.search.optimizers import OPTIMIZERS
    from cenas_gym.sim.accounting import ACCOUNTING_PRESETS

    p.add_argument("--preset", choices=list(PRESET_DESCRIPTIONS), default="default",
                   help="; ".join(f"{name}: {text}" for name, text in PRESET_DESCRIPTIONS.items()))
    p.add_argument("--policies", metavar="A,B", default=None, help="comma-separated policy names")
    p.add_argument("--traces", metavar="A,B", default=None, help="comma-separated shipped trace names")
    p.add_argument("--trace-file", metavar="PATH", action="append", default=None,
                   help="a CSV trace (repeatable); added to --traces")
    p.add_argument("--windows", metavar="ISO,ISO", default=None,
                   help="window starts (UTC) applied to every trace; 'random' draws one from each seed")
    p.add_argument("--seeds", metavar="N|A-B", default=None, help="N (0..N-1), A-B (inclusive) or a comma list")
    p.add_argument("--hours", type=float, default=None, metavar="H",
                   help="time budget (fixed-time) or time cap (target, budget) in hours")
    add_task_options(p)
    p.add_argument("--gpus", type=int, default=None, metavar="N", help="GPUs in the pool")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default=None, help="search algorithm")
    p.add_argument("--accounting", choices=sorted(ACCOUNTING_PRESETS), default=None, help="accounting preset")
    p.add_argument("--carbon-budget-kg", type=float, default=None, metavar="X",
                   help="one carbon budget for every run (replaces the preset's budgets)")
    add_screening_options(p, keep_preset=True)
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)")
    p.add_argument("--backend", choices=("serial", "process", "ray"), default=None,
                   help="default: process when --jobs > 1, else serial")
    p.add_argument("--address", metavar="ADDR", default=None, help="Ray cluster address (default: a local Ray)")
    p.add_argument("--resume", action="store_true",
                   help="keep the finished runs of this same grid in --out and run the rest")
    p.add_argument("--force", action="store_true",
                   help="overwrite the results in --out, even those of another grid")


def grid_from_args(args: argparse.Namespace):  # -> cenas_gym.compare.grid.Grid
    """The preset's :class:`~cenas_gym.compare.grid.Grid` with the command line's overrides."""
    from dataclasses import replace

    from cenas_gym.compare.grid import load_trace, parse_seeds
    from cenas_gym.compare.presets import PRESETS
    from cenas_gym.policies.play import make_policy

    if args.preset not in PRESETS:  # geo: compare only (cmd_compare_geo)
        raise CLIError(f"--preset {args.preset} applies to `{PROG} compare` only")
    grid = PRESETS[args.preset]
    policies = _split(args.policies) if args.policies is not None else list(grid.policies)
    for name in policies:
        try:
            make_policy(name)
        except ImportError as err:
            raise CLIError(f"policy {name!r} cannot be loaded ({err}); pip install cenas-gym[rl]") from None
    traces = _split(args.traces) if args.traces is not None else ([] if args.trace_file else list(grid.traces))
    traces += list(args.trace_file or [])
    for path in args.trace_file or []:
        say_notes(load_trace(path))
    if not traces:
        raise CLIError("no traces: give --traces or --trace-file")
    changes: dict[str, Any] = {}
    task = task_from_args(args, grid.task)
    if args.gpus is not None:
        changes["n_gpus"] = args.gpus
    if args.optimizer is not None:
        changes["optimizer"] = args.optimizer
    if args.accounting is not None:
        changes["accounting"] = args.accounting
    changes.update(screening_fields(args))
    # the budget axis belongs to the budget task; one --carbon-budget-kg replaces it
    budgets = grid.carbon_budgets_kg if task.name == "budget" and args.carbon_budget_kg is None else ()
    config = task.apply(grid.config.with_(**changes))
    if args.windows is not None:
        windows: Any = [None if w.lower() == "random" else w for w in _split(args.windows)]
    else:  # the preset's windows where it has them, else the `run` default start
        windows = {}
        for trace in traces:
            if isinstance(grid.windows, dict) and trace in grid.windows:
                windows[trace] = grid.windows[trace]
            else:
                windows[trace] = (start_from_args(argparse.Namespace(start=None), load_trace(trace), config.budget_hours),)
    seeds = parse_seeds(args.seeds) if args.seeds is not None else grid.seeds
    return replace(grid, policies=policies, traces=traces, windows=windows, seeds=seeds, config=config,
                   carbon_budgets_kg=budgets, task=task)


def _trace_lists() -> tuple[str, str]:
    """The training and held-out traces of :mod:`cenas_gym.rl`, comma-separated."""
    from cenas_gym.carbon.catalogue import HELD_OUT_TRACES, TRAIN_TRACES

    return ",".join(TRAIN_TRACES), ",".join(HELD_OUT_TRACES)


def add_screening_options(p: argparse.ArgumentParser, keep_preset: bool = False) -> None:
    """``--screening``, ``--estimator``, ``--pool-cap`` and ``--supernet-train-gpu-h``
    (``keep_preset``: every default is the preset's)."""
    from cenas_gym.search.estimators import ESTIMATOR_SPECS
    from cenas_gym.sim.screening import SCREENING_MODES
    from cenas_gym.sim.simulator import SimConfig

    defaults = SimConfig()
    p.add_argument("--screening", choices=list(SCREENING_MODES),
                   default=None if keep_preset else defaults.screening,
                   help=f"what screened candidates do (default {defaults.screening}): queue (the authors': all are "
                        "trained, the estimate orders the queue) or select (they compete by expected HV "
                        "improvement over the true front; dominated ones are dropped) or partition (select, and "
                        "LaMOO's partition learns from the screened cells at their predicted accuracy). See "
                        "cenas_gym/sim/screening.py")
    p.add_argument("--estimator", choices=list(ESTIMATOR_SPECS), default=None if keep_preset else defaults.estimator,
                   help=f"cheap estimate used when sampling (default {defaults.estimator}); oracle is the true "
                        "accuracy, a ceiling that cannot be deployed. Costs: cenas_gym/search/estimators.py")
    p.add_argument("--pool-cap", type=int, default=None, metavar="N",
                   help=f"screened candidates that may wait in the modes other than queue (default {defaults.pool_cap})")
    p.add_argument("--supernet-train-gpu-h", type=float, default=None, metavar="H",
                   help="one-time supernet training charged (GPU-hours). Default: the estimator's stated cost with "
                        "--screening other than queue, 0 with queue (the authors' simulator and v0/v1: supernet free)")


def screening_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`SimConfig` fields that :func:`add_screening_options` set (only those given)."""
    fields: dict[str, Any] = {}
    for name in ("screening", "estimator", "pool_cap"):
        if getattr(args, name, None) is not None:
            fields[name] = getattr(args, name)
    if getattr(args, "supernet_train_gpu_h", None) is not None:
        fields["supernet_train_gpu_h"] = args.supernet_train_gpu_h
    elif "screening" in fields:  # None: the estimator's stated cost
        fields["supernet_train_gpu_h"] = 0.0 if fields["screening"] == "queue" else None
    return fields
