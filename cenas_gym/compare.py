"""Compare allocation policies over carbon traces, windows and seeds: tables and plots.

A :class:`Grid` names the policies, the traces (shipped names or CSV paths), the start of
each window, the seeds and one :class:`~cenas_gym.simulator.SimConfig`; :meth:`Grid.runs`
expands it into a deterministic list of :class:`RunSpec`. :func:`run_one` plays one spec on
the simulator's fast path (:func:`~cenas_gym.play.run_policy`) and returns one flat row
(every summary metric and the full configuration) plus the per-step trajectory.
:func:`run_grid` runs the specs serially, on a process pool or on a Ray cluster; the rows
come back in spec order whatever the backend, so the same grid gives the same table.
:func:`summarize` writes the markdown report (means and 95 % t-intervals, paired differences
against the CE-NAS heuristic on the same trace, window and seed), :func:`plot_all` the PNGs,
and :func:`compare` does all of it into a folder, storing each run the moment it finishes
(:mod:`cenas_gym.runstore`: ``resume=True`` continues an interrupted grid, with the same
final bytes)::

    from cenas_gym.compare import DEFAULT_GRID, compare
    results = compare(DEFAULT_GRID, "cenas-compare", jobs=2, backend="process")

Units: carbon in kg CO2eq, energy in kWh, time in hours, hypervolume normalised by the HV of
the table's true Pareto front (1.0 = the best front that exists).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from cenas_gym.carbon import CarbonTrace, iso_utc
from cenas_gym.play import default_policies, make_policy, run_policy
from cenas_gym.simulator import SimConfig
from cenas_gym.stats import mean_ci

BASELINE = "heuristic"  # paired differences are taken against this policy

#: Metrics reported per policy in the summary: (column, label).
METRICS: tuple[tuple[str, str], ...] = (
    ("final_hv_normalized", "final HV (norm.)"),
    ("carbon_kg", "kg CO2"),
    ("energy_kwh", "kWh"),
    ("hv_per_kg", "HV per kg"),
    ("hours_to_99pct_hv", "h to 99 % HV"),
)

#: Paired metrics against the baseline: (column, label).
PAIRED: tuple[tuple[str, str], ...] = (
    ("carbon_kg", "kg CO2"),
    ("hv_per_kg", "HV per kg"),
    ("final_hv_normalized", "final HV (norm.)"),
)

#: The identity of a run apart from its policy: pairs share it.
PAIR_KEYS = ("trace", "start", "seed", "carbon_budget_kg")

# Figures quoted in arXiv 2307.04131 (Zhao & Guo, HotCarbon '23): a 2.22-3.48x carbon
# reduction stated against "other approaches" (not necessarily vanilla LaMOO under this
# heuristic) and the HV difference. 8 GPUs, 80 h and the 2021-07-02 start are the authors'
# code defaults (cake-lab/CE-NAS cenas_RL.py, carbon_reader.py), not text of the paper.
PAPER_CARBON_RATIO = (2.22, 3.48)
PAPER_HV_DIFF_PCT = -0.034

HARDWARE_METRIC_NOTES = {
    "raspi4_latency_ms": "HW-NAS-Bench Raspberry Pi 4 latency (ms), the offline stand-in for the paper's "
    "edge-GPU energy",
}


# ------------------------------------------------------------------------------ specs
@dataclass(frozen=True)
class RunSpec:
    """One run: a policy on one window of one trace with one seed (picklable)."""

    index: int
    policy: str
    trace: str
    start: str | None  # ISO time of the first step; None: drawn from the seed
    seed: int
    config: SimConfig


@dataclass(frozen=True)
class Grid:
    """Policies x traces x windows x seeds (x carbon budgets), all with one SimConfig.

    Attributes:
        policies: policy names (see :func:`~cenas_gym.play.make_policy`).
        traces: shipped trace names (``"US-CAL-CISO:2021"``) or CSV paths.
        windows: start times (ISO, UTC) per trace, ``{trace: [start, ...]}``, or one list
            applied to every trace. A start of ``None`` draws the window from the seed (the
            same window for every policy with that seed). A trace missing from the mapping
            gets one window drawn from the seed.
        seeds: seeds; the same seed gives every policy the same initial architectures.
        config: the simulated run's settings (GPUs, hours, optimizer, accounting, ...).
        carbon_budgets_kg: optional extra axis; each value replaces
            ``config.carbon_budget_g`` (``None``: no budget). Empty: the config's budget.
        name: a label for reports.
    """

    policies: Sequence[str]
    traces: Sequence[str]
    windows: Mapping[str, Sequence[str | None]] | Sequence[str | None] = (None,)
    seeds: Sequence[int] = (0,)
    config: SimConfig = field(default_factory=SimConfig)
    carbon_budgets_kg: Sequence[float | None] = ()
    name: str = "custom"

    def __post_init__(self) -> None:
        object.__setattr__(self, "policies", tuple(self.policies))
        object.__setattr__(self, "traces", tuple(self.traces))
        object.__setattr__(self, "seeds", tuple(int(s) for s in self.seeds))
        object.__setattr__(self, "carbon_budgets_kg", tuple(self.carbon_budgets_kg))
        if isinstance(self.windows, Mapping):
            unknown = set(self.windows) - set(self.traces)
            if unknown:
                raise ValueError(f"windows given for traces not in the grid: {sorted(unknown)}")
            windows: Any = {k: tuple(v) for k, v in self.windows.items()}
        else:
            windows = tuple(self.windows)
        object.__setattr__(self, "windows", windows)
        for what in ("policies", "traces", "seeds"):
            if not getattr(self, what):
                raise ValueError(f"Grid.{what} is empty")
        for budget in self.carbon_budgets_kg:
            if budget is not None and not budget > 0:
                raise ValueError(f"carbon budgets must be > 0 kg or None, got {budget!r}")

    def windows_of(self, trace: str) -> tuple[str | None, ...]:
        """The window starts of one trace."""
        if isinstance(self.windows, Mapping):
            return tuple(self.windows.get(trace, (None,))) or (None,)
        return tuple(self.windows) or (None,)

    def runs(self) -> list[RunSpec]:
        """Every run, in a fixed order: trace, window, budget, seed, policy."""
        budgets = self.carbon_budgets_kg or ("config",)
        specs: list[RunSpec] = []
        for trace in self.traces:
            for start in self.windows_of(trace):
                for budget in budgets:
                    if budget == "config":
                        config = self.config
                    else:
                        config = self.config.with_(carbon_budget_g=None if budget is None else float(budget) * 1000.0)
                    for seed in self.seeds:
                        for policy in self.policies:
                            specs.append(RunSpec(len(specs), policy, trace, start, seed, config))
        return specs


# ------------------------------------------------------------------------------ one run
@lru_cache(maxsize=32)
def load_trace(trace: str) -> CarbonTrace:
    """A shipped trace by name, or a CSV file by path (cached per process)."""
    path = Path(trace)
    if trace.endswith((".csv", ".csv.gz")) or path.is_file():
        return CarbonTrace.from_csv(path, name=path.name)
    return CarbonTrace.load(trace)


def run_one(spec: RunSpec) -> dict[str, Any]:
    """Play one spec; returns a flat row (config + summary metrics) whose ``"trajectory"``
    entry holds the per-step series (a dict of lists) used by the plots."""
    config = spec.config
    trace = load_trace(spec.trace)
    sim = run_policy(make_policy(spec.policy), config, trace, spec.seed, spec.start)
    accounting = config.accounting if isinstance(config.accounting, str) else config.accounting.name
    budget = config.carbon_budget_g
    row: dict[str, Any] = {
        "run": spec.index,
        "policy": spec.policy,
        "trace": spec.trace,
        "start": iso_utc(sim.trace.times[0], seconds=False),
        "seed": spec.seed,
        "gpus": config.n_gpus,
        "budget_hours": config.budget_hours,
        "step_s": config.step_s,
        "optimizer": config.optimizer,
        "accounting": accounting,
        "hardware_metric": config.objectives.cost,
        "accuracy_metric": config.objectives.accuracy,
        "estimator": config.estimator,
        "carbon_budget_kg": float("nan") if budget is None else budget / 1000.0,
        "n_init": config.n_init,
        "queue_cap": config.queue_cap,
        "mean_intensity_g_per_kwh": float(np.mean(sim.trace.values_g_per_kwh[: sim.t])),
    }
    row.update(sim.summary())
    hist = sim.history
    row["trajectory"] = {
        "hour": [r["step"] * config.step_s / 3600.0 for r in hist],
        "intensity_g_per_kwh": [r["intensity_g_per_kwh"] for r in hist],
        "gpus_train": [r["gpus_train"] for r in hist],
        "hv_normalized": [r["hv_normalized"] for r in hist],  # at the end of the step
        "cum_carbon_g": [r["cum_carbon_g"] for r in hist],  # at the end of the step
        "init_hv_normalized": row["init_hv_normalized"],
        "init_carbon_g": row["init_carbon_kg"] * 1000.0,
        "step_h": config.step_s / 3600.0,
    }
    return row


# ------------------------------------------------------------------------------ backends
#: Called with (position in the spec list, row) the moment each run finishes.
OnResult = Callable[[int, dict], None]

#: Test hook: when set to a folder, the first run whose marker file ``<folder>/<index>`` is
#: missing creates it and kills its own process (``os._exit``), as a crashed worker would;
#: the retried run finds the marker and runs normally.
CRASH_ONCE_ENV = "CENAS_GYM_TEST_CRASH_ONCE"

#: Retries of a Ray task whose worker process died (killed, out of memory, node lost). A
#: Python exception inside run_one is not retried: the same spec would raise it again.
RAY_MAX_RETRIES = 3


def _crash_once_for_tests(spec: RunSpec) -> None:
    folder = os.environ.get(CRASH_ONCE_ENV)
    if folder:
        marker = Path(folder) / str(spec.index)
        if not marker.exists():
            marker.touch()
            os._exit(70)


def _run_one_remote(spec: RunSpec) -> dict[str, Any]:
    """:func:`run_one` as the worker backends call it (with the test crash hook)."""
    _crash_once_for_tests(spec)
    return run_one(spec)


def _progress(total: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, unit="run", file=sys.stderr)


def _serial(specs: list[RunSpec], progress: bool, on_result: OnResult) -> None:
    with _progress(len(specs), progress, "compare") as bar:
        for i, spec in enumerate(specs):
            on_result(i, run_one(spec))
            bar.update(1)


def _stop_pool(pool: Any) -> None:
    """Cancel what has not started and end the workers now (SIGTERM, then SIGKILL after 5 s)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5.0)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=1.0)


