"""LaMOO's options against each other: the authors' choices (label split, ordinal features,
Cp = 0.723 % of max HV), this package's default since issue 13 (the same with one-hot
features) and its earlier one (SVM split, one-hot, Cp = 10 %).

Every GPU trains (``vanilla``) for the whole budget on California from 2021-07-02 06:00 UTC,
so only the optimizer differs; the same seed gives the same 10 initial architectures for
every option (a paired comparison). Prints, per option, the mean normalised HV after the
first 50 / 100 / 200 trained architectures and at the end, architectures trained, seconds
per episode, and the paired difference in final HV against the authors' defaults.

    python benchmarks/lamoo_options.py --seeds 10          # ~1-2 minutes on one core
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.policies.play import make_policy, run_policy
from cenas_gym.search.lamoo import CENAS_CP_FRACTION, README_CP_FRACTION, LamooConfig
from cenas_gym.search.pareto import hypervolume
from cenas_gym.sim.simulator import SimConfig

START = "2021-07-02T06:00Z"
OPTIONS = {  # name -> LamooConfig options (all explicit: independent of the defaults)
    "authors (labels, ordinal, Cp 0.72 %)": {"split": "labels", "encoding": "ordinal", "cp_fraction": CENAS_CP_FRACTION},
    "default (labels, onehot, Cp 0.72 %)": {"split": "labels", "encoding": "onehot", "cp_fraction": CENAS_CP_FRACTION},
    "svm, ordinal, Cp 0.72 %": {"split": "svm", "encoding": "ordinal", "cp_fraction": CENAS_CP_FRACTION},
    "svm, onehot, Cp 0.72 %": {"split": "svm", "encoding": "onehot", "cp_fraction": CENAS_CP_FRACTION},
    "authors + Cp 10 %": {"split": "labels", "encoding": "ordinal", "cp_fraction": README_CP_FRACTION},
    "pre-issue-13 (svm, onehot, Cp 10 %)": {"split": "svm", "encoding": "onehot", "cp_fraction": README_CP_FRACTION},
}
CHECKPOINTS = (50, 100, 200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--hours", type=float, default=80.0)
    args = parser.parse_args()
    trace = CarbonTrace.load("US-CAL-CISO:2021")
    print(f"Cp fractions: authors {CENAS_CP_FRACTION:.5f} (30 / 4150.72), README {README_CP_FRACTION}")
    print(f"vanilla (8 GPUs train), {args.hours:g} h, California from {START}, seeds 0..{args.seeds - 1}\n")
    header = "option".ljust(38) + "".join(f"HV@{n:<5d}" for n in CHECKPOINTS) + "final HV   trained  s/episode  final vs authors [95 % CI]"
    print(header)
    finals: dict[str, np.ndarray] = {}
    for name, options in OPTIONS.items():
        config = SimConfig(budget_hours=args.hours, lamoo=LamooConfig(**options))
        at = {n: [] for n in CHECKPOINTS}
        final, trained, seconds = [], [], []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            sim = run_policy(make_policy("vanilla"), config, trace, seed, START)
            seconds.append(time.perf_counter() - t0)
            acc, cost = sim.space.acc_pct, sim.space.cost
            for n in CHECKPOINTS:
                cells = np.asarray(sim.trained[:n])
                at[n].append(hypervolume(acc[cells], cost[cells], *sim.space.ref_point) / sim.space.max_hv)
            final.append(sim.hv_normalized)
            trained.append(len(sim.trained))
        finals[name] = np.asarray(final)
        base = finals[next(iter(OPTIONS))]
        diff = finals[name] - base
        half = stats.t.ppf(0.975, diff.size - 1) * diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else float("nan")
        row = name.ljust(38) + "".join(f"{np.mean(at[n]):.5f}  " for n in CHECKPOINTS)
        row += f"{np.mean(final):.5f}  {np.mean(trained):7.1f}  {np.median(seconds):9.3f}  {diff.mean():+.5f} [{diff.mean() - half:+.5f}, {diff.mean() + half:+.5f}]"
        print(row, flush=True)


if __name__ == "__main__":
    main()
