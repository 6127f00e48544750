"""Issue 22's geo parts: trace files as sites, the causal CENAS-Geo-v2 observation, the
geo-rule baseline and geo tuning."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest

import cenas_gym  # noqa: F401  (registers the envs)
from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.cli import main
from cenas_gym.envs.geo import CENASGeoEnv
from cenas_gym.policies.geo import GeoRule, make_geo_policy
from cenas_gym.sim.geo import DEFAULT_SITES, Site, make_sites, new_geo_episode, parse_site
from cenas_gym.sim.simulator import SimConfig

START = "2022-04-04T00:00Z"


def write_trace_csv(path, trace: CarbonTrace, start: str, hours: int, drop_hour: int | None = None) -> pd.DataFrame:
    """``hours`` hours of ``trace`` from ``start`` as a two-column timestamp,value CSV."""
    window = trace.window(start, hours)
    frame = pd.DataFrame({"timestamp": window.times.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "value": window.values_g_per_kwh})
    if drop_hour is not None:
        frame = frame.drop(index=drop_hour)
    frame.to_csv(path, index=False)
    return frame


# -- trace files as sites ------------------------------------------------------------------
def test_a_csv_site_is_named_by_its_file_and_gaps_need_fill_gaps(tmp_path):
    es = CarbonTrace.load("ES:2022")
    path = tmp_path / "grid_a.csv"
    write_trace_csv(path, es, "2022-03-01T00:00Z", 400, drop_hour=100)
    with pytest.raises(ValueError, match="grid_a.csv"):
        parse_site(f"{path}:3")
    site = parse_site(f"{path}:3", fill_gaps=True)
    assert (site.name, site.n_gpus, len(site.trace)) == ("grid_a", 3, 400)
    np.testing.assert_array_equal(site.trace.values_g_per_kwh[:100], es.window("2022-03-01T00:00Z", 100).values_g_per_kwh)
    with pytest.raises(ValueError, match="trace file .*missing.csv.* not found"):
        parse_site(f"{tmp_path / 'missing.csv'}:2")
    with pytest.raises(ValueError, match="GPUS must be a positive integer"):
        parse_site(f"{path}:0")


def test_run_plays_a_geo_policy_on_trace_files(capsys, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_trace_csv(a, CarbonTrace.load("NO:2022"), "2022-03-01T00:00Z", 300, drop_hour=50)
    write_trace_csv(b, CarbonTrace.load("ES:2022"), "2022-03-01T00:00Z", 300)
    argv = ["run", "--sites", f"{a}:2,{b}:4", "--policy", "geo-greedy:3", "--task", "target", "--target-regret", "0.01",
            "--hours", "40", "--optimizer", "random", "--start", "2022-03-05T00:00Z", "--json"]
    assert main(argv) == 2 and "--fill-gaps" not in capsys.readouterr().out  # the gap is an error ...
    assert main(argv + ["--fill-gaps"]) == 0  # ... unless filled
    result = json.loads(capsys.readouterr().out)
    assert [s["site"] for s in result["sites"]] == ["a", "b"] and result["gpus"] == 6


# -- the causal v2 observation -------------------------------------------------------------
def observations(version: str, sites, actions) -> np.ndarray:
    env = CENASGeoEnv(version=version, sites=sites, task="target", hours=30, optimizer="random",
                      forecaster="yesterday", start=START)
    obs, _ = env.reset(seed=3)
    seen = [obs]
    for action in actions:
        obs, *_ = env.step(action)
        seen.append(obs)
    return np.array(seen)


@pytest.mark.parametrize("version, causal", [("v2", True), ("v1", False)])
def test_geo_v2_observation_never_reads_the_future(version, causal):
    """Change every site's intensity after hour 10 of the window: v2's observations up to
    hour 10 stay bit-identical (v1's window rank reads the future, so it changes)."""
    sites = make_sites(DEFAULT_SITES)
    changed = []
    for site in sites:
        index = site.trace.index_at(START) + 11
        values = site.trace.values_g_per_kwh.copy()
        values[index:] *= 1.7
        changed.append(Site(site.name, CarbonTrace(site.trace.name, site.trace.times, values, site.trace.step_s,
                                                   site.trace.source), site.n_gpus))
    actions = [np.array([2, 0, 4, 8 * (t % 2)]) for t in range(10)]
    same = np.array_equal(observations(version, sites, actions), observations(version, changed, actions))
    assert same is causal


def test_geo_v2_is_registered_with_the_v2_simulator_and_its_own_feature():
    env = gym.make("CENAS-Geo-v2").unwrapped
    assert env.version == "v2" and (env.config.screening, env.config.accounting) == ("partition", "shared")
    from cenas_gym.envs import observation

    names = [f.name for f in observation.GEO_SITE_VERSIONS["v2"]]
    assert "intensity_rank_7d" in names and "intensity_rank_window" not in names
    with pytest.raises(ValueError, match="version must be one of"):
        CENASGeoEnv(version="v9")


# -- geo-rule ------------------------------------------------------------------------------
def test_geo_rule_keeps_core_sites_busy_and_the_others_in_their_clean_hours():
    sites = make_sites(DEFAULT_SITES)
    episode = new_geo_episode(SimConfig(budget_hours=48, optimizer="random"), sites, np.random.default_rng(0), START)
    ctx = episode.context
    rule = make_geo_policy("geo-rule:1:0.25:0.5")
    assert isinstance(rule, GeoRule) and rule.name == "geo-rule:1:0.25:0.5"
    rule.reset(ctx, episode.policy_rng)
    gpus = np.array(ctx.n_gpus)
    cleanest = int(np.argmin([ctx.trailing_window(i, 0).mean() for i in range(4)]))
    some_clean_hour = False
    for step in range(24):
        got = rule.act(None, {"step": step})
        trailing = [ctx.trailing_window(i, step) for i in range(4)]
        assert len(trailing[0]) == 7 * 24 and trailing[0][-1] == ctx.now(step)[0]
        for i in range(4):
            clean = ctx.now(step)[i] <= np.quantile(trailing[i], 0.25)
            some_clean_hour |= bool(clean and i != cleanest)
            assert got[i] == (gpus[i] if clean or i == cleanest else 0), (step, i)
    assert some_clean_hour
    np.testing.assert_array_equal(rule.act(None, {"step": 24}), gpus)  # from half the cap on: every GPU
    for bad, message in [("geo-rule:1:2:0.5", "Q must be in"), ("geo-rule:1.5:0.5:1", "K must be a whole"),
                         ("geo-rule:1:0.5", "expected geo-rule:K:Q:S")]:
        with pytest.raises(ValueError, match=message):
            make_geo_policy(bad)


def test_tune_sites_scores_geo_candidates_and_names_each_familys_best(capsys, tmp_path):
    out = tmp_path / "tune"
    argv = ["tune", "--sites", "NO:2022:2,ES:2022:4", "--windows", START, "--seeds", "1", "--task", "target",
            "--target-regret", "0.05", "--hours", "24", "--optimizer", "random",
            "--candidates", "geo-greedy:2,geo-greedy:6,geo-rule:1:0.5:1", "--out", str(out)]
    assert main(argv) == 0
    report = json.loads((out / "tune.json").read_text())
    assert {row["policy"] for row in report["scores"]} == {"geo-greedy:2", "geo-greedy:6", "geo-rule:1:0.5:1"}
    assert set(report["winners"]) == {"geo-greedy", "geo-rule"} and report["winners"]["geo-rule"] == "geo-rule:1:0.5:1"
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 3 and set(results["sites"]) == {"NO:2022:2,ES:2022:4"}
    assert main(argv[:3] + ["--out", str(tmp_path / "x")]) == 2
    assert "--windows" in capsys.readouterr().err
