"""Geo grids on the comparison engine: the geo baselines (:mod:`cenas_gym.policies.geo`) over
one list of sites, windows and seeds.

A :class:`GeoGrid` expands into :class:`GeoRunSpec` runs that :mod:`cenas_gym.compare.runners`
plays like single-site ones (serial, process pool or Ray; stored as they finish, ``--resume``,
``--force``, interrupts). ``cenas-gym compare --preset geo`` runs :data:`GEO_PRESET` (or its
overrides) and writes to a folder: ``results.csv`` (one row per run), ``summary.md`` (means
with 95 % t-intervals, the paired comparison against the per-site heuristic, the best
single-site run; :func:`summarize`) and three PNGs (:func:`plot`):
``allocation.png`` (training GPUs per site over each site's intensity, one window and seed),
``regret.png`` (log10 regret over hours, mean over seeds, per window) and
``kg_to_target.png`` (kg CO2eq to target per run).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cenas_gym.compare.palette import policy_colors
from cenas_gym.compare.stats import mean_ci
from cenas_gym.compare.summary import _ci_text

from cenas_gym.sim.geo import DEFAULT_SITES, make_sites
from cenas_gym.policies.geo import make_geo_policy, run_geo_policy
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.sim.tasks import Task, make_task

REFERENCE = "geo-heuristic"  # the paired comparisons are against this policy


@dataclass(frozen=True)
class GeoGrid:
    """What a geo comparison runs: policies x windows x seeds on one set of sites and a task."""

    sites: tuple[str, ...] = DEFAULT_SITES
    policies: tuple[str, ...] = ()
    windows: tuple[str, ...] = ()
    seeds: tuple[int, ...] = (0,)
    task: Task = field(default_factory=lambda: make_task("target"))
    config: SimConfig = field(default_factory=SimConfig)
    fill_gaps: bool = False  #: fill gaps in ``PATH.csv:GPUS`` site traces (:func:`~cenas_gym.sim.geo.parse_site`)

    def runs(self) -> list[GeoRunSpec]:
        """Every run, in a fixed order: window, seed, policy. Raises ``ValueError`` for an
        unknown policy or a ``single:SITE`` that names no site of the grid."""
        for policy in self.policies:
            make_geo_policy(policy)  # fail before running on a bad name
        names = [s.name for s in make_sites(self.sites, self.fill_gaps)]
        for policy in self.policies:
            if policy.startswith("single:") and policy.partition(":")[2] not in names:
                raise ValueError(f"policy {policy!r}: no site named {policy.partition(':')[2]!r}; sites are {names}")
        specs: list[GeoRunSpec] = []
        for window in self.windows:
            for seed in self.seeds:
                for policy in self.policies:
                    specs.append(GeoRunSpec(len(specs), policy, window, seed, tuple(self.sites), self.task, self.config,
                                            self.fill_gaps))
        return specs


@dataclass(frozen=True)
class GeoRunSpec:
    """One geo run: a policy over the sites from one window start with one seed (picklable)."""

    index: int
    policy: str
    window: str
    seed: int
    sites: tuple[str, ...]
    task: Task
    config: SimConfig
    fill_gaps: bool = False

    def play(self) -> dict[str, Any]:
        """Play it: a flat row whose ``"trajectory"`` holds the regret and per-site series."""
        return run_geo_one(self)


def single_site_policies(sites: Sequence[str]) -> tuple[str, ...]:
    """``single:NAME`` for each site spec."""
    return tuple(f"single:{s.name}" for s in make_sites(sites))


#: The geo preset: the four default sites (2022), every geo baseline and each single-site run,
#: four windows (one per season, Monday 00:00 UTC except the paper's July 2 06:00), 10 seeds,
#: the target task (regret <= 0.002 within 160 h), LaMOO, default accounting.
GEO_PRESET = GeoGrid(
    sites=DEFAULT_SITES,
    policies=("geo-vanilla", "geo-heuristic", "geo-greedy", "single:NO", "single:US-CAL-CISO", "single:ES",
              "single:EIA-SOCO"),
    windows=("2022-01-10T00:00Z", "2022-04-04T00:00Z", "2022-07-02T06:00Z", "2022-10-03T00:00Z"),
    seeds=tuple(range(10)),
)


def run_geo_one(spec: GeoRunSpec) -> dict[str, Any]:
    """Play one geo spec; returns its row, the per-run ``"trajectory"`` included."""
    sites = make_sites(spec.sites, spec.fill_gaps)
    sim = run_geo_policy(make_geo_policy(spec.policy), spec.task.apply(spec.config), sites, spec.seed, spec.window)
    s = sim.summary()
    row: dict[str, Any] = {"policy": spec.policy, "window": spec.window, "seed": spec.seed, "task": spec.task.name}
    for key in ("target_regret", "reached_target", "kg_to_target", "hours_to_target", "carbon_kg", "energy_kwh",
                "final_regret", "final_log10_regret", "hours", "n_trained", "n_screened", "train_gpu_h",
                "sample_gpu_h", "idle_gpu_h", "init_carbon_kg"):
        row[key] = s[key]
    for site in s["sites"]:
        row[f"carbon_kg_{site['site']}"] = site["carbon_kg"]
        row[f"train_gpu_h_{site['site']}"] = site["train_gpu_h"]
    row["trajectory"] = {
        "regret": [r["regret"] for r in sim.history],
        "sites": [[r["site"], r["step"], r["intensity_g_per_kwh"], r["gpus_train"]] for r in sim.site_history],
    }
    return row


def summarize(results: pd.DataFrame, grid: GeoGrid) -> str:
    """summary.md: per policy, attainment, kg to target, final log10 regret, hours; paired
    ratios of kg to target against the per-site heuristic; the best single-site run."""
    lines = _policy_table(results, grid)
    if REFERENCE in grid.policies:
        lines += _paired_table(results, grid)
    lines += _best_single_site(results, grid)
    lines += [
        "",
        "Plots: `allocation.png` (training GPUs per site over that site's intensity, first window, "
        "seed 0; a policy's line hides behind another's where they agree), `regret.png` (log10 regret over hours, mean over seeds), `kg_to_target.png` "
        "(kg to target per run; misses not shown).",
    ]
    return "\n".join(lines) + "\n"


def _policy_table(results: pd.DataFrame, grid: GeoGrid) -> list[str]:
    """summary.md's heading, setup paragraph and per-policy table (kg, hours, log10 regret)."""
    target = grid.task.target_regret
    lines = [
        "# Geo comparison: one search over several grid regions",
        "",
        f"Sites: {', '.join(grid.sites)} (NAME:YEAR:GPUS). Task: {grid.task.name}"
        + (f", regret <= {target:g}" if target is not None else "")
        + f", cap {grid.task.hours:g} h. Optimizer {grid.config.optimizer}, accounting "
        f"{grid.config.accounting if isinstance(grid.config.accounting, str) else grid.config.accounting.name}. "
        f"Windows (UTC): {', '.join(grid.windows)}; seeds {min(grid.seeds)}-{max(grid.seeds)}; "
        f"{len(results)} runs.",
        "",
        "Means with 95 % t-intervals over runs. kg to target and hours to target: runs that reached "
        "the target only (a miss is a failure, counted in attainment). `single:SITE` runs the whole "
        "search at that site alone (every GPU there trains); in the geo runs every site's GPUs are "
        "held for the search, so a site's GPUs that do not train sample or idle and are charged.",
        "",
        "| policy | attainment | kg to target | hours to target | final log10 regret | kg emitted |",
        "|---|---|---|---|---|---|",
    ]
    for policy in grid.policies:
        r = results[results.policy == policy]
        reached = r[r.reached_target == True]  # noqa: E712 (a column of bools/None)
        lines.append(
            f"| {policy} | {len(reached)}/{len(r)} | {_ci_text(*mean_ci(reached.kg_to_target), 2)} | "
            f"{_ci_text(*mean_ci(reached.hours_to_target), 1)} | {_ci_text(*mean_ci(r.final_log10_regret), 3)} | "
            f"{_ci_text(*mean_ci(r.carbon_kg), 2)} |"
        )
    return lines