def _process(specs: list[RunSpec], jobs: int, progress: bool, on_result: OnResult) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from cenas_gym.interrupts import ignore_sigint

    # Workers start from a clean server process, not a fork of this one: a parent that has
    # loaded torch (a PPO policy checked or played here) deadlocks forked children.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method),
                               initializer=ignore_sigint)
    try:
        with _progress(len(specs), progress, f"compare x{jobs}") as bar:
            futures = {pool.submit(_run_one_remote, spec): i for i, spec in enumerate(specs)}
            for fut in as_completed(futures):
                on_result(futures[fut], fut.result())
                bar.update(1)
    except BaseException:  # interrupted, a worker died, a run failed: keep nothing running
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _ray(specs: list[RunSpec], address: str | None, progress: bool, on_result: OnResult) -> None:
    try:
        import ray
    except ImportError:
        raise ImportError(
            "the Ray backend needs Ray: pip install cenas-gym[ray]  (or: pip install 'ray>=2.9')"
        ) from None
    from cenas_gym.interrupts import interruptible

    started = False
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
        started = True
    pending: list = []
    try:
        with interruptible():  # after ray.init, which installs handlers of its own
            remote = ray.remote(max_retries=RAY_MAX_RETRIES, retry_exceptions=False)(_run_one_remote)
            refs = [remote.remote(spec) for spec in specs]
            position = {ref: i for i, ref in enumerate(refs)}
            pending = list(refs)
            with _progress(len(specs), progress, "compare (ray)") as bar:
                while pending:
                    done, pending = ray.wait(pending, num_returns=1)
                    for ref in done:
                        on_result(position[ref], ray.get(ref))
                        bar.update(1)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()


