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


PROG = "cenas-gym"
DEFAULT_START = "2021-07-02T06:00Z"


#: The arguments :func:`cenas_gym.cli.app.main` is running (for the resume hint and the outputs).
ARGV: list[str] = []

log = logging.getLogger("cenas_gym.cli")


class CLIError(Exception):
    """A user error with a message fit to print as is (exit status 2)."""


class Stopped(Exception):
    """SIGINT/SIGTERM stopped a long command after saving its work: ``message`` says how to
    go on; exit status 128 + the signal number."""

    def __init__(self, interrupt: BaseException, message: str) -> None:
        super().__init__(message)
        self.exit_status = int(getattr(interrupt, "exit_status", 130))


def command_line() -> str:
    """This command line, as the user could type it again."""
    import shlex

    return " ".join([PROG] + [shlex.quote(a) for a in ARGV])


def resume_command() -> str:
    """This command line with ``--resume`` (and without ``--force``)."""
    import shlex

    argv = [a for a in ARGV if a != "--force"]
    return " ".join([PROG] + [shlex.quote(a) for a in argv] + ([] if "--resume" in argv else ["--resume"]))


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
    from cenas_gym.carbon.readers import iso_utc  # imported here: pandas stays out of `--help`

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


def _cost_unit(column: str) -> str:
    if column.endswith("_ms"):
        return "ms"
    if column.endswith("_mj"):
        return "mJ"
    return {"params_m": "M params", "flops_m": "M FLOPs"}.get(column, column)
