"""The env ids, their spaces, observation features and rewards as markdown, made from the code.

The documentation's tables (``docs/environments.md``, ``docs/accounting.md``) are built here, so
they cannot drift from what the envs do: every id of :data:`cenas_gym.ENV_IDS` is instantiated
with its registered arguments and its spaces read off; every feature table of
:mod:`cenas_gym.envs.observation` (any module-level tuple of
:class:`~cenas_gym.envs.observation.Feature`) is listed with its name, meaning and bounds; the
rewards come from :data:`cenas_gym.envs.rewards.REWARDS`, the accounting presets from
:data:`cenas_gym.sim.accounting.ACCOUNTING_PRESETS` and the estimators from
:data:`cenas_gym.search.estimators.ESTIMATOR_SPECS`. A new id, feature table, reward, preset or
estimator appears in the docs without editing them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import gymnasium

from cenas_gym.envs import observation, rewards
from cenas_gym.envs.observation import Feature
from cenas_gym.search.estimators import ESTIMATOR_SPECS
from cenas_gym.sim.accounting import ACCOUNTING_PRESETS
from cenas_gym.sim.tasks import DEFAULT_CAP_HOURS, DEFAULT_FIXED_HOURS, DEFAULT_TARGET_REGRET, TASKS


def _cell(text: object) -> str:
    """``text`` made safe for one markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A markdown table."""
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def env_ids() -> list[str]:
    """Every registered id of this package, in registry order."""
    from cenas_gym import ENV_IDS

    return list(ENV_IDS)


def make_unwrapped(env_id: str, **kwargs: Any) -> gymnasium.Env:
    """The env class of ``env_id`` built with its registered arguments (no wrappers, no
    "out of date" notices): cheap, nothing is reset."""
    import cenas_gym  # noqa: F401  (registers the ids)

    spec = gymnasium.spec(env_id)
    creator = gymnasium.envs.registration.load_env_creator(spec.entry_point)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return creator(**{**spec.kwargs, **kwargs})


def feature_tables() -> dict[str, tuple[Feature, ...]]:
    """Every feature table of :mod:`cenas_gym.envs.observation` by its module-level name."""
    return {name: value for name, value in vars(observation).items()
            if isinstance(value, tuple) and value and all(isinstance(f, Feature) for f in value)}


def features_markdown(features: tuple[Feature, ...]) -> str:
    """One row per feature: index in the block (``k`` = forecast hours), name, meaning, bounds."""
    rows = [(where, f"`{f.name}`", f.meaning, f"{f.low:g}", f"{f.high:g}")
            for where, f in zip(observation.positions(features), features)]
    return table(("index", "feature", "meaning", "Min", "Max"), rows)


def observation_blocks(env: gymnasium.Env) -> list[tuple[str, str, tuple[Feature, ...]]]:
    """The observation of an (unwrapped) env as blocks: (title, name of the feature table, features)."""
    names = {id(v): k for k, v in feature_tables().items()}
    if hasattr(env, "features"):  # single-site envs
        return [("the observation", names.get(id(env.features), "?"), env.features)]
    site = observation.GEO_SITE_VERSIONS[env.version]
    n_sites = len(getattr(env, "sites", ()))
    return [
        (f"one block per site, in the sites' order ({n_sites} sites by default)", names.get(id(site), "?"), site),
        ("then the search state, once", names.get(id(observation.GEO_SEARCH), "?"), observation.GEO_SEARCH),
    ]


def reward_of(env: gymnasium.Env) -> rewards.Reward:
    """The reward record an (unwrapped) env uses with its registered arguments."""
    spec = getattr(env, "reward_spec", None)
    if spec is not None:
        return spec
    return rewards.REWARDS[rewards.TASK_REWARDS[env.task.name]]


def _task_text(env: gymnasium.Env) -> str:
    task = getattr(env, "task", None)
    if task is None:
        return "none (time and carbon budgets from the simulator options)"
    if task.name == "target":
        return f"`target`: regret <= {task.target_regret:g} within {task.hours:g} h"
    if task.name == "budget":
        return f"`budget`: {task.carbon_budget_kg:g} kg within {task.hours:g} h"
    return f"`{task.name}`: {task.hours:g} h"


def _simulator_text(env: gymnasium.Env) -> str:
    c = env.config
    return (f"{c.n_gpus} GPUs, optimizer `{c.optimizer}`, accounting `{c.accounting}`, "
            f"screening `{c.screening}`, estimator `{c.estimator}`")


def env_markdown(env_id: str) -> str:
    """One id's section: what the id fixes, its spaces, observation tables and reward."""
    env = make_unwrapped(env_id)
    spec = gymnasium.spec(env_id)
    cls = type(env)
    fixed = ", ".join(f"`{k}={v!r}`" for k, v in spec.kwargs.items()) or "nothing (the class defaults)"
    k = getattr(env, "forecast_steps", 0)
    reward = reward_of(env)
    lines = [
        f"### `{env_id}`",
        "",
        f"- class: [`{cls.__name__}`][{cls.__module__}.{cls.__name__}]; "
        f"the id fixes {fixed}",
        f"- task: {_task_text(env)}",
        f"- simulator by default: {_simulator_text(env)}",
        f"- action space: `{env.action_space}` (with `action_type=\"continuous\"`: a `Box(-1, 1)` per decision)",
        f"- observation space: `Box(float32, shape={env.observation_space.shape})` with the default "
        f"`forecast_hours={k}` (k)",
        f"- reward: `{reward.name}`, the return is {reward.returns}",
        "",
    ]
    for title, name, features in observation_blocks(env):
        lines += [f"Observation, {title} (`cenas_gym.envs.observation.{name}`):", "", features_markdown(features), ""]
    return "\n".join(lines)


