"""Where can a learned allocation win, and where can it not? Vanilla, the best tuned baseline and
the best plan in hindsight, per accounting x task x region x screening mode (issue 21).

    python benchmarks/headroom.py --jobs 16          # the full table -> results/headroom/
    python benchmarks/headroom.py --quick --jobs 1   # one window, tuning on 2 traces (smoke run)

Rows: accounting ``default`` / ``shared`` / ``cenas`` x task (``target``: kg to reach HV regret
0.002 within 160 h; ``budget``: final log10 regret for 25 kg within 160 h) x region (single
sites US-CAL-CISO, ES, NO, EIA-SOCO with 8 GPUs, 2022 traces; the 4-site geo preset,
:data:`cenas_gym.sim.geo.DEFAULT_SITES`) x screening ``queue`` (the authors') and ``partition``
(acc12 at its real cost), and ``partition-oracle`` (the true accuracy: the ceiling, not
deployable). Columns:

- ``vanilla``: every GPU trains every hour (geo: ``geo-vanilla``).
- ``tuned``: the best of ``fixed:2,4,6,8`` and ``threshold:30,50,70,90`` chosen **on the
  training traces only** (:data:`cenas_gym.rl.TRAIN_TRACES`, one random window per trace and
  seed), separately for every accounting, task and screening mode, scored as
  :mod:`cenas_gym.compare.tune` scores (target: attainment, then mean kg with a miss counted at its kg
  by the cap; budget: mean final log10 regret). EIA-SOCO ships for 2022 only and is also a
  training trace: its tuned baseline saw other windows of the same year. Geo: the package's
  geo rules, untuned: ``geo-greedy`` (8 GPUs train at the cleanest sites now) and
  ``geo-heuristic``.
- ``hindsight``: per run, the best of a named family of plans played in the simulator,
  chosen knowing the whole window: single site, :data:`PLAN_LEVELS` x :data:`PLAN_DEADLINES`
  threshold plans (every GPU trains in the hours at or below that quantile of the window's
  intensity, and every hour after the deadline; the others sample), vanilla and the constant
  splits :data:`PLAN_FIXED` = 10 plans;
  geo, every non-empty subset of the 4 sites trains with all its GPUs (others sample) = 15
  plans. An upper bound on what timing (and place) within that family can buy, not on every
  possible allocation.

Each episode is played once for up to 160 h under no budget and no target, recording the
GPU-seconds of every step (per site for geo); the three accountings are then applied to the
same trajectory (the dynamics do not depend on the accounting or the budget: the rules here do
not read them), which gives the target task's kg to target and the budget task's regret at the
end of the step that spends 25 kg, exactly as the simulator stops. An episode stops early once
the target is reached and 25 kg are spent under every accounting (or the true front is found).
The supernet (acc12: none; oneshot: 2 GPU-hours) is charged only to runs that sampled.
Resumable: every episode is appended to ``episodes.jsonl`` as it finishes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cenas_gym.sim.accounting import ACCOUNTING_PRESETS
from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.sim.episodes import new_episode, resolve_start, step_info
from cenas_gym.search.estimators import supernet_gpu_h
from cenas_gym.sim.geo import DEFAULT_SITES, geo_step_info, make_sites, new_geo_episode
from cenas_gym.policies.geo import make_geo_policy
from cenas_gym.policies.play import make_policy
from cenas_gym.rl import TRAIN_TRACES
from cenas_gym.sim.simulator import REGRET_FLOOR, SimConfig
from cenas_gym.compare.stats import mean_ci
from cenas_gym.sim.tasks import DEFAULT_CAP_HOURS, DEFAULT_TARGET_REGRET

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "headroom"
ACCOUNTINGS = ("default", "shared", "cenas")
BUDGET_KG = 25.0
REGIONS = ("US-CAL-CISO:2022", "ES:2022", "NO:2022", "EIA-SOCO:2022")
GEO = "geo"
#: Three of the geo preset's four windows (winter, spring, the paper's July start): the
#: full table must fit ~16 cores x 9 minutes, and these episodes run until 25 kg are spent
#: under every accounting (160 h on Norway's grid).
WINDOWS = ("2022-01-10T00:00Z", "2022-04-04T00:00Z", "2022-07-02T06:00Z")
SEEDS = (0,)
#: Screening modes and the estimator each uses.
#: Screening settings: name -> (screening mode, estimator). ``partition-oracle`` reads the
#: true accuracy: the ceiling of what screening can be worth, NOT deployable.
MODES: dict[str, tuple[str, str]] = {
    "queue": ("queue", "oneshot"),
    "partition": ("partition", "acc12"),
    "partition-oracle": ("partition", "oracle"),
}
PLAN_LEVELS = (0.25, 0.5, 0.75)  # quantiles of the window's intensity
PLAN_DEADLINES = (48, None)  # hours; None: no deadline
#: Constant splits in the family too: a screening mode that informs training wants GPUs
#: sampling while others train, which an all-or-nothing threshold plan never does.
PLAN_FIXED = ("fixed:2", "fixed:4", "fixed:6")
CANDIDATES = ("fixed:2", "fixed:4", "fixed:6", "fixed:8", "threshold:30", "threshold:50", "threshold:70", "threshold:90")
TUNE_SEEDS = (0,)
GEO_BASELINES = ("geo-greedy", "geo-heuristic")
QUICK_TUNE_TRACES = ("US-CAL-CISO:2021", "ES:2021")
WINDOW_SEED = 2112  # random tuning windows


class ThresholdPlan:
    """Hindsight plan: train with every GPU where the intensity is at most the ``level``
    quantile of the episode's window, or from hour ``deadline`` on; sample otherwise."""

    def __init__(self, level: float, deadline_h: int | None) -> None:
        self.level, self.deadline_h = level, deadline_h
        self.name = f"plan:q{level:g}" + (f"@{deadline_h}h" if deadline_h is not None else "")

    def reset(self, context: Any, rng: np.random.Generator) -> None:
        self.ctx = context
        self.limit = float(np.quantile(context.episode_window(), self.level))

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        step = info["step"]
        late = self.deadline_h is not None and step >= self.deadline_h
        return self.ctx.n_gpus if late or self.ctx.now(step) <= self.limit else 0


