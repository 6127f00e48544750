"""Does sampling pay? Allocation x estimator x screening mode, paired against vanilla (issue 21).

    python benchmarks/sampling.py --jobs 16            # the full grid -> results/sampling/
    python benchmarks/sampling.py --quick --jobs 2     # 4 seeds, one window (smoke run)

Task: reach HV regret <= 0.002 within 160 h (``make_task("target")``), 8 GPUs, LaMOO,
``shared`` accounting (training and sampling GPUs at 400 W x PUE 1.1, released GPUs 0 W).
Grid: the package's shipped windows (California 2021-07-02 and 2021-01-15, Spain
2022-04-04) x seeds 0-9; vanilla (every GPU trains every hour: no estimator, no supernet) once
per window and seed; ``fixed:2``, ``fixed:4``, ``fixed:6``, the authors' ``heuristic`` and
``heuristic:causal`` x every estimator (at its real cost: supernets charged once, see
:mod:`cenas_gym.search.estimators`) x screening ``queue`` (the authors'), ``select`` and
``partition``. acc12 and the oracle on every seed; the other estimators on seeds 0-4
(:data:`OTHER_SEEDS`).

Every run is played by :func:`cenas_gym.compare.grid.run_grid` (process pool) and stored the
moment it finishes in ``runs.jsonl``; a rerun keeps the runs already there (``--fresh``
starts over), so an interrupted grid resumes and a partial grid can be completed later.
Outputs: ``results.csv`` (one row per run), ``summary.md`` (paired ratios against vanilla
with 95 % t-intervals, :func:`cenas_gym.compare.stats.paired_ratio_ci`; the estimators' cost and
rank quality) and ``ratios.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cenas_gym.compare.grid import RunSpec
from cenas_gym.compare.runners import run_grid
from cenas_gym.search.estimators import ESTIMATOR_SPECS, estimate_values, screening_seconds
from cenas_gym.search.nasbench import ArchTable
from cenas_gym.sim.screening import SCREENING_MODES, fit_upper_error_model
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.compare.stats import paired_ratio_ci, share_ci
from cenas_gym.sim.tasks import make_task

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "sampling"
WINDOWS: tuple[tuple[str, str], ...] = (
    ("US-CAL-CISO:2021", "2021-07-02T06:00Z"),
    ("US-CAL-CISO:2021", "2021-01-15T00:00Z"),
    ("ES:2022", "2022-04-04T00:00Z"),
)
POLICIES = ("fixed:2", "fixed:4", "fixed:6", "heuristic", "heuristic:causal")
#: The rules that sample in dirty hours and train in clean ones (the criterion's subject).
TIMING_RULES = ("heuristic", "heuristic:causal")
SEEDS = tuple(range(10))
#: The estimators the criterion is judged on get every seed; the others (weight-sharing and
#: zero-cost estimates: see the estimator table for why they cannot pay) get the first 5, which
#: keeps the full grid within ~16 cores x 9 minutes.
HEADLINE_ESTIMATORS = ("acc12", "oracle")
OTHER_SEEDS = tuple(range(5))
QUICK_SEEDS = tuple(range(4))
ACCOUNTING = "shared"
#: The done-criterion of issue 21: at most this share of vanilla's trained cells and kg.
CRITERION_RATIO = 0.80
MIN_PAIRS = 30
RUN_COLUMNS = ("policy", "estimator", "screening", "trace", "start", "seed", "reached_target", "kg_to_target",
               "hours_to_target", "n_trained", "n_screened", "n_discarded", "carbon_kg", "train_gpu_h",
               "sample_gpu_h", "supernet_gpu_h", "init_carbon_kg", "final_log10_regret", "hours")


def config_of(policy: str, estimator: str, screening: str) -> SimConfig:
    """The run's settings: vanilla never samples, so it carries no estimator cost."""
    base = make_task("target").apply(SimConfig(n_gpus=8, optimizer="lamoo", accounting=ACCOUNTING))
    if policy == "vanilla":
        return base.with_(screening="queue", estimator="oneshot", supernet_train_gpu_h=0.0)
    return base.with_(screening=screening, estimator=estimator, supernet_train_gpu_h=None)


