"""The command line's multi-site parts: ``run --sites`` and ``compare --preset geo``.

    cenas-gym run --sites NO:2022:2,US-CAL-CISO:2022:4,ES:2022:4,EIA-SOCO:2022:8 \\
                  --policy geo-greedy --task target [--target-regret R] [--hours H] [--start ISO] ...
    cenas-gym compare --preset geo [--sites ...] [--policies a,b] [--windows ISO,ISO] [--seeds N]
                      [--hours H] [--optimizer lamoo|random] [--jobs N] [--out DIR]

User errors raise ValueError (``cenas-gym: error: ...``, status 2; not ``CLIError``: under
``python -m cenas_gym.cli`` that class lives in ``__main__``, not in the module imported here).
A site is ``NAME:YEAR:GPUS``: a shipped trace name (``cenas-gym traces list``, e.g.
``NO:2022`` or ``ES:2022:lca``) and the site's GPU count. :mod:`cenas_gym.cli` calls in here.
"""

from __future__ import annotations

import argparse


def add_geo_options(p: argparse.ArgumentParser) -> None:
    """``--sites`` on run/compare (the task options come with the single-site options)."""
    from cenas_gym.policies.geo import GEO_POLICIES
    from cenas_gym.sim.geo import DEFAULT_SITES

    p.add_argument("--sites", metavar="NAME:YEAR:GPUS,...", default=None,
                   help=f"run one search over several sites (CENAS-Geo-v1), e.g. {','.join(DEFAULT_SITES)}; a site "
                        f"is a shipped trace and its GPUs, or a trace file PATH.csv:GPUS (see --fill-gaps); "
                        f"policies: {', '.join(GEO_POLICIES)}")


def sites_from_text(text: str, fill_gaps: bool = False):  # -> list[Site]
    from cenas_gym.sim.geo import make_sites

    specs = [s.strip() for s in text.split(",") if s.strip()]
    if not specs:
        raise ValueError("--sites: give at least one NAME:YEAR:GPUS (or PATH.csv:GPUS), e.g. NO:2022:2")
    try:
        return make_sites(specs, fill_gaps)
    except ValueError as err:
        raise ValueError(f"--sites: {err}") from None


def _task_from_args(args: argparse.Namespace, default: str):  # -> Task
    from cenas_gym.sim.tasks import make_task

    name = args.task or ("target" if args.target_regret is not None
                         else "budget" if args.carbon_budget_kg is not None else default)
    return make_task(name, hours=args.hours, target_regret=args.target_regret,
                     carbon_budget_kg=args.carbon_budget_kg)


