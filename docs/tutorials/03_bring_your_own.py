# %% [markdown]
# # Bring your own: a carbon trace, a hardware metric and a policy
#
# Everything the package ships can be replaced by your own data: a carbon-intensity CSV, a
# hardware-cost column for the search's second objective, and a policy class. This tutorial
# writes the first two from real shipped data (so it runs offline), defines a policy, and
# runs all three through `compare`, the engine behind `cenas-gym compare`.
# `CENAS_TUTORIAL_FAST=1` (the tests) plays fewer seeds with a cheaper proposer and an easier
# target.

# %%
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from cenas_gym.carbon.trace import CarbonTrace
from cenas_gym.compare.grid import Grid
from cenas_gym.compare.runners import compare
from cenas_gym.policies.play import run_policy
from cenas_gym.policies.rules import RULE_BASED, RuleBased
from cenas_gym.search.nasbench import ArchTable
from cenas_gym.search.pareto import Objectives
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.sim.tasks import make_task

FAST = os.environ.get("CENAS_TUTORIAL_FAST") == "1"
OUT = Path(os.environ.get("CENAS_TUTORIAL_OUT") or tempfile.mkdtemp(prefix="cenas-tutorial-"))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## 1. A carbon trace as a CSV
#
# Any two-column `timestamp,value` file works (Electricity Maps portal exports and the EIA
# files of HewlettPackard/dc-rl are recognised by their headers; sub-hourly rows become hourly
# means). Here: four weeks of Spain's 2022 grid (Electricity Maps, shipped), written at
# 30-minute resolution as a metering system might export it.

# %%
spain = CarbonTrace.load("ES:2022")
hours = pd.Series(spain.values_g_per_kwh, index=spain.times)["2022-03-01":"2022-03-28"]
half_hourly = hours.resample("30min").ffill()
csv_path = OUT / "my_grid.csv"
pd.DataFrame({"timestamp": half_hourly.index.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "gco2_per_kwh": half_hourly.to_numpy()}).to_csv(csv_path, index=False)
mine = CarbonTrace.from_csv(csv_path)
print(mine.name, len(mine.values_g_per_kwh), "hours,", f"mean {mine.values_g_per_kwh.mean():.0f} gCO2eq/kWh")

# %% [markdown]
# ## 2. A hardware metric
#
# The search maximises accuracy and minimises a hardware cost; hypervolume is measured on
# the two. The default cost is Raspberry Pi 4 latency. `ArchTable.with_metric` adds any
# column from a CSV keyed by NAS-Bench-201 index (one finite value for each of the 15,625
# cells, or it says exactly what is wrong). As an example we write the measured Raspberry
# Pi 5 energy per inference (HW-NAS-Bench-360, shipped) in joules.

# %%
table = ArchTable.load()
metric_csv = OUT / "pi5_energy.csv"
pd.DataFrame({"nb201_index": np.arange(len(table)),
              "pi5_energy_j": table.column("pi5_energy_mj") / 1000.0}).to_csv(metric_csv, index=False)
my_table = table.with_metric("pi5_energy_j", metric_csv)
objectives = Objectives(cost="pi5_energy_j")
print(objectives.reference_point(my_table))

# %% [markdown]
# ## 3. A policy class
#
# A policy has a `name`, `reset(context, rng)` (once per episode: the
# `EpisodeContext` gives the GPUs, the intensity now and the trailing week) and
# `act(observation, info)` returning the number of GPUs that train. This one is causal:
# every GPU trains when the hour is cleaner than the trailing day's median, half of them
# otherwise.


# %%
class CleanerThanYesterday:
    name = "cleaner-than-yesterday"

    def reset(self, context, rng) -> None:
        self.ctx = context

    def act(self, observation, info) -> int:
        step = info["step"]
        last_day = self.ctx.trailing_window(step)[-24:]
        if self.ctx.now(step) <= np.median(last_day):
            return self.ctx.n_gpus
        return self.ctx.n_gpus // 2


# Register it under a name: compare, evaluate and the command line resolve policies by name.
RULE_BASED["cleaner-than-yesterday"] = RuleBased(
    "cleaner-than-yesterday", lambda arg: CleanerThanYesterday(), help="train all when cleaner than the last day's median"
)

# %% [markdown]
# ## 4. One run with all three
#
# `run_policy` plays a policy on the simulator directly; `table=` gives it the table with
# the new metric.

# %%
config = make_task("target").apply(SimConfig(objectives=objectives, optimizer="random" if FAST else "lamoo"))
sim = run_policy(CleanerThanYesterday(), config, mine, seed=0, start="2022-03-08T00:00Z", table=my_table)
print({k: round(v, 3) if isinstance(v, float) else v for k, v in sim.summary().items()
       if k in ("reached_target", "kg_to_target", "hours", "final_log10_regret", "n_trained")})

# %% [markdown]
# ## 5. Through `compare`
#
# A `Grid` is policies x traces x windows x seeds with one config and task; traces may be
# CSV paths. `compare` writes `results.csv`, `summary.md` (paired against the heuristic,
# with 95 % intervals) and the plots. The grid reads the shipped table, so here the
# objective is the same Raspberry Pi 5 energy under its shipped name, `pi5_energy_mj`
# (millijoules: the same ranking and the same normalised hypervolume).

# %%
grid = Grid(
    policies=("heuristic", "vanilla", "cleaner-than-yesterday"),
    traces=(str(csv_path),),
    windows=("2022-03-08T00:00Z",),
    seeds=(0, 1) if FAST else tuple(range(5)),
    config=SimConfig(objectives=Objectives(cost="pi5_energy_mj"), optimizer="random" if FAST else "lamoo"),
    task=make_task("target", target_regret=0.005, hours=120) if FAST else make_task("target"),
)
results = compare(grid, OUT / "compared", progress=False, force=True)
print(results[["policy", "seed", "reached_target", "kg_to_target", "hours_to_target"]].to_string(index=False))
print((OUT / "compared" / "summary.md").read_text()[:1500])
