"""Reproduce the CE-NAS comparisons and commit their outputs under benchmarks/results/.

    python benchmarks/paper_reproduction.py --preset default --jobs 2   # -> results/default/
    python benchmarks/paper_reproduction.py --preset paper --jobs 2     # -> results/paper/
    python benchmarks/paper_reproduction.py --preset neurips --jobs 2   # -> results/neurips/
    python benchmarks/paper_reproduction.py --preset target --jobs 2    # -> results/target/
    python benchmarks/paper_reproduction.py --preset budget --jobs 2    # -> results/budget/

Each folder gets results.csv (one row per run, every metric and the full configuration;
byte-identical on a rerun), summary.md (the task's equal-quality headline, means, 95 % CIs,
paired differences against the heuristic and, where heuristic and vanilla both ran, our numbers beside the paper's
headline), the PNGs, and COMMAND.md (the exact command and how long it took).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

from cenas_gym.compare.presets import PRESETS
from cenas_gym.compare.runners import compare
from cenas_gym.compare.summary import paired

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="paper")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--backend", choices=("serial", "process", "ray"), default="process")
    parser.add_argument("--out", type=Path, default=None, help="default: benchmarks/results/<preset>")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs an interrupted call finished (else the folder is overwritten)")
    args = parser.parse_args(argv)
    grid = PRESETS[args.preset]
    out = args.out or HERE / "results" / args.preset
    n = len(grid.runs())
    print(f"{args.preset}: {n} runs, {args.jobs} job(s), backend {args.backend} -> {out}", file=sys.stderr)
    t0 = time.perf_counter()
    results = compare(grid, out, jobs=args.jobs, backend=args.backend, resume=args.resume, force=not args.resume)
    elapsed = time.perf_counter() - t0
    command = f"python benchmarks/paper_reproduction.py --preset {args.preset} --jobs {args.jobs} --backend {args.backend}"
    if args.out is not None:
        command += f" --out {args.out}"
    (out / "COMMAND.md").write_text(
        f"# {args.preset}\n\n```\n{command}\n```\n\n"
        f"Equivalent CLI: `cenas-gym compare --preset {args.preset} --jobs {args.jobs} --out {out.name}`\n\n"
        f"{n} runs in {elapsed:.0f} s on {platform.machine()} with {args.jobs} job(s) "
        f"(Python {platform.python_version()}). results.csv and summary.md are deterministic: "
        "a rerun gives the same bytes.\n",
        encoding="utf-8",
    )
    policies = set(results["policy"])
    if {"heuristic", "vanilla"} <= policies:
        pr = paired(results, "vanilla", "heuristic")
        ratio = pr["carbon_kg"] / pr["carbon_kg_base"]
        hv = 100.0 * (pr["final_hv_normalized_base"] - pr["final_hv_normalized"]) / pr["final_hv_normalized"]
        print(
            f"carbon vanilla/heuristic: mean {ratio.mean():.2f}x (range {ratio.min():.2f}-{ratio.max():.2f}); "
            f"paper 2.22-3.48x\nheuristic final HV vs vanilla: {hv.mean():+.3f} % "
            f"(range {hv.min():+.3f} to {hv.max():+.3f}); paper -0.034 %"
        )
    print(f"done in {elapsed:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
