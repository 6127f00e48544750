# %% [markdown]
# # Train a PPO agent and judge it against the baselines
#
# A few CPU minutes of Stable-Baselines3 PPO on the **budget** task (`CENAS-Budget-v1`: the
# best search quality for 25 kg of CO2 within 160 h), then a paired judgement against
# `vanilla` and the CE-NAS heuristic on held-out traces, with the same functions as
# `cenas-gym train --task budget` and `cenas-gym evaluate --task budget`.
#
# Needs the `rl` extra (`pip install cenas-gym[rl]`). With `CENAS_TUTORIAL_FAST=1` (the
# tests) the agent trains for one PPO update and the judgement plays one window: the code
# runs end to end, the verdict means nothing. Without it, training takes a few minutes.
#
# To keep it small the search proposes candidates at random (`optimizer="random"`, thousands
# of steps per second) instead of with LaMOO; the shipped agents were trained the same way
# for the budget task (see `agents/MODEL_CARD_budget.md`).

# %%
import os
import tempfile
from pathlib import Path

from cenas_gym.carbon.catalogue import HELD_OUT_TRACES, TRAIN_TRACES
from cenas_gym.rl.task_eval import judge
from cenas_gym.rl.task_train import ppo_args, train_task_agent

FAST = os.environ.get("CENAS_TUTORIAL_FAST") == "1"
OUT = Path(os.environ.get("CENAS_TUTORIAL_OUT") or tempfile.mkdtemp(prefix="cenas-tutorial-"))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## Train
#
# `train_task_agent` builds `CENAS-Budget-v1` on the training traces (one drawn per
# episode, random windows), normalises observations and rewards (`VecNormalize`) and runs
# PPO with the settings of the `CENAS-Budget-v1` section of `agents/ppo.yml`. The agent reads
# only causal inputs: the v1 observation with a forecast of the next hours. `warm_start`
# starts it near `vanilla` (all GPUs train), the strongest simple baseline.

# %%
n_steps = ppo_args("budget")["n_steps"]
timesteps = n_steps if FAST else 40 * n_steps
model_path = train_task_agent(
    "budget", OUT / "agent", seed=0, timesteps=timesteps, traces=TRAIN_TRACES, optimizer="random",
    forecaster="yesterday", warm_start=3.0, max_wall_s=None if FAST else 300,
)
print(model_path, sorted(p.name for p in model_path.parent.iterdir()))

# %% [markdown]
# ## Judge it, paired, on held-out traces
#
# `judge` plays every policy on the same held-out (trace, window, seed) cases and writes
# `results.csv` and `summary.md`: the final log10 regret of each policy and its paired
# difference against the reference (negative = a better front for the same 25 kg). A
# saved agent is the policy `ppo:PATH`; `label=NAME` names a row.

# %%
traces = HELD_OUT_TRACES[:1] if FAST else HELD_OUT_TRACES[:2]
summary = judge(
    "budget", traces=traces, policies=["vanilla", "heuristic:causal", f"my-ppo=ppo:{model_path}"],
    seeds=(0,) if FAST else (0, 1), n_windows=1 if FAST else 2, out=OUT / "judged", optimizer="random",
    reference="vanilla",
)
print(summary)

# %% [markdown]
# The same from the command line:
#
# ```bash
# cenas-gym train --task budget --optimizer random --forecaster yesterday --warm-start 3 --seeds 0 --out runs/b
# cenas-gym evaluate --task budget --optimizer random --traces held-out --seeds 0,1 --windows 2 \
#     --policies vanilla,heuristic:causal,ppo:runs/b/seed0/ppo_budget.zip --out runs/b/judged
# ```
#
# A few minutes of PPO rarely beat `vanilla` here; the shipped `ppo-budget` agent, trained
# longer, plays like it (see the [results](../results.md)).
