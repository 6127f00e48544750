"""Issue 21: the `shared` accounting, estimators at their real cost, screening modes.

Expected numbers come from the physics (GPU-seconds x power x PUE / 3.6e6 x intensity) or
from the table's own columns, never copied from a run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cenas_gym.accounting import ACCOUNTING_PRESETS
from cenas_gym.carbon import CarbonTrace


def trace_of(values, start="2021-01-01T00:00Z") -> CarbonTrace:
    times = pd.date_range(pd.Timestamp(start), periods=len(values), freq="h")
    return CarbonTrace(name="hand", times=times, values_g_per_kwh=np.asarray(values, dtype=float))


def test_shared_charges_busy_gpus_at_board_power_and_released_gpus_nothing():
    shared, default = ACCOUNTING_PRESETS["shared"], ACCOUNTING_PRESETS["default"]
    intensity = 237.0
    # an hour with 3 training GPUs and 5 released (neither training nor sampling)
    kwh = shared.energy_kwh(3 * 3600.0, 0.0, 5 * 3600.0)
    assert kwh * intensity == pytest.approx(3 * 400.0 * 1.1 * intensity / 1000.0, rel=1e-12)
    assert shared.idle_power_w == 0.0
    assert (shared.train_power_w, shared.sample_power_w, shared.pue, shared.charge_initial_samples) == (
        default.train_power_w, default.sample_power_w, default.pue, default.charge_initial_samples)
    # a sampling GPU-hour costs what a training one does
    assert shared.energy_kwh(0.0, 3600.0, 0.0) == shared.energy_kwh(3600.0, 0.0, 0.0)
