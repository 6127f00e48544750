"""The ``cenas-gym`` command line.

    cenas-gym traces list [--json]
    cenas-gym traces show NAME|FILE [--json]
    cenas-gym traces plot NAME --out FILE.png [--start ISO] [--hours H]
    cenas-gym space [--json] [--cost COLUMN]
    cenas-gym run --policy POLICY [--trace NAME | --trace-file PATH [--fill-gaps]] [--start ISO]
                  [--hours H] [--seed S] [--gpus N] [--optimizer lamoo|random]
                  [--accounting cenas|default] [--task fixed-time|target|budget] [--target-regret R]
                  [--carbon-budget-kg X] [--json] [--trajectory FILE.csv]
    cenas-gym run --sites NAME:YEAR:GPUS,... --policy geo-... [--task T]   (several sites: geo_cli.py)
    cenas-gym compare [--out DIR] [--preset default|paper|neurips|target|budget|geo] [--policies a,b] [--traces a,b]
                      [--trace-file PATH ...] [--windows ISO,ISO] [--seeds N|A-B] [--hours H] [--gpus N]
                      [--optimizer lamoo|random] [--accounting default|cenas] [--task T] [--target-regret R]
                      [--carbon-budget-kg X] [--jobs N] [--backend serial|process|ray] [--address ADDR]
                      [--resume] [--force]

Structure (for adding subcommands): every subcommand is registered by a small
``add_<name>(sub)`` function that takes the argparse subparsers object, adds its parser and
sets ``func`` to a handler ``cmd_<name>(args) -> int``. :data:`SUBCOMMANDS` lists the
``add_*`` functions in help order; :func:`build_parser` calls each. Shared option groups and
their readers are here for reuse: :func:`add_trace_options` / :func:`trace_from_args`,
:func:`add_sim_options` / :func:`config_from_args`, :func:`print_json`.

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
import math
import sys
from collections.abc import Callable
from typing import Any

PROG = "cenas-gym"

DEFAULT_TRACE = "US-CAL-CISO:2021"
DEFAULT_HOURS = 80.0
DEFAULT_COST = "raspi4_latency_ms"

# The cheap accuracy proxies whose rank agreement with the true accuracy `space` reports.
PROXY_COLUMNS: tuple[str, ...] = (
    "oneshot_acc_cifar10_pct",
    "fewshot_acc_cifar10_pct",
    "acc12_cifar10_pct",
    "naswot_cifar10",
)
TRUE_ACCURACY = "acc_cifar10_pct"

from cenas_gym.cli.common import (  # noqa: E402  (shared with geo_cli)
    DEFAULT_START,
    CLIError,
    _check_output_dir,
    _iso,
    _split,
    print_json,
    start_from_args,
)

log = logging.getLogger("cenas_gym.cli")


def _trace_meta(name: str) -> dict[str, str]:
    """Zone, year, kind and provider of a shipped trace, from its name (see traces/SOURCES.md)."""
    parts = name.split(":")
    zone = parts[0]
    year = parts[1] if len(parts) > 1 else ""
    if zone.startswith("EIA-"):
        kind, source = "avg_CI", "US EIA-930 via HewlettPackard/dc-rl"
    else:
        kind = "lca" if len(parts) > 2 and parts[2] == "lca" else "direct"
        source = "Electricity Maps"
    return {"zone": zone, "year": year, "kind": kind, "source": source}


def _cost_unit(column: str) -> str:
    if column.endswith("_ms"):
        return "ms"
    if column.endswith("_mj"):
        return "mJ"
    return {"params_m": "M params", "flops_m": "M FLOPs"}.get(column, column)


# ------------------------------------------------------------- shared option groups
def add_trace_options(p: argparse.ArgumentParser) -> None:
    """``--trace NAME`` | ``--trace-file PATH`` (+ ``--fill-gaps``)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--trace", metavar="NAME", default=None,
                   help=f"shipped carbon trace (default {DEFAULT_TRACE}; see `{PROG} traces list`)")
    g.add_argument("--trace-file", metavar="PATH", default=None,
                   help="CSV trace (Electricity Maps export, EIA/dc-rl file, or timestamp,value)")
    p.add_argument("--fill-gaps", action="store_true",
                   help="with --trace-file: fill missing hours/values by linear interpolation")


