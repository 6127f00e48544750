"""Play a :class:`~cenas_gym.compare.bench_suite.BenchSuite` for one or more policies and write
their benchmark entries (``cenas-gym bench``)::

    from cenas_gym.compare.bench import bench
    entries = bench(["threshold"], store="bench-runs")      # CENAS-Bench-1
    print(format_scorecard(entries[0]))

Each (task, policy) is a one-policy :class:`~cenas_gym.compare.grid.Grid` stored in a folder
of its own under ``store`` (``<version>/<task>/<policy>/``, :mod:`~cenas_gym.compare.runstore`),
so an interrupted bench resumes (``resume=True``) and the reference policies' runs are played
once for every policy benched with them. The runs are played by
:func:`~cenas_gym.compare.runners.run_grid` (serially or on a process pool).

A policy that cannot play the suite gets an entry saying why instead of scores: a geo policy
(it needs several sites), an agent that does not ship with this installation, or a package it
needs is missing; a policy that cannot play one task (a task agent on the other task,
``oracle:target`` on the budget task) gets ``n/a`` for that task only. The entry
(:func:`make_entry`) holds the suite's version and hash, the policy, the package version, the
command, the per-task scores, the aggregate and the policy's raw per-case results, and no
timestamp: the same code gives the same bytes.
"""

from __future__ import annotations

import json
import logging
import math
import re
import tempfile
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from cenas_gym.compare.bench_suite import LATEST, BenchSuite
from cenas_gym.compare.scorecard import scorecard

log = logging.getLogger(__name__)

#: The raw per-case columns an entry keeps (enough to rescore it).
CASE_COLUMNS = ("task", "trace", "start", "seed", "reached_target", "kg_to_target", "carbon_kg",
                "final_log10_regret", "hours")


def bench_policies() -> tuple[str, ...]:
    """Every shipped single-site policy, as ``--policy all`` plays them: the rule-based
    defaults (:func:`~cenas_gym.policies.play.default_policies`, the v0 agent included when it
    ships), the target-timing oracle, the tuned thresholds of the target and budget presets,
    the CE-NAS authors' A3C agent, and every other shipped learned agent
    (:data:`~cenas_gym.policies.play.LEARNED`; one that does not ship is left out)."""
    from cenas_gym.compare.presets import TUNED_BUDGET, TUNED_TARGET
    from cenas_gym.policies.play import LEARNED, default_policies, make_policy

    names = list(default_policies()) + ["oracle:target", *TUNED_TARGET, *TUNED_BUDGET, "a3c-cenas"]
    for kind in LEARNED:
        if kind in names:
            continue
        try:
            make_policy(kind)
        except (ValueError, ImportError, OSError) as err:
            log.info("bench: %s left out of 'all': %s", kind, err)
            continue
        names.append(kind)
    return tuple(dict.fromkeys(names))


