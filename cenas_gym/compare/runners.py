"""How a grid runs: :func:`run_grid` plays the specs serially, on a process pool or on a Ray
cluster; the rows come back in spec order whatever the backend, so the same grid gives the same
table. :func:`compare` does it all into a folder, storing each run the moment it finishes
(:mod:`cenas_gym.compare.runstore`: ``resume=True`` continues an interrupted grid, with the same
final bytes), then writes the summary (:mod:`~cenas_gym.compare.summary`) and the plots
(:mod:`~cenas_gym.compare.plots`)::

    from cenas_gym.compare.presets import DEFAULT_GRID
    from cenas_gym.compare.runners import compare
    results = compare(DEFAULT_GRID, "cenas-compare", jobs=2, backend="process")

A grid is a single-site :class:`~cenas_gym.compare.grid.Grid` or a multi-site
:class:`~cenas_gym.compare.geo.GeoGrid`: both expand into specs that play themselves, and
:func:`compare` writes the report of their kind. The worker backends submit the module
attribute :func:`run_one` (looked up at each call), so a test can replace it with one that
kills its worker (tests/crash_once.py).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from cenas_gym.compare import geo
from cenas_gym.compare.grid import Grid, RunSpec, frames_of
from cenas_gym.compare.plots import plot_all
from cenas_gym.compare.summary import summarize

#: A single-site or a multi-site grid.
AnyGrid = Grid | geo.GeoGrid


# ------------------------------------------------------------------------------ backends
#: Called with (position in the spec list, row) the moment each run finishes.
OnResult = Callable[[int, dict], None]

#: Retries of a Ray task whose worker process died (killed, out of memory, node lost). A
#: Python exception inside run_one is not retried: the same spec would raise it again.
RAY_MAX_RETRIES = 3


def run_one(spec: RunSpec | geo.GeoRunSpec) -> dict[str, Any]:
    """Play one spec of either kind: its flat row with the ``"trajectory"`` entry."""
    return spec.play()


def _progress(total: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, unit="run", file=sys.stderr)


def _serial(specs: list[RunSpec], progress: bool, on_result: OnResult) -> None:
    with _progress(len(specs), progress, "compare") as bar:
        for i, spec in enumerate(specs):
            on_result(i, run_one(spec))
            bar.update(1)


def _stop_pool(pool: Any) -> None:
    """Cancel what has not started and end the workers now (SIGTERM, then SIGKILL after 5 s)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5.0)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=1.0)


def _process(specs: list[RunSpec], jobs: int, progress: bool, on_result: OnResult) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from cenas_gym.compare.interrupts import ignore_sigint

    # Workers start from a clean server process, not a fork of this one: a parent that has
    # loaded torch (a PPO policy checked or played here) deadlocks forked children.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method),
                               initializer=ignore_sigint)
    try:
        with _progress(len(specs), progress, f"compare x{jobs}") as bar:
            futures = {pool.submit(run_one, spec): i for i, spec in enumerate(specs)}
            for fut in as_completed(futures):
                on_result(futures[fut], fut.result())
                bar.update(1)
    except BaseException:  # interrupted, a worker died, a run failed: keep nothing running
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _ray(specs: list[RunSpec], address: str | None, progress: bool, on_result: OnResult) -> None:
    try:
        import ray
    except ImportError:
        raise ImportError(
            "the Ray backend needs Ray: pip install cenas-gym[ray]  (or: pip install 'ray>=2.9')"
        ) from None
    from cenas_gym.compare.interrupts import interruptible

    started = False
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
        started = True
    pending: list = []
    try:
        with interruptible():  # after ray.init, which installs handlers of its own
            remote = ray.remote(max_retries=RAY_MAX_RETRIES, retry_exceptions=False)(run_one)
            refs = [remote.remote(spec) for spec in specs]
            position = {ref: i for i, ref in enumerate(refs)}
            pending = list(refs)
            with _progress(len(specs), progress, "compare (ray)") as bar:
                while pending:
                    done, pending = ray.wait(pending, num_returns=1)
                    for ref in done:
                        on_result(position[ref], ray.get(ref))
                        bar.update(1)
    except BaseException:
        if not started:  # a cluster we joined keeps running: cancel our tasks there (one call each)
            for ref in pending:
                ray.cancel(ref, force=True)
        raise  # a local Ray we started: ray.shutdown() below ends its workers at once
    finally:
        if started:
            ray.shutdown()


