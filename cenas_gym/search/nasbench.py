"""NAS-Bench-201 search space and the shipped per-architecture table.

The space: a cell is a DAG with 4 nodes and 6 edges, each carrying one of five operations
(:data:`OPS`). Edges are ordered (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2), the order of
the canonical architecture string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``. There are
``5**6 = 15625`` cells, keyed by their NB201 index ``0..15624`` (the same as NATS-Bench
topology index). The NB201 index is *not* a mixed-radix number of the op codes (index 0 is
``avg_pool_3x3, nor_conv_1x1, skip_connect, ...``), so op tuples map to indices through a
lookup table built from the shipped data.

:class:`ArchTable` holds one row per cell (built by ``cenas_gym/data/build_nb201.py``;
every column's origin is in ``cenas_gym/data/SOURCES.md``). Units are in the column names:

========================================  =============================================
``acc_{cifar10,cifar100,imagenet16}_pct``  test accuracy after 200 epochs, % (NATS-Bench)
``params_m``                               parameters, millions (CIFAR-10 network)
``flops_m``                                multiply-accumulates of convs + linear, millions
                                           (NB201 ``flop`` convention, CIFAR-10 32x32)
``train_time_per_epoch_cifar10_s``         training time per epoch, s
``train_time_cifar10_s``                   training time for the 200-epoch schedule, s
``oneshot_acc_cifar10_pct``                one-shot supernet accuracy estimate, %
``fewshot_acc_cifar10_pct``                few-shot supernet accuracy estimate, %
``acc12_cifar10_pct``                      test accuracy after 12 epochs, %
``naswot_cifar10``                         NASWOT zero-cost score (``-inf`` where singular)
``log10_synflow_cifar10``                  log10 of the SynFlow score (``-inf`` where 0)
``{naswot,synflow}_time_s``                measured compute time of one proxy score, s
``*_latency_ms``                           inference latency per image, ms
``pi5_energy_mj``                          inference energy per image, mJ
========================================  =============================================
"""

from __future__ import annotations

import importlib.resources
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Union

import numpy as np
import pandas as pd

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
"""Operation names; an op code is the position in this tuple."""
N_EDGES = 6
N_ARCHS = len(OPS) ** N_EDGES  # 15625
EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
"""(to_node, from_node) of each edge, in arch-string order."""

DEFAULT_TABLE = "nb201.csv.gz"

ArchLike = Union[int, str, Sequence[int], Sequence[str]]

_ARCH_RE = re.compile(
    r"^\|([a-z_0-9]+)~0\|\+\|([a-z_0-9]+)~0\|([a-z_0-9]+)~1\|"
    r"\+\|([a-z_0-9]+)~0\|([a-z_0-9]+)~1\|([a-z_0-9]+)~2\|$"
)


def _op_code(op: int | str | np.integer) -> int:
    if isinstance(op, str):
        if op not in OPS:
            raise ValueError(f"unknown operation {op!r}; expected one of {OPS}")
        return OPS.index(op)
    if isinstance(op, (int, np.integer)) and not isinstance(op, bool):
        if not 0 <= int(op) < len(OPS):
            raise ValueError(f"op code {op} out of range 0..{len(OPS) - 1}")
        return int(op)
    raise ValueError(f"operation must be an int code or a name, got {op!r}")


def _normalise_ops(ops: Sequence[int | str]) -> tuple[int, ...]:
    if isinstance(ops, str) or len(ops) != N_EDGES:
        raise ValueError(f"expected {N_EDGES} operations (one per edge), got {ops!r}")
    return tuple(_op_code(o) for o in ops)


def arch_str_from_ops(ops: Sequence[int | str]) -> str:
    """Canonical NB201 string of six ops (codes 0..4 or names), edges in :data:`EDGES` order."""
    names = [OPS[c] for c in _normalise_ops(ops)]
    return f"|{names[0]}~0|+|{names[1]}~0|{names[2]}~1|+|{names[3]}~0|{names[4]}~1|{names[5]}~2|"


def ops_from_arch_str(s: str) -> tuple[int, ...]:
    """Op codes (0..4) of a canonical NB201 string; ValueError says what is malformed."""
    if not isinstance(s, str):
        raise ValueError(f"architecture string must be a str, got {type(s).__name__}")
    m = _ARCH_RE.match(s.strip())
    if m is None:
        raise ValueError(
            f"malformed NB201 architecture string {s!r}; expected "
            "'|op~0|+|op~0|op~1|+|op~0|op~1|op~2|'"
        )
    bad = [op for op in m.groups() if op not in OPS]
    if bad:
        raise ValueError(f"unknown operation(s) {bad} in {s!r}; expected names from {OPS}")
    return tuple(OPS.index(op) for op in m.groups())


