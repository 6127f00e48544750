"""Finished runs on disk as they complete, so that an interrupted grid loses nothing.

An output folder of :func:`cenas_gym.compare.runners.compare` holds, besides the final tables:

- ``grid.json``: the grid's identity: what was asked for (policies, traces, windows, seeds,
  configuration), the SHA-256 of every file it reads (CSV traces, agents) and the
  :func:`spec_hash` of every run, in order. A folder belongs to one
  grid: results of another are never mixed in (:class:`FolderInUse`, unless ``force``).
- ``runs.jsonl``: one JSON line per finished run (its spec hash, the flat result row and its
  per-step trajectory), appended, flushed and fsynced the moment the run finishes. JSON
  floats round-trip exactly, so a resumed grid rebuilds the very rows an uninterrupted one
  holds; a line cut short by a crash is dropped on resume (that run is simply redone).
- ``results.partial.csv``: the same rows as CSV with a ``spec_hash`` column, appended as runs
  finish, in completion order (to watch a long grid: ``tail -f``); removed once the final,
  spec-ordered ``results.csv`` is written.

:func:`spec_hash` is a SHA-256 of the run's canonical JSON (index, policy, trace, start,
seed and the full :class:`~cenas_gym.sim.simulator.SimConfig`, nested dataclasses included):
the same in every process and every Python run, unlike ``hash()``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from cenas_gym.compare.interrupts import held

log = logging.getLogger(__name__)

GRID_FILE = "grid.json"
RUNS_FILE = "runs.jsonl"
PARTIAL_CSV = "results.partial.csv"
RESULTS_CSV = "results.csv"
HASH_COLUMN = "spec_hash"


class FolderInUse(ValueError):
    """The output folder holds results that this call must not mix with or overwrite."""


def plain(obj: Any) -> Any:
    """``obj`` with numpy scalars/arrays, tuples and dataclasses turned into plain JSON types
    (floats stay floats: NaN and infinities included)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, (bool, str, int, float)) or obj is None:
        return obj
    if hasattr(obj, "tolist"):  # numpy scalar or array
        return plain(obj.tolist())
    raise TypeError(f"cannot store {type(obj).__name__} {obj!r} as JSON")


def canonical_json(obj: Any) -> str:
    """Sorted-key, compact JSON of :func:`plain` ``obj``: equal values give equal text."""
    return json.dumps(plain(obj), sort_keys=True, separators=(",", ":"), allow_nan=True)


def spec_hash(spec: Any) -> str:
    """Hex SHA-256 (16 characters) of a :class:`~cenas_gym.compare.grid.RunSpec`'s canonical JSON."""
    return hashlib.sha256(canonical_json(spec).encode("utf-8")).hexdigest()[:16]