def trace_from_args(args: argparse.Namespace):  # -> CarbonTrace
    """The trace named by :func:`add_trace_options`'s options."""
    from cenas_gym.carbon.trace import CarbonTrace

    if args.trace_file is not None:
        return say_notes(CarbonTrace.from_csv(args.trace_file, fill_gaps=args.fill_gaps))
    if args.fill_gaps:
        raise CLIError("--fill-gaps only applies to --trace-file")
    return CarbonTrace.load(args.trace or DEFAULT_TRACE)


def say_notes(trace: Any) -> Any:
    """Tell the user (stderr) what loading did to a trace file (e.g. hourly means of
    15-minute values, partial hours dropped); returns the trace."""
    for note in getattr(trace, "notes", ()):
        print(f"{PROG}: note: {trace.source}: {note}", file=sys.stderr)
    return trace


def add_sim_options(p: argparse.ArgumentParser) -> None:
    """Window and simulator settings: start, hours, seed, GPUs, optimizer, accounting, ..."""
    from cenas_gym.sim.accounting import ACCOUNTING_PRESETS
    from cenas_gym.search.nasbench import ArchTable
    from cenas_gym.search.optimizers import OPTIMIZERS  # light; cenas_gym.sim.simulator would pull in sklearn

    p.add_argument("--start", metavar="ISO", default=None,
                   help=f"first hour (UTC), e.g. {DEFAULT_START}; 'random' draws it from the seed. "
                        "Default: July 2, 06:00 UTC of the trace's first year (the trace's first "
                        "hour if that does not fit)")
    p.add_argument("--hours", type=float, default=None, metavar="H",
                   help="time budget (fixed-time) or time cap (target, budget) in hours "
                        f"(default {DEFAULT_HOURS:g} for fixed-time, 160 for target and budget)")
    add_task_options(p)
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--gpus", type=int, default=8, metavar="N", help="GPUs in the pool (default 8)")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default="lamoo", help="search algorithm (default lamoo)")
    p.add_argument("--accounting", choices=sorted(ACCOUNTING_PRESETS), default="default",
                   help="energy/carbon accounting preset (default: default)")
    p.add_argument("--carbon-budget-kg", type=float, default=None, metavar="X",
                   help="stop at the end of the hour in which X kg CO2eq have been emitted")
    p.add_argument("--cost", choices=list(ArchTable.hardware_metrics), default=DEFAULT_COST,
                   help=f"hardware-cost objective (default {DEFAULT_COST})")
    p.add_argument("--estimator", default="oneshot",
                   help="cheap accuracy estimate used when sampling: oneshot (default), fewshot or acc12")


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
        estimator=args.estimator,
        objectives=Objectives(cost=args.cost),
        accounting=args.accounting,
    )
    return task_from_args(args).apply(config)


# ------------------------------------------------------------------------ traces
def add_traces(sub: Any) -> None:
    p = sub.add_parser("traces", help="list, show and plot carbon-intensity traces",
                       description="Shipped carbon-intensity traces (gCO2eq/kWh, hourly, UTC).")
    tsub = p.add_subparsers(dest="traces_command", metavar="{list,show,plot}", required=True)

    q = tsub.add_parser("list", help="names of the shipped traces with zone, year, kind, source, mean")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=cmd_traces_list)

    q = tsub.add_parser("show", help="statistics of one trace (a shipped name or a CSV file)")
    q.add_argument("name", metavar="NAME|FILE")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=cmd_traces_show)

    q = tsub.add_parser("plot", help="line plot of a trace's intensity (PNG; needs matplotlib)")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--out", required=True, metavar="FILE.png", help="image file to write")
    q.add_argument("--start", metavar="ISO", default=None, help="first hour to plot (default: the trace's first)")
    q.add_argument("--hours", type=int, default=None, metavar="H", help="hours to plot (default: to the end)")
    q.set_defaults(func=cmd_traces_plot)


