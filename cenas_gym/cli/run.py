"""``cenas-gym run``: one simulated search with one policy (``--sites``: over several sites,
:mod:`cenas_gym.cli.geo`)."""

from __future__ import annotations

import argparse
import math
from typing import Any

from cenas_gym.cli.common import _check_output_dir, CLIError, _cost_unit, _iso, log, print_json, start_from_args
from cenas_gym.cli.options import add_sim_options, add_trace_options, config_from_args, trace_from_args


def add_run(sub: Any) -> None:
    p = sub.add_parser("run", help="run one simulated CE-NAS search with a GPU-allocation policy",
                       description="Run one simulated search and print its summary.")
    from cenas_gym.policies.play import policy_table

    p.add_argument("--policy", required=True, metavar="POLICY",
                   help="; ".join(f"{usage}: {text}" for kind, usage, text in policy_table() if kind != "geo")
                        + " (geo policies: see --sites)")
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
        "screening": config.screening,
        "supernet_gpu_h": config.supernet_gpu_h,
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
    print(f"  trained/screened  {r['n_trained']} / {r['n_screened']} ({r['screening']} screening, "
          f"estimator {r['estimator']}, {r['n_discarded']} discarded)")
    print(f"  GPU hours         train {r['train_gpu_h']:.1f}, sample {r['sample_gpu_h']:.1f}, "
          f"idle {r['idle_gpu_h']:.1f}")
    print(f"  99% of final HV   after {r['hours_to_99pct_hv']:g} h")
    if args.trajectory is not None:
        print(f"  trajectory        {args.trajectory} ({len(sim.history)} rows)")
    return 0