def cmd_run_geo(args: argparse.Namespace) -> int:
    """``run --sites``: play a geo policy once and print its summary (per site and total)."""
    from cenas_gym.cli.common import _check_output_dir, _iso, print_json, start_from_args
    from cenas_gym.sim.geo import align_sites
    from cenas_gym.policies.geo import make_geo_policy, run_geo_policy
    from cenas_gym.search.pareto import Objectives
    from cenas_gym.sim.simulator import SimConfig

    if args.trace is not None or args.trace_file is not None:
        raise ValueError("--trace/--trace-file do not apply with --sites (each site names its trace)")
    if args.gpus != 8:
        raise ValueError("--gpus does not apply with --sites (each site gives its GPUs: NAME:YEAR:GPUS)")
    if args.trajectory is not None:
        _check_output_dir(args.trajectory, "--trajectory")
    sites = sites_from_text(args.sites, args.fill_gaps)
    policy = make_geo_policy(args.policy)
    task = _task_from_args(args, "fixed-time")
    from cenas_gym.cli.options import screening_fields

    config = task.apply(SimConfig(optimizer=args.optimizer, objectives=Objectives(cost=args.cost),
                                  accounting=args.accounting, **screening_fields(args)))
    start = start_from_args(args, align_sites(sites, config.step_s)[0].trace, config.budget_hours)
    sim = run_geo_policy(policy, config, sites, args.seed, start)
    summary = sim.summary()
    result = {
        "policy": args.policy,
        "site_specs": args.sites,
        "start": _iso(sim.trace.start),
        "seed": args.seed,
        "gpus": sim.config.n_gpus,
        "task": task.name,
        "optimizer": config.optimizer,
        "accounting": args.accounting,
        "hardware_metric": config.objectives.cost,
        "budget_hours": config.budget_hours,
        "carbon_budget_kg": task.carbon_budget_kg,
        **summary,
    }
    if args.trajectory is not None:
        sim.trajectory().to_csv(args.trajectory, index=False)
    if args.json:
        print_json(result)
        return 0
    print(f"{args.policy} on {len(sites)} sites from {result['start']} ({task.name} task, cap/budget "
          f"{config.budget_hours:g} h, {config.optimizer}, {args.accounting} accounting, seed {args.seed})")
    if task.target_regret is not None:
        reached = (f"reached after {summary['hours_to_target']:g} h, {summary['kg_to_target']:.3f} kg"
                   if summary["reached_target"] else "MISSED")
        print(f"  target regret     {task.target_regret:g}: {reached}")
    print(f"  final log10 regret {summary['final_log10_regret']:.3f} after {summary['hours']:g} h")
    print(f"  carbon            {summary['carbon_kg']:.3f} kg CO2eq, energy {summary['energy_kwh']:.2f} kWh")
    print(f"  trained/screened  {summary['n_trained']} / {summary['n_screened']}")
    for s in summary["sites"]:
        print(f"  {s['site']:<16} {s['gpus']:>2} GPUs  {s['carbon_kg']:8.3f} kg  train {s['train_gpu_h']:6.1f} GPU-h  "
              f"sample {s['sample_gpu_h']:6.1f}  idle {s['idle_gpu_h']:6.1f}  trained {s['n_trained']}")
    if args.trajectory is not None:
        print(f"  trajectory        {args.trajectory} ({len(sim.history)} steps x {len(sites) + 1} rows)")
    return 0


def geo_grid_from_args(args: argparse.Namespace):  # -> GeoGrid
    """``compare --preset geo``: :data:`~cenas_gym.compare.geo.GEO_PRESET` with the command
    line's overrides (the run itself is ``compare``'s, with ``--resume``, ``--force``, Ray)."""
    from dataclasses import replace

    from cenas_gym.cli.common import _split
    from cenas_gym.compare.grid import parse_seeds
    from cenas_gym.compare.geo import GEO_PRESET, single_site_policies

    if args.traces is not None or args.trace_file:
        raise ValueError("--traces/--trace-file do not apply to --preset geo; use --sites NAME:YEAR:GPUS,...")
    grid = GEO_PRESET
    sites = tuple(_split(args.sites)) if args.sites else grid.sites
    fill_gaps = bool(getattr(args, "fill_gaps", False))
    sites_from_text(",".join(sites), fill_gaps)  # clear errors before running
    if args.policies is not None:
        policies = tuple(_split(args.policies))
    elif args.sites:
        policies = ("geo-vanilla", "geo-heuristic", "geo-greedy") + single_site_policies(sites)
    else:
        policies = grid.policies
    config = grid.config
    for option, name in (("optimizer", "optimizer"), ("accounting", "accounting")):
        if getattr(args, option) is not None:
            config = config.with_(**{name: getattr(args, option)})
    from cenas_gym.cli.options import screening_fields

    config = config.with_(**screening_fields(args))
    grid = replace(
        grid,
        fill_gaps=fill_gaps,
        sites=sites,
        policies=policies,
        windows=tuple(_split(args.windows)) if args.windows is not None else grid.windows,
        seeds=tuple(parse_seeds(args.seeds)) if args.seeds is not None else grid.seeds,
        task=_task_from_args(args, "target"),
        config=config,
    )
    grid.runs()  # unknown policies and sites fail here, before the folder is touched
    return grid
