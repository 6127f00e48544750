"""``cenas-gym evaluate``: a trained agent against the heuristic and the baselines, paired."""

from __future__ import annotations

import argparse
from typing import Any

from cenas_gym.cli.common import CLIError
from cenas_gym.cli.compare import run_grid_command
from cenas_gym.cli.options import _trace_lists, add_grid_options, grid_from_args


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