def env_overview() -> str:
    """One row per id: task, default reward, action space, observation shape."""
    rows = []
    for env_id in env_ids():
        env = make_unwrapped(env_id)
        rows.append((f"[`{env_id}`](#{env_id.lower()})", _task_text(env), f"`{reward_of(env).name}`",
                     f"`{env.action_space}`", f"`{env.observation_space.shape}`"))
    return table(("id", "task", "reward", "action space", "observation shape"), rows)


def env_ids_detail() -> str:
    """Every id's section (:func:`env_markdown`)."""
    return "\n\n".join(env_markdown(i) for i in env_ids())


def env_tables() -> str:
    """The overview and every id's section."""
    return env_overview() + "\n\n" + env_ids_detail()


def feature_reference() -> str:
    """Every feature table of :mod:`cenas_gym.envs.observation`, under its name."""
    parts = []
    for name, features in feature_tables().items():
        parts.append(f"#### `{name}`\n\n{features_markdown(features)}")
    return "\n\n".join(parts)


def reward_table() -> str:
    """Every reward record: name, what the episode return sums to, the tasks that use it."""
    uses: dict[str, list[str]] = {}
    for task, reward in rewards.TASK_REWARDS.items():
        uses.setdefault(reward, []).append(task)
    rows, seen = [], set()
    for name, r in rewards.REWARDS.items():
        if id(r) in seen:
            rows.append((f"`{name}`", f"alias of `{r.name}`", ""))
            continue
        seen.add(id(r))
        rows.append((f"`{name}`", r.returns, ", ".join(f"`{t}`" for t in uses.get(name, [])) or "-"))
    return table(("reward", "episode return", "default of task (v1, v2, Geo)"), rows)


def task_table() -> str:
    """The tasks and their defaults (:mod:`cenas_gym.sim.tasks`)."""
    what = {
        "fixed-time": (f"{DEFAULT_FIXED_HOURS:g} h time budget", "kg and final log10 regret, side by side"),
        "target": (f"regret <= {DEFAULT_TARGET_REGRET:g} within a {DEFAULT_CAP_HOURS:g} h cap",
                   "kg CO2 to target; attainment"),
        "budget": (f"`carbon_budget_kg` (required) within a {DEFAULT_CAP_HOURS:g} h cap", "final log10 regret"),
    }
    return table(("task", "defaults", "score", "reward"),
                 [(f"`{t}`", *what.get(t, ("", "")), f"`{rewards.TASK_REWARDS[t]}`") for t in TASKS])


def accounting_table() -> str:
    """The accounting presets' figures (:data:`cenas_gym.sim.accounting.ACCOUNTING_PRESETS`)."""
    rows = [(f"`{name}`", f"{a.train_power_w:g}", f"{a.sample_power_w:g}", f"{a.idle_power_w:g}", f"{a.pue:g}",
             "yes" if a.charge_initial_samples else "no") for name, a in ACCOUNTING_PRESETS.items()]
    return table(("preset", "training GPU (W)", "sampling GPU (W)", "GPU neither training nor sampling (W)", "PUE",
                  "initial cells and supernet charged"), rows)


def estimator_table() -> str:
    """The estimators sampling can use and what each costs (:data:`ESTIMATOR_SPECS`)."""
    cost = {"forward": "one forward pass over the validation images", "acc12": "12/200 of the cell's training"}
    rows = [(f"`{name}`", f"`{e.column}`", e.kind, cost.get(e.cost, f"measured seconds (`{e.cost}`)"),
             f"{e.supernet_gpu_h:g}", "yes" if e.deployable else "**no**") for name, e in ESTIMATOR_SPECS.items()]
    return table(("estimator", "table column", "kind", "cost of one screening", "supernet (GPU-h, once)",
                  "deployable"), rows)
