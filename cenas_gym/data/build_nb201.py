"""Build ``cenas_gym/data/nb201.csv.gz``, the per-architecture NAS-Bench-201 table.

Run from the repository root::

    python -m cenas_gym.data.build_nb201 [--source ../shared/data] [--out cenas_gym/data/nb201.csv.gz]

It reads the public files under ``<source>/nasbench201`` (see ``SOURCES.md`` next to this
script for each file's origin and licence), checks that they agree, and writes one row per
NB201 index 0..15624. The output is byte-for-byte reproducible (gzip mtime 0, fixed
rounding). Any disagreement between sources stops the build with an error.

FLOPs convention (``flops_m``)
------------------------------
NB201 / NATS-Bench report ``flop`` in millions as counted by their ``get_model_infos``:
multiply-accumulates of every ``Conv2d`` (plus its bias, none here) and ``Linear`` (plus its
bias), summed over the network for one 32x32 CIFAR-10 image; BatchNorm, ReLU, pooling and
additions count zero. We compute that count in closed form from the NB201 macro skeleton
(``TinyNetwork``):

* stem: conv3x3 3->16 at 32x32 (+BN);
* 3 stages of 5 cells, C = 16, 32, 64 at 32x32, 16x16, 8x8; in a cell, ``nor_conv_kxk`` is
  ReLU-Conv(kxk, C->C)-BN, ``avg_pool_3x3`` is a stride-1 pool, ``skip_connect`` identity and
  ``none`` zero, so only the conv edges cost k*k*C*C*H*W MACs;
* between stages a ResNet basic block: ReLU-conv3x3 stride 2 (C->2C)-BN, ReLU-conv3x3
  (2C->2C)-BN, shortcut avgpool2x2 + conv1x1 C->2C;
* BN-ReLU, global average pool, linear 64->10 (640 MACs + 10 bias).

Verified: this gives exactly the NB201 CIFAR-10 extremes 7.78305 MFLOPs (no conv in any
cell, e.g. all-none or all-skip cells) and 220.11969 MFLOPs (all nor_conv_3x3), i.e.
``7,783,050 + 3,932,160 * sum(k*k over conv edges)`` MACs. The same skeleton's parameter
count (convs, BN affine, linear) reproduces FreeREA's CIFAR-10 ``params`` for all 15,625
cells exactly (0.073306 .. 1.531546 M); the build asserts it.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from cenas_gym.search.nasbench import EDGES, N_ARCHS, N_EDGES, OPS, arch_str_from_ops, ops_from_arch_str

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = Path(__file__).resolve().parent / "nb201.csv.gz"

# NB201 macro skeleton for CIFAR-10 (TinyNetwork, C=16, N=5).
STAGES: tuple[tuple[int, int], ...] = ((16, 32), (32, 16), (64, 8))  # (channels, spatial)
CELLS_PER_STAGE = 5
N_CLASSES = 10
KERNEL = {"nor_conv_1x1": 1, "nor_conv_3x3": 3}

COLUMNS: tuple[str, ...] = (
    "nb201_index",
    "arch_str",
    *(f"op_{i}" for i in range(N_EDGES)),
    "acc_cifar10_pct",
    "acc_cifar100_pct",
    "acc_imagenet16_pct",
    "params_m",
    "flops_m",
    "train_time_per_epoch_cifar10_s",
    "train_time_cifar10_s",
    "oneshot_acc_cifar10_pct",
    "fewshot_acc_cifar10_pct",
    "acc12_cifar10_pct",
    "naswot_cifar10",
    "log10_synflow_cifar10",
    "naswot_time_s",
    "synflow_time_s",
    "raspi4_latency_ms",
    "pixel3_latency_ms",
    "eyeriss_latency_ms",
    "fpga_latency_ms",
    "gpu_latency_ms",
    "pi5_latency_ms",
    "pi5_energy_mj",
)

# Decimal places kept per column (values are rounded, then written with Python's shortest repr).
DECIMALS: dict[str, int] = {
    "acc_cifar10_pct": 6,
    "acc_cifar100_pct": 6,
    "acc_imagenet16_pct": 6,
    "params_m": 6,  # exact: source has 6 decimals (parameter count / 1e6)
    "flops_m": 6,  # exact: integer MACs / 1e6
    "train_time_per_epoch_cifar10_s": 6,
    "train_time_cifar10_s": 4,
    "oneshot_acc_cifar10_pct": 4,  # source has 2 decimals
    "fewshot_acc_cifar10_pct": 4,
    "acc12_cifar10_pct": 6,
    "naswot_cifar10": 5,
    "log10_synflow_cifar10": 6,
    "naswot_time_s": 6,  # FreeREA's measured wall time of one score (its ``time=[s]``)
    "synflow_time_s": 6,
    "raspi4_latency_ms": 7,
    "pixel3_latency_ms": 7,
    "eyeriss_latency_ms": 7,
    "fpga_latency_ms": 7,
    "gpu_latency_ms": 6,
    "pi5_latency_ms": 6,
    "pi5_energy_mj": 6,
}

HELP_COLUMNS = {  # ours -> HELP file column
    "raspi4_latency_ms": "raspi4_ms",
    "pixel3_latency_ms": "pixel3_ms",
    "eyeriss_latency_ms": "eyeriss_ms",
    "fpga_latency_ms": "fpga_ms",
    "gpu_latency_ms": "1080ti_1_ms",  # GTX 1080 Ti, batch 1 (BRP-NAS/HELP)
}


#: FreeREA's column with the measured wall time (s) of one zero-cost score, data loading
#: included (``time_pure=[s]`` leaves it out); the cost a screening with that proxy takes.
PROXY_TIME_COLUMN = "time=[s]"


class BuildError(RuntimeError):
    """A source file is missing, malformed, or disagrees with another source."""


# ---------------------------------------------------------------------- cost model
def cell_cost(ops: tuple[int, ...]) -> tuple[int, int]:
    """(MACs, parameters) of the whole CIFAR-10 NB201 network with this cell."""
    convs = [KERNEL[OPS[o]] for o in ops if OPS[o] in KERNEL]
    macs = 3 * 16 * 9 * 32 * 32  # stem conv
    params = 3 * 16 * 9 + 2 * 16  # stem conv + BN
    for s, (c, hw) in enumerate(STAGES):
        for k in convs:  # each conv edge: ReLU-Conv(kxk, C->C)-BN
            macs += CELLS_PER_STAGE * k * k * c * c * hw * hw
            params += CELLS_PER_STAGE * (k * k * c * c + 2 * c)
        if s + 1 < len(STAGES):  # residual reduction block C -> 2C, output at hw/2
            c2, hw2 = STAGES[s + 1]
            macs += 9 * c * c2 * hw2 * hw2 + 9 * c2 * c2 * hw2 * hw2 + c * c2 * hw2 * hw2
            params += 9 * c * c2 + 2 * c2 + 9 * c2 * c2 + 2 * c2 + c * c2
    c_last = STAGES[-1][0]
    params += 2 * c_last  # last BN
    macs += c_last * N_CLASSES + N_CLASSES  # linear (+bias, as NB201 counts it)
    params += c_last * N_CLASSES + N_CLASSES
    return macs, params


# ---------------------------------------------------------------------- readers
def _read_indexed(path: Path, index_col: str = "index", allow_missing: bool = False) -> pd.DataFrame:
    if not path.is_file():
        raise BuildError(f"{path}: file not found")
    df = pd.read_csv(path)
    if index_col not in df.columns:
        raise BuildError(f"{path}: no {index_col!r} column (columns: {list(df.columns)})")
    idx = df[index_col]
    if idx.duplicated().any():
        raise BuildError(f"{path}: duplicate indices {idx[idx.duplicated()].tolist()[:5]}")
    if idx.min() < 0 or idx.max() >= N_ARCHS:
        raise BuildError(f"{path}: indices outside 0..{N_ARCHS - 1}")
    missing = np.setdiff1d(np.arange(N_ARCHS), idx.to_numpy())
    if missing.size and not allow_missing:
        raise BuildError(f"{path}: {missing.size} indices missing, first {missing[:5].tolist()}")
    if missing.size:
        print(f"note: {path} lacks {missing.size} indices {missing[:10].tolist()}; kept as NaN", file=sys.stderr)
    df = df.set_index(index_col).reindex(np.arange(N_ARCHS))
    return df


_OP = r"\('([a-z_0-9]+)', (\d)\)"
_GENOTYPE_RE = re.compile(
    rf"^\[\({_OP},\), \({_OP}, {_OP}\), \({_OP}, {_OP}, {_OP}\)\]$"
)


def _genotype_to_arch_str(key: str) -> str:
    """"[(('avg_pool_3x3', 0),), (('none', 0), ('none', 1)), (...)]" -> canonical string.

    The genotype lists, for nodes 1, 2, 3, their incoming (op, from_node) pairs; the edge
    order must be exactly (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2).
    """
    m = _GENOTYPE_RE.match(key)
    if m is None:
        raise BuildError(f"unparsable genotype key {key!r}")
    g = m.groups()
    ops, sources = g[0::2], tuple(int(x) for x in g[1::2])
    if sources != tuple(frm for _, frm in EDGES):
        raise BuildError(f"genotype {key!r}: unexpected edge order {sources}")
    bad = [op for op in ops if op not in OPS]
    if bad:
        raise BuildError(f"genotype {key!r}: unknown operations {bad}")
    return "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*ops)


def _read_supernet(path: Path, index_of: dict[str, int]) -> np.ndarray:
    if not path.is_file():
        raise BuildError(f"{path}: file not found")
    data = json.loads(path.read_text())
    out = np.full(N_ARCHS, np.nan)
    seen = np.zeros(N_ARCHS, dtype=int)
    for key, val in data.items():
        s = _genotype_to_arch_str(key)
        if s not in index_of:
            raise BuildError(f"{path}: genotype {key!r} is not an NB201 cell")
        i = index_of[s]
        seen[i] += 1
        out[i] = float(val)
    if (seen != 1).any():
        bad = np.flatnonzero(seen != 1)
        raise BuildError(f"{path}: {bad.size} cells not matched exactly once, e.g. {bad[:5].tolist()}")
    return out


# ---------------------------------------------------------------------- build
def build_frame(source: Path) -> pd.DataFrame:
    nb = Path(source) / "nasbench201"
    if not nb.is_dir():
        raise BuildError(f"{nb}: directory not found (pass --source <shared data dir>)")

    help_df = _read_indexed(nb / "hwnasbench_help_latency_ms.csv")
    arch = help_df["arch_str"].astype(str)
    ops = np.array([ops_from_arch_str(s) for s in arch], dtype=np.int8)
    if any(arch_str_from_ops(o) != s for o, s in zip(ops, arch)):
        raise BuildError("HELP arch strings are not canonical")
    if len({tuple(o) for o in ops}) != N_ARCHS:
        raise BuildError("HELP arch strings are not unique")
    index_of = {s: i for i, s in enumerate(arch)}

    e12 = _read_indexed(nb / "nb201_12epoch_accuracy.csv", index_col="arch")
    diff = np.flatnonzero(e12["cellstr"].astype(str).to_numpy() != arch.to_numpy())
    if diff.size:
        raise BuildError(f"12-epoch file and HELP file disagree on arch strings at indices {diff[:5].tolist()}")

    samples = nb / "cenas_edgegpu_energy_samples.csv"  # only its arch strings are checked
    if samples.is_file():
        sm = pd.read_csv(samples)
        bad_s = sm.loc[sm["arch_str"].to_numpy() != arch.to_numpy()[sm["nb201_index"].to_numpy()], "nb201_index"]
        if len(bad_s):
            raise BuildError(f"{samples}: arch strings disagree with HELP at indices {bad_s.tolist()[:5]}")

    acc = {ds: _read_indexed(nb / "freerea" / ds / "accuracies.csv", allow_missing=True)["accuracy"]
           for ds in ("cifar10", "cifar100", "ImageNet16-120")}
    tt = _read_indexed(nb / "training_time_cifar10.csv")
    if not np.allclose(tt["test_accuracy"], acc["cifar10"], rtol=0, atol=1e-9):
        raise BuildError("training_time_cifar10.csv test_accuracy disagrees with FreeREA cifar10 accuracies")

    # FreeREA files carry no arch string: check their index order against an arch-keyed
    # source (few-shot-NAS's copy of NB201 accuracy, 2 decimals, older NB201 release).
    nb_true = _read_supernet(nb / "fewshot_supernet" / "nasbench201.json", index_of)
    r = np.corrcoef(nb_true, acc["cifar10"])[0, 1]
    if r < 0.999:
        raise BuildError(f"FreeREA cifar10 accuracy vs arch-keyed NB201 accuracy: r={r:.5f} < 0.999")

    params = _read_indexed(nb / "freerea" / "cifar10" / "params.csv")["params"].to_numpy()
    costs = np.array([cell_cost(tuple(int(v) for v in o)) for o in ops], dtype=np.int64)
    bad = np.flatnonzero(np.abs(costs[:, 1] / 1e6 - params) > 5e-7)
    if bad.size:
        raise BuildError(f"skeleton parameter count disagrees with FreeREA params at {bad.size} cells, e.g. {bad[:5].tolist()}")

    naswot_df = _read_indexed(nb / "freerea" / "cifar10" / "naswot.csv")
    synflow_df = _read_indexed(nb / "freerea" / "cifar10" / "synflow.csv")
    naswot, synflow = naswot_df["naswot"].to_numpy(), synflow_df["synflow"].to_numpy()
    proxy_times = {name: df[PROXY_TIME_COLUMN].to_numpy(dtype=float) for name, df in
                   (("naswot_time_s", naswot_df), ("synflow_time_s", synflow_df))}
    for name, seconds in proxy_times.items():
        if np.isnan(seconds).any() or (seconds <= 0).any():
            raise BuildError(f"{name}: FreeREA compute times must be > 0 s")
    if (synflow < 0).any() or np.isnan(synflow).any():
        raise BuildError("synflow scores must be >= 0")
    with np.errstate(divide="ignore"):
        log_synflow = np.log10(synflow)

    pi5 = _read_indexed(nb / "hwnasbench360_pi5_cifar100.csv")

    cols: dict[str, object] = {
        "nb201_index": np.arange(N_ARCHS),
        "arch_str": arch.to_numpy(),
        **{f"op_{i}": ops[:, i] for i in range(N_EDGES)},
        "acc_cifar10_pct": acc["cifar10"].to_numpy(),
        "acc_cifar100_pct": acc["cifar100"].to_numpy(),
        "acc_imagenet16_pct": acc["ImageNet16-120"].to_numpy(),
        "params_m": params,
        "flops_m": costs[:, 0] / 1e6,
        "train_time_per_epoch_cifar10_s": tt["train_time_per_epoch_s"].to_numpy(),
        "train_time_cifar10_s": tt["train_time_total_s"].to_numpy(),
        "oneshot_acc_cifar10_pct": _read_supernet(nb / "fewshot_supernet" / "one-shot-supernet.json", index_of),
        "fewshot_acc_cifar10_pct": _read_supernet(nb / "fewshot_supernet" / "few-shot-supernet.json", index_of),
        "acc12_cifar10_pct": e12["cifar10-test"].to_numpy(),
        "naswot_cifar10": naswot,
        "log10_synflow_cifar10": log_synflow,
        **proxy_times,
        **{ours: help_df[theirs].to_numpy(dtype=float) for ours, theirs in HELP_COLUMNS.items()},
        "pi5_latency_ms": pi5["pi5_litert_latency_ms"].to_numpy(),
        "pi5_energy_mj": pi5["pi5_litert_energy_mj"].to_numpy(),
    }
    frame = pd.DataFrame(cols, columns=list(COLUMNS))
    for name, dec in DECIMALS.items():
        frame[name] = frame[name].astype(float).round(dec)
    for name in COLUMNS[2 + N_EDGES:]:
        nan = int(frame[name].isna().sum())
        if nan and name != "acc_imagenet16_pct":
            raise BuildError(f"column {name} has {nan} NaN values")
    return frame


def to_gzip_bytes(frame: pd.DataFrame) -> bytes:
    """CSV text, gzip-compressed with mtime 0 and no file name: identical input, identical bytes."""
    text = frame.to_csv(index=False, lineterminator="\n")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    return buf.getvalue()


def build(source: Path = DEFAULT_SOURCE, out: Path = DEFAULT_OUT) -> Path:
    """Build the table from ``source`` and write it to ``out``; return ``out``."""
    data = to_gzip_bytes(build_frame(Path(source)))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="shared data dir (holds nasbench201/)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .csv.gz")
    args = ap.parse_args(argv)
    try:
        out = build(args.source, args.out)
    except BuildError as exc:
        print(f"build_nb201: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
