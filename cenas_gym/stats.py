"""The one statistics function of the package: a mean and its t-interval (``scipy.stats``).

Paired comparisons (policy minus reference on the same trace, window and seed) are the mean
of the per-pair differences with the same interval: ``mean_ci(a - b)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy.stats import t as student_t


def mean_ci(values: Iterable[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the mean of the finite ``values`` and its ``level`` t-interval
    (NaN bounds for fewer than two values; a zero-width interval when they are all equal)."""
    x = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if x.size == 0:
        return (float("nan"),) * 3
    mean = float(x.mean())
    if x.size < 2:
        return mean, float("nan"), float("nan")
    half = float(student_t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half
