"""The PNGs of a comparison (matplotlib, no timestamps in the files: the same results give the
same bytes): regret over hours, attainment, a (kg, log10 regret) Pareto plot, HV over hours and
against carbon, GPU allocation over the carbon intensity and per-task bars.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from cenas_gym.compare.palette import policy_colors
from cenas_gym.compare.stats import mean_ci
from cenas_gym.compare.summary import ATTAINMENT_LEVELS, _setting, attainment, kg_to_level
from cenas_gym.sim.simulator import REGRET_FLOOR


def _mean_curves(results: pd.DataFrame, trajectories: Sequence[pd.DataFrame], mask: pd.Series) -> pd.DataFrame:
    """Mean over the selected runs of hv_normalized, log10 regret and cum carbon (kg) at each
    hour (hour 0 = before the first step). A run that ended early (target reached, budget
    spent) keeps its last values: its search is over, its result stands."""
    columns: dict[str, list[pd.Series]] = {"hv": [], "log10_regret": [], "kg": []}
    for i in np.flatnonzero(mask.to_numpy()):
        t = trajectories[i]
        step_h = t.attrs.get("step_h", 1.0)
        hours = np.concatenate([[0.0], t["hour"].to_numpy() + step_h])
        hv = np.concatenate([[t.attrs["init_hv_normalized"]], t["hv_normalized"].to_numpy()])
        columns["hv"].append(pd.Series(hv, index=hours))
        columns["log10_regret"].append(pd.Series(np.log10(np.maximum(1.0 - hv, REGRET_FLOOR)), index=hours))
        kg = np.concatenate([[t.attrs["init_carbon_g"]], t["cum_carbon_g"].to_numpy()]) / 1000.0
        columns["kg"].append(pd.Series(kg, index=hours))
    out = {name: pd.concat(series, axis=1).sort_index().ffill().mean(axis=1) for name, series in columns.items()}
    return pd.DataFrame(out).rename_axis("hour").reset_index()


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install cenas-gym[plot]") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finish(plt, fig, path: Path, written: list[Path], title: str | None = None) -> None:
    """Title, lay out, save (no timestamps in the PNG metadata: the same results give the same
    bytes) and close ``fig``; ``path`` joins ``written``."""
    if title is not None:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
    written.append(path)


def plot_all(results: pd.DataFrame, trajectories: Sequence[pd.DataFrame], outdir: str | Path) -> list[Path]:
    """Write regret_over_hours.png, attainment.png, pareto.png, hv_over_hours.png,
    hv_vs_carbon.png, allocation.png, carbon_bars.png (and budget_boxplots.png when the grid
    has several carbon budgets); returns the paths."""
    plt = _pyplot()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    r = results.reset_index(drop=True).copy()
    r["setting"] = _setting(r)
    policies = list(dict.fromkeys(r["policy"]))
    settings = list(dict.fromkeys(r["setting"]))
    colors = policy_colors(policies)  # distinct for up to 20 policies
    written = []
    for plot in (_plot_quality, _plot_hv, _plot_allocation, _plot_bars, _plot_budgets):
        written += plot(plt, r, trajectories, outdir, policies, settings, colors)
    return written


def _plot_hv(plt, r: pd.DataFrame, trajectories: Sequence[pd.DataFrame], outdir: Path, policies: list[str],
             settings: list[str], colors: dict) -> list[Path]:
    """hv_over_hours.png and hv_vs_carbon.png: mean HV over hours and against cumulative carbon,
    one panel per setting."""
    written: list[Path] = []
    metric = str(r["hardware_metric"].iloc[0])
    for name, xcol, xlabel in (
        ("hv_over_hours.png", "hour", "hours"),
        ("hv_vs_carbon.png", "kg", "cumulative kg CO2eq"),
    ):
        fig, axes = plt.subplots(1, len(settings), figsize=(5.5 * len(settings), 4.2), squeeze=False)
        for ax, setting in zip(axes[0], settings):
            for policy in policies:
                mask = (r["setting"] == setting) & (r["policy"] == policy)
                if not mask.any():
                    continue
                curve = _mean_curves(r, trajectories, mask)
                ax.plot(curve[xcol], curve["hv"], label=policy, color=colors[policy], lw=1.4)
            ax.set_title(setting, fontsize=9)
            ax.set_xlabel(xlabel)
            ax.set_ylabel("mean normalised HV")
            ax.grid(alpha=0.3)
        axes[0][0].legend(fontsize=7)
        _finish(plt, fig, outdir / name, written, f"hardware metric: {metric}")

    return written


def _plot_allocation(plt, r: pd.DataFrame, trajectories: Sequence[pd.DataFrame], outdir: Path, policies: list[str],
                     settings: list[str], colors: dict) -> list[Path]:
    """allocation.png: training GPUs over the intensity on one window (the first trace,
    window, budget and seed)."""
    written: list[Path] = []
    first = r.iloc[0]
    same = (r["trace"] == first["trace"]) & (r["start"] == first["start"]) & (r["seed"] == first["seed"])
    same &= r["carbon_budget_kg"].fillna(-1.0) == (first["carbon_budget_kg"] if np.isfinite(first["carbon_budget_kg"]) else -1.0)
    idx = [int(i) for i in np.flatnonzero(same.to_numpy())]
    fig, axes = plt.subplots(len(idx), 1, figsize=(9, 1.6 * len(idx) + 0.8), sharex=True, squeeze=False)
    for ax, i in zip(axes[:, 0], idx):
        t = trajectories[i]
        policy = r.loc[i, "policy"]
        ax.step(t["hour"], t["gpus_train"], where="post", color=colors[policy], lw=1.3)
        ax.set_ylim(-0.5, r.loc[i, "gpus"] + 0.5)
        ax.set_ylabel("GPUs train", fontsize=7)
        ax.set_title(policy, fontsize=8, loc="left")
        twin = ax.twinx()
        twin.step(t["hour"], t["intensity_g_per_kwh"], where="post", color="0.5", lw=0.8, alpha=0.7)
        twin.set_ylabel("gCO2/kWh", fontsize=7, color="0.4")
    axes[-1, 0].set_xlabel("hours into the window")
    _finish(plt, fig, outdir / "allocation.png", written,
            f"{first['trace']} from {first['start']}, seed {first['seed']}")

    return written


def _plot_bars(plt, r: pd.DataFrame, trajectories: Sequence[pd.DataFrame], outdir: Path, policies: list[str],
               settings: list[str], colors: dict) -> list[Path]:
    """carbon_bars.png: kg CO2 and final log10 regret per policy, grouped by setting, with
    95 % CI error bars."""
    written: list[Path] = []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / max(1, len(settings))
    x = np.arange(len(policies))
    for ax, (col, label) in zip(axes, (("carbon_kg", "kg CO2eq"), ("final_log10_regret", "final log10 HV regret"))):
        for j, setting in enumerate(settings):
            stats = [mean_ci(r[(r["setting"] == setting) & (r["policy"] == p)][col]) for p in policies]
            means = np.array([s[0] for s in stats])
            err = np.array([[m - lo if np.isfinite(lo) else 0.0, hi - m if np.isfinite(hi) else 0.0] for m, lo, hi in stats]).T
            ax.bar(x + (j - (len(settings) - 1) / 2) * width, means, width, yerr=err, capsize=2, label=setting)
        ax.set_xticks(x, policies, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=7)
    _finish(plt, fig, outdir / "carbon_bars.png", written, "mean and 95 % CI per policy")

    return written


def _plot_budgets(plt, r: pd.DataFrame, trajectories: Sequence[pd.DataFrame], outdir: Path, policies: list[str],
                  settings: list[str], colors: dict) -> list[Path]:
    """budget_boxplots.png: final log10 regret under each carbon budget (NeurIPS-style), when
    the grid has several."""
    written: list[Path] = []
    budgets = sorted(b for b in r["carbon_budget_kg"].unique() if np.isfinite(b))
    if len(budgets) > 1:
        fig, axes = plt.subplots(1, len(budgets), figsize=(3.6 * len(budgets), 4), sharey=True, squeeze=False)
        for ax, b in zip(axes[0], budgets):
            sub = r[r["carbon_budget_kg"] == b]
            data = [sub[sub["policy"] == p]["final_log10_regret"].to_numpy() for p in policies]
            ax.boxplot(data)
            ax.set_xticks(range(1, len(policies) + 1), policies, rotation=30, ha="right", fontsize=8)
            ax.set_title(f"budget {b:g} kg CO2eq", fontsize=9)
            ax.grid(axis="y", alpha=0.3)
        axes[0][0].set_ylabel("final log10 HV regret")
        _finish(plt, fig, outdir / "budget_boxplots.png", written)
    return written


def _plot_quality(plt, r: pd.DataFrame, trajectories: Sequence[pd.DataFrame], outdir: Path,
                  policies: list[str], settings: list[str], colors: dict) -> list[Path]:
    """regret_over_hours.png (mean log10 regret per setting), attainment.png (share of runs
    that reached each regret level vs kg emitted, all runs of a policy pooled) and pareto.png
    (mean kg vs mean final log10 regret with 95 % CI bars, per setting)."""
    written = []
    fig, axes = plt.subplots(1, len(settings), figsize=(5.5 * len(settings), 4.2), squeeze=False)
    for ax, setting in zip(axes[0], settings):
        for policy in policies:
            mask = (r["setting"] == setting) & (r["policy"] == policy)
            if mask.any():
                curve = _mean_curves(r, trajectories, mask)
                ax.plot(curve["hour"], curve["log10_regret"], label=policy, color=colors[policy], lw=1.4)
        if "target_regret" in r and np.isfinite(pd.to_numeric(r["target_regret"], errors="coerce")).any():
            ax.axhline(math.log10(float(pd.to_numeric(r["target_regret"]).dropna().iloc[0])), color="0.3", ls=":", lw=1)
        ax.set_title(setting, fontsize=9)
        ax.set_xlabel("hours")
        ax.set_ylabel("mean log10 HV regret")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    _finish(plt, fig, outdir / "regret_over_hours.png", written,
            "mean over runs; a run that ended (target reached, budget spent) keeps its last value")

    levels = set(ATTAINMENT_LEVELS)
    targets = pd.to_numeric(r.get("target_regret", pd.Series(dtype=float)), errors="coerce").dropna()
    levels |= set(float(t) for t in targets.unique())
    if not targets.empty:  # target runs stop at the target: lower levels are never reached
        levels = {level for level in levels if level >= float(targets.min())}
    levels_sorted = sorted(levels, reverse=True)
    kg_max = float(r["carbon_kg"].max())
    kg_grid = np.linspace(0.0, kg_max, 400)
    fig, axes = plt.subplots(1, len(levels_sorted), figsize=(3.6 * len(levels_sorted), 3.8), sharey=True, squeeze=False)
    for ax, level in zip(axes[0], levels_sorted):
        for policy in policies:
            idx = np.flatnonzero((r["policy"] == policy).to_numpy())
            kgs = [kg_to_level(trajectories[i], level) for i in idx]
            ax.step(kg_grid, attainment(kgs, kg_grid), where="post", label=policy, color=colors[policy], lw=1.3)
        ax.set_title(f"regret <= {level:g}", fontsize=9)
        ax.set_xlabel("kg CO2eq emitted")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("share of runs that reached it")
    axes[0][0].legend(fontsize=7)
    _finish(plt, fig, outdir / "attainment.png", written,
            f"attainment: all runs of each policy pooled ({len(settings)} setting(s))")

    fig, axes = plt.subplots(1, len(settings), figsize=(5.5 * len(settings), 4.2), squeeze=False)
    for ax, setting in zip(axes[0], settings):
        for policy in policies:
            p = r[(r["setting"] == setting) & (r["policy"] == policy)]
            if p.empty:
                continue
            kx, klo, khi = mean_ci(p["carbon_kg"])
            ry, rlo, rhi = mean_ci(p["final_log10_regret"])
            xerr = [[kx - klo if np.isfinite(klo) else 0.0], [khi - kx if np.isfinite(khi) else 0.0]]
            yerr = [[ry - rlo if np.isfinite(rlo) else 0.0], [rhi - ry if np.isfinite(rhi) else 0.0]]
            ax.errorbar([kx], [ry], xerr=xerr, yerr=yerr, fmt="o", color=colors[policy], label=policy, capsize=2, ms=4)
        ax.set_title(setting, fontsize=9)
        ax.set_xlabel("kg CO2eq (mean, 95 % CI)")
        ax.set_ylabel("final log10 HV regret (mean, 95 % CI)")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    _finish(plt, fig, outdir / "pareto.png", written, "lower left is better on both")
    return written
