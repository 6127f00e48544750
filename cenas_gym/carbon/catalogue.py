"""The catalogue of the carbon traces shipped with the package (``traces/*.csv.gz``, see
``traces/SOURCES.md``): their names, files and where each comes from.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Iterable


#: The trace a run uses when none is named (the authors' California 2021 trace).
DEFAULT_TRACE = "US-CAL-CISO:2021"
#: Traces the shipped agents were trained on (one drawn per episode; agents/MODEL_CARD.md).
TRAIN_TRACES: tuple[str, ...] = ("US-CAL-CISO:2021", "ES:2021", "NO:2021", "EIA-AZPS:2022", "EIA-SOCO:2022")
#: Traces they never saw: held out by year (US-CAL-CISO:2023, ES:2023), by data source
#: (EIA-CISO:2022) and by zone (EIA-BPAT:2022).
HELD_OUT_TRACES: tuple[str, ...] = ("US-CAL-CISO:2023", "ES:2023", "EIA-CISO:2022", "EIA-BPAT:2022")


def _file_name(name: str) -> str:
    """Trace name -> shipped file name (``US-CAL-CISO:2021:lca`` -> ``US-CAL-CISO_2021_lca.csv.gz``)."""
    return name.replace(":", "_") + ".csv.gz"


def _traces_dir() -> Path:
    try:
        return Path(str(importlib.resources.files("cenas_gym.traces")))
    except ModuleNotFoundError:  # running from a source checkout that is not installed
        return Path(__file__).resolve().parents[2] / "traces"


def _names(files: Iterable[str]) -> list[str]:
    return sorted(f[: -len(".csv.gz")].replace("_", ":") for f in files if f.endswith(".csv.gz"))


def list_traces() -> list[str]:
    """Sorted names of the shipped traces, e.g. ``["ES:2021", "ES:2021:lca", ...]``."""
    return _names(p.name for p in _traces_dir().iterdir())


def describe(name: str) -> dict[str, str]:
    """Zone, year, kind and provider of a shipped trace, from its name (see traces/SOURCES.md)."""
    parts = name.split(":")
    zone = parts[0]
    year = parts[1] if len(parts) > 1 else ""
    if zone.startswith("EIA-"):
        kind, source = "avg_CI", "US EIA-930 via HewlettPackard/dc-rl"
    else:
        kind = "lca" if len(parts) > 2 and parts[2] == "lca" else "direct"
        source = "Electricity Maps"
    return {"zone": zone, "year": year, "kind": kind, "source": source}
