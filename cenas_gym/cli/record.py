"""``cenas-gym record``: a policy's episodes as a Minari dataset (offline RL, imitation)."""

from __future__ import annotations

import argparse
from typing import Any

from cenas_gym.cli.common import CLIError


def add_record(sub: Any) -> None:
    p = sub.add_parser("record", help="record a policy's episodes as a Minari dataset (offline RL)",
                       description="Play --episodes episodes of a policy through a CENAS env id (seeds S, S+1, ...) "
                                   "and write them as a Minari dataset under --out: observations, actions, rewards, "
                                   "terminations, truncations and per-step infos (kg CO2eq, kWh, regret, HV, "
                                   "intensity, training GPUs). Load it with MINARI_DATASETS_PATH=DIR and "
                                   "minari.load_dataset(ID). Needs the offline extra: pip install cenas-gym[offline].")
    p.add_argument("--policy", required=True, metavar="NAME", help="a policy name or module:Class (see `run --help`)")
    p.add_argument("--episodes", type=int, required=True, metavar="N", help="episodes to record")
    p.add_argument("--out", required=True, metavar="DIR", help="datasets folder (the dataset goes in DIR/<id>/)")
    p.add_argument("--env-id", default="CENAS-Target-v2", metavar="ID",
                   help="a single-site env id (default CENAS-Target-v2)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the first episode (default 0)")
    p.add_argument("--trace", default=None, metavar="NAME", help="carbon trace (default: the env's)")
    p.add_argument("--start", default=None, metavar="ISO|random",
                   help="first hour of every episode (default: the env's; 'random': drawn from each seed)")
    p.add_argument("--dataset-id", default=None, metavar="ID",
                   help="Minari id (default cenas-gym/<env id>-<policy>-v0)")
    p.set_defaults(func=cmd_record)


def cmd_record(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.episodes < 1:
        raise CLIError(f"--episodes must be >= 1, got {args.episodes}")
    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {args.out}: exists and is not a folder")
    try:
        from cenas_gym.rl.offline import dataset_id, record
    except ImportError as err:
        raise CLIError(str(err)) from None
    kwargs: dict[str, Any] = {}
    if args.trace is not None:
        kwargs["trace"] = args.trace
    if args.start is not None and args.start.strip().lower() != "random":
        kwargs["start"] = args.start
    dataset = args.dataset_id or dataset_id(args.env_id, args.policy)
    try:
        path = record(args.policy, args.episodes, out, env_id=args.env_id, seed=args.seed, env_kwargs=kwargs,
                      dataset=dataset, progress=True)
    except ImportError as err:  # minari missing
        raise CLIError(str(err)) from None
    print(f"wrote {args.episodes} episode(s) of {args.policy} on {args.env_id} to {path}")
    print(f"load: MINARI_DATASETS_PATH={out.resolve()} python -c \"import minari; d = minari.load_dataset('{dataset}')\"")
    return 0