def key_of(policy: str, estimator: str, screening: str, trace: str, start: str, seed: int) -> str:
    return "|".join((policy, estimator, screening, trace, start, str(seed)))


def plan(windows, seeds, policies, estimators, modes, other_seeds=None) -> list[tuple[str, RunSpec]]:
    """(key, spec) of every run, vanilla first in each window and seed; estimators outside
    :data:`HEADLINE_ESTIMATORS` only on ``other_seeds`` (default: every seed)."""
    out = []
    for trace, start in windows:
        for seed in seeds:
            few = other_seeds is not None and seed not in other_seeds
            combos = [("vanilla", "-", "-")] + [(p, e, m) for p in policies for e in estimators for m in modes
                                                 if not (few and e not in HEADLINE_ESTIMATORS)]
            for policy, estimator, mode in combos:
                config = config_of(policy, estimator if estimator != "-" else "oneshot", mode if mode != "-" else "queue")
                out.append((key_of(policy, estimator, mode, trace, start, seed),
                            RunSpec(len(out), policy, trace, start, seed, config)))
    return out


def run_all(todo: list[tuple[str, RunSpec]], runs_file: Path, jobs: int) -> None:
    """Play what ``runs_file`` lacks, appending each row the moment it finishes."""
    keys = [k for k, _ in todo]
    with runs_file.open("a", encoding="utf-8") as log:
        def store(i: int, row: dict) -> None:
            row = {c: row.get(c) for c in RUN_COLUMNS}
            row["estimator"], row["screening"] = keys[i].split("|")[1:3]
            row["key"] = keys[i]
            log.write(json.dumps(row) + "\n")
            log.flush()

        run_grid([s for _, s in todo], jobs=jobs, backend="process" if jobs > 1 else "serial", on_result=store)


