"""What every ``cenas-gym`` subcommand module shares: the user-error type, strict JSON
output, ISO times, the default episode start and small argument helpers.

Light on purpose (no pandas at import): ``cenas-gym --help`` imports it.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from typing import Any

DEFAULT_START = "2021-07-02T06:00Z"

log = logging.getLogger("cenas_gym.cli")


class CLIError(Exception):
    """A user error with a message fit to print as is (exit status 2)."""


# ---------------------------------------------------------------------------- helpers
def _jsonable(obj: Any) -> Any:
    """Plain JSON types; NaN and infinities become ``null`` (strict JSON has neither)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if hasattr(obj, "item") and not isinstance(obj, (int, float)):  # numpy scalar
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, int):
        return obj
    if hasattr(obj, "isoformat"):
        return _iso(obj)
    return str(obj)


def print_json(obj: Any) -> None:
    """Print ``obj`` as strict JSON (NaN/inf as null), indented, on stdout."""
    print(json.dumps(_jsonable(obj), indent=2, allow_nan=False))


def _iso(ts: Any) -> str:
    from cenas_gym.carbon import iso_utc  # imported here: pandas stays out of `--help`

    return iso_utc(ts)


def start_from_args(args: argparse.Namespace, trace: Any, hours: float) -> str | None:
    """The episode start: ``--start`` as given (``None`` for 'random'), else the default."""
    import pandas as pd

    if args.start is not None:
        if args.start.strip().lower() == "random":
            return None
        try:
            ts = pd.Timestamp(args.start)
        except (ValueError, TypeError) as err:
            raise CLIError(f"--start {args.start!r} is not an ISO time, e.g. {DEFAULT_START} ({err})") from None
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return _iso(ts)
    default = pd.Timestamp(year=trace.start.year, month=7, day=2, hour=6, tz="UTC")
    end = default + pd.Timedelta(hours=hours)
    last_end = trace.end + pd.Timedelta(seconds=trace.step_s)
    if trace.start <= default and end <= last_end:
        return _iso(default)
    log.info("default start %s does not fit trace %r: starting at its first hour", _iso(default), trace.name)
    return _iso(trace.start)


def _check_output_dir(path: str, option: str) -> None:
    """Fail before a long computation when an output file's folder does not exist."""
    from pathlib import Path

    parent = Path(path).expanduser().parent
    if not parent.is_dir():
        raise CLIError(f"{option} {path}: folder {str(parent)!r} does not exist")


def _split(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


# ---------------------------------------------------------------------------- screening
def add_screening_options(p: argparse.ArgumentParser, keep_preset: bool = False) -> None:
    """``--screening``, ``--estimator``, ``--pool-cap`` and ``--supernet-train-gpu-h``
    (``keep_preset``: every default is the preset's)."""
    from cenas_gym.estimators import ESTIMATOR_SPECS
    from cenas_gym.screening import SCREENING_MODES

    p.add_argument("--screening", choices=list(SCREENING_MODES), default=None if keep_preset else "queue",
                   help="what screened candidates do: queue (the authors': all are trained, the estimate orders "
                        "the queue; the default) or select (they compete by expected HV improvement over the true "
                        "front; dominated ones are dropped) or partition (select, and LaMOO's partition learns from "
                        "the screened cells at their predicted accuracy). See cenas_gym/screening.py")
    p.add_argument("--estimator", choices=list(ESTIMATOR_SPECS), default=None if keep_preset else "oneshot",
                   help="cheap estimate used when sampling (default oneshot); oracle is the true accuracy, a "
                        "ceiling that cannot be deployed. Costs: cenas_gym/estimators.py")
    p.add_argument("--pool-cap", type=int, default=None, metavar="N",
                   help="screened candidates that may wait in the modes other than queue (default 200)")
    p.add_argument("--supernet-train-gpu-h", type=float, default=None, metavar="H",
                   help="one-time supernet training charged (GPU-hours). Default: the estimator's stated cost with "
                        "--screening other than queue, 0 with queue (the authors' simulator and v0/v1: supernet free)")


def screening_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`SimConfig` fields that :func:`add_screening_options` set (only those given)."""
    fields: dict[str, Any] = {}
    for name in ("screening", "estimator", "pool_cap"):
        if getattr(args, name, None) is not None:
            fields[name] = getattr(args, name)
    if getattr(args, "supernet_train_gpu_h", None) is not None:
        fields["supernet_train_gpu_h"] = args.supernet_train_gpu_h
    elif "screening" in fields:  # None: the estimator's stated cost
        fields["supernet_train_gpu_h"] = 0.0 if fields["screening"] == "queue" else None
    return fields
