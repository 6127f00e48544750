"""Where does a geo agent's gain stop transferring: to unseen grids, to unseen months, or both?

    python benchmarks/geo_transfer.py --runs shipped=RUNS/geo ablation=RUNS/geo-ablation --jobs 2

Each ``LABEL=FOLDER`` names a folder of training runs (``seed*/ppo_geo.zip``, as written by
``cenas-gym train --agent ppo-geo``). Every agent seed, ``geo-greedy`` (the reference) and
``geo-greedy:10`` (the agents' teacher) play four cells of 16 paired cases each (the windows and
seeds of :func:`agents_v3.geo_cases`): the training sites (the first of
:data:`~cenas_gym.rl.agent_train.GEO_TRAIN_SITE_SETS`) or the held-out sites
(:data:`~cenas_gym.rl.agent_train.GEO_HELD_OUT_SITES`), in the training months (January-June
2022; the agents trained on random windows of these, so this cell is not held out) or the
held-out months (July-December 2022). The held-out/held-out cell is ``agents_v3.py``'s judgement.

Per cell and policy: cases reached and the geometric mean of kg to target / ``geo-greedy``'s over
the cases both reached. Writes ``results.csv`` and ``summary.md`` to ``--out`` (default
``results/agents_v3/geo-transfer``).
"""

from __future__ import annotations

import argparse
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import agents_v3  # noqa: E402

REFERENCE = "geo-greedy"
BASELINES = (REFERENCE, "geo-greedy:10")


def cells() -> dict[tuple[str, str], list[dict]]:
    """(sites, months) -> that cell's cases."""
    from cenas_gym.rl.agent_train import (AGENTS, GEO_HELD_OUT_SITES, GEO_HELD_OUT_SPAN, GEO_TRAIN_SITE_SETS,
                                          GEO_TRAIN_SPAN)

    start, hours = GEO_TRAIN_SPAN
    last = pd.Timestamp(start) + pd.Timedelta(hours=hours - AGENTS["ppo-geo"].env_kwargs["hours"])
    spans = {"training months": (start, last.isoformat()), "held-out months": GEO_HELD_OUT_SPAN}
    sites = {"training sites": GEO_TRAIN_SITE_SETS[0], "held-out sites": GEO_HELD_OUT_SITES}
    return {(s, m): agents_v3.geo_cases(sites[s], *spans[m]) for s in sites for m in spans}


def jobs(runs: dict[str, Path]) -> list[dict]:
    policies = [(name, "baseline", None) for name in BASELINES]
    for label, folder in runs.items():
        seeds = sorted(folder.glob("seed*/ppo_geo.zip"))
        if not seeds:
            raise SystemExit(f"--runs {label}={folder}: no seed*/ppo_geo.zip")
        policies += [(f"{label}:{zip_.parent.name}", "agent", str(zip_)) for zip_ in seeds]
    return [{**case, "cell_sites": s, "cell_months": m, "case": f"{s}|{m}|{i}", "agent": "ppo-geo",
             "policy": name, "kind": kind, "path": path}
            for (s, m), cases in cells().items() for i, case in enumerate(cases) for name, kind, path in policies]


def play(job: dict) -> dict:
    return {**agents_v3.play(job), "sites": job["cell_sites"], "months": job["cell_months"]}


def table(results: pd.DataFrame) -> pd.DataFrame:
    """One row per policy: per cell, 'ratio (reached/cases)'."""
    out: dict[str, dict[str, str]] = {}
    for (sites, months), cell in results.groupby(["sites", "months"], sort=False):
        ref = cell[cell.policy == REFERENCE].set_index("case")
        for policy, p in cell.groupby("policy", sort=False):
            p = p.set_index("case")
            both = p.index[p.reached & ref.reached]
            ratio = math.exp(np.log(p.loc[both, "kg_to_target"] / ref.loc[both, "kg_to_target"]).mean()) if len(both) else math.nan
            out.setdefault(policy, {})[f"{sites}, {months}"] = f"{ratio:.3f} ({int(p.reached.sum())}/{len(p)})"
    return pd.DataFrame.from_dict(out, orient="index")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", nargs="+", required=True, metavar="LABEL=FOLDER")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", type=Path, default=HERE / "results" / "agents_v3" / "geo-transfer")
    args = p.parse_args(argv)
    runs = {}
    for pair in args.runs:
        label, sep, folder = pair.partition("=")
        if not sep or not label or not folder:
            p.error(f"--runs {pair!r}: expected LABEL=FOLDER")
        runs[label] = Path(folder)
    todo = jobs(runs)
    from tqdm import tqdm

    with ProcessPoolExecutor(args.jobs) as pool:
        results = pd.DataFrame(list(tqdm(pool.map(play, todo, chunksize=4), total=len(todo), desc="geo-transfer")))
    args.out.mkdir(parents=True, exist_ok=True)
    results.to_csv(args.out / "results.csv", index=False, lineterminator="\n")
    frame = table(results)
    given = " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join([
        "# Geo agents across sites and months", "", f"Command: `python benchmarks/geo_transfer.py {given}`", "",
        f"kg to target / `{REFERENCE}`'s (geometric mean over the cases both reached), then (cases reached / "
        "cases); method: benchmarks/geo_transfer.py docstring. The training-months cells are not held out.", "",
        "| policy | " + " | ".join(frame.columns) + " |", "|---|" + "---:|" * len(frame.columns),
        *["| " + policy + " | " + " | ".join(row) + " |" for policy, row in frame.iterrows()], ""])
    (args.out / "summary.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
