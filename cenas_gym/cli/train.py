"""``cenas-gym train``: SB3 PPO on CENAS-v0 (hyperparameters: agents/ppo.yml), checkpoints, resume;
``--task target|budget``: the causal task agents on their v1 ids (:mod:`cenas_gym.rl.task_train`);
``--agent ppo-timing|ppo-geo``: the third-wave agents (:mod:`cenas_gym.rl.agent_train`)."""

from __future__ import annotations

import argparse
from typing import Any

from cenas_gym.cli.common import CLIError, resume_command, _split, Stopped
from cenas_gym.cli.options import _trace_lists


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
    p.add_argument("--optimizer", choices=("lamoo", "random"), default=None,
                   help="proposer inside the training env (default random, ~50x faster than LaMOO; with --task: the "
                        "task agent's, lamoo)")
    p.add_argument("--eval-every", type=int, default=25_000, metavar="N", help="timesteps between held-out checks")
    p.add_argument("--max-minutes", type=float, default=None, metavar="M", help="stop and save after M minutes")
    p.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    import inspect

    from cenas_gym import TASK_ENV_IDS
    from cenas_gym.rl.task_train import train_task_agent

    default = {k: v.default for k, v in inspect.signature(train_task_agent).parameters.items()}
    task = p.add_argument_group("task agents", "--task trains one causal agent per seed on the task's v1 id "
                                f"({', '.join(f'{t}: {i}' for t, i in TASK_ENV_IDS.items())}), v1 observation only, "
                                "into OUT/seed<N>; hyperparameters: that id's section of agents/ppo.yml")
    task.add_argument("--task", choices=sorted(TASK_ENV_IDS), default=None, help="train a task agent")
    task.add_argument("--seeds", metavar="A,B", default=None, help="training seeds, one agent each (default: --seed)")
    task.add_argument("--forecaster", default=None, help=f"forecaster of the training env (default {default['forecaster']})")
    task.add_argument("--warm-start", type=float, default=None, metavar="X",
                      help=f"initial logit bonus of 'all GPUs train' (the agent starts near vanilla; default {default['warm_start']:g})")
    task.add_argument("--target-regret", type=float, default=None, metavar="R",
                      help="training target of the target task (default: the task's)")
    from cenas_gym.rl.agent_train import AGENTS

    agent = p.add_argument_group("third-wave agents", "--agent clones the best training-split baseline, then PPO "
                                 "over --n-envs processes (default 2), one agent per --seeds into OUT/seed<N> "
                                 "(cenas_gym/rl/agent_train.py; --timesteps default 100000)")
    agent.add_argument("--agent", choices=sorted(AGENTS), default=None, help="train ppo-timing or ppo-geo")
    agent.add_argument("--ppo", nargs="+", default=[], metavar="KEY=NUMBER",
                       help="override PPO settings of --agent for an ablation, e.g. --ppo learning_rate=3e-4 ent_coef=0.01")
    from cenas_gym.rl.agent_train import GEO_SITE_SETS

    agent.add_argument("--train-sites", choices=list(GEO_SITE_SETS), default=None,
                       help="ppo-geo: the site sets to train on, an ablation (default: default, the two shipped sets; "
                            "permuted: 12 assignments of its grids to the GPU slots; pool: 120 of 5 zones)")
    p.set_defaults(func=cmd_train)


def cmd_train_agent(args: argparse.Namespace) -> int:
    """``train --agent``: :func:`cenas_gym.rl.agent_train.train_agent`, one per seed."""
    from pathlib import Path

    from cenas_gym.rl.agent_train import ppo_overrides, train_agent

    try:
        ppo = ppo_overrides(args.ppo)
    except ValueError as err:
        raise CLIError(str(err)) from None
    if args.train_sites and args.agent != "ppo-geo":
        raise CLIError(f"--train-sites applies to ppo-geo only, not {args.agent}")
    for flag, value in (("--resume", args.resume), ("--conf-file", args.conf_file), ("--task", args.task),
                        ("--forecaster", args.forecaster), ("--warm-start", args.warm_start),
                        ("--target-regret", args.target_regret), ("--optimizer", args.optimizer)):
        if value:
            raise CLIError(f"{flag} does not apply to --agent (its settings: cenas_gym/rl/agent_train.py AGENTS)")
    seeds = [int(s) for s in _split(args.seeds)] if args.seeds else [args.seed]
    for seed in seeds:
        path = train_agent(args.agent, Path(args.out) / f"seed{seed}", seed, args.timesteps or 100_000,
                           args.n_envs or 2, None if args.max_minutes is None else 60.0 * args.max_minutes, ppo,
                           args.train_sites or "default")
        print(f"saved {path}")
    return 0


def cmd_train_task(args: argparse.Namespace) -> int:
    """``train --task``: :func:`cenas_gym.rl.task_train.train_task_agents` with the options given."""
    for flag, value in (("--resume", args.resume), ("--n-envs", args.n_envs), ("--conf-file", args.conf_file)):
        if value:
            raise CLIError(f"{flag} does not apply to --task (one env per agent, agents/ppo.yml)")
    from cenas_gym.rl.task_train import train_task_agents

    seeds = [int(s) for s in _split(args.seeds)] if args.seeds else [args.seed]
    given = {"timesteps": args.timesteps, "optimizer": args.optimizer, "forecaster": args.forecaster,
             "warm_start": args.warm_start, "target_regret": args.target_regret,
             "max_wall_s": None if args.max_minutes is None else 60.0 * args.max_minutes}
    options = {key: value for key, value in given.items() if value is not None}
    for path in train_task_agents(args.task, args.out, seeds, traces=_split(args.traces), **options):
        print(f"saved {path}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    try:
        import stable_baselines3  # noqa: F401

        from cenas_gym.rl.train import train_ppo
    except ImportError as err:
        raise CLIError(f"training needs the RL extras ({err}); pip install cenas-gym[rl]") from None
    if args.agent is not None:
        return cmd_train_agent(args)
    if args.ppo or args.train_sites:
        raise CLIError("--ppo and --train-sites apply to --agent only (the other agents' settings: agents/ppo.yml "
                       "or --conf-file)")
    if args.task is not None:
        return cmd_train_task(args)
    try:
        path = train_ppo(
            args.out,
            traces=_split(args.traces),
            held_out=_split(args.held_out),
            timesteps=args.timesteps,
            seed=args.seed,
            n_envs=args.n_envs,
            hyperparams_path=args.conf_file,
            env_kwargs={"optimizer": args.optimizer or "random"},
            eval_every=args.eval_every,
            resume=args.resume,
            max_wall_s=None if args.max_minutes is None else 60.0 * args.max_minutes,
        )
    except KeyboardInterrupt as err:  # SIGINT/SIGTERM: train_ppo saved a checkpoint first
        from pathlib import Path

        from cenas_gym.rl.train import latest_checkpoint

        ckpt = latest_checkpoint(Path(args.out) / "checkpoints")
        saved = f"saved {ckpt} and its observation stats" if ckpt else "no checkpoint saved yet"
        raise Stopped(err, f"interrupted: {saved}; resume with: {resume_command()}") from None
    print(f"saved {path}")
    return 0
