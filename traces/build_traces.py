"""Build the shipped carbon-intensity traces (``traces/*.csv.gz``) and ``traces/SOURCES.md``.

Run from the repository root::

    python traces/build_traces.py --source ../shared/data [--out traces]

Every source file is read through :meth:`cenas_gym.carbon.CarbonTrace.from_csv`, the same
validating door users have. A source that fails validation stops the build, except for the
gaps listed in ``EXPECTED_FILLS``: those are filled with the explicit ``fill_gaps=True``
option (linear interpolation in time) and the build fails if the filled timestamps differ
from the expected ones. Output is byte-identical across runs (gzip mtime 0, no file name
in the gzip header, fixed formatting).

Output format, one file per trace, ``<name with ':' -> '_'>.csv.gz``::

    timestamp_utc,intensity_g_per_kwh[,filled]
    2021-01-01T00:00:00Z,103.42

``intensity_g_per_kwh`` is gCO2eq/kWh written with 2 decimals (the precision of the
Electricity Maps export; the EIA values, computed to 15 digits, are rounded to 0.01).
``filled`` (0/1) is present only in files where the build filled values.
"""

from __future__ import annotations

import argparse
import gzip
import io
import logging
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cenas_gym.carbon import CarbonTrace, TraceError  # noqa: E402

EM_ZONES = ("US-CAL-CISO", "ES", "NO")
EM_YEARS = (2021, 2022, 2023)
EIA_BAS = ("AZPS", "BPAT", "CISO", "SOCO", "WAAT")
EIA_YEAR = 2022

#: Gaps that are known in the sources and filled on purpose: trace -> filled timestamps.
EXPECTED_FILLS: dict[str, tuple[str, ...]] = {
    "EIA-CISO:2022": ("2022-01-05T10:00:00Z", "2022-05-17T18:00:00Z", "2022-06-13T18:00:00Z"),
}

EM_ORIGIN = "umassos/decarbonization-potential @ 3493a630, `downloaded_carbon_data/<ZONE>_<YEAR>_hourly.csv`"
EIA_ORIGIN = "HewlettPackard/dc-rl @ a92b4755, `data/CarbonIntensity/<BA>_NG_&_avgCI.csv`"
EIA_LICENSE = "LICENSE.dc-rl-MIT"


def say(msg: str) -> None:
    print(f"[build_traces] {msg}", flush=True)


def file_name(name: str) -> str:
    return name.replace(":", "_") + ".csv.gz"


def encode(trace: CarbonTrace) -> bytes:
    """The shipped CSV, gzip-compressed deterministically."""
    ts = trace.times.strftime("%Y-%m-%dT%H:%M:%SZ")
    vals = [f"{v:.2f}" for v in trace.values_g_per_kwh]
    if trace.filled:
        flag = trace.to_frame()["filled"].to_numpy()
        lines = ["timestamp_utc,intensity_g_per_kwh,filled"]
        lines += [f"{t},{v},{int(f)}" for t, v, f in zip(ts, vals, flag)]
    else:
        lines = ["timestamp_utc,intensity_g_per_kwh"]
        lines += [f"{t},{v}" for t, v in zip(ts, vals)]
    text = ("\n".join(lines) + "\n").encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text)
    return buf.getvalue()


def check_full_year(trace: CarbonTrace, year: int) -> None:
    want = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="h", tz="UTC")
    if len(trace) != len(want) or not trace.times.equals(want):
        raise SystemExit(
            f"{trace.name}: expected the {len(want)} hours of {year}, got {len(trace)} "
            f"({trace.start} .. {trace.end})"
        )


def load_strict_or_expected_fill(path: Path, name: str, **kw) -> CarbonTrace:
    """Read strictly; fill only the gaps listed in EXPECTED_FILLS, loudly."""
    try:
        return CarbonTrace.from_csv(path, name=name, **kw)
    except TraceError as e:
        if name not in EXPECTED_FILLS:
            raise SystemExit(f"{name}: source fails validation and no fill is expected:\n  {e}")
        say(f"WARNING {name}: source fails strict validation: {e}")
    trace = CarbonTrace.from_csv(path, name=name, fill_gaps=True, **kw)
    got = tuple(t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in trace.filled)
    if got != EXPECTED_FILLS[name]:
        raise SystemExit(f"{name}: filled {got}, expected exactly {EXPECTED_FILLS[name]}")
    say(f"WARNING {name}: filled {len(got)} value(s) by linear interpolation in time: {', '.join(got)}")
    return trace