def run_grid(
    grid: AnyGrid | Sequence[RunSpec | geo.GeoRunSpec],
    jobs: int = 1,
    backend: str = "serial",
    address: str | None = None,
    progress: bool = True,
    on_result: OnResult | None = None,
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Run every spec of ``grid``; returns (one row per run, in spec order; the per-step
    trajectories, aligned with the rows).

    ``backend``: ``"serial"``, ``"process"`` (a pool of ``jobs`` processes) or ``"ray"``
    (``ray.init(address=address)``, local when ``address`` is None, unless Ray is already
    initialised; a task whose worker dies is retried up to :data:`RAY_MAX_RETRIES` times).
    Rows are identical whatever the backend. ``on_result(position, row)`` is called the
    moment each run finishes (in completion order), e.g. to store it
    (:class:`~cenas_gym.compare.runstore.RunStore`).

    SIGINT and SIGTERM raise :class:`~cenas_gym.compare.interrupts.Interrupted` (a
    KeyboardInterrupt): runs not started are cancelled and the workers stopped first.
    """
    from cenas_gym.compare.interrupts import interruptible

    specs = grid.runs() if isinstance(grid, (Grid, geo.GeoGrid)) else list(grid)
    rows: list[dict | None] = [None] * len(specs)

    def collect(i: int, row: dict) -> None:
        if on_result is not None:
            on_result(i, row)
        rows[i] = row

    with interruptible():
        if backend == "serial" or (backend == "process" and jobs <= 1):
            _serial(specs, progress, collect)
        elif backend == "process":
            _process(specs, jobs, progress, collect)
        elif backend == "ray":
            _ray(specs, address, progress, collect)
        else:
            raise ValueError(f"unknown backend {backend!r}; choose serial, process or ray")
    return frames_of(rows)  # type: ignore[arg-type]


def compare(
    grid: AnyGrid,
    outdir: str | Path = "cenas-compare",
    jobs: int = 1,
    backend: str = "serial",
    address: str | None = None,
    progress: bool = True,
    plots: bool = True,
    resume: bool = False,
    force: bool = False,
) -> pd.DataFrame:
    """Run ``grid`` and write ``results.csv`` (one row per run; no timestamps, so the same
    grid gives the same bytes), ``summary.md`` and the PNGs into ``outdir``.

    Each run is stored the moment it finishes (``runs.jsonl``, ``results.partial.csv``; see
    :mod:`cenas_gym.compare.runstore`), so an interrupted grid loses only the runs in flight.
    ``resume``: keep the finished runs of this same grid in ``outdir`` and run the rest; the
    final ``results.csv`` is byte-identical to an uninterrupted run's. A folder holding
    results (of this grid without ``resume``, or of another grid) raises
    :class:`~cenas_gym.compare.runstore.FolderInUse` unless ``force``, which discards them.
    """
    from cenas_gym.compare.runstore import RunStore

    outdir = Path(outdir)
    specs = grid.runs()
    store = RunStore.open(outdir, grid, specs, resume=resume, force=force)
    todo = store.pending()
    if todo:
        run_grid([specs[i] for i in todo], jobs=jobs, backend=backend, address=address, progress=progress,
                 on_result=lambda j, row: store.add(todo[j], row))
    results, trajectories = frames_of(store.rows())
    results.to_csv(outdir / "results.csv", index=False, lineterminator="\n")
    store.finish()
    if isinstance(grid, geo.GeoGrid):
        (outdir / "summary.md").write_text(geo.summarize(results, grid), encoding="utf-8")
        if plots:
            geo.plot(results, trajectories, grid, outdir)
        return results
    (outdir / "summary.md").write_text(summarize(results) + "\n", encoding="utf-8")
    if plots:
        plot_all(results, trajectories, outdir)
    return results