def file_digests(specs: Sequence[Any]) -> dict[str, str]:
    """SHA-256 (16 characters) of every file the runs read by path: CSV traces and
    ``ppo:PATH`` agents. A spec names a file; this says which contents it had."""
    paths = set()
    for spec in specs:
        paths.add(getattr(spec, "trace", ""))  # a geo spec names shipped traces only
        if ":" in spec.policy:
            paths.add(spec.policy.split(":", 1)[1])
    digests = {}
    for path in sorted(paths):
        if path and Path(path).is_file():
            digests[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    return digests


def grid_identity(grid: Any, specs: Sequence[Any]) -> dict[str, Any]:
    """What ``grid.json`` stores: the grid's fields (when it is a Grid), the digests of the
    files it reads, and every run's hash."""
    identity: dict[str, Any] = {}
    if dataclasses.is_dataclass(grid):
        identity.update(plain(grid))
    identity["files"] = file_digests(specs)
    identity["runs"] = [spec_hash(s) for s in specs]
    return identity


def _differences(old: Any, new: Any, where: str = "") -> list[str]:
    """Human-readable paths where two JSON values differ (``config.budget_hours: 6 -> 8``)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in list(old) + [k for k in new if k not in old]:
            out += _differences(old.get(key), new.get(key), f"{where}.{key}" if where else key)
        return out
    same = old == new or (isinstance(old, float) and isinstance(new, float) and math.isnan(old) and math.isnan(new))
    if same:
        return []
    if where == "runs" and isinstance(old, list) and isinstance(new, list):
        common = len(set(old) & set(new))
        return [f"runs: {len(old)} in the folder, {len(new)} now, {common} in common"]
    return [f"{where}: {json.dumps(old)} in the folder, {json.dumps(new)} now"]


class RunStore:
    """The finished runs of one grid in one folder (see the module docstring).

    Use :meth:`open`, then :meth:`add` for each finished run and :meth:`finish` once the
    final results are written.
    """

    def __init__(self, outdir: Path, specs: Sequence[Any], finished: dict[int, dict[str, Any]]) -> None:
        self.outdir = outdir
        self.hashes = [spec_hash(s) for s in specs]
        self.position = {h: i for i, h in enumerate(self.hashes)}
        self.finished = finished  # position -> stored record (row + trajectory)
        self._partial_header = (outdir / PARTIAL_CSV).is_file() and (outdir / PARTIAL_CSV).stat().st_size > 0

    @classmethod
    def open(cls, outdir: str | Path, grid: Any, specs: Sequence[Any], *, resume: bool = False,
             force: bool = False) -> RunStore:
        """Claim ``outdir`` for ``grid``.

        - a new or empty folder (or one without results): start;
        - ``resume``: the folder must hold this very grid; its finished runs are kept;
        - ``force``: whatever the folder holds is discarded (our files only);
        - else a folder holding finished runs or results raises :class:`FolderInUse`, saying
          whether it holds this grid (use ``resume`` or ``force``) or another (what differs).
        """
        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        identity = grid_identity(grid, specs)
        grid_file = outdir / GRID_FILE
        stored = json.loads(grid_file.read_text(encoding="utf-8")) if grid_file.is_file() else None
        runs = read_runs(outdir / RUNS_FILE)
        has_results = (outdir / RESULTS_CSV).is_file() or bool(runs)
        if force or not (has_results or stored):
            if force and (has_results or stored):
                log.warning("%s: --force: discarding %d finished run(s) of the previous grid", outdir, len(runs))
            for name in (RUNS_FILE, PARTIAL_CSV, RESULTS_CSV):
                (outdir / name).unlink(missing_ok=True)
            runs = []
        else:
            if stored is None:
                raise FolderInUse(
                    f"{outdir} holds {RESULTS_CSV} but no {GRID_FILE}, so its grid is unknown: "
                    "choose another folder or pass --force to overwrite it"
                )
            diff = _differences(stored, identity)
            if diff:
                raise FolderInUse(
                    f"{outdir} holds results of a different grid ({'; '.join(diff[:6])}"
                    f"{'; ...' if len(diff) > 6 else ''}): choose another folder or pass --force to overwrite it"
                )
            if not resume:
                total = len(identity["runs"])
                done = len({r[HASH_COLUMN] for r in runs} & set(identity["runs"]))
                raise FolderInUse(
                    f"{outdir} already holds {done} of {total} finished run(s) of this grid: "
                    "pass --resume to keep them and run the rest, or --force to start over"
                )
        tmp = grid_file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(identity, indent=1, allow_nan=True) + "\n", encoding="utf-8")
        os.replace(tmp, grid_file)
        store = cls(outdir, specs, {})
        for record in runs:
            i = store.position.get(record[HASH_COLUMN])
            if i is not None:
                store.finished[i] = record
        if store.finished:
            log.info("%s: resuming: %d of %d run(s) already finished", outdir, len(store.finished), len(specs))
        return store

    def pending(self) -> list[int]:
        """Positions (in spec order) of the runs not finished yet."""
        return [i for i in range(len(self.hashes)) if i not in self.finished]

    def add(self, position: int, row: Mapping[str, Any]) -> dict[str, Any]:
        """Store one finished run (``row`` as :func:`~cenas_gym.compare.grid.run_one` returns it,
        with its ``"trajectory"``), durably, before returning the stored record: the row as
        it will be read back (plain JSON types)."""
        row = plain(row)
        record = {HASH_COLUMN: self.hashes[position], **row}
        line = json.dumps(record, allow_nan=True, separators=(",", ":"))
        with held():  # a signal now waits: both files get the run, or neither
            with open(self.outdir / RUNS_FILE, "a", encoding="utf-8") as f:
                f.write(line + "\n")
                f.flush()
                os.fsync(f.fileno())
            self._append_csv(record)
        self.finished[position] = record
        return record

    def _append_csv(self, record: Mapping[str, Any]) -> None:
        import pandas as pd

        flat = {k: v for k, v in record.items() if k != "trajectory"}
        with open(self.outdir / PARTIAL_CSV, "a", encoding="utf-8", newline="") as f:
            pd.DataFrame([flat]).to_csv(f, header=not self._partial_header, index=False, lineterminator="\n")
            f.flush()
        self._partial_header = True

    def rows(self) -> list[dict[str, Any]]:
        """Every run's row (with its trajectory, without the hash), in spec order; all must
        be finished."""
        missing = self.pending()
        if missing:
            raise RuntimeError(f"{len(missing)} run(s) not finished")
        out = []
        for i in range(len(self.hashes)):
            record = dict(self.finished[i])
            record.pop(HASH_COLUMN)
            out.append(record)
        return out

    def finish(self) -> None:
        """The final results are written: the partial CSV has served its purpose."""
        (self.outdir / PARTIAL_CSV).unlink(missing_ok=True)


def read_runs(path: Path) -> list[dict[str, Any]]:
    """The records of ``runs.jsonl``. Every record is written as one line ending in a newline,
    so a last line without one was cut short by a crash mid-write: it is dropped and cut off
    the file (that run is simply redone). Any other bad line is an error naming it."""
    if not path.is_file():
        return []
    data = path.read_bytes()
    complete, _, tail = data.rpartition(b"\n")
    if tail:
        log.warning("%s: the last line is incomplete (interrupted write): dropped, that run is redone", path)
        with open(path, "r+b") as f:
            f.truncate(len(complete) + 1 if complete else 0)
    records = []
    for number, raw in enumerate(complete.split(b"\n") if complete else [], start=1):
        try:
            record = json.loads(raw)
            if not isinstance(record, dict) or HASH_COLUMN not in record:
                raise ValueError(f"no {HASH_COLUMN!r} field")
        except ValueError as err:
            raise ValueError(f"{path}, line {number}: not a stored run ({err})") from None
        records.append(record)
    return records
