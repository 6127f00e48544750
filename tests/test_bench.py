"""CENAS-Bench: the frozen suite, the score card's statistics, ``cenas-gym bench``, the
leaderboard and user policy classes (``module:Class``)."""

from __future__ import annotations

import dataclasses
import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student_t
from scipy.stats import trim_mean

from cenas_gym.carbon.catalogue import HELD_OUT_TRACES
from cenas_gym.cli import main
from cenas_gym.compare import bench_suite
from cenas_gym.compare.bench import bench, bench_policies, dumps, make_entry, policy_problem
from cenas_gym.compare.bench_suite import CENAS_BENCH_1, SUITES
from cenas_gym.compare.grid import load_trace
from cenas_gym.compare.leaderboard import load_entries, render, write_leaderboard
from cenas_gym.compare.runstore import FolderInUse
from cenas_gym.compare.scorecard import (
    _percentile, aggregate, case_log10_ratios, format_scorecard, iqm, paired_cases, stratified_bootstrap_ci,
    task_scores,
)
from cenas_gym.policies.play import make_policy
from cenas_gym.sim.simulator import SimConfig

REPO = Path(__file__).resolve().parent.parent

#: The content hash of CENAS-Bench-1. If this test fails, the suite (or a SimConfig default it
#: inherits) changed: do not update the hash, give the changed suite a new version
#: (CENAS-Bench-2) and keep CENAS-Bench-1 as it was (benchmarks/CENAS-Bench-1.md, "Versioning").
CENAS_BENCH_1_HASH = "c93300c06ceca052"

#: A tiny suite for tests: one trace, one window, two seeds, random search (seconds).
TINY = CENAS_BENCH_1.subset(traces=("ES:2023",), windows=1, seeds=(0, 1), config=SimConfig(optimizer="random"))

USER_POLICIES = textwrap.dedent("""
    class Half:
        '''Half the GPUs train, always.'''
        def reset(self, context, rng):
            pass
        def act(self, observation, info):
            return 4

    class NoAct:
        def reset(self, context, rng):
            pass

    class NeedsArgs:
        def __init__(self, k):
            self.k = k
        def reset(self, context, rng):
            pass
        def act(self, observation, info):
            return self.k

    not_a_class = 3
""")