def index_from_ops(ops: Sequence[int | str]) -> int:
    """NB201 index of a cell given its six ops (codes or names).

    The NB201 index order is the benchmark's own (not mixed-radix in the ops), so this looks
    the cell up in the shipped table.
    """
    return ArchTable.load().index_of(_normalise_ops(ops))


class ArchTable:
    """Per-architecture metrics for all 15,625 NB201 cells.

    ``frame`` is indexed by ``nb201_index`` (0..15624). Treat a table as read-only: the
    default table is parsed once per process and shared; derive new tables with
    :meth:`with_metric`.
    """

    hardware_metrics: tuple[str, ...] = (
        "params_m",
        "flops_m",
        "raspi4_latency_ms",
        "pixel3_latency_ms",
        "eyeriss_latency_ms",
        "fpga_latency_ms",
        "gpu_latency_ms",
        "pi5_latency_ms",
        "pi5_energy_mj",
    )
    """Hardware-cost columns of the shipped table (objectives to minimise)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        if len(frame) != N_ARCHS or not np.array_equal(frame.index.to_numpy(), np.arange(N_ARCHS)):
            raise ValueError(f"an ArchTable needs exactly the NB201 indices 0..{N_ARCHS - 1} in order")
        self.frame: pd.DataFrame = frame
        ops = frame[[f"op_{i}" for i in range(N_EDGES)]].to_numpy(dtype=np.int8)
        ops.flags.writeable = False
        self._ops = ops
        self._by_ops: dict[tuple[int, ...], int] = {tuple(int(v) for v in r): i for i, r in enumerate(ops)}
        if len(self._by_ops) != N_ARCHS:
            raise ValueError("op tuples in the table are not unique")

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> "ArchTable":
        """Load a table (default: the one shipped in ``cenas_gym.data``, cached per process)."""
        global _DEFAULT
        if path is None:
            if _DEFAULT is None:
                res = importlib.resources.files("cenas_gym.data").joinpath(DEFAULT_TABLE)
                with importlib.resources.as_file(res) as p:
                    _DEFAULT = cls(_read_table(p))
            return _DEFAULT
        return cls(_read_table(Path(path)))

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        return f"ArchTable({len(self)} cells, columns={list(self.frame.columns)})"

    @property
    def ops(self) -> np.ndarray:
        """(15625, 6) int8 op codes, read-only; row i is cell i."""
        return self._ops

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    def column(self, name: str) -> np.ndarray:
        """Values of a numeric column as float64, in NB201 index order (units in its name)."""
        if name not in self.frame.columns or name == "arch_str":
            avail = [c for c in self.frame.columns if c != "arch_str"]
            raise KeyError(f"unknown column {name!r}; available: {avail}")
        return self.frame[name].to_numpy(dtype=np.float64)

    def row(self, index: int) -> pd.Series:
        """All columns of cell ``index`` (0..15624)."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise IndexError(f"NB201 index must be an int in 0..{N_ARCHS - 1}, got {index!r}")
        if not 0 <= int(index) < N_ARCHS:
            raise IndexError(f"NB201 index {index} out of range 0..{N_ARCHS - 1}")
        return self.frame.iloc[int(index)]

    def index_of(self, arch: ArchLike) -> int:
        """NB201 index of a cell given as index, arch string, or six ops (codes or names)."""
        if isinstance(arch, (int, np.integer)) and not isinstance(arch, bool):
            if not 0 <= int(arch) < N_ARCHS:
                raise IndexError(f"NB201 index {arch} out of range 0..{N_ARCHS - 1}")
            return int(arch)
        key = ops_from_arch_str(arch) if isinstance(arch, str) else _normalise_ops(arch)
        return self._by_ops[key]

    def lookup(self, arch: ArchLike) -> pd.Series:
        """Row of a cell given as index, arch string, or op tuple."""
        return self.row(self.index_of(arch))

    # ------------------------------------------------------------------ extension
    def with_metric(
        self,
        name: str,
        csv_path: str | os.PathLike[str],
        column: str | None = None,
        index_column: str = "nb201_index",
    ) -> "ArchTable":
        """New table with column ``name`` read from a CSV keyed by NB201 index.

        The CSV must have an index column (``index_column``, or ``nb201_index`` / ``index``)
        and a numeric value column (``column``, default ``name``) with exactly one finite
        value for every index 0..15624. Anything else raises ValueError naming the file and
        the problem; nothing is dropped or filled. Example: HW-NAS-Bench edge-GPU energy (mJ).
        """
        path = Path(csv_path)
        where = f"metric file {str(path)!r}"
        if name in self.frame.columns:
            raise ValueError(f"column {name!r} already exists in the table")
        df, idx_col, val_col = _read_metric_csv(path, where, index_column, column if column is not None else name)
        # CSV row numbers as a spreadsheet shows them: header is row 1.
        rows = np.arange(len(df)) + 2
        idx = _metric_indices(df[idx_col], where, rows)
        vals = _metric_values(df[val_col], val_col, where, rows, idx)
        values = np.empty(N_ARCHS)
        values[idx] = vals
        frame = self.frame.copy(deep=False)
        frame[name] = values
        return type(self)(frame)