class SubsetPlan:
    """Hindsight plan (geo): the sites of ``subset`` train with every GPU, the others sample."""

    def __init__(self, subset: tuple[int, ...]) -> None:
        self.subset = subset
        self.name = "plan:sites" + "+".join(str(i) for i in subset)

    def reset(self, context: Any, rng: np.random.Generator) -> None:
        self.gpus = np.array(context.n_gpus, dtype=np.int64)

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        n = np.zeros_like(self.gpus)
        n[list(self.subset)] = self.gpus[list(self.subset)]
        return n


def single_plans() -> list[str]:
    thresholds = [f"plan:q{q:g}" + (f"@{d}h" if d is not None else "") for q in PLAN_LEVELS for d in PLAN_DEADLINES]
    return ["vanilla", *thresholds, *PLAN_FIXED]


def geo_plans(n_sites: int) -> list[str]:
    return [f"plan:sites{'+'.join(map(str, s))}" for k in range(1, n_sites + 1)
            for s in itertools.combinations(range(n_sites), k)]


def _policy(name: str, geo: bool):
    if name.startswith("plan:sites"):
        return SubsetPlan(tuple(int(i) for i in name[len("plan:sites"):].split("+")))
    if name.startswith("plan:q"):
        level, _, deadline = name[len("plan:q"):].partition("@")
        return ThresholdPlan(float(level), int(deadline[:-1]) if deadline else None)
    return make_geo_policy(name) if geo else make_policy(name)


