"""``cenas-gym traces list | show NAME|FILE | plot NAME --out FILE.png``: the carbon traces."""

from __future__ import annotations

import argparse
from typing import Any

from cenas_gym.cli.common import _check_output_dir, CLIError, _iso, print_json


def add_traces(sub: Any) -> None:
    p = sub.add_parser("traces", help="list, show and plot carbon-intensity traces",
                       description="Shipped carbon-intensity traces (gCO2eq/kWh, hourly, UTC).")
    tsub = p.add_subparsers(dest="traces_command", metavar="{list,show,plot}", required=True)

    q = tsub.add_parser("list", help="names of the shipped traces with zone, year, kind, source, mean")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=cmd_traces_list)

    q = tsub.add_parser("show", help="statistics of one trace (a shipped name or a CSV file)")
    q.add_argument("name", metavar="NAME|FILE")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=cmd_traces_show)

    q = tsub.add_parser("plot", help="line plot of a trace's intensity (PNG; needs matplotlib)")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--out", required=True, metavar="FILE.png", help="image file to write")
    q.add_argument("--start", metavar="ISO", default=None, help="first hour to plot (default: the trace's first)")
    q.add_argument("--hours", type=int, default=None, metavar="H", help="hours to plot (default: to the end)")
    q.set_defaults(func=cmd_traces_plot)


def cmd_traces_list(args: argparse.Namespace) -> int:
    from cenas_gym.carbon.catalogue import describe, list_traces
    from cenas_gym.carbon.trace import CarbonTrace

    rows = []
    for name in list_traces():
        tr = CarbonTrace.load(name)
        rows.append({
            "name": name,
            **describe(name),
            "hours": len(tr) * tr.step_s / 3600,
            "mean_g_per_kwh": float(tr.values_g_per_kwh.mean()),
        })
    if args.json:
        print_json(rows)
        return 0
    print(f"{'name':<22} {'zone':<12} {'year':<5} {'kind':<7} {'hours':>6} {'mean g/kWh':>10}  source")
    for r in rows:
        print(f"{r['name']:<22} {r['zone']:<12} {r['year']:<5} {r['kind']:<7} {r['hours']:>6g} "
              f"{r['mean_g_per_kwh']:>10.2f}  {r['source']}")
    return 0


def cmd_traces_show(args: argparse.Namespace) -> int:
    from dataclasses import asdict
    from pathlib import Path

    from cenas_gym.carbon.catalogue import describe
    from cenas_gym.carbon.trace import CarbonTrace

    from_file = args.name.endswith((".csv", ".csv.gz")) or Path(args.name).is_file()
    tr = CarbonTrace.from_csv(args.name) if from_file else CarbonTrace.load(args.name)
    meta = {"zone": "", "year": "", "kind": "", "source": "CSV file"} if from_file else describe(tr.name)
    stats = asdict(tr.stats())
    info = {
        "name": tr.name,
        **meta,
        "file": tr.source,
        "start": _iso(tr.start),
        "end": _iso(tr.end),
        "step_s": tr.step_s,
        "filled_hours": len(tr.filled) * tr.step_s / 3600,
        "filled": [_iso(t) for t in tr.filled],
        "notes": list(tr.notes),
        "stats": stats,
    }
    if args.json:
        print_json(info)
        return 0
    print(f"{tr.name}: {info['source']}" + ("" if from_file else f" ({info['zone']}, {info['year']}, {info['kind']})"))
    print(f"  file        {tr.source}")
    print(f"  covers      {info['start']} .. {info['end']} (step {tr.step_s} s, {stats['hours']:g} h)")
    filled = ", ".join(info["filled"][:5]) + (" ..." if len(info["filled"]) > 5 else "")
    print(f"  filled      {info['filled_hours']:g} h" + (f" ({filled})" if filled else ""))
    for note in tr.notes:
        print(f"  note        {note}")
    print("  intensity (gCO2eq/kWh):")
    for key in ("mean", "std", "min", "p10", "p50", "p90", "max", "mean_daily_range_g_per_kwh"):
        print(f"    {key:<28} {stats[key]:>9.2f}")
    return 0


def cmd_traces_plot(args: argparse.Namespace) -> int:
    from cenas_gym.carbon.trace import CarbonTrace

    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise CLIError("plotting needs matplotlib: pip install cenas-gym[plot]") from None
    del matplotlib  # imported only to check it is there; Figure + Agg canvas, no pyplot state

    _check_output_dir(args.out, "--out")
    tr = CarbonTrace.load(args.name)
    if args.start is not None or args.hours is not None:
        start = args.start if args.start is not None else tr.start
        i0 = tr.index_at(start)
        hours = args.hours if args.hours is not None else int((len(tr) - i0) * tr.step_s // 3600)
        tr = tr.window(start, hours)
    times = tr.times.tz_convert("UTC").tz_localize(None)
    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(times, tr.values_g_per_kwh, lw=0.8, color="tab:green", drawstyle="steps-post")
    if tr.filled:
        import pandas as pd

        mask = tr.times.isin(pd.DatetimeIndex(list(tr.filled)))
        ax.plot(times[mask], tr.values_g_per_kwh[mask], "o", ms=3, color="tab:red", label="filled")
        ax.legend(loc="upper right")
    ax.set_title(f"{args.name}: carbon intensity, {_iso(tr.start)} .. {_iso(tr.end)}")
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("carbon intensity (gCO$_2$eq/kWh)")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(args.out, format="png")
    print(f"wrote {args.out} ({len(tr)} steps of {tr.step_s} s)")
    return 0
