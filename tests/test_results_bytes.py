"""results.csv is the same bytes as before the 0.3 restructure (the package split into layer
folders), for the same grids and seeds: the hashes below were recorded with main's code before
the restructure (a2a9a35; the single-site hash again on 6bb93c3, whose screening columns changed
the table, with the 0.2 module layout)."""

from __future__ import annotations

import hashlib

from cenas_gym.compare.geo import GeoGrid
from cenas_gym.compare.grid import Grid
from cenas_gym.compare.runners import compare
from cenas_gym.sim.simulator import SimConfig
from cenas_gym.sim.tasks import make_task

SINGLE = Grid(
    policies=("heuristic", "vanilla", "threshold:75"),
    traces=("US-CAL-CISO:2021", "ES:2021"),
    windows={"US-CAL-CISO:2021": ("2021-07-02T06:00Z",), "ES:2021": ("2021-04-05T00:00Z",)},
    seeds=(0, 1),
    config=SimConfig(n_gpus=8, budget_hours=8.0, optimizer="lamoo"),
)
SINGLE_SHA256 = "e3fc65a7698fa09ce002267cdab1451719c8b6b5611599b6c1ad4ce9356ed255"

GEO = GeoGrid(
    policies=("geo-vanilla", "geo-heuristic", "geo-greedy", "single:NO"),
    windows=("2022-07-02T06:00Z",),
    seeds=(0, 1),
    task=make_task("target"),
    config=SimConfig(optimizer="random"),
)
GEO_SHA256 = "e381a39c067c3982f793c103af3346a10458a7aa0f569ac168319f1e615e6808"


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_single_site_results_csv_bytes_unchanged(tmp_path):
    compare(SINGLE, tmp_path, progress=False, plots=False)
    assert _sha256(tmp_path / "results.csv") == SINGLE_SHA256


def test_geo_results_csv_bytes_unchanged(tmp_path):
    compare(GEO, tmp_path, progress=False, plots=False)
    assert _sha256(tmp_path / "results.csv") == GEO_SHA256