def slug(policy: str) -> str:
    """A file name for a policy name (``threshold:90`` -> ``threshold_90``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", policy).strip("_") or "policy"


def policy_problem(policy: str) -> str | None:
    """Why ``policy`` cannot play a single-site suite at all (``None``: it can). An unknown
    name raises ``ValueError`` (a user error, not an n/a)."""
    from cenas_gym.policies.geo import GEO_POLICIES
    from cenas_gym.policies.play import make_policy

    kind = policy.partition(":")[0]
    if any(kind == usage.partition("[")[0].partition(":")[0] for usage in GEO_POLICIES):
        return "a geo policy: it needs several sites (CENAS-Geo); this suite is single-site"
    try:
        make_policy(policy)
    except ImportError as err:
        return f"cannot load: {err}"
    except ValueError as err:
        if "does not ship" in str(err) or "no agent ships" in str(err):
            return str(err)
        raise
    return None


# ------------------------------------------------------------------------------ playing
def play_suite(
    suite: BenchSuite,
    policies: Sequence[str],
    store: str | Path | None = None,
    jobs: int = 1,
    backend: str | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
) -> tuple[pd.DataFrame, dict[str, str], dict[str, dict[str, str]]]:
    """Play ``policies`` and the suite's references on every task of ``suite``.

    Returns (one row per run, every policy and task; ``{policy: why it cannot play}``;
    ``{policy: {task: why it cannot play that task}}``). ``store``: the folder that keeps the
    runs (``None``: a temporary one, removed afterwards); ``resume`` keeps the finished runs
    found there, ``force`` discards them (else a folder with runs raises
    :class:`~cenas_gym.compare.runstore.FolderInUse`).
    """
    if store is None:
        with tempfile.TemporaryDirectory(prefix="cenas-bench-") as tmp:
            return play_suite(suite, policies, tmp, jobs, backend, resume, force, progress)
    from cenas_gym.compare.grid import frames_of
    from cenas_gym.compare.runners import run_grid
    from cenas_gym.compare.runstore import RunStore

    root = Path(store) / suite.version
    na: dict[str, str] = {}
    for policy in policies:
        problem = policy_problem(policy)
        if problem is not None:
            na[policy] = problem
    if all(p in na for p in policies):  # nothing to score: do not play the references either
        return pd.DataFrame(), na, {}
    needed = [p for p in dict.fromkeys([*suite.references, *policies]) if p not in na]
    na_tasks: dict[str, dict[str, str]] = {}
    stores: list[tuple[str, str, RunStore, list]] = []
    for task in suite.tasks:
        for policy in needed:
            grid = suite.grid(task, policy)
            specs = grid.runs()
            st = RunStore.open(root / task.name / slug(policy), grid, specs, resume=resume, force=force)
            if 0 in st.pending():  # the first run plays here: a policy that refuses the task says so
                try:
                    row = specs[0].play()
                except ValueError as err:
                    if policy in suite.references:
                        raise
                    na_tasks.setdefault(policy, {})[task.name] = str(err)
                    log.info("bench: %s cannot play the %s task: %s", policy, task.name, err)
                    continue
                st.add(0, row)
            stores.append((task.name, policy, st, specs))
    todo = [(k, i) for k, (_, _, st, _) in enumerate(stores) for i in st.pending()]
    if todo:
        run_grid([stores[k][3][i] for k, i in todo], jobs=jobs, backend=backend or ("process" if jobs > 1 else "serial"),
                 progress=progress, on_result=lambda j, row: stores[todo[j][0]][2].add(todo[j][1], row))
    frames = []
    for _, _, st, _ in stores:
        table, _ = frames_of(st.rows())
        frames.append(table)
        st.finish()
    results = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return results, na, na_tasks


# ------------------------------------------------------------------------------ entries
def _finite(obj: Any) -> Any:
    """JSON-safe: NaN -> None, +-inf -> "inf" / "-inf" (strict JSON has neither)."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (bool, int, float, str)):
        obj = obj.item()
    if isinstance(obj, float):
        if math.isnan(obj):
            return None
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
    return obj


def suite_header(suite: BenchSuite) -> dict[str, Any]:
    """What an entry says of its suite."""
    return {"version": suite.version, "hash": suite.content_hash(), "tasks": [t.name for t in suite.tasks],
            "references": list(suite.references), "cases_per_task": suite.cases_per_task()}


def make_entry(suite: BenchSuite, policy: str, results: pd.DataFrame, na: str | None = None,
               na_tasks: dict[str, str] | None = None) -> dict[str, Any]:
    """The benchmark entry of ``policy`` (see the module docstring)."""
    from cenas_gym import __version__

    entry: dict[str, Any] = {
        "suite": suite_header(suite),
        "policy": policy,
        "package_version": __version__,
        "command": f"cenas-gym bench --policy {policy}",
        "na": na,
    }
    if na is not None:
        return _finite(entry)
    entry.update(scorecard(results, policy, suite, na_tasks))
    mine = results[results["policy"] == policy]
    entry["cases"] = [{c: row[c] for c in CASE_COLUMNS if c in row} for row in mine.to_dict("records")]
    return _finite(entry)


def dumps(entry: dict[str, Any]) -> str:
    """An entry as the text of its JSON file."""
    return json.dumps(entry, indent=1, allow_nan=False) + "\n"


def bench(
    policies: Sequence[str],
    suite: BenchSuite = LATEST,
    store: str | Path | None = None,
    jobs: int = 1,
    backend: str | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Play ``suite`` for ``policies`` (:func:`play_suite`); one entry per policy, in order."""
    results, na, na_tasks = play_suite(suite, policies, store, jobs, backend, resume, force, progress)
    return [make_entry(suite, p, results, na.get(p), na_tasks.get(p)) for p in policies]
