"""``cenas-gym bench``: play the frozen CENAS-Bench suite for a policy, print its score card and
write its JSON entry; ``--leaderboard`` files the entry under benchmarks/leaderboard/ and
rebuilds LEADERBOARD.md (alone, without ``--policy``: just rebuild it)."""

from __future__ import annotations

import argparse
from typing import Any

from cenas_gym.cli.common import CLIError, Stopped, _split, log, resume_command


def add_bench(sub: Any) -> None:
    p = sub.add_parser("bench", help="play the frozen CENAS-Bench suite: score card, JSON entry, leaderboard",
                       description="Play the frozen CENAS-Bench-1 suite (target and budget tasks x the four "
                                   "held-out traces x 3 windows x 3 seeds; benchmarks/CENAS-Bench-1.md) for a "
                                   "policy and the references (heuristic, vanilla) on the same cases; print the "
                                   "score card (paired kg ratios and log10-regret differences with 95 % "
                                   "intervals, attainment, IQM ratio to the heuristic with a stratified-"
                                   "bootstrap interval) and write the JSON entry.")
    p.add_argument("--policy", metavar="NAME", default=None,
                   help="a policy name (see `cenas-gym run --help`), several as A,B, 'all' (every shipped "
                        "single-site policy), or module:Class / path/file.py:Class for a class of your own "
                        "(no-argument constructor, reset(context, rng), act(observation, info) -> training GPUs)")
    p.add_argument("--suite", default=None, metavar="VERSION", help="suite version (default: the latest, CENAS-Bench-1)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)")
    p.add_argument("--store", metavar="DIR", default=None,
                   help="keep the runs in DIR (resumable; reference runs are shared between policies); "
                        "default: a temporary folder")
    p.add_argument("--resume", action="store_true", help="keep the finished runs in --store and play the rest")
    p.add_argument("--force", action="store_true", help="discard the runs in --store and start over")
    p.add_argument("--out", metavar="PATH", default=None,
                   help="write the entry to PATH (one policy), or one entry per policy into folder PATH")
    p.add_argument("--leaderboard", action="store_true",
                   help="also write the entries to <root>/benchmarks/leaderboard/<suite>/ and rebuild "
                        "<root>/LEADERBOARD.md from every entry there")
    p.add_argument("--root", metavar="DIR", default=".", help="repository root for --leaderboard (default .)")
    p.add_argument("--json", action="store_true", help="print the entries as JSON instead of the score cards")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cenas_gym.compare.bench_suite import LATEST, SUITES
    from cenas_gym.compare.leaderboard import entry_path, write_leaderboard

    suite = LATEST if args.suite is None else SUITES.get(args.suite)
    if suite is None:
        raise CLIError(f"--suite {args.suite}: unknown suite; versions: {', '.join(SUITES)}")
    root = Path(args.root).expanduser()
    if args.policy is None:
        if not args.leaderboard:
            raise CLIError("give --policy NAME (or 'all'), or --leaderboard alone to rebuild LEADERBOARD.md")
        print(f"wrote {write_leaderboard(root)}")
        return 0
    if args.jobs < 1:
        raise CLIError(f"--jobs must be >= 1, got {args.jobs}")
    if (args.resume or args.force) and args.store is None:
        raise CLIError("--resume and --force need --store DIR (without it the runs live in a temporary folder)")
    if args.leaderboard and not root.is_dir():
        raise CLIError(f"--root {args.root}: not a folder")
    from cenas_gym.compare.bench import bench, bench_policies, dumps, slug

    policies = list(bench_policies()) if args.policy.strip() == "all" else _policies(args.policy)
    out = Path(args.out).expanduser() if args.out else None
    if out is not None:
        if len(policies) > 1 and out.exists() and not out.is_dir():
            raise CLIError(f"--out {args.out}: several policies write one entry each: give a folder")
        parent = out if len(policies) > 1 else out.parent
        if not (parent.is_dir() or (len(policies) > 1 and parent.parent.is_dir())):
            raise CLIError(f"--out {args.out}: folder {str(parent)!r} does not exist")
    log.info("bench: %s, %d policies, %d job(s)", suite.version, len(policies), args.jobs)
    try:
        entries = bench(policies, suite, store=args.store, jobs=args.jobs, resume=args.resume, force=args.force)
    except KeyboardInterrupt as err:
        hint = (f"interrupted: the finished runs are in {args.store}; resume with: {resume_command()}" if args.store
                else "interrupted (no --store: nothing kept)")
        raise Stopped(err, hint) from None
    written = []
    if out is not None:
        if len(policies) > 1:
            out.mkdir(exist_ok=True)
        for entry in entries:
            path = out / f"{slug(entry['policy'])}.json" if len(policies) > 1 else out
            path.write_text(dumps(entry), encoding="utf-8")
            written.append(path)
    if args.leaderboard:
        for entry in entries:
            path = entry_path(root / "benchmarks" / "leaderboard", entry)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dumps(entry), encoding="utf-8")
            written.append(path)
        written.append(write_leaderboard(root))
    _print(entries, args.json)
    for path in written:
        print(f"wrote {path}")
    return 0


def _policies(text: str) -> list[str]:
    """``A,B`` -> [A, B]; a single name may hold commas only when it is not a list."""
    names = _split(text)
    if not names:
        raise CLIError("--policy: no policy given")
    return list(dict.fromkeys(names))


def _print(entries: list[dict], as_json: bool) -> None:
    import json

    from cenas_gym.compare.leaderboard import render
    from cenas_gym.compare.scorecard import format_scorecard

    if as_json:
        print(json.dumps(entries, indent=1, allow_nan=False))
    elif len(entries) == 1:
        print(format_scorecard(entries[0]))
    else:  # several: the leaderboard table of just these
        from pathlib import Path

        from cenas_gym.compare.bench import slug

        text = render([(Path(f"{slug(e['policy'])}.json"), e) for e in entries])
        print(text.split("\n## ", 1)[-1] if "\n## " in text else text)
