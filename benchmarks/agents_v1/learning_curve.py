"""Learning curves of the task agents: each training seed's episode metric (rolling mean over
training episodes, random windows of the training traces) against timesteps, with the
heuristic's mean on the training traces as a horizontal line.

    python benchmarks/agents_v1/learning_curve.py --task target --runs runs/target_lamoo \\
        --reference benchmarks/results/agents_v1/tune_target/results.csv --out curve.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

METRICS = {"target": [("carbon_kg", "kg per episode (kg to target when reached)"), ("reached_target", "attainment rate")],
           "budget": [("final_log10_regret", "final log10 regret")]}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--task", required=True, choices=sorted(METRICS))
    p.add_argument("--runs", required=True, help="folder with seed<N>/ppo_<task>.episodes.csv")
    p.add_argument("--reference", required=True, help="results.csv with heuristic rows on the training traces")
    p.add_argument("--window", type=int, default=50, help="rolling mean over this many episodes")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    ref = pd.read_csv(a.reference)
    metrics = METRICS[a.task]
    fig, axes = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 4), squeeze=False)
    for ax, (col, label) in zip(axes[0], metrics):
        for csv in sorted(Path(a.runs).glob(f"seed*/ppo_{a.task}.episodes.csv")):
            ep = pd.read_csv(csv)
            ax.plot(ep["timesteps"], ep[col].astype(float).rolling(a.window, min_periods=1).mean(), label=csv.parent.name)
        for name, style in (("heuristic", "k--"), ("vanilla", "k:")):
            rows = ref[ref["policy"] == name]
            if len(rows):
                ax.axhline(float(rows[col].astype(float).mean()), color="k", linestyle=style[1:], label=f"{name} (training traces)")
        ax.set_xlabel("timesteps")
        ax.set_ylabel(f"{label}, rolling mean of {a.window} episodes")
        ax.legend(fontsize=8)
    fig.suptitle(f"{a.task} agents: training episodes vs the heuristic")
    fig.tight_layout()
    fig.savefig(a.out, dpi=90)
    print(a.out)


if __name__ == "__main__":
    main()
