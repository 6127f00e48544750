"""Measured error of the learned ``ridge`` forecaster per lead hour, on the shipped traces.

For each trace the forecaster is fitted once on the first half of the year (the first call
is at the cutoff, so only hours up to it are used) and then asked, at every hour of the
second half, for the next ``--leads`` hours. Prints the mean absolute error (gCO2eq/kWh)
per lead for it and, on the same hours, for persistence (now repeated) and the same hour
yesterday, then the mean over traces.

    python benchmarks/forecast_error.py                 # all shipped traces, ~1 minute
    python benchmarks/forecast_error.py --traces US-CAL-CISO:2021,ES:2021 --leads 6
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # small solves: BLAS threads only cost

import argparse

import numpy as np

from cenas_gym.carbon.trace import CarbonTrace, list_traces
from cenas_gym.carbon.forecast import make_forecaster

SHOWN_LEADS = (1, 2, 3, 6, 12, 24)


def errors(values: np.ndarray, name: str, cutoff: int, leads: int, stride: int) -> np.ndarray:
    """(issue times, leads) absolute errors of forecaster ``name`` issued from ``cutoff`` on."""
    forecaster = make_forecaster(name)
    rows = []
    for t in range(cutoff, len(values) - leads, stride):
        rows.append(np.abs(forecaster.forecast(values, t, leads) - values[t + 1 : t + 1 + leads]))
    return np.array(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", default="", help="comma-separated trace names (default: every shipped trace)")
    parser.add_argument("--leads", type=int, default=24)
    parser.add_argument("--stride", type=int, default=1, help="hours between issue times")
    args = parser.parse_args()
    names = [n for n in args.traces.split(",") if n] or list_traces()
    shown = [h for h in SHOWN_LEADS if h <= args.leads]
    print("MAE (gCO2eq/kWh) by lead hour; fitted on the first half of each trace, judged on the second half")
    print("trace".ljust(22) + "mean".rjust(7) + "  forecaster   " + "".join(f"{'h=' + str(h):>8}" for h in shown))
    table = {name: [] for name in ("ridge", "persistence", "yesterday")}
    relative = {name: [] for name in table}
    for trace_name in names:
        values = CarbonTrace.load(trace_name).values_g_per_kwh
        cutoff = len(values) // 2
        for i, forecaster in enumerate(table):
            mae = errors(values, forecaster, cutoff, args.leads, args.stride).mean(axis=0)
            table[forecaster].append(mae)
            relative[forecaster].append(mae / values.mean())
            label = (trace_name.ljust(22) + f"{values.mean():7.1f}") if i == 0 else " " * 29
            print(label + f"  {forecaster:<12}" + "".join(f"{mae[h - 1]:8.2f}" for h in shown), flush=True)
    print("\nmean over traces: MAE (gCO2eq/kWh) and MAE / trace mean (%), every lead")
    print("lead " + "".join(f"{name:>24}" for name in table))
    for h in range(1, args.leads + 1):
        cells = "".join(
            f"{np.mean([m[h - 1] for m in table[n]]):14.2f} ({100 * np.mean([r[h - 1] for r in relative[n]]):5.1f} %)"
            for n in table
        )
        print(f"{h:4d} " + cells)


if __name__ == "__main__":
    main()
