"""Rank correlations (numpy only: scipy is not a dependency).

``spearman`` is Pearson's r of average ranks; ``kendall`` is Kendall's tau-b (tie-corrected),
computed exactly in O(n^2) over a capped sample (the validation caps rows per application).
"""

from __future__ import annotations

import numpy as np

__all__ = ["kendall", "rankdata", "spearman"]


def rankdata(a: np.ndarray) -> np.ndarray:
    """Average ranks (1-based), ties sharing the mean of their positions."""
    a = np.asarray(a, dtype=np.float64)
    order = np.argsort(a, kind="stable")
    sorted_a = a[order]
    # Start index of each run of equal values, and the run each sorted element belongs to.
    new_run = np.concatenate([[True], sorted_a[1:] != sorted_a[:-1]])
    run_id = np.cumsum(new_run) - 1
    starts = np.flatnonzero(new_run)
    ends = np.concatenate([starts[1:], [a.size]])
    avg = (starts + ends - 1) / 2.0 + 1.0
    ranks = np.empty(a.size, dtype=np.float64)
    ranks[order] = avg[run_id]
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho; NaN when fewer than 2 rows or either side is constant."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size < 2:
        return float("nan")
    ra, rb = rankdata(a) - (a.size + 1) / 2.0, rankdata(b) - (b.size + 1) / 2.0
    denom = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / denom) if denom > 0 else float("nan")


def kendall(a: np.ndarray, b: np.ndarray, chunk: int = 512) -> float:
    """Kendall's tau-b; NaN when fewer than 2 rows or either side is constant."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    n = a.size
    if n < 2:
        return float("nan")
    concordant = 0.0
    ties_a = ties_b = 0.0
    for s in range(0, n, chunk):
        da = np.sign(a[s : s + chunk, None] - a[None, :])
        db = np.sign(b[s : s + chunk, None] - b[None, :])
        concordant += float((da * db).sum())
        ties_a += float((da == 0).sum())
        ties_b += float((db == 0).sum())
    # Each unordered pair was counted twice; the diagonal adds n ties on each side.
    pairs = n * (n - 1)
    denom = np.sqrt((pairs - (ties_a - n)) * (pairs - (ties_b - n)))
    return float(concordant / denom) if denom > 0 else float("nan")
