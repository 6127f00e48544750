"""The package's statistics, all on ``scipy.stats``: a mean and its t-interval, a paired
ratio (geometric mean, t-interval on log ratios) and a share with its Wilson interval.

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


def paired_ratio_ci(
    numerator: Iterable[float], denominator: Iterable[float], level: float = 0.95
) -> tuple[float, float, float, int]:
    """(ratio, low, high, pairs): the geometric mean of the per-pair ratios
    ``numerator / denominator`` and its ``level`` interval, a t-interval on the log ratios
    (``scipy.stats.t``). Pairs where either value is missing (NaN), infinite or not positive
    are left out; ``pairs`` counts those used. NaN bounds for fewer than 2 pairs."""
    a = np.asarray(list(numerator), dtype=float)
    b = np.asarray(list(denominator), dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired_ratio_ci: {a.size} numerators but {b.size} denominators")
    ok = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0)
    logs = np.log(a[ok] / b[ok])
    if logs.size == 0:
        return float("nan"), float("nan"), float("nan"), 0
    mean = float(logs.mean())
    if logs.size < 2:
        return math.exp(mean), float("nan"), float("nan"), 1
    half = float(student_t.ppf(0.5 + level / 2, logs.size - 1) * logs.std(ddof=1) / math.sqrt(logs.size))
    return math.exp(mean), math.exp(mean - half), math.exp(mean + half), int(logs.size)


def share_ci(successes: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """(share, low, high): a proportion and its Wilson score interval (``scipy.stats.binomtest``)."""
    if n == 0:
        return (float("nan"),) * 3
    from scipy.stats import binomtest

    ci = binomtest(int(successes), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return successes / n, float(ci.low), float(ci.high)
