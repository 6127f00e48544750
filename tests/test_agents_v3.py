"""The third-wave agents (ppo-timing, ppo-geo): shipped with their statistics, causal inputs only,
the same run through the package's runners and through gym.make, and the issue's commands on
trace files the package does not ship."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("stable_baselines3")

from cenas_gym.carbon.trace import CarbonTrace  # noqa: E402
from cenas_gym.cli import main  # noqa: E402
from cenas_gym.policies.geo import make_geo_policy, run_geo_policy  # noqa: E402
from cenas_gym.policies.play import make_policy, play_in_env, run_policy  # noqa: E402
from cenas_gym.policies.ppo import GeoPPOPolicy, PPOPolicy  # noqa: E402
from cenas_gym.rl.agent_train import AGENTS, GEO_HELD_OUT_SITES, GEO_SITE_SETS, GEO_TRAIN_ZONES, ppo_overrides  # noqa: E402
from cenas_gym.sim.geo import Site, make_sites  # noqa: E402
from cenas_gym.sim.simulator import SimConfig  # noqa: E402
from cenas_gym.sim.tasks import make_task  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GEO_START = "2022-09-12T00:00Z"
HELD_OUT = {"US-CAL-CISO:2023", "ES:2023", "EIA-CISO:2022", "EIA-BPAT:2022"}


def geo_config(hours: float = 80) -> SimConfig:
    kw = AGENTS["ppo-geo"].env_kwargs
    config = SimConfig(screening=kw["screening"], estimator=kw["estimator"], supernet_train_gpu_h=kw["supernet_train_gpu_h"],
                       accounting=kw["accounting"])
    return make_task("target", hours=hours).apply(config)


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_agent_ships_with_its_statistics_and_reads_causal_inputs_only(name):
    spec = AGENTS[name]
    for suffix in (".zip", ".obs_norm.npz", ".vecnormalize.pkl", ".train.json", ".episodes.csv"):
        assert (ROOT / "agents" / f"{spec.stem}{suffix}").is_file(), suffix
    meta = json.loads((ROOT / "agents" / f"{spec.stem}.train.json").read_text())
    assert meta["env_id"] == spec.env_id and meta["env_kwargs"]["version"] == "v2"
    assert meta["env_kwargs"]["forecaster"] in ("yesterday", "ridge")  # causal forecasts only
    trained_on = set(meta["training"].get("traces", [])) | {
        s.rpartition(":")[0] for sites in meta["training"].get("site_sets", []) for s in sites}
    assert not trained_on & (HELD_OUT - {"ES:2023"} if name == "ppo-geo" else HELD_OUT)
    if name == "ppo-geo":  # ES and EIA-SOCO 2022 are held-out sites too, but only their July-December
        assert meta["training"]["span"][1] <= 181 * 24
    assert meta["num_timesteps"] >= 10_000 and meta["teacher"] == spec.teacher
    policy = make_policy(name) if name == "ppo-timing" else make_geo_policy(name)
    assert policy.name == name and policy.task == "target"


def test_ppo_timing_plays_the_same_run_through_run_policy_and_gym_make():
    policy = make_policy("ppo-timing")
    assert isinstance(policy, PPOPolicy) and policy.env_version == "v2"
    config = make_task("target", hours=24).apply(SimConfig(screening="partition", estimator="acc12",
                                                           supernet_train_gpu_h=None, accounting="shared"))
    trace = CarbonTrace.load("EIA-CISO:2022")
    first = run_policy(policy, config, trace, seed=2, start="2022-10-03T00:00Z")
    env = gym.make("CENAS-Target-v2", trace="EIA-CISO:2022", start="2022-10-03T00:00Z", hours=24,
                   forecaster=policy.env_options["forecaster"])
    via_gym = play_in_env(env, make_policy("ppo-timing"), seed=2)
    assert [r["gpus_train"] for r in via_gym.history] == [r["gpus_train"] for r in first.history]
    assert via_gym.summary() == first.summary()


def test_ppo_geo_plays_the_same_run_through_run_geo_policy_and_gym_make():
    policy = make_geo_policy("ppo-geo")
    assert isinstance(policy, GeoPPOPolicy) and policy.needs_observation
    sites = make_sites(GEO_HELD_OUT_SITES)
    first = run_geo_policy(policy, geo_config(), sites, 5, GEO_START)
    kw = {k: v for k, v in AGENTS["ppo-geo"].env_kwargs.items() if k != "version"}
    env = gym.make("CENAS-Geo-v2", sites=list(GEO_HELD_OUT_SITES), start=GEO_START, **kw)
    obs, info = env.reset(seed=5)
    replay = make_geo_policy("ppo-geo")
    replay.reset(env.unwrapped.episode_context(), env.unwrapped.policy_rng)
    done = False
    while not done:
        obs, _, terminated, truncated, info = env.step(replay.act(obs, info))
        done = terminated or truncated
    assert info["episode_summary"] == first.summary()
    with pytest.raises(ValueError, match=r"trained for sites with \[2, 4, 4, 8\] GPUs"):
        run_geo_policy(make_geo_policy("ppo-geo"), geo_config(), make_sites(["NO:2022:2", "ES:2022:4"]), 0, GEO_START)


def test_ppo_geo_acts_the_same_when_only_the_future_changes():
    """Multiply every site's intensity after hour 12 of the window by 1.7: the agent's first
    12 actions do not change (it reads only the causal Geo-v2 observation)."""
    sites = make_sites(GEO_HELD_OUT_SITES)
    changed = []
    for site in sites:
        values = site.trace.values_g_per_kwh.copy()
        values[site.trace.index_at(GEO_START) + 13:] *= 1.7
        changed.append(Site(site.name, CarbonTrace(site.trace.name, site.trace.times, values, site.trace.step_s),
                            site.n_gpus))
    runs = [run_geo_policy(make_geo_policy("ppo-geo"), geo_config(12), s, 1, GEO_START) for s in (sites, changed)]
    actions = [[r["gpus_train"] for r in run.site_history] for run in runs]
    assert actions[0] == actions[1] and len(actions[0]) == 12 * 4


def _csv(path: Path, name: str, start: str, hours: int, drop: int) -> Path:
    window = CarbonTrace.load(name).window(start, hours)
    frame = pd.DataFrame({"timestamp": window.times.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": window.values_g_per_kwh})
    frame.drop(index=drop).to_csv(path, index=False)
    return path


def test_the_issues_commands_run_the_agents_on_trace_files(capsys, tmp_path):
    one = _csv(tmp_path / "grid.csv", "EIA-BPAT:2022", "2022-08-01T00:00Z", 400, drop=30)
    argv = ["run", "--policy", "ppo-timing", "--task", "target", "--accounting", "shared", "--trace-file", str(one),
            "--fill-gaps", "--start", "2022-08-09T00:00Z", "--seed", "3", "--json", "--hours", "20"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["policy"] == "ppo-timing" and result["hours"] <= 20
    files = [_csv(tmp_path / f"{n.replace(':', '_')}.csv", n, "2022-08-01T00:00Z", 400, drop=30 + i)
             for i, n in enumerate(("EIA-BPAT:2022", "EIA-CISO:2022", "ES:2022", "EIA-SOCO:2022"))]
    sites = ",".join(f"{f}:{g}" for f, g in zip(files, (2, 4, 4, 8)))
    argv = ["run", "--policy", "ppo-geo", "--task", "target", "--hours", "80", "--sites", sites, "--fill-gaps",
            "--start", "2022-08-09T00:00Z", "--seed", "3", "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert [s["site"] for s in result["sites"]] == ["EIA-BPAT_2022", "EIA-CISO_2022", "ES_2022", "EIA-SOCO_2022"]
    assert result["policy"] == "ppo-geo" and np.isfinite(result["carbon_kg"])


def test_train_agent_is_reproducible_from_its_seed(capsys, tmp_path):
    """`cenas-gym train --agent` twice with the same seed: the same learning curve and weights."""
    curves = []
    for name in ("a", "b"):
        argv = ["train", "--agent", "ppo-geo", "--seeds", "3", "--timesteps", "128", "--n-envs", "1",
                "--out", str(tmp_path / name)]
        assert main(argv) == 0
        curves.append((tmp_path / name / "seed3" / "ppo_geo.episodes.csv").read_text())
        meta = json.loads((tmp_path / name / "seed3" / "ppo_geo.train.json").read_text())
        assert meta["num_timesteps"] >= 128 and meta["teacher"] == "geo-greedy:10" and meta["bc_mean_prob"] >= 0.9
    assert curves[0] == curves[1] and curves[0].count("teacher,") == AGENTS["ppo-geo"].bc_episodes
    weights = [GeoPPOPolicy.load(tmp_path / name / "seed3" / "ppo_geo.zip").model.policy.state_dict() for name in "ab"]
    assert all(np.array_equal(weights[0][k].numpy(), weights[1][k].numpy()) for k in weights[0])


def test_train_agent_ablation_options_are_used_and_recorded(capsys, tmp_path):
    """`--ppo KEY=NUMBER` and `--train-sites` (ablations) reach PPO, the env and train.json; a
    bad pair is refused by name."""
    argv = ["train", "--agent", "ppo-geo", "--seeds", "0", "--timesteps", "64", "--n-envs", "1",
            "--ppo", "ent_coef=0.02", "n_epochs=2", "--train-sites", "permuted", "--out", str(tmp_path)]
    assert main(argv) == 0
    meta = json.loads((tmp_path / "seed0" / "ppo_geo.train.json").read_text())
    assert meta["ppo"]["ent_coef"] == 0.02 and meta["ppo"]["n_epochs"] == 2 and meta["ppo"]["learning_rate"] == 1e-4
    assert meta["command"].endswith("--ppo ent_coef=0.02 --ppo n_epochs=2 --train-sites permuted --out DIR")
    sets = meta["training"]["site_sets"]
    assert len({tuple(s) for s in sets}) == 12
    assert {s[0] for s in sets} == {"NO:2022:2", "US-CAL-CISO:2022:2", "ES:2022:2"}
    model = GeoPPOPolicy.load(tmp_path / "seed0" / "ppo_geo.zip").model
    assert model.ent_coef == 0.02 and model.n_epochs == 2
    for bad, says in (("ent_coef", "KEY=NUMBER"), ("gamma=high", "'high' is not a number"),
                      ("n_epochs=2.5", "positive whole number"), ("policy_kwargs=1", "KEY=NUMBER")):
        with pytest.raises(ValueError, match=says):
            ppo_overrides([bad])
    assert main(["train", "--agent", "ppo-geo", "--ppo", "clip=0.2", "--out", str(tmp_path / "x")]) != 0
    assert "--ppo 'clip=0.2'" in capsys.readouterr().err
    assert main(["train", "--agent", "ppo-timing", "--train-sites", "pool", "--out", str(tmp_path / "y")]) != 0
    assert "--train-sites applies to ppo-geo only" in capsys.readouterr().err
    pool = GEO_SITE_SETS["pool"]
    assert len(set(pool)) == 120 and all(len({site.split(":")[0] for site in s}) == 4 for s in pool)
    assert {s[3] for s in pool} == {f"{zone}:2022:8" for zone in GEO_TRAIN_ZONES}