def _read_metric_csv(path: Path, where: str, index_column: str, val_col: str) -> tuple[pd.DataFrame, str, str]:
    """(the metric CSV as strings, its index column, its value column); ValueError naming the file."""
    if not path.is_file():
        raise ValueError(f"{where}: file not found")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file named
        raise ValueError(f"{where}: cannot be read as CSV ({exc})") from exc
    idx_col = next((c for c in (index_column, "nb201_index", "index") if c in df.columns), None)
    if idx_col is None:
        raise ValueError(
            f"{where}: no index column ({index_column!r}, 'nb201_index' or 'index'); "
            f"columns are {list(df.columns)}"
        )
    if val_col not in df.columns:
        raise ValueError(f"{where}: value column {val_col!r} missing; columns are {list(df.columns)}")
    return df, idx_col, val_col


def _metric_indices(column: pd.Series, where: str, rows: np.ndarray) -> np.ndarray:
    """The NB201 indices of the CSV rows, checked to be integers covering 0..N_ARCHS-1 once each."""
    idx = pd.to_numeric(column.str.strip(), errors="coerce")
    bad = idx.isna() | (idx != np.floor(idx))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{where}: non-integer index {column.iloc[i]!r} at CSV row {rows[i]}")
    idx = idx.astype(np.int64).to_numpy()
    out = (idx < 0) | (idx >= N_ARCHS)
    if out.any():
        raise ValueError(
            f"{where}: {int(out.sum())} index value(s) out of range 0..{N_ARCHS - 1}, "
            f"e.g. {idx[out][:5].tolist()} at CSV rows {rows[out][:5].tolist()}"
        )
    dup = pd.Series(idx).duplicated(keep=False).to_numpy()
    if dup.any():
        detail = "; ".join(
            f"{v} at rows {rows[idx == v].tolist()}" for v in sorted(set(idx[dup].tolist()))[:5]
        )
        raise ValueError(f"{where}: duplicate index values: {detail}")
    missing = np.setdiff1d(np.arange(N_ARCHS), idx)
    if missing.size:
        raise ValueError(
            f"{where}: {missing.size} NB201 indices missing (wrong row count {len(column)}, "
            f"expected {N_ARCHS}), first: {missing[:5].tolist()}"
        )
    return idx


def _metric_values(column: pd.Series, val_col: str, where: str, rows: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The metric's values (float64, the CSV's units) in row order, checked numeric and finite."""
    raw = column.str.strip()
    vals = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    nonnum = np.isnan(vals) & ~raw.str.lower().isin(["nan", ""]).to_numpy()
    if nonnum.any():
        i = int(np.flatnonzero(nonnum)[0])
        raise ValueError(f"{where}: non-numeric value {raw.iloc[i]!r} in {val_col!r} at CSV row {rows[i]}")
    nonfinite = ~np.isfinite(vals)
    if nonfinite.any():
        i = int(np.flatnonzero(nonfinite)[0])
        raise ValueError(
            f"{where}: {int(nonfinite.sum())} NaN/empty/infinite value(s) in {val_col!r}, "
            f"first at CSV row {rows[i]} (index {idx[i]}, value {raw.iloc[i]!r})"
        )
    return vals


_DEFAULT: ArchTable | None = None


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ValueError(f"NB201 table {str(path)!r} not found")
    frame = pd.read_csv(path, index_col="nb201_index")
    for i in range(N_EDGES):
        frame[f"op_{i}"] = frame[f"op_{i}"].astype(np.int8)
    return frame