# ------------------------------------------------------------------------------ one episode
def play(task: dict[str, Any]) -> dict[str, Any]:
    """Play one episode; returns per accounting the kg to target and the budget task's regret."""
    region, policy_name, mode, start, seed = task["region"], task["policy"], task["mode"], task["start"], task["seed"]
    geo = region == GEO
    screening, estimator = MODES[mode]
    config = SimConfig(n_gpus=8, budget_hours=DEFAULT_CAP_HOURS, accounting="shared", screening=screening,
                       estimator=estimator, supernet_train_gpu_h=0.0)
    policy = _policy(policy_name, geo)
    if geo:
        episode = new_geo_episode(config, make_sites(DEFAULT_SITES), np.random.default_rng(seed), start)
        info_of = geo_step_info
    else:
        trace = CarbonTrace.load(region)
        start = start if start is not None else resolve_start(trace, config.n_steps, 0, np.random.default_rng(
            [WINDOW_SEED, seed, sum(map(ord, region))]), None)
        episode = new_episode(config, trace, np.random.default_rng(seed), start)
        info_of = step_info
    sim = episode.sim
    policy.reset(episode.context, episode.policy_rng)
    presets = [ACCOUNTING_PRESETS[a] for a in ACCOUNTINGS]
    supernet_s = 3600.0 * supernet_gpu_h(estimator)
    init_train_s = float(sim.space.train_s[np.asarray(sim.trained[: config.n_init], dtype=np.int64)].sum())
    if geo:
        share = sim._gpus / sim._gpus.sum()
        first = float(np.sum(share * sim._site_intensity[:, 0]))
    else:
        first = sim.intensity_at(0)
    init_without_supernet = _init_g(presets, init_train_s, 0.0, first)
    cum = np.zeros(len(presets))
    regrets, cums = [], []
    while not sim.done:
        sim.step(policy.act(None, info_of(sim)))
        rows = sim.site_history[-sim.n_sites:] if geo else [sim.history[-1]]
        for j, acc in enumerate(presets):
            cum[j] += sum(acc.energy_kwh(r["train_gpu_s"], r["sample_gpu_s"], r["idle_gpu_s"]) * r["intensity_g_per_kwh"]
                          for r in rows)
        regrets.append(sim.regret)
        cums.append(cum.copy())
        reached = sim.regret <= DEFAULT_TARGET_REGRET
        if sim.regret <= REGRET_FLOOR or (reached and (init_without_supernet + cum >= BUDGET_KG * 1000.0).all()):
            break
    init = _init_g(presets, init_train_s, supernet_s if sim.n_screened else 0.0, first)
    out = {**task, "start": sim.trace.times[0].isoformat(), "hours": sim.t, "n_trained": len(sim.trained),
           "n_screened": sim.n_screened, "init_regret": regret_init(sim)}
    regrets = np.array(regrets)
    totals = np.array(cums) + init[None, :] if cums else np.empty((0, len(presets)))
    hit = np.flatnonzero(regrets <= DEFAULT_TARGET_REGRET)
    for j, name in enumerate(ACCOUNTINGS):
        out[f"kg_to_target_{name}"] = float(totals[hit[0], j]) / 1000.0 if hit.size else None
        over = np.flatnonzero(totals[:, j] >= BUDGET_KG * 1000.0)
        last = over[0] if over.size else len(regrets) - 1
        out[f"budget_log10_regret_{name}"] = float(np.log10(regrets[last])) if len(regrets) else None
        out[f"kg_at_cap_{name}"] = float(totals[-1, j]) / 1000.0 if len(regrets) else None
    return out


def regret_init(sim) -> float:
    return float(max(1.0 - sim.init_hv / sim.space.max_hv, REGRET_FLOOR))