def run_grid(
    grid: Grid | Sequence[RunSpec],
    jobs: int = 1,
    backend: str = "serial",
    address: str | None = None,
    progress: bool = True,
    on_result: OnResult | None = None,
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Run every spec of ``grid``; returns (one row per run, in spec order; the per-step
    trajectories, aligned with the rows).

    ``backend``: ``"serial"``, ``"process"`` (a pool of ``jobs`` processes) or ``"ray"``
    (``ray.init(address=address)``, local when ``address`` is None, unless Ray is already
    initialised; a task whose worker dies is retried up to :data:`RAY_MAX_RETRIES` times).
    Rows are identical whatever the backend. ``on_result(position, row)`` is called the
    moment each run finishes (in completion order), e.g. to store it
    (:class:`~cenas_gym.runstore.RunStore`).

    SIGINT and SIGTERM raise :class:`~cenas_gym.interrupts.Interrupted` (a
    KeyboardInterrupt): runs not started are cancelled and the workers stopped first.
    """
    from cenas_gym.interrupts import interruptible

    specs = grid.runs() if isinstance(grid, Grid) else list(grid)
    rows: list[dict | None] = [None] * len(specs)

    def collect(i: int, row: dict) -> None:
        if on_result is not None:
            on_result(i, row)
        rows[i] = row

    with interruptible():
        if backend == "serial" or (backend == "process" and jobs <= 1):
            _serial(specs, progress, collect)
        elif backend == "process":
            _process(specs, jobs, progress, collect)
        elif backend == "ray":
            _ray(specs, address, progress, collect)
        else:
            raise ValueError(f"unknown backend {backend!r}; choose serial, process or ray")
    return frames_of(rows)  # type: ignore[arg-type]


def frames_of(rows: Sequence[Mapping[str, Any]]) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """(table, trajectories) of rows as :func:`run_one` returns them."""
    trajectories = []
    flat = []
    for row in rows:
        row = dict(row)
        traj = dict(row.pop("trajectory"))
        init = {k: traj.pop(k) for k in ("init_hv_normalized", "init_carbon_g", "step_h")}
        frame = pd.DataFrame(traj)
        frame.attrs.update(init)
        trajectories.append(frame)
        flat.append(row)
    return pd.DataFrame(flat), trajectories


# ------------------------------------------------------------------------------ statistics
def _fmt(v: float, digits: int) -> str:
    return "n/a" if not np.isfinite(v) else f"{v:.{digits}f}"


def _cell(values: Iterable[float], digits: int) -> str:
    mean, lo, hi = mean_ci(values)
    if not np.isfinite(lo):
        return _fmt(mean, digits)
    return f"{_fmt(mean, digits)} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"


def _digits(column: str) -> int:
    return {"final_hv_normalized": 5, "hv_per_kg": 5, "carbon_kg": 2, "energy_kwh": 1, "hours_to_99pct_hv": 1}.get(column, 4)


def _setting(frame: pd.DataFrame) -> pd.Series:
    """A readable group label: the trace, plus the carbon budget when there is one."""
    budget = frame["carbon_budget_kg"]
    return frame["trace"] + budget.map(lambda b: "" if not np.isfinite(b) else f" (budget {b:g} kg)")


def paired(results: pd.DataFrame, policy: str, baseline: str = BASELINE) -> pd.DataFrame:
    """Rows of ``policy`` joined to ``baseline`` on trace, window, seed and budget."""
    keys = list(PAIR_KEYS)
    a = results[results["policy"] == policy].copy()
    b = results[results["policy"] == baseline].copy()
    for frame in (a, b):
        frame["carbon_budget_kg"] = frame["carbon_budget_kg"].fillna(-1.0)
    return a.merge(b, on=keys, suffixes=("", "_base"))


def summarize(results: pd.DataFrame, baseline: str = BASELINE) -> str:
    """A markdown report: per-policy means with 95 % t-intervals, and paired differences
    against ``baseline`` on the same trace, window, seed (and carbon budget)."""
    r = results.copy()
    r["setting"] = _setting(r)
    policies = list(dict.fromkeys(r["policy"]))
    settings = list(dict.fromkeys(r["setting"]))
    first = r.iloc[0]
    metric = str(first["hardware_metric"])
    lines = [
        "# Policy comparison",
        "",
        f"- runs: {len(r)}; policies: {', '.join(policies)}; seeds: {r['seed'].nunique()}",
        f"- setting: {int(first['gpus'])} GPUs, {first['budget_hours']:g} h, optimizer {first['optimizer']}, "
        f"accounting `{first['accounting']}`, estimator {first['estimator']}",
        f"- hardware metric: `{metric}`"
        + (f" ({HARDWARE_METRIC_NOTES[metric]})" if metric in HARDWARE_METRIC_NOTES else ""),
        f"- accuracy metric: `{first['accuracy_metric']}`; HV normalised by the HV of the table's true Pareto front",
        "- cells: mean [95 % confidence interval, t-distribution over runs]",
        "",
        "## Per policy",
        "",
    ]
    for setting in settings:
        sub = r[r["setting"] == setting]
        starts = ", ".join(dict.fromkeys(sub["start"]))
        lines += [f"### {setting}", "", f"windows: {starts}", ""]
        lines.append("| policy | n | " + " | ".join(label for _, label in METRICS) + " |")
        lines.append("|---|---:|" + "---:|" * len(METRICS))
        for policy in policies:
            p = sub[sub["policy"] == policy]
            if p.empty:
                continue
            cells = [_cell(p[col], _digits(col)) for col, _ in METRICS]
            lines.append(f"| {policy} | {len(p)} | " + " | ".join(cells) + " |")
        lines.append("")

    lines += [f"## Paired differences against `{baseline}`", ""]
    if baseline not in policies:
        lines += [f"(no `{baseline}` runs in this grid: no paired comparison)", ""]
    else:
        lines += [
            f"Each run paired with the `{baseline}` run on the same trace, window, seed"
            " (hence the same initial architectures) and carbon budget. Difference = policy - "
            f"{baseline}; carbon ratio = policy kg / {baseline} kg (mean of per-pair ratios); "
            f"HV diff % = 100 x (policy HV - {baseline} HV) / {baseline} HV.",
            "",
        ]
        for setting in settings:
            sub = r[r["setting"] == setting]
            lines += [f"### {setting}", ""]
            header = ["policy", "pairs"] + [f"diff {label}" for _, label in PAIRED] + ["carbon ratio", "HV diff %"]
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|---|---:|" + "---:|" * (len(header) - 2))
            for policy in policies:
                if policy == baseline:
                    continue
                pr = paired(sub, policy, baseline)
                if pr.empty:
                    continue
                cells = [_cell(pr[col] - pr[f"{col}_base"], _digits(col)) for col, _ in PAIRED]
                cells.append(_cell(pr["carbon_kg"] / pr["carbon_kg_base"], 3))
                hv_pct = 100.0 * (pr["final_hv_normalized"] - pr["final_hv_normalized_base"]) / pr["final_hv_normalized_base"]
                cells.append(_cell(hv_pct, 4))
                lines.append(f"| {policy} | {len(pr)} | " + " | ".join(cells) + " |")
            lines.append("")

    if baseline in policies and "vanilla" in policies:
        pr = paired(r, "vanilla", baseline)
        ratio = pr["carbon_kg"] / pr["carbon_kg_base"]
        hv_pct = 100.0 * (pr["final_hv_normalized_base"] - pr["final_hv_normalized"]) / pr["final_hv_normalized"]
        lines += [
            "## Against the paper's headline (arXiv 2307.04131)",
            "",
            "| | carbon vanilla / heuristic | heuristic final HV vs vanilla (%) |",
            "|---|---:|---:|",
            f"| paper (quoted against other approaches) | {PAPER_CARBON_RATIO[0]:.2f}-{PAPER_CARBON_RATIO[1]:.2f}x"
            f" | {PAPER_HV_DIFF_PCT:+.3f} |",
            f"| this grid ({len(pr)} pairs over {pr['trace'].nunique()} trace(s) and {pr['start'].nunique()} "
            f"window(s), accounting `{first['accounting']}`, `{metric}`) | "
            f"{_cell(ratio, 2)}x (range {_fmt(ratio.min(), 2)}-{_fmt(ratio.max(), 2)}) | {_cell(hv_pct, 3)} |",
            "",
            "The paper measures HV on (accuracy, edge-GPU energy); offline we use "
            f"`{metric}`, so the HV numbers are comparable in kind, not in value.",
            "",
        ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ plots
def _mean_curves(results: pd.DataFrame, trajectories: Sequence[pd.DataFrame], mask: pd.Series) -> pd.DataFrame:
    """Mean over the selected runs of hv_normalized and cum carbon (kg) at each hour
    (hour 0 = before the first step)."""
    frames = []
    for i in np.flatnonzero(mask.to_numpy()):
        t = trajectories[i]
        step_h = t.attrs.get("step_h", 1.0)
        f = pd.DataFrame(
            {
                "hour": np.concatenate([[0.0], t["hour"].to_numpy() + step_h]),
                "hv": np.concatenate([[t.attrs["init_hv_normalized"]], t["hv_normalized"].to_numpy()]),
                "kg": np.concatenate([[t.attrs["init_carbon_g"]], t["cum_carbon_g"].to_numpy()]) / 1000.0,
            }
        )
        frames.append(f)
    return pd.concat(frames).groupby("hour", sort=True).mean().reset_index()


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install cenas-gym[plot]") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    # No timestamps in the PNG metadata: the same results give the same bytes.
    fig.savefig(path, dpi=90, metadata={"Software": None})


def plot_all(results: pd.DataFrame, trajectories: Sequence[pd.DataFrame], outdir: str | Path) -> list[Path]:
    """Write hv_over_hours.png, hv_vs_carbon.png, allocation.png, carbon_bars.png (and
    budget_boxplots.png when the grid has several carbon budgets); returns the paths."""
    plt = _pyplot()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    r = results.reset_index(drop=True).copy()
    r["setting"] = _setting(r)
    policies = list(dict.fromkeys(r["policy"]))
    settings = list(dict.fromkeys(r["setting"]))
    colors = {p: plt.get_cmap("tab10")(i % 10) for i, p in enumerate(policies)}
    metric = str(r["hardware_metric"].iloc[0])
    written = []

    # 1, 2: mean HV over hours, and against cumulative carbon, one panel per setting.
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
        fig.suptitle(f"hardware metric: {metric}", fontsize=9)
        fig.tight_layout()
        _save(fig, outdir / name)
        plt.close(fig)
        written.append(outdir / name)

    # 3: allocation on one window (the first trace, window, budget and seed).
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
    fig.suptitle(f"{first['trace']} from {first['start']}, seed {first['seed']}", fontsize=9)
    fig.tight_layout()
    _save(fig, outdir / "allocation.png")
    plt.close(fig)
    written.append(outdir / "allocation.png")

    # 4: kg CO2 and HV per kg per policy, grouped by setting, with 95 % CI error bars.
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / max(1, len(settings))
    x = np.arange(len(policies))
    for ax, (col, label) in zip(axes, (("carbon_kg", "kg CO2eq"), ("hv_per_kg", "normalised HV per kg"))):
        for j, setting in enumerate(settings):
            stats = [mean_ci(r[(r["setting"] == setting) & (r["policy"] == p)][col]) for p in policies]
            means = np.array([s[0] for s in stats])
            err = np.array([[m - lo if np.isfinite(lo) else 0.0, hi - m if np.isfinite(hi) else 0.0] for m, lo, hi in stats]).T
            ax.bar(x + (j - (len(settings) - 1) / 2) * width, means, width, yerr=err, capsize=2, label=setting)
        ax.set_xticks(x, policies, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("mean and 95 % CI per policy", fontsize=9)
    fig.tight_layout()
    _save(fig, outdir / "carbon_bars.png")
    plt.close(fig)
    written.append(outdir / "carbon_bars.png")

    # 5: final HV under each carbon budget (NeurIPS-style), when the grid has several.
    budgets = sorted(b for b in r["carbon_budget_kg"].unique() if np.isfinite(b))
    if len(budgets) > 1:
        fig, axes = plt.subplots(1, len(budgets), figsize=(3.6 * len(budgets), 4), sharey=True, squeeze=False)
        for ax, b in zip(axes[0], budgets):
            sub = r[r["carbon_budget_kg"] == b]
            data = [sub[sub["policy"] == p]["final_hv_normalized"].to_numpy() for p in policies]
            ax.boxplot(data)
            ax.set_xticks(range(1, len(policies) + 1), policies, rotation=30, ha="right", fontsize=8)
            ax.set_title(f"budget {b:g} kg CO2eq", fontsize=9)
            ax.grid(axis="y", alpha=0.3)
        axes[0][0].set_ylabel("final normalised HV")
        fig.tight_layout()
        _save(fig, outdir / "budget_boxplots.png")
        plt.close(fig)
        written.append(outdir / "budget_boxplots.png")
    return written


# ------------------------------------------------------------------------------ all at once
def compare(
    grid: Grid,
    outdir: str | Path = "cenas-compare",
    jobs: int = 1,
    backend: str = "serial",
    address: str | None = None,
    progress: bool = True,
    plots: bool = True,
    resume: bool = False,
    force: bool = False,
) -> pd.DataFrame:
    """Run ``grid`` and write ``results.csv`` (one row per run; no timestamps, so the same
    grid gives the same bytes), ``summary.md`` and the PNGs into ``outdir``.

    Each run is stored the moment it finishes (``runs.jsonl``, ``results.partial.csv``; see
    :mod:`cenas_gym.runstore`), so an interrupted grid loses only the runs in flight.
    ``resume``: keep the finished runs of this same grid in ``outdir`` and run the rest; the
    final ``results.csv`` is byte-identical to an uninterrupted run's. A folder holding
    results (of this grid without ``resume``, or of another grid) raises
    :class:`~cenas_gym.runstore.FolderInUse` unless ``force``, which discards them.
    """
    from cenas_gym.runstore import RunStore

    outdir = Path(outdir)
    specs = grid.runs()
    store = RunStore.open(outdir, grid, specs, resume=resume, force=force)
    todo = store.pending()
    if todo:
        run_grid([specs[i] for i in todo], jobs=jobs, backend=backend, address=address, progress=progress,
                 on_result=lambda j, row: store.add(todo[j], row))
    results, trajectories = frames_of(store.rows())
    results.to_csv(outdir / "results.csv", index=False, lineterminator="\n")
    store.finish()
    (outdir / "summary.md").write_text(summarize(results) + "\n", encoding="utf-8")
    if plots:
        plot_all(results, trajectories, outdir)
    return results


# ------------------------------------------------------------------------------ presets
#: Every policy (the shipped PPO agent included) on two Californian windows (summer, winter)
#: and one Spanish one, 5 seeds, 80 h, 8 GPUs, LaMOO, default accounting.
DEFAULT_GRID = Grid(
    policies=default_policies(),
    traces=("US-CAL-CISO:2021", "ES:2022"),
    windows={
        "US-CAL-CISO:2021": ("2021-07-02T06:00Z", "2021-01-15T00:00Z"),
        "ES:2022": ("2022-04-04T00:00Z",),
    },
    seeds=range(5),
    config=SimConfig(n_gpus=8, budget_hours=80.0, optimizer="lamoo"),
    name="default",
)

#: The authors' code defaults (cake-lab/CE-NAS cenas_RL.py: --GPU_nums 8, --budget 80;
#: carbon_reader.py: California from row 13158 = 2021-07-02 06:00 UTC), the authors'
#: accounting (1 kW per training GPU, sampling and idle free), the authors' heuristic
#: (C_min/C_max from the start to the end of the trace) vs vanilla LaMOO; set beside the
#: figures quoted in arXiv 2307.04131.
PAPER_GRID = Grid(
    policies=("heuristic", "vanilla"),
    traces=("US-CAL-CISO:2021",),
    windows={"US-CAL-CISO:2021": ("2021-07-02T06:00Z",)},
    seeds=range(10),
    config=SimConfig(n_gpus=8, budget_hours=80.0, optimizer="lamoo", accounting="cenas"),
    name="paper",
)

#: Final HV under carbon budgets of 25, 50, 75, 100 kg, 5 runs per method, the authors'
#: accounting: this package's setting in the spirit of the NeurIPS 2024 CE-NAS paper's
#: carbon-budget comparison, not a verified paper setting. The time budget (160 h) is long
#: enough that the carbon budget, not time, ends the vanilla runs.
NEURIPS_GRID = Grid(
    policies=("heuristic", "vanilla", "oneshot", "oracle"),
    traces=("US-CAL-CISO:2021",),
    windows={"US-CAL-CISO:2021": ("2021-07-02T06:00Z",)},
    seeds=range(5),
    config=SimConfig(n_gpus=8, budget_hours=160.0, optimizer="lamoo", accounting="cenas"),
    carbon_budgets_kg=(25.0, 50.0, 75.0, 100.0),
    name="neurips",
)

PRESETS: dict[str, Grid] = {"default": DEFAULT_GRID, "paper": PAPER_GRID, "neurips": NEURIPS_GRID}


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"5"`` -> 0..4; ``"0-4"`` -> 0..4; ``"1,3,7"`` -> those."""
    text = text.strip()
    try:
        if "," in text:
            return tuple(int(s) for s in text.split(",") if s.strip())
        if "-" in text[1:]:
            lo, hi = text.split("-", 1)
            return tuple(range(int(lo), int(hi) + 1))
        return tuple(range(int(text)))
    except ValueError:
        raise ValueError(f"seeds {text!r}: give N (0..N-1), A-B (inclusive) or a comma list") from None
