"""How fast the simulator runs: one 80-hour, 8-GPU CE-NAS run, LaMOO vs random search.

Trace: California (US-CAL-CISO, 2021) from 2021-07-02T06:00Z, 80 hours. Allocations (GPUs
training per hour): all 8, half (4), alternating 8/0, and the paper's heuristic
(lambda_s = (C - C_min) / (C_max - C_min) of the GPUs sample, over the window).
Each cell is the median wall time of ``--runs`` runs (seeds 0..runs-1).

    python benchmarks/sim_speed.py [--runs 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.sim.simulator import SimConfig, Simulator

N_GPUS = 8
HOURS = 80


def allocations(trace: CarbonTrace) -> dict[str, list[int]]:
    c = trace.values_g_per_kwh[:HOURS]
    share_sample = (c - c.min()) / (c.max() - c.min())
    heuristic = [int(round(N_GPUS * (1.0 - s))) for s in share_sample]
    return {
        "all train (8)": [N_GPUS] * HOURS,
        "half (4)": [N_GPUS // 2] * HOURS,
        "alternate 8/0": [N_GPUS if h % 2 == 0 else 0 for h in range(HOURS)],
        "heuristic": heuristic,
    }


def time_run(trace: CarbonTrace, optimizer: str, plan: list[int], seed: int) -> tuple[float, int]:
    start = time.perf_counter()
    sim = Simulator(SimConfig(n_gpus=N_GPUS, budget_hours=HOURS, optimizer=optimizer), trace, np.random.default_rng(seed))
    for n in plan:
        sim.step(n)
    return time.perf_counter() - start, len(sim.trained)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per cell (median reported)")
    args = parser.parse_args()

    trace = CarbonTrace.load("US-CAL-CISO:2021").window("2021-07-02T06:00Z", HOURS)
    Simulator(SimConfig(optimizer="random"), trace, np.random.default_rng(0))  # load table, warm caches
    print(f"{HOURS} h x {N_GPUS} GPUs on {trace.name} from {trace.start.isoformat()}; "
          f"median of {args.runs} runs; Python {platform.python_version()} on {platform.machine()}")
    header = f"{'allocation':<16} {'optimizer':<8} {'median s':>9} {'steps/s':>9} {'trained':>8}"
    print(header)
    print("-" * len(header))
    for name, plan in allocations(trace).items():
        for optimizer in ("lamoo", "random"):
            runs = [time_run(trace, optimizer, plan, seed) for seed in range(args.runs)]
            median = statistics.median(t for t, _ in runs)
            trained = statistics.median(n for _, n in runs)
            print(f"{name:<16} {optimizer:<8} {median:>9.3f} {HOURS / median:>9.1f} {trained:>8.0f}")


if __name__ == "__main__":
    main()