def _init_g(presets, train_s: float, supernet_s: float, intensity: float) -> np.ndarray:
    """Carbon (g) of the initial cells and the supernet per accounting, at the first hour's intensity."""
    return np.array([a.energy_kwh(train_s + supernet_s, 0.0, 0.0) * intensity if a.charge_initial_samples else 0.0
                     for a in presets])


# ------------------------------------------------------------------------------ the grid
def tasks_of(quick: bool) -> list[dict[str, Any]]:
    seeds = SEEDS
    windows = WINDOWS[-1:] if quick else WINDOWS
    tune_seeds = TUNE_SEEDS[:1] if quick else TUNE_SEEDS
    out = []
    for mode in MODES:
        for trace in QUICK_TUNE_TRACES if quick else TRAIN_TRACES:  # tuning: one random window per trace and seed
            for seed in tune_seeds:
                for cand in CANDIDATES:
                    out.append({"phase": "tune", "region": trace, "policy": cand, "mode": mode, "start": None, "seed": seed})
        for region in REGIONS:
            for start in windows:
                for seed in seeds:
                    for policy in dict.fromkeys(single_plans() + [c for c in CANDIDATES if c != "fixed:8"]):
                        out.append({"phase": "eval", "region": region, "policy": policy, "mode": mode, "start": start,
                                    "seed": seed})
        for start in windows:
            for seed in seeds:
                for policy in ("geo-vanilla",) + GEO_BASELINES + tuple(geo_plans(len(DEFAULT_SITES))):
                    out.append({"phase": "eval", "region": GEO, "policy": policy, "mode": mode, "start": start, "seed": seed})
    return out


def key(t: dict[str, Any]) -> str:
    return "|".join(str(t[k]) for k in ("phase", "region", "policy", "mode", "start", "seed"))


def run_tasks(tasks: list[dict[str, Any]], path: Path, jobs: int) -> None:
    with path.open("a", encoding="utf-8") as log:
        def store(row: dict[str, Any]) -> None:
            log.write(json.dumps(row) + "\n")
            log.flush()

        if jobs <= 1:
            for i, t in enumerate(tasks):
                store({**play(t), "key": key(t)})
                print(f"\r{i + 1}/{len(tasks)}", end="", file=sys.stderr)
        else:
            with ProcessPoolExecutor(jobs) as pool:
                futures = {pool.submit(play, t): t for t in tasks}
                for i, fut in enumerate(as_completed(futures)):
                    store({**fut.result(), "key": key(futures[fut])})
                    print(f"\r{i + 1}/{len(tasks)}", end="", file=sys.stderr)
    print(file=sys.stderr)


# ------------------------------------------------------------------------------ scores
def score_of(rows: pd.DataFrame, accounting: str, task: str) -> pd.Series:
    """Per run, the task's score (lower is better): target: kg to target (a miss: +inf);
    budget: final log10 regret."""
    if task == "target":
        return rows[f"kg_to_target_{accounting}"].astype(float).fillna(np.inf)
    return rows[f"budget_log10_regret_{accounting}"].astype(float)


