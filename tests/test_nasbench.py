"""Tests for the NB201 table (cenas_gym/nasbench.py) and its build script."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cenas_gym.search.nasbench import (
    N_ARCHS,
    OPS,
    ArchTable,
    arch_str_from_ops,
    index_from_ops,
    ops_from_arch_str,
)

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "cenas_gym" / "data" / "nb201.csv.gz"
SHARED = REPO.parent / "shared" / "data"
ARCH0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
ALL_CONV3 = (3, 3, 3, 3, 3, 3)

EXPECTED_COLUMNS = [
    "arch_str", "op_0", "op_1", "op_2", "op_3", "op_4", "op_5",
    "acc_cifar10_pct", "acc_cifar100_pct", "acc_imagenet16_pct", "params_m", "flops_m",
    "train_time_per_epoch_cifar10_s", "train_time_cifar10_s", "oneshot_acc_cifar10_pct",
    "fewshot_acc_cifar10_pct", "acc12_cifar10_pct", "naswot_cifar10", "log10_synflow_cifar10", "naswot_time_s", "synflow_time_s",
    "raspi4_latency_ms", "pixel3_latency_ms", "eyeriss_latency_ms", "fpga_latency_ms",
    "gpu_latency_ms", "pi5_latency_ms", "pi5_energy_mj",
]


@pytest.fixture(scope="module")
def table() -> ArchTable:
    return ArchTable.load()


def test_shape_and_columns(table: ArchTable) -> None:
    assert len(table) == N_ARCHS == 15625
    assert list(table.frame.columns) == EXPECTED_COLUMNS
    assert table.frame.index.name == "nb201_index"
    assert np.array_equal(table.frame.index.to_numpy(), np.arange(N_ARCHS))
    assert table.ops.shape == (N_ARCHS, 6) and table.ops.dtype == np.int8
    assert set(table.hardware_metrics) <= set(table.frame.columns)
    numeric = table.frame.drop(columns="arch_str")
    assert not numeric.isna().any().any()  # ImageNet16-120 turned out complete too


def test_known_values(table: ArchTable) -> None:
    acc = table.column("acc_cifar10_pct")
    assert acc[9930] == pytest.approx(94.3633, abs=1e-3)
    assert int(np.argmax(acc)) == 6111 and acc[6111] == pytest.approx(94.3733, abs=1e-3)
    r0 = table.row(0)
    assert r0["arch_str"] == ARCH0
    assert r0["train_time_cifar10_s"] == pytest.approx(2888.437, abs=1e-3)
    assert r0["raspi4_latency_ms"] == pytest.approx(10.48198, abs=1e-5)
    assert r0["acc_cifar10_pct"] == pytest.approx(85.86333333333334, abs=1e-5)


def test_flops_and_params_match_nb201(table: ArchTable) -> None:
    # NB201/NATS-Bench CIFAR-10 extremes: 7.78305..220.11969 MFLOPs, 0.073306..1.531546 M params.
    flops, params = table.column("flops_m"), table.column("params_m")
    i3 = table.index_of(ALL_CONV3)
    assert flops[i3] == pytest.approx(220.11969, abs=1e-9)
    assert params[i3] == pytest.approx(1.531546, abs=1e-9)
    for no_conv in [(0,) * 6, (1,) * 6, (4,) * 6, (1, 0, 4, 1, 4, 0)]:
        assert flops[table.index_of(no_conv)] == pytest.approx(7.78305, abs=1e-9)
    assert flops.min() == pytest.approx(7.78305) and flops.max() == pytest.approx(220.11969)
    assert flops[0] == pytest.approx(15.64737, abs=1e-9)  # two nor_conv_1x1 edges
    # closed form: 7,783,050 + 3,932,160 * sum(k^2 over conv edges) MACs
    k2 = np.where(table.ops == 3, 9, np.where(table.ops == 2, 1, 0)).sum(axis=1)
    assert np.allclose(flops, 7.78305 + 3.93216 * k2, rtol=0, atol=1e-9)


def test_cell_cost_function() -> None:
    from cenas_gym.data.build_nb201 import cell_cost

    assert cell_cost(ALL_CONV3) == (220_119_690, 1_531_546)
    assert cell_cost((0,) * 6) == (7_783_050, 73_306)


def test_arch_string_round_trip() -> None:
    assert ops_from_arch_str(ARCH0) == (4, 2, 1, 2, 1, 1)
    assert arch_str_from_ops((4, 2, 1, 2, 1, 1)) == ARCH0
    assert arch_str_from_ops([OPS[c] for c in (4, 2, 1, 2, 1, 1)]) == ARCH0
    with pytest.raises(ValueError, match="unknown operation"):
        ops_from_arch_str(ARCH0.replace("avg_pool_3x3", "max_pool_3x3"))
    with pytest.raises(ValueError, match="malformed"):
        ops_from_arch_str("|none~0|+|none~0|")
    with pytest.raises(ValueError, match="6 operations"):
        arch_str_from_ops((0, 1, 2))
    with pytest.raises(ValueError, match="out of range"):
        arch_str_from_ops((0, 1, 2, 3, 4, 5))


@pytest.mark.parametrize("i", [0, 1, 6111, 9930, 12345, 15624])
def test_lookup_round_trip(table: ArchTable, i: int) -> None:
    row = table.row(i)
    ops = tuple(int(v) for v in table.ops[i])
    assert table.index_of(row["arch_str"]) == i
    assert table.index_of(ops) == i
    assert table.index_of([OPS[o] for o in ops]) == i
    assert index_from_ops(ops) == i
    assert ops_from_arch_str(row["arch_str"]) == ops
    for key in (i, row["arch_str"], ops):
        assert table.lookup(key).equals(row)


def test_errors(table: ArchTable) -> None:
    with pytest.raises(IndexError, match="0..15624"):
        table.row(15625)
    with pytest.raises(IndexError, match="0..15624"):
        table.lookup(-1)
    with pytest.raises(KeyError, match="available"):
        table.column("edgegpu_energy_mj")


def test_default_load_is_cached() -> None:
    a = ArchTable.load()
    b = ArchTable.load()
    assert a is b
    fresh = ArchTable.load(SHIPPED)
    assert fresh is not a and fresh.frame.equals(a.frame)


# ---------------------------------------------------------------------- with_metric
def _write(tmp_path: Path, df: pd.DataFrame, name: str = "m.csv") -> Path:
    p = tmp_path / name
    df.to_csv(p, index=False)
    return p


def _good() -> pd.DataFrame:
    idx = np.arange(N_ARCHS)
    return pd.DataFrame({"nb201_index": idx, "edgegpu_energy_mj": 1.0 + idx / 1000})


def test_with_metric_good(table: ArchTable, tmp_path: Path) -> None:
    p = _write(tmp_path, _good().sample(frac=1.0, random_state=0))  # order does not matter
    t2 = table.with_metric("edgegpu_energy_mj", p)
    assert "edgegpu_energy_mj" not in table.frame.columns  # original untouched
    assert t2.column("edgegpu_energy_mj")[123] == pytest.approx(1.123)
    assert t2.lookup(ARCH0)["edgegpu_energy_mj"] == pytest.approx(1.0)
    # 'index' column name and an explicit value column
    df = _good().rename(columns={"nb201_index": "index", "edgegpu_energy_mj": "e"})
    t3 = table.with_metric("energy", _write(tmp_path, df, "b.csv"), column="e")
    assert t3.column("energy")[5] == pytest.approx(1.005)


def _bad_cases() -> dict[str, tuple[pd.DataFrame | None, str]]:
    g = _good()
    dup = g.copy()
    dup.loc[10, "nb201_index"] = 11
    extra = pd.concat([g, g.iloc[[7]]], ignore_index=True)
    out = g.copy()
    out.loc[0, "nb201_index"] = 15625
    nonnum = g.astype({"edgegpu_energy_mj": object})
    nonnum.loc[42, "edgegpu_energy_mj"] = "n/a"
    nan = g.copy()
    nan.loc[99, "edgegpu_energy_mj"] = np.nan
    return {
        "no index column": (g.rename(columns={"nb201_index": "arch"}), "no index column"),
        "value column missing": (g.rename(columns={"edgegpu_energy_mj": "x"}), "value column 'edgegpu_energy_mj' missing"),
        "duplicate": (dup, r"duplicate index values: 11 at rows \[12, 13\]"),
        "extra row duplicate": (extra, "duplicate index values: 7"),
        "missing": (g.iloc[:-3], r"3 NB201 indices missing \(wrong row count 15622"),
        "out of range": (out, "out of range"),
        "non-numeric": (nonnum, "non-numeric value 'n/a'.*CSV row 44"),
        "nan": (nan, "NaN.*CSV row 101"),
    }


@pytest.mark.parametrize("case", list(_bad_cases()))
def test_with_metric_bad(table: ArchTable, tmp_path: Path, case: str) -> None:
    df, pattern = _bad_cases()[case]
    p = _write(tmp_path, df)
    with pytest.raises(ValueError, match=pattern) as err:
        table.with_metric("edgegpu_energy_mj", p)
    assert str(p) in str(err.value)


def test_with_metric_missing_file_and_name_clash(table: ArchTable, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not found"):
        table.with_metric("e", tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="already exists"):
        table.with_metric("params_m", _write(tmp_path, _good()), column="edgegpu_energy_mj")


# ---------------------------------------------------------------------- build
def test_build_is_deterministic(tmp_path: Path) -> None:
    if not (SHARED / "nasbench201").is_dir():
        pytest.skip("shared source data not present")
    from cenas_gym.data.build_nb201 import build

    out = build(SHARED, tmp_path / "nb201.csv.gz")
    assert out.read_bytes() == SHIPPED.read_bytes()


def test_build_genotype_mapping_fails_loudly(tmp_path: Path) -> None:
    import json

    from cenas_gym.data.build_nb201 import BuildError, _genotype_to_arch_str, _read_supernet

    key = "[(('avg_pool_3x3', 0),), (('nor_conv_1x1', 0), ('skip_connect', 1)), " \
          "(('nor_conv_1x1', 0), ('skip_connect', 1), ('skip_connect', 2))]"
    assert _genotype_to_arch_str(key) == ARCH0
    with pytest.raises(BuildError, match="edge order"):
        _genotype_to_arch_str(key.replace("('skip_connect', 2)", "('skip_connect', 1)"))
    with pytest.raises(BuildError, match="unknown operations"):
        _genotype_to_arch_str(key.replace("avg_pool_3x3", "max_pool_3x3"))
    p = tmp_path / "s.json"
    p.write_text(json.dumps({key: 50.0}))  # one cell only: the other 15,624 are unmatched
    with pytest.raises(BuildError, match="not matched exactly once"):
        _read_supernet(p, {ARCH0: 0})