def build(source: Path, out: Path) -> None:
    em_dir = source / "carbon" / "electricitymaps"
    eia_dir = source / "carbon" / "eia"
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []  # one per trace, for SOURCES.md
    estimated: dict[str, tuple[int, int]] = {}

    for zone in EM_ZONES:
        for year in EM_YEARS:
            path = em_dir / f"{zone}_{year}_hourly.csv"
            flags = pd.read_csv(path, usecols=["Data Estimated"])["Data Estimated"]
            if flags.isna().any() or not flags.isin([True, False]).all():
                raise SystemExit(f"{path}: 'Data Estimated' has values other than true/false")
            estimated[f"{zone}:{year}"] = (int(flags.sum()), len(flags))
            for kind, suffix in (("direct", ""), ("lca", ":lca")):
                name = f"{zone}:{year}{suffix}"
                trace = load_strict_or_expected_fill(path, name, column=kind)
                check_full_year(trace, year)
                rows.append(dict(name=name, family="Electricity Maps", kind=kind, trace=trace,
                                 file=f"carbon/electricitymaps/{path.name}"))

    eia: dict[str, CarbonTrace] = {}
    for ba in EIA_BAS:
        path = eia_dir / f"{ba}_{EIA_YEAR}_hourly.csv"
        name = f"EIA-{ba}:{EIA_YEAR}"
        trace = load_strict_or_expected_fill(path, name)
        check_full_year(trace, EIA_YEAR)
        eia[ba] = trace
        rows.append(dict(name=name, family="EIA", kind="avg_CI", trace=trace,
                         file=f"carbon/eia/{path.name}"))

    # WAAT vs BPAT: the WAAT file looks like a revision of BPAT's data.
    w, b = eia["WAAT"].values_g_per_kwh, eia["BPAT"].values_g_per_kwh
    same = float(np.mean(w == b))
    diff = np.abs(w - b)
    corr = float(np.corrcoef(w, b)[0, 1])
    rw = pd.read_csv(eia_dir / f"WAAT_{EIA_YEAR}_hourly.csv")
    rb = pd.read_csv(eia_dir / f"BPAT_{EIA_YEAR}_hourly.csv")
    fuels = [c for c in rb.columns if c not in ("timestamp", "avg_CI")]
    gen_same = {c: float(np.mean(np.isclose(rw[c].to_numpy(float), rb[c].to_numpy(float)))) for c in fuels}
    waat = dict(gen_same=gen_same, same=same, n_diff=int((w != b).sum()), max_diff=float(diff.max()),
                mean_diff=float(diff.mean()), corr=corr)
    if same > 0.5:
        say(f"WARNING EIA-WAAT:2022 is a near-copy of EIA-BPAT:2022: {same:.1%} of hours identical "
            f"(raw avg_CI), {waat['n_diff']} differ, max |diff| {waat['max_diff']:.2f} g/kWh, "
            f"correlation {corr:.5f}")

    for r in rows:
        data = encode(r["trace"])
        (out / file_name(r["name"])).write_bytes(data)
        r["bytes"] = len(data)
    shutil.copyfile(eia_dir / EIA_LICENSE, out / EIA_LICENSE)
    (out / "SOURCES.md").write_text(sources_md(rows, estimated, waat), encoding="utf-8")
    total = sum(r["bytes"] for r in rows)
    say(f"wrote {len(rows)} traces ({total / 1024:.0f} KiB) + SOURCES.md + {EIA_LICENSE} to {out}")