def tuned_winners(runs: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    """(accounting, task, mode) -> the best candidate on the training traces."""
    tune = runs[runs["phase"] == "tune"]
    winners = {}
    for mode, accounting, task in itertools.product(MODES, ACCOUNTINGS, ("target", "budget")):
        best = None
        for cand, g in tune[tune["mode"] == mode].groupby("policy"):
            if task == "target":
                kg = g[f"kg_to_target_{accounting}"].astype(float)
                miss_kg = g[f"kg_at_cap_{accounting}"].astype(float)
                score = (-kg.notna().mean(), float(np.where(kg.notna(), kg, miss_kg).mean()))
            else:
                score = (0.0, float(g[f"budget_log10_regret_{accounting}"].astype(float).mean()))
            if best is None or score < best[0]:
                best = (score, cand)
        if best is not None:
            winners[(accounting, task, mode)] = best[1]
    return winners


def _cell(values: pd.Series, digits: int) -> str:
    finite = values[np.isfinite(values)]
    misses = int((~np.isfinite(values)).sum())
    if finite.empty:
        return f"missed {misses}/{len(values)}"
    m, lo, hi = mean_ci(finite)
    text = f"{m:.{digits}f}" + (f" [{lo:.{digits}f}, {hi:.{digits}f}]" if np.isfinite(lo) else "")
    return text + (f" ({misses} missed)" if misses else "")


def summarize(runs: pd.DataFrame, quick: bool, command: str) -> tuple[str, pd.DataFrame]:
    winners = tuned_winners(runs)
    ev = runs[runs["phase"] == "eval"]
    rows = []
    for accounting, task, region, mode in itertools.product(ACCOUNTINGS, ("target", "budget"), REGIONS + (GEO,), MODES):
        sub = ev[(ev["region"] == region) & (ev["mode"] == mode)].copy()
        if sub.empty:
            continue
        sub["score"] = score_of(sub, accounting, task).to_numpy()
        cases = sub.groupby(["start", "seed"])
        geo = region == GEO
        family = set(geo_plans(len(DEFAULT_SITES)) if geo else single_plans())
        vanilla = "geo-vanilla" if geo else "vanilla"
        tuned = "geo-greedy" if geo else winners.get((accounting, task, mode), "fixed:8")
        tuned = "vanilla" if tuned == "fixed:8" else tuned
        per_case = {"vanilla": [], "tuned": [], "hindsight": [], "plan": []}
        for _, case in cases:
            by_policy = dict(zip(case["policy"], case["score"]))
            fam = {p: s for p, s in by_policy.items() if p in family}
            if vanilla not in by_policy or not fam:
                continue
            best = min(fam, key=lambda p: fam[p])
            per_case["vanilla"].append(by_policy[vanilla])
            per_case["tuned"].append(by_policy.get(tuned, np.nan))
            per_case["hindsight"].append(fam[best])
            per_case["plan"].append(best)
        if not per_case["vanilla"]:
            continue
        v, t, h = (np.array(per_case[k], dtype=float) for k in ("vanilla", "tuned", "hindsight"))
        both = np.isfinite(v) & np.isfinite(h)
        if task == "target":
            gap = np.exp(np.mean(np.log(h[both] / v[both]))) if both.any() else np.nan
        else:
            gap = float(np.mean(h - v))
        rows.append({"accounting": accounting, "task": task, "region": region, "screening": mode,
                     "cases": len(v), "tuned_policy": tuned, "vanilla": v, "tuned": t, "hindsight": h,
                     "hindsight_vs_vanilla": gap,
                     "plans": ", ".join(sorted(set(per_case["plan"]), key=per_case["plan"].count, reverse=True)[:3])})
    table = pd.DataFrame(rows)
    lines = [
        "# Headroom: vanilla, the best tuned baseline and the best plan in hindsight" + (
            f" (QUICK run: one window, tuning on {', '.join(QUICK_TUNE_TRACES)} only)" if quick else ""),
        "",
        f"Command: `{command}`. Method, families and sizes: `benchmarks/headroom.py` docstring "
        f"(hindsight family: {len(single_plans())} plans per single-site run = {len(PLAN_LEVELS)} intensity quantiles "
        f"{list(PLAN_LEVELS)} x deadlines {[d if d else 'none' for d in PLAN_DEADLINES]} + vanilla + "
        f"{', '.join(PLAN_FIXED)}; "
        f"{len(geo_plans(len(DEFAULT_SITES)))} site subsets for geo).",
        "",
        f"- target: kg CO2eq to reach HV regret {DEFAULT_TARGET_REGRET:g} within {DEFAULT_CAP_HOURS:g} h (lower is better; "
        "a miss is counted and left out of the mean); 'hindsight / vanilla' = geometric mean of per-case ratios",
        f"- budget: final log10 HV regret for {BUDGET_KG:g} kg within {DEFAULT_CAP_HOURS:g} h (lower is better); "
        "'hindsight - vanilla' = mean difference (-0.3: half the regret)",
        f"- screening `queue` (the authors', one-shot estimate, supernet charged only to runs that sampled) and "
        f"`partition` (the best measured mode: screened cells compete and inform LaMOO; acc12 at 12/200 of a "
        "training per screening) and `partition-oracle` (the true accuracy: the ceiling, NOT deployable); "
        "single sites: 8 GPUs; geo: "
        f"{', '.join(DEFAULT_SITES)}",
        "- tuned: chosen on the training traces only, per accounting, task and mode (geo: geo-greedy, untuned)",
        f"- runs: {len(runs)} episodes ({int((runs['phase'] == 'tune').sum())} for tuning)",
        "",
    ]
    for accounting in ACCOUNTINGS:
        for task in ("target", "budget"):
            sub = table[(table["accounting"] == accounting) & (table["task"] == task)] if len(table) else table
            if sub.empty:
                continue
            gap_label = "hindsight / vanilla" if task == "target" else "hindsight - vanilla"
            digits = 1 if task == "target" else 2
            lines += [f"## accounting `{accounting}`, {task} task", "",
                      f"| region | screening | cases | vanilla | tuned (policy) | hindsight | {gap_label} | best plans |",
                      "|---|---|---:|---:|---:|---:|---:|---|"]
            for r in sub.to_dict("records"):
                lines.append(
                    f"| {r['region']} | {r['screening']} | {r['cases']} | {_cell(pd.Series(r['vanilla']), digits)} | "
                    f"{_cell(pd.Series(r['tuned']), digits)} (`{r['tuned_policy']}`) | "
                    f"{_cell(pd.Series(r['hindsight']), digits)} | "
                    f"{r['hindsight_vs_vanilla']:.2f} | {r['plans']} |")
            lines.append("")
    flat = table.drop(columns=["vanilla", "tuned", "hindsight"]).copy() if len(table) else table
    if len(table):
        for k in ("vanilla", "tuned", "hindsight"):
            flat[f"{k}_mean"] = [float(np.mean(np.asarray(x)[np.isfinite(x)])) if np.isfinite(x).any() else np.nan
                                 for x in table[k]]
            flat[f"{k}_missed"] = [int((~np.isfinite(np.asarray(x))).sum()) for x in table[k]]
    return "\n".join(lines) + "\n", flat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="one window per region, tuning on two traces")
    parser.add_argument("--out", type=Path, default=None, help="default: results/headroom (quick: results/headroom/quick)")
    parser.add_argument("--fresh", action="store_true", help="discard the episodes already stored")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    out = args.out or (OUT / "quick" if args.quick else OUT)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "episodes.jsonl"
    if args.fresh and path.exists():
        path.unlink()
    tasks = tasks_of(args.quick)
    done = set()
    if path.exists():
        done = {json.loads(line)["key"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    todo = [t for t in tasks if key(t) not in done]
    print(f"headroom: {len(tasks)} episodes, {len(todo)} to play, {args.jobs} job(s) -> {out}", file=sys.stderr)
    t0 = time.perf_counter()
    if todo and not args.report_only:
        run_tasks(todo, path, args.jobs)
    runs = pd.DataFrame([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()])
    runs = runs.drop_duplicates("key", keep="last").sort_values("key", kind="stable")
    runs.drop(columns="key").to_csv(out / "episodes.csv", index=False, lineterminator="\n")
    command = ("python benchmarks/headroom.py " + " ".join(sys.argv[1:] if argv is None else argv)).strip()
    text, table = summarize(runs, args.quick, command)
    text += f"\n(last call: {time.perf_counter() - t0:.0f} s)\n"
    (out / "summary.md").write_text(text, encoding="utf-8")
    table.to_csv(out / "table.csv", index=False, lineterminator="\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
