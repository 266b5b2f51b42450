"""The one way a search draws fresh designs: n uniform designs within the area budget."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from prime_rs.search._seeds import Streams
from prime_rs.simulator import area
from prime_rs.space import SPACE

__all__ = ["sample_within_area"]


def sample_within_area(
    n: int,
    area_budget: float | None,
    streams: Streams,
    purpose: str,
    *,
    min_batch: int = 1024,
    max_draws: int = 10**6,
) -> npt.NDArray[np.uint8]:
    """``n`` uniform designs whose analytic area is within ``area_budget`` (rejection
    sampling; area is not a simulation, so rejections are free), in draw order.

    Batch ``b`` draws ``max(4 n, min_batch)`` designs from stream ``(purpose, b)``; fewer than
    ``n`` come back when ``max_draws`` draws do not find them (the caller decides whether that
    is an error). Without a budget the first batch is exactly ``n`` designs.
    """
    if area_budget is None:
        return streams.designs(n, purpose, 0)
    found: list[np.ndarray] = []
    have = drawn = batch = 0
    while have < n and drawn < max_draws:
        d = streams.designs(max(4 * n, min_batch), purpose, batch)
        ok = d[area(d) <= area_budget]
        found.append(ok[: n - have])
        have += min(len(ok), n - have)
        drawn += len(d)
        batch += 1
    return np.concatenate(found) if found else np.empty((0, SPACE.n_params), dtype=np.uint8)
