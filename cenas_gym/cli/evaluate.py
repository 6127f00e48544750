"""``cenas-gym evaluate``: a trained agent against the heuristic and the baselines, paired."""

from __future__ import annotations

import argparse
from typing import Any

from cenas_gym import TASK_ENV_IDS
from cenas_gym.cli.common import CLIError, _split, command_line
from cenas_gym.cli.compare import run_grid_command
from cenas_gym.cli.options import _trace_lists, add_grid_options, grid_from_args


def add_evaluate(sub: Any) -> None:
    p = sub.add_parser("evaluate", help="a trained agent against the heuristic and the baselines, paired",
                       description="Play the agent, the heuristic and the baselines on the same traces, windows "
                                   "and seeds and write the same results.csv, summary.md (paired differences "
                                   "against the heuristic) and plots as `compare`. With --task target|budget: "
                                   "judge --policies on that task's v1 id, paired on --windows N random windows "
                                   "per trace ('held-out', 'train' or names) and seed, against --reference.")
    p.add_argument("--agent", metavar="PATH", default=None, help="an SB3 PPO zip (default: the shipped agent)")
    p.add_argument("--out", metavar="DIR", default="cenas-evaluate", help="output folder (default cenas-evaluate)")
    add_grid_options(p)
    p.add_argument("--reference", metavar="LABEL", default=None,
                   help="with --task target|budget: the reference policy (default: the best non-learned, non-oracle)")
    p.set_defaults(func=cmd_evaluate, preset="default")


def cmd_evaluate_task(args: argparse.Namespace) -> int:
    """``evaluate --task target|budget``: policy names judged paired on the task's held-out
    cases (:func:`cenas_gym.rl.task_eval.judge`)."""
    from cenas_gym.carbon.catalogue import HELD_OUT_TRACES, TRAIN_TRACES
    from cenas_gym.compare.grid import parse_seeds
    from cenas_gym.rl.task_eval import judge

    if not args.policies:
        raise CLIError("evaluate --task: give --policies A,B (LABEL=NAME allowed), e.g. vanilla,heuristic,ppo-target")
    windows = args.windows or "2"
    if not windows.isdigit():
        raise CLIError(f"evaluate --task: --windows is a number of random windows per trace and seed, got {windows!r}")
    named = {"held-out": list(HELD_OUT_TRACES), "train": list(TRAIN_TRACES)}
    traces = named.get(args.traces or "held-out") or _split(args.traces)
    seeds = parse_seeds(args.seeds or "0,1")
    if not seeds:
        raise CLIError(f"--seeds {args.seeds}: no seeds (N means 0..N-1; one seed S: --seeds S,)")
    options = {"optimizer": args.optimizer} if args.optimizer else {}
    print(judge(args.task, traces, _split(args.policies), seeds, int(windows), args.out,
                jobs=args.jobs, reference=args.reference, command=command_line(), **options))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    if args.task in TASK_ENV_IDS:
        return cmd_evaluate_task(args)
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
