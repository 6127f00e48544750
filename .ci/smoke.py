"""Smoke test of an installed cenas-gym wheel, run by .ci/run from outside the checkout.

Usage (from any directory that is not the repository):
    /path/to/venv/bin/python /path/to/repo/.ci/smoke.py

Checks that the installed package (not the source tree) imports, ships its data
(NB201 table, every carbon trace, SOURCES.md files), runs a short simulation and, where
those modules are part of the wheel, the Gymnasium env and the ``cenas-gym`` console script.
Exits non-zero on the first failure; prints "smoke OK" at the end.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
T0 = time.perf_counter()


def say(msg: str) -> None:
    print(f"[smoke {time.perf_counter() - T0:6.1f}s] {msg}", flush=True)


def under(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------- import location
import cenas_gym  # noqa: E402

pkg_file = Path(cenas_gym.__file__)
assert not under(pkg_file, REPO), (
    f"cenas_gym was imported from the checkout ({pkg_file}), not from the installed wheel; "
    f"run smoke.py with the venv's python from outside {REPO}"
)
assert not under(Path.cwd(), REPO), f"run smoke.py from outside the checkout (cwd={Path.cwd()})"
say(f"cenas_gym {cenas_gym.__version__} imported from {pkg_file.parent}")

heavy = [m for m in ("torch", "stable_baselines3", "matplotlib") if m in sys.modules]
assert not heavy, f"import cenas_gym pulled in heavy modules: {heavy}"

# ---------------------------------------------------------------- data files
for pkg in ("cenas_gym.data", "cenas_gym.traces"):
    res = importlib.resources.files(pkg).joinpath("SOURCES.md")
    assert res.is_file(), f"{pkg}/SOURCES.md is not in the installed package"
    text = res.read_text(encoding="utf-8")
    assert text.strip(), f"{pkg}/SOURCES.md is empty"
    say(f"{pkg}/SOURCES.md ships ({len(text)} chars)")

from cenas_gym import ArchTable, CarbonTrace  # noqa: E402

table = ArchTable.load()
assert len(table) == 15625, f"ArchTable.load() has {len(table)} rows, expected 15625"
acc = float(table.row(9930)["acc_cifar10_pct"])
assert abs(acc - 94.3633) < 1e-3, f"index 9930 acc_cifar10_pct = {acc}, expected ~94.3633"
say(f"ArchTable: {len(table)} rows, #9930 acc_cifar10_pct = {acc:.4f}")

names = cenas_gym.list_traces()
assert names, "cenas_gym.list_traces() is empty: no traces in the installed package"
if (REPO / "traces").is_dir():
    # Every trace file in the checkout must have made it into the wheel.
    in_repo = sorted(p.name[: -len(".csv.gz")].replace("_", ":") for p in (REPO / "traces").glob("*.csv.gz"))
    missing = sorted(set(in_repo) - set(names))
    assert not missing, f"traces in the checkout but not in the installed package: {missing}"
for name in names:
    tr = CarbonTrace.load(name)
    assert tr.step_s == 3600, f"{name}: step_s={tr.step_s}, expected hourly (3600)"
    assert len(tr) > 8000, f"{name}: only {len(tr)} hourly values (expected > 8000)"
n_ciso = len(CarbonTrace.load("US-CAL-CISO:2021"))
assert n_ciso == 8760, f"US-CAL-CISO:2021 has {n_ciso} hourly values, expected 8760"
say(f"{len(names)} traces load, all hourly with > 8000 values; US-CAL-CISO:2021 has 8760")

# ---------------------------------------------------------------- simulator
import numpy as np  # noqa: E402

from cenas_gym.sim.simulator import SimConfig, Simulator  # noqa: E402

tr = CarbonTrace.load("US-CAL-CISO:2021").window("2021-07-02T06:00Z", 10)
sim = Simulator(SimConfig(budget_hours=10, optimizer="random"), tr, np.random.default_rng(0))
steps = 0
while not sim.done:
    sim.step(4)
    steps += 1
    assert steps < 10_000, "simulator never reported done"
summary = sim.summary()
print(summary)
assert steps > 0, "simulator was done before the first step"
say(f"simulator: {steps} steps")

# ---------------------------------------------------------------- gymnasium env
if importlib.util.find_spec("cenas_gym.envs.cenas") is not None:
    import gymnasium  # noqa: E402

    env = gymnasium.make("cenas_gym:CENAS-v0")
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs), f"reset() observation outside observation_space: {obs!r}"
    env.action_space.seed(0)
    for i in range(3):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert np.isfinite(reward), f"step {i}: reward {reward!r} is not finite"
        if terminated or truncated:
            obs, info = env.reset()
    env.close()
    say("gymnasium.make('cenas_gym:CENAS-v0'): reset(seed=0) + 3 steps OK")
    for env_id in ("CENAS-v1", "CENAS-Target-v1", "CENAS-Budget-v1"):
        env = gymnasium.make(f"cenas_gym:{env_id}", optimizer="random", hours=4)
        obs, info = env.reset(seed=0)
        assert env.observation_space.contains(obs) and "log10_regret" in info, f"{env_id}: bad reset"
        env.close()
    say("CENAS-v1, CENAS-Target-v1, CENAS-Budget-v1: reset(seed=0) OK")
else:
    say("cenas_gym.envs.cenas is not in the installed package: env check skipped")

# ---------------------------------------------------------------- the shipped agent
if importlib.util.find_spec("cenas_gym.rl") is not None:
    from cenas_gym.policies.ppo import shipped_agent_path  # noqa: E402

    agent = shipped_agent_path()
    assert agent is not None and agent.is_file(), "the wheel ships no agent (cenas_gym.agents_data/ppo_cenas.zip)"
    assert not under(agent, REPO), f"the shipped agent resolved to the checkout ({agent}), not the wheel"
    say(f"shipped agent: {agent}")

# ---------------------------------------------------------------- console script
if importlib.util.find_spec("cenas_gym.cli") is not None:
    scripts = Path(sysconfig.get_path("scripts"))
    exe = scripts / ("cenas-gym.exe" if sys.platform == "win32" else "cenas-gym")
    assert exe.is_file(), f"console script {exe} was not installed"
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (
        f"`{exe} --help` exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    assert proc.stdout.strip(), f"`{exe} --help` printed nothing"
    say(f"`cenas-gym --help` OK ({len(proc.stdout.splitlines())} lines)")
else:
    say("cenas_gym.cli is not in the installed package: console-script check skipped")

say("all checks passed")
print("smoke OK")