def sources_md(rows: list[dict], estimated: dict[str, tuple[int, int]], waat: dict) -> str:
    L: list[str] = []
    a = L.append
    a("# Carbon-intensity traces shipped with cenas-gym")
    a("")
    a("Generated by `traces/build_traces.py` from the copies in `shared/data/carbon/` (see that")
    a("folder's README). Do not edit by hand: rebuild with")
    a("`python traces/build_traces.py --source ../shared/data`. The build is deterministic.")
    a("")
    a("All values are carbon intensity in gCO2eq/kWh, one per UTC hour, written with 2 decimals.")
    a("Load them with `cenas_gym.carbon.CarbonTrace.load(name)`; `list_traces()` lists the names.")
    a("")
    a("## Format")
    a("")
    a("One gzip CSV per trace, `<name with ':' replaced by '_'>.csv.gz`, columns `timestamp_utc`")
    a("(ISO 8601, e.g. `2021-07-02T06:00:00Z`, start of the hour) and `intensity_g_per_kwh`; a third")
    a("column `filled` (0/1) appears only in files where the build filled values.")
    a("")
    a("## Electricity Maps zone-years: `<ZONE>:<YEAR>` (direct) and `<ZONE>:<YEAR>:lca` (life-cycle)")
    a("")
    a(f"- Origin: {EM_ORIGIN}.")
    a("- Licence: Open Database License (ODbL) 1.0. Attribution: **Electricity Maps")
    a("  (electricitymaps.com), hourly zone data**. Share-alike applies to the database: a")
    a("  derived database made from these traces must be offered under the ODbL too.")
    a("- Transformations: the columns `Datetime (UTC)` and `Carbon Intensity gCO₂eq/kWh (direct)`")
    a("  (for `<ZONE>:<YEAR>`) or `(LCA)` (for `:lca`) are kept, validated (regular hourly, no")
    a("  gaps, no NaN, 0 <= value <= 2000) and written unchanged (the export already has 2 decimals).")
    a("  All other columns are dropped. No values were filled.")
    a("- Estimated data: Electricity Maps flags hours whose value it estimated (`Data Estimated`,")
    a("  all `ESTIMATED_TIME_SLICER_AVERAGE` here). The shipped traces keep these values; the share:")
    a("")
    a("| zone-year | estimated hours | of | share |")
    a("|---|---:|---:|---:|")
    for k, (n, tot) in estimated.items():
        a(f"| {k} | {n} | {tot} | {100 * n / tot:.2f}% |")
    a("")
    a("## EIA balancing areas 2022: `EIA-<BA>:2022`")
    a("")
    a(f"- Origin: {EIA_ORIGIN}, column `avg_CI`.")
    a("- Licence: derived from US EIA data (public domain); the dc-rl repository is MIT,")
    a(f"  copied here as `{EIA_LICENSE}`.")
    a("- Transformations: the timestamp column (`timestamp`; the WAAT file has an empty first")
    a("  header cell) and `avg_CI` are kept, validated, and rounded to 0.01 gCO2eq/kWh.")
    a("  The generation-by-fuel columns are dropped.")
    a("- Filled values (explicit `fill_gaps=True`, linear interpolation in time between the")
    a("  neighbouring hours, then rounded; `filled` = 1 in the file):")
    for name, ts in EXPECTED_FILLS.items():
        a(f"  - `{name}`: {', '.join(ts)} (the source rows are present but every column is empty).")
    a("  No other trace was filled.")
    a("- **WAAT is not an independent trace.** `EIA-WAAT:2022` equals `EIA-BPAT:2022` in")
    a(f"  {100 * waat['same']:.1f}% of hours (raw `avg_CI`); the other {waat['n_diff']} hours differ by at most")
    a(f"  {waat['max_diff']:.2f} gCO2eq/kWh (mean |difference| over the year {waat['mean_diff']:.3f}),")
    gs = waat["gen_same"]
    a(f"  correlation {waat['corr']:.5f}. The generation-by-fuel columns (MWh) are identical in")
    a(f"  {100 * min(gs.values()):.1f}% to {100 * max(gs.values()):.1f}% of hours ("
      + ", ".join(f"{c} {100 * v:.1f}%" for c, v in gs.items()) + "),")
    a("  with about 11.5 GWh of hydro in the first hour: the scale of BPA's (Bonneville) hydro")
    a("  fleet. It appears to be another download or revision of BPAT's EIA-930 data saved under")
    a("  WAAT's name. It is shipped as found, but do not count it as a fifth, independent region.")
    a("- Row count: the WAAT source has all 8,760 hours of 2022; `wc -l` reports 8,760 lines")
    a("  for its 8,761-line file only because its last line has no trailing newline.")
    a("")
    a("## Traces")
    a("")
    a("| name | source file | hours | mean | min | max | filled | gzip bytes |")
    a("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in sorted(rows, key=lambda r: r["name"]):
        t: CarbonTrace = r["trace"]
        v = np.round(t.values_g_per_kwh, 2)
        a(f"| `{r['name']}` | `{r['file']}` | {len(t)} | {v.mean():.2f} | {v.min():.2f} | "
          f"{v.max():.2f} | {len(t.filled)} | {r['bytes']} |")
    return "\n".join(L) + "\n"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data",
                   help="folder holding carbon/electricitymaps and carbon/eia")
    p.add_argument("--out", type=Path, default=REPO / "traces", help="output folder")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="[build_traces] %(levelname)s %(message)s")
    build(args.source, args.out)


if __name__ == "__main__":
    main()
