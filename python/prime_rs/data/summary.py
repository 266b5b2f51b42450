"""Per-application summary of a dataset: the table of the PRIME README (infeasible and feasible
counts; max, min and mean runtime over feasible rows) plus the split at an area budget into
PRIME's regression set (feasible, within budget) and "infeasible" set (everything else).
Latencies are in the dataset's own unit (``Dataset.latency_unit``), reported beside them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from prime_rs.data.dataset import Dataset, _codes
from prime_rs.errors import InvalidArgumentError
from prime_rs.task import DEFAULT_AREA_BUDGET


@dataclass(frozen=True)
class AppStats:
    application: str
    rows: int
    infeasible: int
    feasible: int
    #: Over feasible rows (NaN when there are none).
    max_latency_ms: float
    min_latency_ms: float
    mean_latency_ms: float
    #: Feasible rows within the area budget (the regression set).
    within_budget: int
    #: Feasible rows over the area budget (part of the "infeasible" set).
    over_budget: int

    @property
    def infeasible_set(self) -> int:
        return self.infeasible + self.over_budget

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["infeasible_set"] = self.infeasible_set
        # JSON has no NaN: applications without feasible rows report null.
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def _summarise(
    name: str, lat: np.ndarray, area: np.ndarray, feas: np.ndarray, budget: float | None
) -> AppStats:
    fl = lat[feas]
    within = int((feas & (area <= budget)).sum()) if budget is not None else int(feas.sum())
    return AppStats(
        application=name,
        rows=len(lat),
        infeasible=int((~feas).sum()),
        feasible=int(feas.sum()),
        max_latency_ms=float(fl.max()) if len(fl) else math.nan,
        min_latency_ms=float(fl.min()) if len(fl) else math.nan,
        mean_latency_ms=float(fl.mean()) if len(fl) else math.nan,
        within_budget=within,
        over_budget=int(feas.sum()) - within,
    )


def stats(
    ds: Dataset, area_budget: float | None = DEFAULT_AREA_BUDGET
) -> tuple[list[AppStats], AppStats]:
    """(one row per application sorted by name, the total over all rows)."""
    if area_budget is not None and not (
        isinstance(area_budget, int | float | np.floating | np.integer)
        and not isinstance(area_budget, bool)
        and math.isfinite(area_budget)
        and area_budget > 0
    ):
        # A NaN budget would count every row as over it (and is not JSON).
        raise InvalidArgumentError(
            f"area budget must be a positive finite number (mm²), got {area_budget!r}"
        )
    codes, dictionary = _codes(ds.table, "application")
    lat, area, feas = ds.latency_ms, ds.area_mm2, ds.feasible
    rows = []
    for code in sorted(set(np.unique(codes).tolist()), key=lambda c: dictionary[c]):
        m = codes == code
        rows.append(_summarise(dictionary[code], lat[m], area[m], feas[m], area_budget))
    return rows, _summarise("all", lat, area, feas, area_budget)


def stats_json(ds: Dataset, area_budget: float | None = DEFAULT_AREA_BUDGET) -> dict[str, Any]:
    rows, total = stats(ds, area_budget)
    return {
        "rows": len(ds),
        "area_budget_mm2": area_budget,
        "applications": [r.as_dict() for r in rows],
        "total": total.as_dict(),
        "world": ds.world.describe(),
        "latency_unit": ds.latency_unit,
        "data_only_applications": ds.data_only_applications,
        "metadata": ds.metadata,
    }
