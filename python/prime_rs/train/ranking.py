"""Rank correlations, from scipy (installed with jax).

Both return NaN, without scipy's warning, when there are fewer than 2 rows or either side is
constant: a validation set of one design, or a surrogate that scores everything alike, has no
ranking to measure.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["kendall", "rankdata", "spearman"]


def rankdata(a: np.ndarray) -> np.ndarray:
    """Average ranks (1-based), ties sharing the mean of their positions."""
    return stats.rankdata(np.asarray(a, dtype=np.float64), method="average")


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return a, b


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho; NaN when fewer than 2 rows or either side is constant."""
    pair = _pair(a, b)
    return float("nan") if pair is None else float(stats.spearmanr(*pair).statistic)


def kendall(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's tau-b (tie-corrected, O(n log n)); NaN when fewer than 2 rows or either side
    is constant."""
    pair = _pair(a, b)
    return float("nan") if pair is None else float(stats.kendalltau(*pair).statistic)