def cmd_traces_list(args: argparse.Namespace) -> int:
    from cenas_gym.carbon.trace import CarbonTrace, list_traces

    rows = []
    for name in list_traces():
        tr = CarbonTrace.load(name)
        rows.append({
            "name": name,
            **_trace_meta(name),
            "hours": len(tr) * tr.step_s / 3600,
            "mean_g_per_kwh": float(tr.values_g_per_kwh.mean()),
        })
    if args.json:
        print_json(rows)
        return 0
    print(f"{'name':<22} {'zone':<12} {'year':<5} {'kind':<7} {'hours':>6} {'mean g/kWh':>10}  source")
    for r in rows:
        print(f"{r['name']:<22} {r['zone']:<12} {r['year']:<5} {r['kind']:<7} {r['hours']:>6g} "
              f"{r['mean_g_per_kwh']:>10.2f}  {r['source']}")
    return 0


def cmd_traces_show(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from pathlib import Path

    from cenas_gym.carbon.trace import CarbonTrace

    from_file = args.name.endswith((".csv", ".csv.gz")) or Path(args.name).is_file()
    tr = CarbonTrace.from_csv(args.name) if from_file else CarbonTrace.load(args.name)
    meta = {"zone": "", "year": "", "kind": "", "source": "CSV file"} if from_file else _trace_meta(tr.name)
    stats = asdict(tr.stats())
    info = {
        "name": tr.name,
        **meta,
        "file": tr.source,
        "start": _iso(tr.start),
        "end": _iso(tr.end),
        "step_s": tr.step_s,
        "filled_hours": len(tr.filled) * tr.step_s / 3600,
        "filled": [_iso(t) for t in tr.filled],
        "notes": list(tr.notes),
        "stats": stats,
    }
    if args.json:
        print_json(info)
        return 0
    print(f"{tr.name}: {info['source']}" + ("" if from_file else f" ({info['zone']}, {info['year']}, {info['kind']})"))
    print(f"  file        {tr.source}")
    print(f"  covers      {info['start']} .. {info['end']} (step {tr.step_s} s, {stats['hours']:g} h)")
    filled = ", ".join(info["filled"][:5]) + (" ..." if len(info["filled"]) > 5 else "")
    print(f"  filled      {info['filled_hours']:g} h" + (f" ({filled})" if filled else ""))
    for note in tr.notes:
        print(f"  note        {note}")
    print("  intensity (gCO2eq/kWh):")
    for key in ("mean", "std", "min", "p10", "p50", "p90", "max", "mean_daily_range_g_per_kwh"):
        print(f"    {key:<28} {stats[key]:>9.2f}")
    return 0


def cmd_traces_plot(args: argparse.Namespace) -> int:
    from cenas_gym.carbon.trace import CarbonTrace

    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise CLIError("plotting needs matplotlib: pip install cenas-gym[plot]") from None
    del matplotlib  # imported only to check it is there; Figure + Agg canvas, no pyplot state

    _check_output_dir(args.out, "--out")
    tr = CarbonTrace.load(args.name)
    if args.start is not None or args.hours is not None:
        start = args.start if args.start is not None else tr.start
        i0 = tr.index_at(start)
        hours = args.hours if args.hours is not None else int((len(tr) - i0) * tr.step_s // 3600)
        tr = tr.window(start, hours)
    times = tr.times.tz_convert("UTC").tz_localize(None)
    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(times, tr.values_g_per_kwh, lw=0.8, color="tab:green", drawstyle="steps-post")
    if tr.filled:
        import pandas as pd

        mask = tr.times.isin(pd.DatetimeIndex(list(tr.filled)))
        ax.plot(times[mask], tr.values_g_per_kwh[mask], "o", ms=3, color="tab:red", label="filled")
        ax.legend(loc="upper right")
    ax.set_title(f"{args.name}: carbon intensity, {_iso(tr.start)} .. {_iso(tr.end)}")
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("carbon intensity (gCO$_2$eq/kWh)")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(args.out, format="png")
    print(f"wrote {args.out} ({len(tr)} steps of {tr.step_s} s)")
    return 0


# ------------------------------------------------------------------------- space
def add_space(sub: Any) -> None:
    from cenas_gym.search.nasbench import ArchTable

    p = sub.add_parser("space", help="summary of the NAS-Bench-201 table: Pareto front, HV, proxy quality",
                       description="Summary of the shipped NAS-Bench-201 table.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--cost", choices=list(ArchTable.hardware_metrics), default=DEFAULT_COST,
                   help=f"hardware-cost objective (minimised; default {DEFAULT_COST})")
    p.set_defaults(func=cmd_space)


def cmd_space(args: argparse.Namespace) -> int:
    import numpy as np

    from cenas_gym.search.nasbench import ArchTable
    from cenas_gym.search.pareto import Objectives, hypervolume, pareto_mask

    table = ArchTable.load()
    frame = table.frame
    obj = Objectives(cost=args.cost)
    acc, cost = obj.values(table)
    front = pareto_mask(acc, cost)
    ref_acc, ref_cost = obj.reference_point(table)
    hv = hypervolume(acc[front], cost[front], ref_acc, ref_cost)
    corr = frame[list(PROXY_COLUMNS) + [TRUE_ACCURACY]].corr(method="spearman")[TRUE_ACCURACY]
    best = int(np.argmax(acc))
    front_idx = np.flatnonzero(front)
    out = {
        "size": len(table),
        "columns": table.columns,
        "hardware_metrics": list(ArchTable.hardware_metrics),
        "accuracy": obj.accuracy,
        "cost": obj.cost,
        "cost_unit": _cost_unit(obj.cost),
        "pareto_front_size": int(front.sum()),
        "pareto_front_indices": [int(i) for i in front_idx],
        "hv": hv,
        "hv_reference_point": {"acc_pct": ref_acc, "cost": ref_cost},
        "spearman_vs_true_accuracy": {c: float(corr[c]) for c in PROXY_COLUMNS},
        "best_accuracy_pct": float(acc[best]),
        "best_accuracy_index": best,
        "best_accuracy_arch": str(frame["arch_str"].iloc[best]),
        "best_accuracy_cost": float(cost[best]),
    }
    if args.json:
        print_json(out)
        return 0
    unit = out["cost_unit"]
    print(f"NAS-Bench-201: {out['size']} cells, {len(out['columns'])} columns")
    print(f"  objectives       {obj.accuracy} (max) vs {obj.cost} (min)")
    print(f"  Pareto front     {out['pareto_front_size']} cells")
    print(f"  hypervolume      {hv:.6g} % x {unit}  (reference point: {ref_acc:g} %, {ref_cost:g} {unit})")
    print(f"  best accuracy    {out['best_accuracy_pct']:.2f} % at index {best} "
          f"({out['best_accuracy_cost']:g} {unit}) {out['best_accuracy_arch']}")
    print(f"  Spearman rank correlation with {TRUE_ACCURACY}:")
    for c in PROXY_COLUMNS:
        print(f"    {c:<26} {corr[c]:.4f}")
    print(f"  hardware metrics (--cost): {', '.join(ArchTable.hardware_metrics)}")
    return 0


# --------------------------------------------------------------------------- run
def add_run(sub: Any) -> None:
    p = sub.add_parser("run", help="run one simulated CE-NAS search with a GPU-allocation policy",
                       description="Run one simulated search and print its summary.")
    p.add_argument("--policy", required=True, metavar="POLICY",
                   help="a policy name, e.g. heuristic, vanilla, fixed:4, ppo or ppo:PATH "
                        "(an unknown name prints every name there is)")
    add_trace_options(p)
    add_sim_options(p)
    p.add_argument("--json", action="store_true", help="print the summary and the settings as JSON")
    p.add_argument("--trajectory", metavar="FILE.csv", default=None,
                   help="write one row per step (the simulator's records) to this CSV")
    from cenas_gym.cli.geo import add_geo_options

    add_geo_options(p)
    p.set_defaults(func=cmd_run)


def run_from_args(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """Play ``--policy`` once; returns (finished Simulator, JSON-ready result)."""
    from cenas_gym.policies.play import make_policy, run_policy
    from cenas_gym.sim.tasks import task_of

    try:
        policy = make_policy(args.policy)
    except ImportError as err:  # ppo:PATH without the RL extras
        raise CLIError(f"policy {args.policy!r} cannot be loaded ({err}); pip install cenas-gym[rl]") from None
    trace = trace_from_args(args)
    config = config_from_args(args)
    start = start_from_args(args, trace, config.budget_hours)
    log.info("running %s on %s from %s for %g h", args.policy, trace.name, start or "a random hour", config.budget_hours)
    sim = run_policy(policy, config, trace, args.seed, start)
    summary = sim.summary()
    budget_g = config.carbon_budget_g
    result = {
        "policy": args.policy,
        "policy_name": getattr(policy, "name", args.policy),
        "trace": trace.name,
        "trace_file": args.trace_file,
        "start": _iso(sim.trace.start),
        "seed": args.seed,
        "gpus": config.n_gpus,
        "optimizer": config.optimizer,
        "accounting": args.accounting,
        "hardware_metric": config.objectives.cost,
        "estimator": config.estimator,
        "budget_hours": config.budget_hours,
        "carbon_budget_kg": None if budget_g is None else budget_g / 1000.0,
        "task": task_of(config).name,
        "stopped_by": (
            "target" if sim.reached_target
            else "carbon budget" if budget_g is not None and sim.cum_carbon_g >= budget_g
            else "time budget"
        ),
        "mean_intensity_g_per_kwh": float(sim.trace.values_g_per_kwh[: sim.t].mean()) if sim.t else None,
        **summary,
    }
    return sim, result


def cmd_run(args: argparse.Namespace) -> int:
    if args.sites is not None:  # one search over several sites (CENAS-Geo-v1)
        from cenas_gym.cli.geo import cmd_run_geo

        return cmd_run_geo(args)
    if args.trajectory is not None:
        _check_output_dir(args.trajectory, "--trajectory")
    sim, r = run_from_args(args)
    if args.trajectory is not None:
        import pandas as pd

        import numpy as np

        steps = pd.DataFrame(sim.history)
        if len(steps):
            steps["log10_regret"] = np.log10(steps["regret"])
        steps.to_csv(args.trajectory, index=False)
        log.info("wrote %d steps to %s", len(sim.history), args.trajectory)
    if args.json:
        print_json(r)
        return 0
    unit = _cost_unit(r["hardware_metric"])
    per_kg = "inf" if not math.isfinite(r["hv_per_kg"]) else f"{r['hv_per_kg']:.4f}"
    print(f"{r['policy_name']} on {r['trace']} from {r['start']} for {r['hours']:g} h "
          f"({r['gpus']} GPUs, {r['optimizer']}, {r['accounting']} accounting, seed {r['seed']}; "
          f"stopped by the {r['stopped_by']})")
    print(f"  hypervolume       {r['final_hv_normalized']:.5f} of the true front "
          f"(raw {r['final_hv']:.6g} % x {unit}; {r['init_hv_normalized']:.5f} after the initial samples)")
    print(f"  carbon            {r['carbon_kg']:.3f} kg CO2eq (initial samples {r['init_carbon_kg']:.3f} kg), "
          f"mean intensity {r['mean_intensity_g_per_kwh']:.1f} g/kWh")
    print(f"  energy            {r['energy_kwh']:.2f} kWh")
    print(f"  HV regret         {r['final_regret']:.3g} (log10 {r['final_log10_regret']:.3f})")
    if r["target_regret"] is not None:
        if r["reached_target"]:
            print(f"  target {r['target_regret']:g}      reached after {r['hours_to_target']:g} h and "
                  f"{r['kg_to_target']:.3f} kg CO2eq")
        else:
            print(f"  target {r['target_regret']:g}      MISSED within {r['budget_hours']:g} h")
    print(f"  HV per kg         {per_kg} (not a verdict: HV saturates, so it pays for stopping early)")
    print(f"  trained/screened  {r['n_trained']} / {r['n_screened']}")
    print(f"  GPU hours         train {r['train_gpu_h']:.1f}, sample {r['sample_gpu_h']:.1f}, "
          f"idle {r['idle_gpu_h']:.1f}")
    print(f"  99% of final HV   after {r['hours_to_99pct_hv']:g} h")
    if args.trajectory is not None:
        print(f"  trajectory        {args.trajectory} ({len(sim.history)} rows)")
    return 0


# ----------------------------------------------------------------------- compare
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


def add_grid_options(p: argparse.ArgumentParser) -> None:
    """The options shared by ``compare`` and ``evaluate``: what to run and how."""
    from cenas_gym.sim.accounting import ACCOUNTING_PRESETS
    from cenas_gym.search.optimizers import OPTIMIZERS

    p.add_argument("--preset", choices=("default", "paper", "neurips", "target", "budget", "geo"), default="default",
                   help="default: every policy, 3 windows, 5 seeds (fixed-time 80 h); paper: the authors' code "
                        "defaults (heuristic vs vanilla, cenas accounting, 10 seeds); neurips: carbon budgets 25-100 kg; "
                        "target: the default windows, target task, tuned baselines and oracle:target; "
                        "budget: the default windows, budgets 10 and 25 kg; "
                        "geo: one search over four grid regions (see --sites)")
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

    from cenas_gym.compare.grid import PRESETS, load_trace, parse_seeds
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


def cmd_compare(args: argparse.Namespace) -> int:
    if args.preset == "geo" or getattr(args, "sites", None):  # CENAS-Geo-v1 baselines
        from cenas_gym.cli.geo import cmd_compare_geo

        return cmd_compare_geo(args)
    return run_grid_command(args, grid_from_args(args))


def run_grid_command(args: argparse.Namespace, grid: Any) -> int:
    """Run ``grid`` into ``--out`` and print its summary (``compare`` and ``evaluate``)."""
    from concurrent.futures.process import BrokenProcessPool
    from pathlib import Path

    from cenas_gym.compare.grid import compare

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


class Stopped(Exception):
    """SIGINT/SIGTERM stopped a long command after saving its work: ``message`` says how to
    go on; exit status 128 + the signal number."""

    def __init__(self, interrupt: BaseException, message: str) -> None:
        super().__init__(message)
        self.exit_status = int(getattr(interrupt, "exit_status", 130))


def _resume_command() -> str:
    """This command line with ``--resume`` (and without ``--force``)."""
    import shlex

    argv = [a for a in _ARGV if a != "--force"]
    return " ".join([PROG] + [shlex.quote(a) for a in argv] + ([] if "--resume" in argv else ["--resume"]))


def _resume_hint(out: Any, total: int) -> str:
    from cenas_gym.compare.runstore import RUNS_FILE, read_runs

    done = len(read_runs(out / RUNS_FILE))
    return f"interrupted: {done} of {total} runs saved in {out}; resume with: {_resume_command()}"


# -------------------------------------------------------------------------- train / evaluate
def _trace_lists() -> tuple[str, str]:
    """The training and held-out traces of :mod:`cenas_gym.rl`, comma-separated."""
    from cenas_gym.rl import HELD_OUT_TRACES, TRAIN_TRACES

    return ",".join(TRAIN_TRACES), ",".join(HELD_OUT_TRACES)


def add_train(sub: Any) -> None:
    p = sub.add_parser("train", help="train a PPO allocation agent (Stable-Baselines3) on CENAS-v0",
                       description="Train SB3 PPO on CENAS-v0 over a set of traces with random windows, "
                                   "several envs in parallel, TensorBoard logging of the env's metrics, "
                                   "periodic paired checks against the heuristic on held-out traces, "
                                   "checkpoints and resume. Hyperparameters: agents/ppo.yml (rl-zoo3 format).")
    p.add_argument("--out", metavar="DIR", required=True, help="folder for the model, checkpoints/ and tb/")
    TRAIN_TRACES, HELD_OUT_TRACES = _trace_lists()
    p.add_argument("--traces", metavar="A,B", default=TRAIN_TRACES, help=f"training traces (default {TRAIN_TRACES})")
    p.add_argument("--held-out", metavar="A,B", default=HELD_OUT_TRACES,
                   help=f"traces for the periodic check against the heuristic (default {HELD_OUT_TRACES}; '' for none)")
    p.add_argument("--timesteps", type=int, default=None, metavar="N", help="default: n_timesteps of the file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-envs", type=int, default=None, metavar="N", help="parallel envs (default: the file's)")
    p.add_argument("--conf-file", metavar="YML", default=None, help="rl-zoo3 hyperparameters (default agents/ppo.yml)")
    p.add_argument("--optimizer", choices=("lamoo", "random"), default="random",
                   help="proposer inside the training env (default random: ~50x faster than LaMOO)")
    p.add_argument("--eval-every", type=int, default=25_000, metavar="N", help="timesteps between held-out checks")
    p.add_argument("--max-minutes", type=float, default=None, metavar="M", help="stop and save after M minutes")
    p.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    p.set_defaults(func=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    try:
        import stable_baselines3  # noqa: F401

        from cenas_gym.rl.train import train_ppo
    except ImportError as err:
        raise CLIError(f"training needs the RL extras ({err}); pip install cenas-gym[rl]") from None
    try:
        path = train_ppo(
            args.out,
            traces=_split(args.traces),
            held_out=_split(args.held_out),
            timesteps=args.timesteps,
            seed=args.seed,
            n_envs=args.n_envs,
            hyperparams_path=args.conf_file,
            env_kwargs={"optimizer": args.optimizer},
            eval_every=args.eval_every,
            resume=args.resume,
            max_wall_s=None if args.max_minutes is None else 60.0 * args.max_minutes,
        )
    except KeyboardInterrupt as err:  # SIGINT/SIGTERM: train_ppo saved a checkpoint first
        from pathlib import Path

        from cenas_gym.rl.train import latest_checkpoint

        ckpt = latest_checkpoint(Path(args.out) / "checkpoints")
        saved = f"saved {ckpt} and its observation stats" if ckpt else "no checkpoint saved yet"
        raise Stopped(err, f"interrupted: {saved}; resume with: {_resume_command()}") from None
    print(f"saved {path}")
    return 0


def add_evaluate(sub: Any) -> None:
    p = sub.add_parser("evaluate", help="a trained agent against the heuristic and the baselines, paired",
                       description="Play the agent, the heuristic and the baselines on the same traces, windows "
                                   "and seeds and write the same results.csv, summary.md (paired differences "
                                   "against the heuristic) and plots as `compare`.")
    p.add_argument("--agent", metavar="PATH", default=None, help="an SB3 PPO zip (default: the shipped agent)")
    p.add_argument("--out", metavar="DIR", default="cenas-evaluate", help="output folder (default cenas-evaluate)")
    add_grid_options(p)
    p.set_defaults(func=cmd_evaluate, preset="default")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from cenas_gym.policies.play import default_policies
    from cenas_gym.policies.ppo import shipped_agent_path

    if args.agent is None and shipped_agent_path() is None:
        raise CLIError("no --agent given and no agent ships with this installation")
    agent = f"ppo:{args.agent}" if args.agent else "ppo"  # "ppo": the shipped agent
    if args.policies is None:
        args.policies = ",".join([agent] + [name for name in default_policies() if name != "ppo"])
    if args.traces is None and not args.trace_file:
        args.traces = _trace_lists()[1]
    if args.windows is None:
        args.windows = "random"
    if args.seeds is None:
        args.seeds = "5"
    return run_grid_command(args, grid_from_args(args))


# -------------------------------------------------------------------------- tune
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
    config = SimConfig(n_gpus=args.gpus, optimizer=args.optimizer, accounting=args.accounting)
    scores, best, results = tune(task, _split(args.traces), parse_seeds(args.seeds), config, candidates,
                                 jobs=args.jobs, backend="process" if args.jobs > 1 else "serial")
    command = "cenas-gym " + " ".join(sys.argv[1:]) if sys.argv and "tune" in sys.argv else "cenas-gym tune"
    write_report(args.out, task, scores, best, results, command)
    print((Path(args.out) / "tune.md").read_text(encoding="utf-8"))
    return 0


# -------------------------------------------------------------------------- main
#: ``add_*`` functions, in help order; append new subcommands here.
SUBCOMMANDS: list[Callable[[Any], None]] = [add_traces, add_space, add_run, add_compare, add_train, add_evaluate,
                                            add_tune]


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


_ARGV: list[str] = []  # the arguments main() is running, for the resume hint


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 user error, 128 + N after
    signal N: 130 for SIGINT, 143 for SIGTERM)."""
    global _ARGV
    _ARGV = list(sys.argv[1:] if argv is None else argv)
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