def read_runs(runs_file: Path) -> pd.DataFrame:
    if not runs_file.is_file():
        return pd.DataFrame(columns=list(RUN_COLUMNS) + ["key"])
    rows = [json.loads(line) for line in runs_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return pd.DataFrame(rows).drop_duplicates("key", keep="last")


# ------------------------------------------------------------------------------ report
def estimator_table(table: ArchTable) -> list[str]:
    """Cost and rank quality of every estimator on the whole table."""
    from scipy.stats import kendalltau

    acc = table.column("acc_cifar10_pct")
    train = table.column("train_time_cifar10_s")
    top = acc >= np.quantile(acc, 0.9)
    lines = ["| estimator | deployable | s per screening (median) | share of a training (median) | supernet GPU-h | "
             "Kendall tau, all | tau, top 10 % | error sd at the top (%) |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, spec in ESTIMATOR_SPECS.items():
        est = estimate_values(table, name)
        seconds = screening_seconds(table, name)
        model = fit_upper_error_model(est[top], acc[top])
        lines.append(
            f"| {name} | {'yes' if spec.deployable else '**no** (the truth)'} | {np.median(seconds):.3g} | "
            f"{np.median(seconds / train):.2g} | {spec.supernet_gpu_h:g} | {kendalltau(est, acc)[0]:.2f} | "
            f"{kendalltau(est[top], acc[top])[0]:.2f} | {model.sd:.2f} |")
    return lines


def top_accuracy_sd(table: ArchTable) -> float:
    """Standard deviation (%) of true accuracy over the table's top 10 %."""
    acc = table.column("acc_cifar10_pct")
    return float(acc[acc >= np.quantile(acc, 0.9)].std())


def paired_rows(runs: pd.DataFrame, label: str) -> list[dict]:
    """Per (policy, estimator, screening): ratios against vanilla on the same window and seed."""
    base = runs[runs["policy"] == "vanilla"].set_index(["trace", "start", "seed"])
    rows = []
    for (policy, estimator, mode), g in runs[runs["policy"] != "vanilla"].groupby(
            ["policy", "estimator", "screening"], sort=False):
        joined = g.join(base, on=["trace", "start", "seed"], rsuffix="_v", how="inner")
        hit, hit_v = joined["reached_target"].astype(bool), joined["reached_target_v"].astype(bool)
        both = hit & hit_v
        tr = paired_ratio_ci(joined["n_trained"][both], joined["n_trained_v"][both])
        kg = paired_ratio_ci(joined["kg_to_target"][both].astype(float), joined["kg_to_target_v"][both].astype(float))
        reached = share_ci(int(hit.sum()), len(joined))
        rows.append({
            "group": label, "policy": policy, "estimator": estimator, "screening": mode, "runs": len(joined),
            "reached": int(hit.sum()), "reached_low": reached[1], "vanilla_reached": int(hit_v.sum()),
            "pairs": tr[3], "trained_ratio": tr[0], "trained_low": tr[1], "trained_high": tr[2],
            "kg_ratio": kg[0], "kg_low": kg[1], "kg_high": kg[2],
            "trained": float(g["n_trained"][g["reached_target"].astype(bool)].mean()),
            "screened": float(g["n_screened"].mean()), "discarded": float(g["n_discarded"].mean()),
            "hours": float(g["hours_to_target"].astype(float).mean()),
            "kg": float(g["kg_to_target"].astype(float).mean()),
        })
    return rows


def _ci(r: dict, name: str) -> str:
    if not np.isfinite(r[f"{name}_ratio"]):
        return "n/a"
    if not np.isfinite(r[f"{name}_low"]):
        return f"{r[f'{name}_ratio']:.2f}"
    return f"{r[f'{name}_ratio']:.2f} [{r[f'{name}_low']:.2f}, {r[f'{name}_high']:.2f}]"


def meets(r: dict) -> str:
    """``yes`` when the 95 % upper bounds of both ratios are <= 0.80 on >= 30 pairs and every run
    reached the target; ``point`` when only the point estimates are; else ``no``."""
    if r["reached"] < r["runs"] or not np.isfinite(r["trained_ratio"]):
        return "no"
    if max(r["trained_ratio"], r["kg_ratio"]) > CRITERION_RATIO:
        return "no"
    strict = r["pairs"] >= MIN_PAIRS and max(r["trained_high"], r["kg_high"]) <= CRITERION_RATIO
    return "yes" if strict else "point"


def verdict(table: pd.DataFrame) -> list[str]:
    """The criterion for the timing rules, deployable estimators and modes other than queue."""
    if not len(table):
        return []
    pooled = table[(table["group"] == "all windows pooled") & table["policy"].isin(TIMING_RULES)
                   & (table["screening"] != "queue")]
    lines = ["## Verdict: does a rule that samples in dirty hours and trains in clean ones meet the criterion?", "",
             "All windows pooled; deployable estimators only (the oracle is the ceiling, shown below).", ""]
    for r in pooled.to_dict("records"):
        if not ESTIMATOR_SPECS[r["estimator"]].deployable:
            continue
        lines.append(f"- `{r['policy']}` x `{r['estimator']}` x `{r['screening']}`: **{meets(r)}** - reached "
                     f"{r['reached']}/{r['runs']}, trained {_ci(r, 'trained')}, kg {_ci(r, 'kg')} over {r['pairs']} pairs")
    return lines + [""]


def summarize(runs: pd.DataFrame, quick: bool, command: str, elapsed_s: float,
              grid_size: int | None = None) -> tuple[str, pd.DataFrame]:
    vanilla = runs[runs["policy"] == "vanilla"]
    groups = [("all windows pooled", runs)]
    groups += [(f"{t} from {s}", runs[(runs["trace"] == t) & (runs["start"] == s)])
               for t, s in dict.fromkeys(zip(runs["trace"], runs["start"]))]
    table = pd.DataFrame([row for label, g in groups for row in paired_rows(g, label)])
    lines = [
        "# Sampling that informs the search: paired against vanilla" + (" (QUICK run: not the full grid)" if quick else ""),
        "",
        f"Command: `{command}` ({len(runs)} runs"
        + (f" of the {grid_size} in the grid: a PARTIAL grid, the missing runs are played by the same command"
           if grid_size is not None and len(runs) < grid_size else "")
        + f"; last call {elapsed_s:.0f} s).",
        "",
        f"- task: HV regret <= 0.002 within 160 h, 8 GPUs, LaMOO, accounting `{ACCOUNTING}` (training and sampling "
        "GPUs at 400 W x PUE 1.1, GPUs that neither train nor sample released: 0 W; initial cells charged)",
        f"- windows: {', '.join(f'{t} from {s}' for t, s in dict.fromkeys(zip(runs['trace'], runs['start'])))}; "
        f"seeds: {sorted(set(int(s) for s in runs['seed']))}",
        "- vanilla: every GPU trains every hour (no estimator, no supernet); it reached the target in "
        f"{int(vanilla['reached_target'].astype(bool).sum())}/{len(vanilla)} runs, "
        f"{vanilla['n_trained'].mean():.0f} trained cells and {vanilla['kg_to_target'].astype(float).mean():.1f} kg on average",
        "- ratios: geometric mean over pairs (same window and seed, hence the same initial cells) of policy / vanilla, "
        "95 % t-interval on the log ratios; pairs where either missed the target are left out and the misses counted",
        f"- criterion (issue 21): trained ratio and kg ratio <= {CRITERION_RATIO:.2f}, every run reached; `yes` = the 95 % "
        f"upper bounds are, on >= {MIN_PAIRS} pairs; `point` = only the point estimates are",
        "- screening `queue`: the authors' (every screened cell trained); `select`: screened cells compete by expected HV "
        "improvement over the true front, dominated ones dropped; `partition`: `select`, and LaMOO's partition learns "
        "from the screened cells at their predicted accuracy (cenas_gym/screening.py)",
        "- with an estimate that knows nothing at the top (one-shot, few-shot, NASWOT; tau over the top 10 % <= 0), "
        "`select` and `partition` screen the whole space within hours (seconds per screening) and the error model drops "
        "nearly every cell, the front's too: they then miss the target. Use them with acc12 (or the queue).",
        "",
        "- note: vanilla's and `fixed:K`'s searches do not read the grid, so with the same seed they train the same "
        "cells in every window (only their kg differs); their trained-cell ratios repeat across windows, and "
        "their intervals over 30 pairs rest on 10 distinct searches. The timing rules differ per window.",
        "",
        *verdict(table),
        "## The estimators: cost and what they know at the top",
        "",
        "Rank agreement with true CIFAR-10 accuracy over the whole table and over its top 10 % (where the front "
        "lives); 'error sd at the top': residual sd of the select mode's error model (line fitted on the upper half "
        "by estimate) over the top-10 % cells, against the true accuracy's own sd there "
        f"({top_accuracy_sd(ArchTable.load()):.2f} %: an error that large knows nothing).",
        "",
        *estimator_table(ArchTable.load()),
        "",
    ]
    for label in dict.fromkeys(table["group"]) if len(table) else []:
        sub = table[table["group"] == label].sort_values(["screening", "estimator", "policy"], kind="stable")
        lines += [f"## {label}", "",
                  "| policy | estimator | screening | reached | pairs | trained / vanilla | kg / vanilla | meets | "
                  "trained | screened | discarded | h to target | kg to target |",
                  "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
        for r in sub.to_dict("records"):
            lines.append(
                f"| {r['policy']} | {r['estimator']} | {r['screening']} | {r['reached']}/{r['runs']} | {r['pairs']} | "
                f"{_ci(r, 'trained')} | {_ci(r, 'kg')} | {meets(r)} | {r['trained']:.0f} | {r['screened']:.0f} | "
                f"{r['discarded']:.0f} | {r['hours']:.1f} | {r['kg']:.1f} |")
        lines.append("")
    return "\n".join(lines) + "\n", table


def plot(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pooled = table[table["group"] == "all windows pooled"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharex=True, sharey=True)
    for ax, mode in zip(axes, SCREENING_MODES):
        sub = pooled[pooled["screening"] == mode]
        for i, (estimator, g) in enumerate(sub.groupby("estimator", sort=False)):
            ax.scatter(g["trained_ratio"], g["kg_ratio"], label=estimator, color=plt.get_cmap("tab10")(i))
            for r in g.to_dict("records"):
                ax.annotate(r["policy"], (r["trained_ratio"], r["kg_ratio"]), fontsize=6)
        ax.axvline(CRITERION_RATIO, color="0.5", ls=":")
        ax.axhline(CRITERION_RATIO, color="0.5", ls=":")
        ax.axvline(1.0, color="0.8")
        ax.axhline(1.0, color="0.8")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"screening {mode}", fontsize=9)
        ax.set_xlabel("trained cells / vanilla (pairs that both reached)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("kg to target / vanilla")
    axes[0].legend(fontsize=7)
    fig.suptitle("lower left of the dotted lines: the issue-21 criterion (0.80, 0.80)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="seeds 0-3 on the first window only")
    parser.add_argument("--out", type=Path, default=None, help="default: results/sampling (quick: results/sampling/quick)")
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--estimators", default=",".join(ESTIMATOR_SPECS))
    parser.add_argument("--modes", default=",".join(SCREENING_MODES))
    parser.add_argument("--fresh", action="store_true", help="discard the runs already stored in --out")
    parser.add_argument("--report-only", action="store_true", help="write the report from the stored runs")
    args = parser.parse_args(argv)
    split = lambda s: tuple(x for x in s.split(",") if x)  # noqa: E731
    out = args.out or (OUT / "quick" if args.quick else OUT)
    out.mkdir(parents=True, exist_ok=True)
    runs_file = out / "runs.jsonl"
    if args.fresh and runs_file.exists():
        runs_file.unlink()
    windows = WINDOWS[:1] if args.quick else WINDOWS
    seeds = QUICK_SEEDS if args.quick else SEEDS
    specs = plan(windows, seeds, split(args.policies), split(args.estimators), split(args.modes),
                 None if args.quick else OTHER_SEEDS)
    done = set(read_runs(runs_file)["key"])
    todo = [(k, s) for k, s in specs if k not in done]
    print(f"sampling: {len(specs)} runs in the grid, {len(todo)} to play, {args.jobs} job(s) -> {out}", file=sys.stderr)
    t0 = time.perf_counter()
    if todo and not args.report_only:
        run_all(todo, runs_file, args.jobs)
    runs = read_runs(runs_file)
    runs = runs.sort_values(["trace", "start", "seed", "policy", "estimator", "screening"], kind="stable")
    runs.drop(columns="key").to_csv(out / "results.csv", index=False, lineterminator="\n")
    command = "python benchmarks/sampling.py" + (" --quick" if args.quick else "") + " --jobs N"
    present = set(runs["key"]) & {k for k, _ in specs}
    text, table = summarize(runs, args.quick, command, time.perf_counter() - t0, len(specs) if len(present) < len(specs)
                            else None)
    (out / "summary.md").write_text(text, encoding="utf-8")
    table.to_csv(out / "paired.csv", index=False, lineterminator="\n")
    if len(table):
        plot(table, out / "ratios.png")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
