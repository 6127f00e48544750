"""``cenas-gym space``: a summary of the NAS-Bench-201 table (Pareto front, HV, proxy quality)."""

from __future__ import annotations

import argparse
from typing import Any

from cenas_gym.cli.common import _cost_unit, print_json


#: The cheap accuracy proxies whose rank agreement with the true accuracy ``space`` reports.
PROXY_COLUMNS: tuple[str, ...] = (
    "oneshot_acc_cifar10_pct",
    "fewshot_acc_cifar10_pct",
    "acc12_cifar10_pct",
    "naswot_cifar10",
)
TRUE_ACCURACY = "acc_cifar10_pct"


def add_space(sub: Any) -> None:
    from cenas_gym.search.nasbench import ArchTable

    p = sub.add_parser("space", help="summary of the NAS-Bench-201 table: Pareto front, HV, proxy quality",
                       description="Summary of the shipped NAS-Bench-201 table.")
    p.add_argument("--json", action="store_true", help="print JSON")
    from cenas_gym.search.pareto import Objectives

    p.add_argument("--cost", choices=list(ArchTable.hardware_metrics), default=Objectives().cost,
                   help="hardware-cost objective (minimised; default %(default)s)")
    p.set_defaults(func=cmd_space)


def cmd_space(args: argparse.Namespace) -> int:
    import numpy as np

    from cenas_gym.search.nasbench import ArchTable
    from cenas_gym.search.pareto import Objectives, hypervolume, pareto_mask

    table = ArchTable.load()
    frame = table.frame
    obj = Objectives(cost=args.cost)
    acc, cost = obj.values(table)
    front = pareto_mask(acc, cost)
    ref_acc, ref_cost = obj.reference_point(table)
    hv = hypervolume(acc[front], cost[front], ref_acc, ref_cost)
    corr = frame[list(PROXY_COLUMNS) + [TRUE_ACCURACY]].corr(method="spearman")[TRUE_ACCURACY]
    best = int(np.argmax(acc))
    front_idx = np.flatnonzero(front)
    out = {
        "size": len(table),
        "columns": table.columns,
        "hardware_metrics": list(ArchTable.hardware_metrics),
        "accuracy": obj.accuracy,
        "cost": obj.cost,
        "cost_unit": _cost_unit(obj.cost),
        "pareto_front_size": int(front.sum()),
        "pareto_front_indices": [int(i) for i in front_idx],
        "hv": hv,
        "hv_reference_point": {"acc_pct": ref_acc, "cost": ref_cost},
        "spearman_vs_true_accuracy": {c: float(corr[c]) for c in PROXY_COLUMNS},
        "best_accuracy_pct": float(acc[best]),
        "best_accuracy_index": best,
        "best_accuracy_arch": str(frame["arch_str"].iloc[best]),
        "best_accuracy_cost": float(cost[best]),
    }
    if args.json:
        print_json(out)
        return 0
    unit = out["cost_unit"]
    print(f"NAS-Bench-201: {out['size']} cells, {len(out['columns'])} columns")
    print(f"  objectives       {obj.accuracy} (max) vs {obj.cost} (min)")
    print(f"  Pareto front     {out['pareto_front_size']} cells")
    print(f"  hypervolume      {hv:.6g} % x {unit}  (reference point: {ref_acc:g} %, {ref_cost:g} {unit})")
    print(f"  best accuracy    {out['best_accuracy_pct']:.2f} % at index {best} "
          f"({out['best_accuracy_cost']:g} {unit}) {out['best_accuracy_arch']}")
    print(f"  Spearman rank correlation with {TRUE_ACCURACY}:")
    for c in PROXY_COLUMNS:
        print(f"    {c:<26} {corr[c]:.4f}")
    print(f"  hardware metrics (--cost): {', '.join(ArchTable.hardware_metrics)}")
    return 0