@pytest.fixture()
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "my_bench_policies.py"
    path.write_text(USER_POLICIES, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return path


# ------------------------------------------------------------------------------ the suite
def test_suite_hash_is_pinned() -> None:
    assert CENAS_BENCH_1.version == "CENAS-Bench-1"
    assert CENAS_BENCH_1.content_hash() == CENAS_BENCH_1_HASH
    assert SUITES["CENAS-Bench-1"] is CENAS_BENCH_1 and bench_suite.LATEST is CENAS_BENCH_1


def test_suite_is_frozen_and_written_down() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CENAS_BENCH_1.seeds = (0,)  # type: ignore[misc]
    assert CENAS_BENCH_1.traces == HELD_OUT_TRACES  # the held-out split, written out
    assert [(t.name, t.hours, t.target_regret, t.carbon_budget_kg) for t in CENAS_BENCH_1.tasks] == [
        ("target", 160.0, 0.002, None), ("budget", 160.0, None, 10.0)]
    assert CENAS_BENCH_1.cases_per_task() == 36 and CENAS_BENCH_1.references == ("heuristic", "vanilla")
    config = CENAS_BENCH_1.config
    assert (config.n_gpus, config.optimizer, config.accounting, config.objectives.cost) == (
        8, "lamoo", "default", "raspi4_latency_ms")
    from cenas_gym.search.nasbench import ArchTable

    assert config.objectives.reference_point(ArchTable.load()) == (0.0, 98.887521)  # as benchmarks/CENAS-Bench-1.md says
    # a changed suite is another suite: another hash, and a subset says so in its version
    assert TINY.version == "CENAS-Bench-1-subset" and TINY.content_hash() != CENAS_BENCH_1_HASH
    assert dataclasses.replace(CENAS_BENCH_1, seeds=(0, 1)).content_hash() != CENAS_BENCH_1_HASH


def test_suite_windows_fit_their_traces() -> None:
    """Every window starts a week into its trace (the causal rules' trailing week) and its
    160 h cap ends inside it."""
    for trace in CENAS_BENCH_1.traces:
        t = load_trace(trace)
        for start in CENAS_BENCH_1.windows[trace]:
            ts = pd.Timestamp(start)
            assert ts - t.times[0] >= pd.Timedelta(days=7)
            assert ts + pd.Timedelta(hours=160) <= t.times[-1]


# ------------------------------------------------------------------------------ statistics
def test_iqm_is_the_25_percent_trimmed_mean() -> None:
    assert iqm(np.arange(1, 9)) == 4.5  # middle half of 1..8: 3, 4, 5, 6
    x = np.random.default_rng(1).normal(size=37)
    assert iqm(x) == pytest.approx(trim_mean(x, 0.25))
    assert iqm([1.0, 2.0, 3.0, np.inf]) == 2.5  # an infinity in the top quarter is trimmed


def test_stratified_bootstrap_is_seeded_and_stratified() -> None:
    rng = np.random.default_rng(0)
    values, strata = rng.normal(size=24), ["a"] * 12 + ["b"] * 12
    first = stratified_bootstrap_ci(values, strata, reps=2000, seed=3)
    assert first == stratified_bootstrap_ci(values, strata, reps=2000, seed=3)
    assert first != stratified_bootstrap_ci(values, strata, reps=2000, seed=4)
    assert first[1] < first[0] < first[2]
    # constant strata: every stratified resample is the sample itself, so the interval has no width
    const = stratified_bootstrap_ci([0, 0, 0, 10, 10, 10], list("aaabbb"), statistic=np.mean, reps=500)
    assert const == (5.0, 5.0, 5.0)


def test_percentile_keeps_infinities() -> None:
    assert _percentile(np.array([1.0, np.inf, np.inf]), 90) == np.inf
    assert _percentile(np.array([0.0, 1.0, 2.0, 3.0]), 50) == 1.5


def _synthetic() -> pd.DataFrame:
    """Three cases per task; P reaches the target in two of them (kg 10 and 40 against the
    heuristic's 20 and 20, vanilla's 10 and 10) and misses the third."""
    rows = []

    def add(policy, task, reached, kg_to, kg, regrets):
        for seed in range(3):
            rows.append({"policy": policy, "task": task, "trace": "X", "start": "2023-01-08T00:00Z", "seed": seed,
                         "reached_target": None if task == "budget" else reached[seed],
                         "kg_to_target": kg_to[seed], "carbon_kg": kg[seed], "final_log10_regret": regrets[seed]})

    nan = float("nan")
    add("heuristic", "target", [True] * 3, [20.0] * 3, [20.0] * 3, [-2.7] * 3)
    add("vanilla", "target", [True] * 3, [10.0] * 3, [10.0] * 3, [-2.8] * 3)
    add("P", "target", [True, True, False], [10.0, 40.0, nan], [10.0, 40.0, 50.0], [-2.8, -2.7, -2.5])
    add("heuristic", "budget", None, [nan] * 3, [10.0] * 3, [-2.0] * 3)
    add("vanilla", "budget", None, [nan] * 3, [10.0] * 3, [-2.1] * 3)
    add("P", "budget", None, [nan] * 3, [10.0, 10.5, 9.5], [-2.3, -2.0, -1.7])
    return pd.DataFrame(rows)


def test_task_scores_on_a_synthetic_table() -> None:
    r = _synthetic()
    target = task_scores(r, "P", "target", ("heuristic", "vanilla"), 0.002)
    assert target["cases"] == 3 and target["attainment"]["reached"] == 2
    assert target["attainment"]["value"] == pytest.approx(2 / 3)
    ratio = target["vs"]["heuristic"]["kg_ratio"]  # pairs 10/20 and 40/20: geometric mean 1
    half = student_t.ppf(0.975, 1) * np.std(np.log([0.5, 2.0]), ddof=1) / math.sqrt(2)
    assert ratio["pairs"] == 2 and ratio["value"] == pytest.approx(1.0)
    assert (ratio["low"], ratio["high"]) == pytest.approx((math.exp(-half), math.exp(half)))
    assert target["vs"]["vanilla"]["kg_ratio"]["value"] == pytest.approx(2.0)  # 10/10 and 40/10
    diff = target["vs"]["heuristic"]["log10_regret_diff"]  # -0.1, 0, +0.2 over all three pairs
    assert diff["pairs"] == 3 and diff["value"] == pytest.approx(0.1 / 3)
    budget = task_scores(r, "P", "budget", ("heuristic", "vanilla"), 0.002)
    assert budget["attainment"]["reached"] == 0
    assert budget["vs"]["heuristic"]["log10_regret_diff"]["value"] == pytest.approx(0.0, abs=1e-12)
    assert budget["vs"]["vanilla"]["log10_regret_diff"]["value"] == pytest.approx(0.1)
    assert budget["vs"]["heuristic"]["kg_ratio"]["value"] == pytest.approx((1.05 * 0.95) ** (1 / 3))


def test_case_ratios_and_aggregate_on_a_synthetic_table() -> None:
    r = _synthetic()
    logs = case_log10_ratios(paired_cases(r, "P", "heuristic"))
    np.testing.assert_allclose(logs, [math.log10(0.5), math.log10(2.0), math.inf, -0.3, 0.0, 0.3], atol=1e-12)
    # both missed: a tie; only the reference missed: the best there is
    swapped = case_log10_ratios(paired_cases(r, "heuristic", "P"))
    assert swapped[2] == -math.inf
    agg = aggregate(r, "P", ["target", "budget"], reps=1000)
    # sorted: -0.30103, -0.3, 0, 0.3, 0.30103, inf; the middle four average to log10(2) / 4
    assert agg["cases"] == 6 and agg["value"] == pytest.approx(10 ** (math.log10(2.0) / 4))
    assert agg["low"] <= agg["value"] <= agg["high"]
    assert aggregate(r, "heuristic", ["target", "budget"], reps=100)["value"] == 1.0


# ------------------------------------------------------------------------------ bench
def test_bench_on_a_tiny_suite(tmp_path: Path, user_module: Path) -> None:
    policies = ["threshold", "my_bench_policies:Half", "ppo-target", "geo-heuristic"]
    entries = bench(policies, TINY, store=tmp_path / "store", progress=False)
    by = {e["policy"]: e for e in entries}
    assert [e["policy"] for e in entries] == policies
    for name in ("threshold", "my_bench_policies:Half"):
        e = by[name]
        assert e["na"] is None and set(e["tasks"]) == {"target", "budget"}
        assert e["suite"] == {"version": TINY.version, "hash": TINY.content_hash(), "tasks": ["target", "budget"],
                              "references": ["heuristic", "vanilla"], "cases_per_task": 2}
        assert e["aggregate"]["cases"] == 4 and len(e["cases"]) == 4
        assert e["command"] == f"cenas-gym bench --policy {name}"
        assert "score card" in format_scorecard(e)
    assert "trained for the 'target' task" in by["ppo-target"]["tasks"]["budget"]["na"]
    assert by["ppo-target"]["aggregate"]["tasks"] == ["target"]
    assert "geo policy" in by["geo-heuristic"]["na"] and "tasks" not in by["geo-heuristic"]
    text = dumps(by["threshold"])
    json.loads(text)  # strict JSON: no NaN, no Infinity
    # the same suite in another store gives the same bytes (no timestamps, seeded bootstrap)
    again = bench(["threshold"], TINY, store=tmp_path / "other", progress=False)
    assert dumps(again[0]) == text
    # a store holding these runs is not reused silently ...
    with pytest.raises(FolderInUse, match="--resume"):
        bench(["threshold"], TINY, store=tmp_path / "store", progress=False)
    # ... but with resume, nothing is replayed and the entry is the same
    assert dumps(bench(["threshold"], TINY, store=tmp_path / "store", resume=True, progress=False)[0]) == text


def test_policy_problem() -> None:
    assert "several sites" in policy_problem("geo-heuristic")
    assert "several sites" in policy_problem("ppo-geo")
    assert policy_problem("heuristic") is None
    with pytest.raises(ValueError, match="unknown policy"):
        policy_problem("greedy")


def test_bench_policies_are_the_shipped_single_site_ones() -> None:
    names = bench_policies()
    assert names[:2] == ("heuristic", "heuristic:window") and len(set(names)) == len(names)
    for required in ("vanilla", "threshold", "oracle:target", "a3c-cenas", "threshold:90", "threshold:60"):
        assert required in names
    assert not any(n.startswith(("geo-", "single:", "ppo-geo")) for n in names)


# ------------------------------------------------------------------------------ module:Class
def test_user_policy_classes(user_module: Path) -> None:
    assert make_policy("my_bench_policies:Half").act(None, {}) == 4
    assert make_policy("my_bench_policies:Half").name == "my_bench_policies:Half"
    assert make_policy(f"{user_module}:Half").act(None, {}) == 4  # by file path


@pytest.mark.parametrize("name, message", [
    ("my_bench_policies:NoAct", "is not a policy: it has no act()"),
    ("my_bench_policies:NeedsArgs", "must take no arguments"),
    ("my_bench_policies:Missing", "has no 'Missing'"),
    ("my_bench_policies:not_a_class", "is not a class"),
    ("no_such_module_xyz:Policy", "unknown policy 'no_such_module_xyz:Policy'"),
    ("/no/such/file.py:Policy", "no file"),
])
def test_user_policy_errors(user_module: Path, name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_policy(name)


# ------------------------------------------------------------------------------ leaderboard
def _entries() -> list[dict]:
    r = _synthetic()
    suite = TINY
    entries = [make_entry(suite, p, r) for p in ("heuristic", "vanilla", "P")]
    entries.append(make_entry(suite, "P-target-only", r.assign(policy=r["policy"].replace("P", "P-target-only")),
                              na_tasks={"budget": "trained for the 'target' task"}))
    entries.append(make_entry(suite, "geo-heuristic", r, na="a geo policy: it needs several sites"))
    return entries


def test_leaderboard_ranks_and_marks_na(tmp_path: Path) -> None:
    entries = _entries()
    text = render([(tmp_path / "benchmarks" / "leaderboard" / f"{i}.json", e) for i, e in enumerate(entries)], tmp_path)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "](" in line]
    order = [row.split("`")[1] for row in rows]
    assert order == ["vanilla", "heuristic", "P", "P-target-only", "geo-heuristic"]  # 0.63 < 1 < 1.19
    assert rows[0].startswith("| 1 |") and rows[2].startswith("| 3 |") and rows[3].startswith("|  |")
    assert "(target only)" in rows[3] and "n/a: a geo policy" in rows[4]
    assert "`P-target-only`, budget task: trained for the 'target' task" in text
    assert "## CENAS-Bench-1-subset" in text and "Warning" not in text
    # an entry played on an edited suite of the same version is flagged
    odd = json.loads(dumps(entries[1]))
    odd["suite"]["hash"] = "0000000000000000"
    flagged = render([(tmp_path / "a.json", entries[0]), (tmp_path / "b.json", odd)], tmp_path)
    assert "**Warning**" in flagged and "0000000000000000" in flagged


def test_write_leaderboard_includes_every_entry_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "benchmarks" / "leaderboard" / "CENAS-Bench-1-subset"
    folder.mkdir(parents=True)
    for e in _entries():
        (folder / f"{e['policy']}.json").write_text(dumps(e), encoding="utf-8")
    (tmp_path / "benchmarks" / "CENAS-Bench-1-subset.md").write_text("protocol\n", encoding="utf-8")
    assert main(["bench", "--leaderboard", "--root", str(tmp_path)]) == 0  # no --policy: rebuild only
    text = (tmp_path / "LEADERBOARD.md").read_text(encoding="utf-8")
    assert text.count("](benchmarks/leaderboard/CENAS-Bench-1-subset/") == 5
    assert "[CENAS-Bench-1-subset.md](benchmarks/CENAS-Bench-1-subset.md)" in text
    (folder / "broken.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="broken.json: not a benchmark entry"):
        write_leaderboard(tmp_path)


def test_committed_leaderboard_is_current() -> None:
    """LEADERBOARD.md is what the committed entries render to, and every shipped single-site
    policy has a CENAS-Bench-1 entry played on the pinned suite."""
    entries = load_entries(REPO / "benchmarks" / "leaderboard")
    assert (REPO / "LEADERBOARD.md").read_text(encoding="utf-8") == render(entries, REPO)
    bench1 = {e["policy"]: e for _, e in entries if e["suite"]["version"] == "CENAS-Bench-1"}
    assert all(e["suite"]["hash"] == CENAS_BENCH_1_HASH for e in bench1.values())
    missing = set(bench_policies()) - set(bench1)
    assert not missing, f"no CENAS-Bench-1 entry for {sorted(missing)}: run cenas-gym bench --policy all --leaderboard"


# ------------------------------------------------------------------------------ command line
def test_cli_bench_writes_the_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(bench_suite, "LATEST", TINY)
    out = tmp_path / "entry.json"
    assert main(["bench", "--policy", "oneshot", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "# CENAS-Bench-1-subset score card: `oneshot`" in printed and f"wrote {out}" in printed
    entry = json.loads(out.read_text(encoding="utf-8"))
    assert entry["policy"] == "oneshot" and entry["tasks"]["target"]["cases"] == 2
    # an n/a policy needs no runs at all, and still gets its entry
    assert main(["bench", "--policy", "geo-vanilla", "--out", str(tmp_path / "geo.json")]) == 0
    assert "n/a: a geo policy" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--policy", "greedy"], "unknown policy 'greedy'"),
    (["--policy", "heuristic", "--resume"], "--resume and --force need --store"),
    (["--policy", "heuristic", "--suite", "CENAS-Bench-0"], "unknown suite"),
    (["--policy", "heuristic", "--jobs", "0"], "--jobs must be >= 1"),
    ([], "give --policy"),
    (["--policy", "heuristic", "--out", "/no/such/folder/e.json"], "does not exist"),
])
def test_cli_bench_errors(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(["bench"] + argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("cenas-gym: error: ") and message in err, err


@pytest.mark.slow
def test_committed_entry_reproduces() -> None:
    """Replaying CENAS-Bench-1 for the heuristic gives the committed entry's scores (about a
    minute: 72 runs)."""
    committed = json.loads((REPO / "benchmarks" / "leaderboard" / "CENAS-Bench-1" / "heuristic.json").read_text())
    entry = bench(["heuristic"], CENAS_BENCH_1, progress=False)[0]
    assert entry["tasks"] == committed["tasks"] and entry["aggregate"] == committed["aggregate"]
    assert entry["cases"] == committed["cases"]