def _paired_table(results: pd.DataFrame, grid: GeoGrid) -> list[str]:
    """The section pairing each policy with the heuristic: kg-to-target ratios, one-sided reaches."""
    lines = [
        "",
        f"## Paired against {REFERENCE} (same window and seed)",
        "",
        "Ratio of kg to target (policy / heuristic) over the pairs in which both reached the "
        "target: geometric mean with 95 % t-interval on log ratios; below 1 means less carbon. "
        "The last two columns count the pairs in which only one of the two reached the target.",
        "",
        "| policy | pairs (both reached) | kg ratio | only policy reached | only heuristic reached |",
        "|---|---|---|---|---|",
    ]
    ref = results[results.policy == REFERENCE]
    for policy in grid.policies:
        if policy == REFERENCE:
            continue
        r = results[results.policy == policy].merge(ref, on=["window", "seed"], suffixes=("", "_ref"))
        both = r[(r.reached_target == True) & (r.reached_target_ref == True)]  # noqa: E712
        logs = np.log(both.kg_to_target.astype(float) / both.kg_to_target_ref.astype(float))
        m = mean_ci(logs)
        ratio = "-" if math.isnan(m[0]) else (
            f"{math.exp(m[0]):.3f}" + ("" if math.isnan(m[1]) else f" [{math.exp(m[1]):.3f}, {math.exp(m[2]):.3f}]")
        )
        only_p = int(((r.reached_target == True) & (r.reached_target_ref != True)).sum())  # noqa: E712
        only_h = int(((r.reached_target != True) & (r.reached_target_ref == True)).sum())  # noqa: E712
        lines.append(f"| {policy} | {len(both)}/{len(r)} | {ratio} | {only_p} | {only_h} |")
    return lines


