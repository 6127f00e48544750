"""The score card of ``cenas-gym bench``: one policy's CENAS-Bench scores, paired against the
reference policies on the very same cases (task, trace, window, seed).

Per task, against each reference (``heuristic``, ``vanilla``):

- **kg ratio**: geometric mean of the per-pair ratios policy kg / reference kg with a 95 %
  t-interval on the log ratios (:func:`~cenas_gym.compare.stats.paired_ratio_ci`). On the
  target task the kg are the kg CO2eq to reach the target, over the pairs in which both runs
  reached it (the others are counted, not used); on the budget task, the kg emitted (close to
  the budget by construction: read the regret instead).
- **log10 regret diff**: mean of the per-pair differences of final log10 HV regret, 95 %
  t-interval (negative: the policy ended with a better front).
- **attainment**: share of runs whose final regret is at or below the suite's target regret
  (on the target task: that reached the target), 95 % Wilson interval.

One aggregate over every case of every task the policy plays: the **IQM ratio to the
heuristic**, the interquartile mean (25 % trimmed mean, as ``rliable`` computes the IQM) of
the per-case log10 ratios, shown as a ratio (``10 ** IQM``; below 1 is better than the
heuristic), with a 95 % stratified-bootstrap percentile interval (runs resampled with
replacement within each task x trace stratum, as ``rliable``'s ``StratifiedBootstrap`` does
within each task; numpy, seeded, so the interval is reproducible). The per-case ratio is, on
the target task, kg to target (policy missed, heuristic reached: +inf, the worst; policy
reached, heuristic missed: 0, the best; both missed: 1), and on the budget task the final
regret ratio at (nearly) equal carbon. The IQM ignores the best and worst quarter of the
cases, so a policy that misses the target in fewer than a quarter of the cases keeps a
finite score; one that misses more scores +inf.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import trim_mean

from cenas_gym.compare.stats import mean_ci, paired_ratio_ci, share_ci

#: The identity of a case apart from the policy: pairs share it.
CASE_KEYS = ("task", "trace", "start", "seed")
#: The reference of the aggregate.
AGGREGATE_REFERENCE = "heuristic"
AGGREGATE_NAME = "IQM ratio to heuristic"


# ------------------------------------------------------------------------------ statistics
def iqm(values: Sequence[float] | np.ndarray, axis: int | None = None) -> Any:
    """Interquartile mean: the mean of the middle 50 % (``scipy.stats.trim_mean(x, 0.25)``,
    as rliable's ``metrics.aggregate_iqm``)."""
    return trim_mean(np.asarray(values, dtype=float), 0.25, axis=axis)


def stratified_bootstrap_ci(values: Sequence[float], strata: Sequence[Any], statistic=iqm, reps: int = 10_000,
                            seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """(statistic, low, high): ``statistic`` of ``values`` and its ``level`` percentile interval
    over ``reps`` stratified bootstrap resamples (within each stratum, as many values as it
    holds, drawn with replacement; ``statistic`` is called with ``axis=1`` on a reps x n
    array). Deterministic for a given ``seed``."""
    x = np.asarray(values, dtype=float)
    labels = np.asarray([str(s) for s in strata])
    if x.size != labels.size:
        raise ValueError(f"stratified_bootstrap_ci: {x.size} values but {labels.size} strata labels")
    if x.size == 0:
        return (float("nan"),) * 3
    rng = np.random.default_rng(seed)
    columns = []
    for label in dict.fromkeys(labels):  # strata in order of first appearance
        idx = np.flatnonzero(labels == label)
        columns.append(idx[rng.integers(0, idx.size, size=(reps, idx.size))])
    sample = x[np.concatenate(columns, axis=1)]
    with np.errstate(invalid="ignore"):  # inf - inf in a resample: NaN, ignored by the percentiles
        stats = np.asarray(statistic(sample, axis=1), dtype=float)
    stats = stats[~np.isnan(stats)]
    point = float(statistic(x))
    if stats.size == 0:
        return point, float("nan"), float("nan")
    tail = 100.0 * (1.0 - level) / 2.0
    return point, _percentile(stats, tail), _percentile(stats, 100.0 - tail)


def _percentile(x: np.ndarray, q: float) -> float:
    """``np.percentile(x, q)`` (linear interpolation) that keeps infinities: between two
    equal values (``inf`` and ``inf`` included) it is that value, not NaN."""
    s = np.sort(x)
    pos = q / 100.0 * (s.size - 1)
    lo, hi = int(math.floor(pos)), int(math.ceil(pos))
    if s[lo] == s[hi]:
        return float(s[lo])
    return float(s[lo] + (s[hi] - s[lo]) * (pos - lo))


# ------------------------------------------------------------------------------ pairing
def _reached(column: pd.Series) -> np.ndarray:
    return column.map(lambda v: v is True or str(v).strip().lower() in ("true", "1", "1.0")).to_numpy(dtype=bool)


def paired_cases(results: pd.DataFrame, policy: str, reference: str) -> pd.DataFrame:
    """Rows of ``policy`` joined to ``reference`` on task, trace, window and seed (suffix ``_ref``)."""
    keys = list(CASE_KEYS)
    a = results[results["policy"] == policy]
    b = results[results["policy"] == reference]
    return a.merge(b, on=keys, suffixes=("", "_ref"))


def case_log10_ratios(pairs: pd.DataFrame) -> np.ndarray:
    """Per case, log10 of the policy's ratio to the reference (see the module docstring):
    kg to target on target cases, final regret on the others."""
    out = (pairs["final_log10_regret"].astype(float) - pairs["final_log10_regret_ref"].astype(float)).to_numpy(copy=True)
    target = (pairs["task"] == "target").to_numpy()
    if target.any():
        t = pairs[target]
        a, b = _reached(t["reached_target"]), _reached(t["reached_target_ref"])
        with np.errstate(divide="ignore", invalid="ignore"):
            kg = np.log10(t["kg_to_target"].astype(float).to_numpy() / t["kg_to_target_ref"].astype(float).to_numpy())
        out[target] = np.where(a & b, kg, np.where(a, -np.inf, np.where(b, np.inf, 0.0)))
    return out


def _interval(value: float, low: float, high: float, **extra: Any) -> dict[str, Any]:
    return {"value": value, "low": low, "high": high, **extra}


def task_scores(results: pd.DataFrame, policy: str, task: str, references: Sequence[str],
                target_regret: float, level: float = 0.95) -> dict[str, Any]:
    """One task's scores of ``policy`` (rows of ``results`` of that task; see the module
    docstring): cases, attainment and, per reference, kg ratio and log10 regret diff."""
    r = results[results["task"] == task]
    mine = r[r["policy"] == policy]
    threshold = math.log10(target_regret)
    if task == "target":
        hit = _reached(mine["reached_target"])
    else:
        hit = mine["final_log10_regret"].to_numpy(dtype=float) <= threshold + 1e-12
    share = share_ci(int(hit.sum()), len(mine), level)
    scores: dict[str, Any] = {
        "cases": int(len(mine)),
        "attainment": _interval(*share, reached=int(hit.sum())),
        "mean_kg": float(mine["carbon_kg"].astype(float).mean()) if len(mine) else float("nan"),
        "mean_final_log10_regret": float(mine["final_log10_regret"].astype(float).mean()) if len(mine) else float("nan"),
        "vs": {},
    }
    for ref in references:
        pr = paired_cases(r, policy, ref)
        if task == "target":
            both = _reached(pr["reached_target"]) & _reached(pr["reached_target_ref"])
            ratio = paired_ratio_ci(pr["kg_to_target"].astype(float)[both], pr["kg_to_target_ref"].astype(float)[both],
                                    level)
        else:
            ratio = paired_ratio_ci(pr["carbon_kg"].astype(float), pr["carbon_kg_ref"].astype(float), level)
        diff = pr["final_log10_regret"].astype(float) - pr["final_log10_regret_ref"].astype(float)
        scores["vs"][ref] = {
            "kg_ratio": _interval(*ratio[:3], pairs=int(ratio[3])),
            "log10_regret_diff": _interval(*mean_ci(diff, level), pairs=int(len(pr))),
        }
    return scores


def aggregate(results: pd.DataFrame, policy: str, tasks: Sequence[str], reference: str = AGGREGATE_REFERENCE,
              reps: int = 10_000, seed: int = 0, level: float = 0.95) -> dict[str, Any]:
    """The aggregate of ``policy`` over the cases of ``tasks`` (module docstring): 10 ** IQM of
    the per-case log10 ratios to ``reference``, with its stratified-bootstrap interval."""
    r = results[results["task"].isin(list(tasks))]
    pairs = paired_cases(r, policy, reference)
    logs = case_log10_ratios(pairs)
    strata = (pairs["task"] + " " + pairs["trace"]).tolist()
    value, low, high = stratified_bootstrap_ci(logs, strata, iqm, reps, seed, level)
    return {"name": AGGREGATE_NAME, "reference": reference, "tasks": list(tasks), "cases": int(len(pairs)),
            **_interval(_pow10(value), _pow10(low), _pow10(high))}


def _pow10(x: float) -> float:
    if math.isnan(x):
        return x
    return math.inf if x == math.inf else (0.0 if x == -math.inf else float(10.0 ** x))


def scorecard(results: pd.DataFrame, policy: str, suite: Any, na_tasks: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The score card of ``policy`` on ``suite`` (a :class:`~cenas_gym.compare.bench_suite.BenchSuite`)
    from ``results`` (rows of the policy and the references, with a ``task`` column):
    ``{"tasks": {task: scores or {"na": reason}}, "aggregate": {...}}``. ``na_tasks``:
    tasks the policy cannot play, with the reason."""
    na_tasks = dict(na_tasks or {})
    tasks: dict[str, Any] = {}
    played = []
    for task in suite.tasks:
        if task.name in na_tasks:
            tasks[task.name] = {"na": na_tasks[task.name]}
            continue
        tasks[task.name] = task_scores(results, policy, task.name, suite.references, suite.target_regret, suite.level)
        played.append(task.name)
    agg = (aggregate(results, policy, played, AGGREGATE_REFERENCE, suite.bootstrap_reps, suite.bootstrap_seed,
                     suite.level) if played else {"na": "plays none of the tasks"})
    return {"tasks": tasks, "aggregate": agg}


# ------------------------------------------------------------------------------ text
def fmt(v: Any, digits: int = 3) -> str:
    """A number for a table: ``n/a`` for missing, ``inf`` for infinite."""
    if v is None or (isinstance(v, str) and v in ("nan", "")):
        return "n/a"
    v = float(v)
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.{digits}f}"


def fmt_interval(d: Mapping[str, Any] | None, digits: int = 3) -> str:
    """``value [low, high]`` (just the value when the interval is missing)."""
    if not d:
        return "n/a"
    value, low, high = d.get("value"), d.get("low"), d.get("high")
    if fmt(low) == "n/a" or fmt(high) == "n/a":
        return fmt(value, digits)
    if float(low) == float(high) == float(value):
        return fmt(value, digits)
    return f"{fmt(value, digits)} [{fmt(low, digits)}, {fmt(high, digits)}]"


def format_scorecard(entry: Mapping[str, Any]) -> str:
    """The score card of a bench entry (:func:`cenas_gym.compare.bench.make_entry`) as markdown."""
    suite = entry["suite"]
    lines = [f"# {suite['version']} score card: `{entry['policy']}`", "",
             f"suite hash {suite['hash']}; cenas-gym {entry['package_version']}; cells: value [95 % interval]", ""]
    if entry.get("na"):
        return "\n".join(lines + [f"n/a: {entry['na']}", ""])
    agg = entry["aggregate"]
    if "na" in agg:
        lines += [f"**{AGGREGATE_NAME}**: n/a ({agg['na']})", ""]
    else:
        lines += [f"**{agg['name']}** (below 1 is better; {agg['cases']} cases of {', '.join(agg['tasks'])}; "
                  f"stratified bootstrap): **{fmt_interval(agg)}**", ""]
    refs = suite["references"]
    lines += ["| task | cases | attainment | " + " | ".join(f"kg ratio vs {r}" for r in refs) + " | "
              + " | ".join(f"log10 regret diff vs {r}" for r in refs) + " |",
              "|---|---:|---:|" + "---:|" * (2 * len(refs))]
    for name, scores in entry["tasks"].items():
        if "na" in scores:
            lines.append(f"| {name} | n/a: {scores['na']} |" + " |" * (1 + 2 * len(refs)))
            continue
        att = scores["attainment"]
        cells = [f"{att['reached']}/{scores['cases']} = {fmt_interval(att, 2)}"]
        cells += [fmt_interval(scores["vs"][r]["kg_ratio"]) for r in refs]
        cells += [fmt_interval(scores["vs"][r]["log10_regret_diff"]) for r in refs]
        lines.append(f"| {name} | {scores['cases']} | " + " | ".join(cells) + " |")
    lines += ["", "target: kg ratio over the pairs in which both reached the target; budget: kg emitted (read the "
                  "regret diff). Attainment: final regret <= the suite's target.", ""]
    return "\n".join(lines)
