# %% [markdown]
# # Quickstart: make an env, play the CE-NAS heuristic, plot the run
#
# This tutorial is a [jupytext](https://jupytext.readthedocs.io) percent script: run it as
# `python docs/tutorials/01_quickstart.py`, or open it as a notebook with jupytext. The
# tests run all three tutorials with `CENAS_TUTORIAL_FAST=1` (smaller budgets, same code).
#
# `CENAS-Target-v1` asks: how much carbon does the search spend to reach a hypervolume
# regret of 0.002? Each step is one hour; the action is how many of the 8 GPUs train.

# %%
import os
import tempfile
from pathlib import Path

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np

import cenas_gym  # noqa: F401  (registers the env ids)
from cenas_gym.compare.palette import policy_colors
from cenas_gym.policies.play import make_policy

OUT = Path(os.environ.get("CENAS_TUTORIAL_OUT") or tempfile.mkdtemp(prefix="cenas-tutorial-"))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## Make the env
#
# The trace is the shipped Electricity Maps California 2021 series; the window starts where
# the authors' code starts; LaMOO proposes the candidates. (This tutorial is fast as it is:
# `CENAS_TUTORIAL_FAST=1` changes nothing here.)

# %%
env = gym.make("CENAS-Target-v1", trace="US-CAL-CISO:2021", start="2021-07-02T06:00Z")
print(env.action_space, env.observation_space.shape)
print(env.unwrapped.reward_spec.returns)

# %% [markdown]
# ## Play two policies
#
# A policy has `reset(context, rng)` and `act(observation, info)`; `make_policy` builds any
# of the names on the [policies page](../policies.md). `heuristic` is CE-NAS (sample in dirty
# hours, train in clean ones); `vanilla` trains with every GPU all the time.


# %%
def play(name: str, seed: int = 0) -> dict:
    policy = make_policy(name)
    obs, info = env.reset(seed=seed)
    policy.reset(env.unwrapped.episode_context(), env.unwrapped.policy_rng)
    steps = []
    done = False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, info))
        steps.append({k: info[k] for k in ("step", "intensity_now_g_per_kwh", "gpus_train", "log10_regret",
                                           "cum_carbon_g")})
        done = terminated or truncated
    return {"steps": steps, "summary": info["episode_summary"]}


runs = {name: play(name) for name in ("heuristic", "vanilla")}
for name, run in runs.items():
    s = run["summary"]
    print(f"{name:10s} reached={s['reached_target']} kg={s['carbon_kg']:.2f} hours={s['hours']:.0f} "
          f"final log10 regret={s['final_log10_regret']:.3f}")

# %% [markdown]
# ## Plot the run
#
# Top: the grid's intensity and the GPUs each policy trains. Bottom: the search quality
# (log10 regret, lower is better) against the carbon spent; the dotted line is the target.

# %%
colors = policy_colors(runs)
fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6))
first = runs["heuristic"]["steps"]
twin = top.twinx()
twin.plot([r["step"] for r in first], [r["intensity_now_g_per_kwh"] for r in first], color="0.6", lw=1)
twin.set_ylabel("gCO2eq/kWh (grey)")
for name, run in runs.items():
    steps = run["steps"]
    top.step([r["step"] for r in steps], [r["gpus_train"] for r in steps], where="post", color=colors[name], label=name)
    bottom.plot(np.array([r["cum_carbon_g"] for r in steps]) / 1000, [r["log10_regret"] for r in steps],
                color=colors[name], label=name)
top.set_xlabel("hour")
top.set_ylabel("GPUs training")
top.legend(loc="upper left")
bottom.axhline(np.log10(0.002), color="0.3", ls=":")
bottom.set_xlabel("kg CO2eq emitted")
bottom.set_ylabel("log10 regret")
fig.tight_layout()
fig.savefig(OUT / "quickstart.png", dpi=80)
print("saved", OUT / "quickstart.png")

# %% [markdown]
# At equal quality the question is the kg to reach the target: compare `carbon_kg` of the
# two runs above (both end the step they reach it). One seed on one window proves nothing;
# `cenas-gym compare --preset target` runs the paired grid behind the
# [results](../results.md).