def _best_single_site(results: pd.DataFrame, grid: GeoGrid) -> list[str]:
    """The best single-site run's line (highest attainment, then lowest mean kg); empty if none."""
    singles = [p for p in grid.policies if p.startswith("single:")]
    if not singles:
        return []

    def score(p: str) -> tuple[float, float]:
        r = results[results.policy == p]
        reached = r[r.reached_target == True]  # noqa: E712
        kg = float(reached.kg_to_target.mean()) if len(reached) else math.inf
        return (-len(reached) / max(len(r), 1), kg)

    best = min(singles, key=score)
    return [
        "",
        f"Best single-site run: **{best}** (highest attainment, then lowest mean kg to target; "
        "chosen on these same runs, so an optimistic baseline).",
    ]


def plot(results: pd.DataFrame, trajectories: Sequence[dict], grid: GeoGrid, out: Path) -> None:
    """The three PNGs (see the module docstring); ``trajectories`` align with the rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    traces = {(r.policy, r.window, r.seed): t for r, t in zip(results.itertuples(), trajectories)}
    names = [s.name for s in make_sites(grid.sites, grid.fill_gaps)]
    window, seed = grid.windows[0], grid.seeds[0]
    geo = [p for p in grid.policies if not p.startswith("single:")]
    colors = policy_colors(grid.policies)  # distinct for up to 20 policies
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 2.2 * len(names)), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, names):
        ax2 = ax.twinx()
        runs = {p: [r for r in traces[(p, window, seed)]["sites"] if r[0] == name] for p in geo}
        longest = max(runs.values(), key=len, default=[])
        ax.plot([r[1] for r in longest], [r[2] for r in longest], color="0.6", lw=1.0)
        for policy, rows in runs.items():
            ax2.step([r[1] for r in rows], [r[3] for r in rows], where="post", lw=1.2, label=policy,
                     color=colors[policy])
        ax.set_ylabel(f"{name}\ngCO2eq/kWh (grey)")
        ax2.set_ylabel("GPUs training")
    axes[0].set_title(f"Training GPUs per site over its intensity ({window}, seed {seed})")
    axes[-1].set_xlabel("hour of the episode")
    ax2.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "allocation.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, len(grid.windows), figsize=(4 * len(grid.windows), 3.4), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, w in zip(axes, grid.windows):
        for policy in grid.policies:
            curves = [np.log10(traces[(policy, w, s)]["regret"]) for s in grid.seeds]
            n = max(len(c) for c in curves)
            padded = np.array([np.pad(c, (0, n - len(c)), mode="edge") for c in curves])  # ended runs hold
            ax.plot(np.arange(1, n + 1), padded.mean(axis=0), lw=1.2, label=policy, color=colors[policy])
        if grid.task.target_regret is not None:
            ax.axhline(math.log10(grid.task.target_regret), color="k", ls=":", lw=0.8)
        ax.set_title(w, fontsize=9)
        ax.set_xlabel("hours")
    axes[0].set_ylabel("log10 regret (mean over seeds)")
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "regret.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 3.6))
    for i, policy in enumerate(grid.policies):
        r = results[(results.policy == policy) & (results.reached_target == True)]  # noqa: E712
        x = i + np.linspace(-0.25, 0.25, max(len(r), 1))[: len(r)]
        ax.scatter(x, r.kg_to_target.astype(float), s=10, alpha=0.7, color=colors[policy])
    ax.set_yscale("log")
    ax.set_xticks(range(len(grid.policies)), grid.policies, rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("kg CO2eq to target")
    ax.set_title("kg to target per run (misses not shown)")
    fig.tight_layout()
    fig.savefig(out / "kg_to_target.png", dpi=110)
    plt.close(fig)
