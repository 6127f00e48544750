"""``cenas-gym record``: a Minari dataset that loads back and replays to the same returns."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("minari")

from cenas_gym.cli import main  # noqa: E402
from cenas_gym.rl.offline import INFO_KEYS, dataset_id, info_row, load, record  # noqa: E402

#: A short, cheap episode: random search, one day, a held-out trace.
ENV_ID = "CENAS-Target-v1"
KWARGS = {"trace": "ES:2023", "start": "2023-02-06T00:00Z", "optimizer": "random", "hours": 24}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("datasets")
    record("heuristic", 2, out, env_id=ENV_ID, seed=5, env_kwargs=KWARGS)
    return out, dataset_id(ENV_ID, "heuristic")


def test_dataset_loads_back(recorded: tuple[Path, str]) -> None:
    out, name = recorded
    assert (out / name / "data").is_dir()
    ds = load(out, name)
    assert ds.total_episodes == 2
    episodes = list(ds.iterate_episodes())
    for ep in episodes:
        n = len(ep.actions)
        assert n == 24 and ep.observations.shape == (n + 1, 20)
        assert len(ep.rewards) == len(ep.terminations) == len(ep.truncations) == n
        assert set(ep.infos) == set(INFO_KEYS) and all(len(v) == n + 1 for v in ep.infos.values())
        assert np.all(np.diff(ep.infos["carbon_kg"]) >= 0) and ep.infos["carbon_kg"][-1] > 0
        assert np.all(ep.infos["regret"] > 0)
    meta = list(ds.storage.get_episode_metadata([0, 1]))
    assert [m["seed"] for m in meta] == [5, 6]
    assert ds.spec.env_spec.id == ENV_ID and ds.spec.env_spec.kwargs["trace"] == "ES:2023"


def test_replay_gives_the_same_returns_and_kg(recorded: tuple[Path, str]) -> None:
    """A fresh env with the episode's seed, fed the recorded actions, earns the same rewards
    and emits the same kg (the env is deterministic given seed, options and actions)."""
    out, name = recorded
    ds = load(out, name)
    ep = ds[1]
    seed = list(ds.storage.get_episode_metadata([1]))[0]["seed"]
    env = ds.recover_environment()
    try:
        _, info = env.reset(seed=seed)
        rewards, kg = [], [info_row(env, info)["carbon_kg"]]
        for action in ep.actions:
            _, reward, terminated, truncated, info = env.step(int(action))
            rewards.append(reward)
            kg.append(info_row(env, info)["carbon_kg"])
        assert terminated or truncated
    finally:
        env.close()
    assert sum(rewards) == pytest.approx(float(np.sum(ep.rewards)), abs=0, rel=1e-12)
    np.testing.assert_array_equal(np.asarray(rewards), ep.rewards)
    np.testing.assert_array_equal(np.asarray(kg), ep.infos["carbon_kg"])


def test_record_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["record", "--policy", "vanilla", "--episodes", "1", "--out", str(tmp_path), "--env-id", ENV_ID,
            "--trace", "ES:2023", "--start", "2023-06-12T00:00Z", "--seed", "2", "--dataset-id", "tests/vanilla-v0"]
    assert main(argv) == 0
    assert "minari.load_dataset('tests/vanilla-v0')" in capsys.readouterr().out
    assert load(tmp_path, "tests/vanilla-v0").total_episodes == 1
    assert main(argv) == 2  # the same id again: refused, not overwritten
    assert "exists already" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--env-id", "CENAS-Geo-v1"], "single-site"),
    (["--env-id", "Nope-v1"], "env id 'Nope-v1'"),
    (["--episodes", "0"], "--episodes must be >= 1"),
    (["--policy", "ppo-target", "--env-id", "CENAS-Budget-v1"], "trained for the 'target' task"),
])
def test_record_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    base = {"--policy": "vanilla", "--episodes": "1", "--out": str(tmp_path)}
    for flag, value in zip(argv[::2], argv[1::2]):
        base[flag] = value
    assert main(["record"] + [x for kv in base.items() for x in kv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cenas-gym: error: ") and message in err, err


def test_gym_spec_round_trip() -> None:
    """The env id the dataset names is registered (recover_environment needs it)."""
    assert gym.spec(ENV_ID).entry_point.endswith(":CENASEnv")
