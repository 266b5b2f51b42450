"""The comparison against the true optimum (built-in world) and PRIME inside the loop's rows.

:func:`measure_rows` is the comparison's evaluation stage: run after every method, it
enumerates the task's designs once (:func:`prime_rs.run.evaluation.task_optimum`, cached),
adds the "all designs" row (the exhaustive search, charged one simulator call per design within
the budget, the designs it simulated) and gives every row its regret, share of the D(best) gap
closed and quantile (:meth:`prime_rs.ground_truth.Exhaustive.assess`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from prime_rs.compare.tables import MEASURES, row
from prime_rs.progress import Say
from prime_rs.run.evaluation import task_optimum
from prime_rs.task import Task

if TYPE_CHECKING:
    from prime_rs.compare.settings import CompareSettings
    from prime_rs.ground_truth import Exhaustive

__all__ = ["ALL_DESIGNS", "measure_rows", "rounds_curve", "rounds_rows"]

#: The row of the exhaustive search.
ALL_DESIGNS = "all designs"


def rounds_rows(
    records: list[dict[str, Any]], seed: int, task: str, wall_s: float
) -> list[dict[str, Any]]:
    """One ``prime_rounds`` row per round (rounds.jsonl's records): the best verified design so
    far, the median of the K best so far, at the calls made by then; the wall time is the run's,
    shared out by calls."""
    total = max((r["simulator_calls"] for r in records), default=0) or 1
    return [
        row(
            "prime_rounds",
            seed,
            task,
            r.get("best_so_far_ms"),
            r.get("median_top_k_so_far_ms"),
            r.get("best_so_far_area_mm2"),
            r["simulator_calls"],
            round(wall_s * r["simulator_calls"] / total, 2),
        )
        for r in records
    ]


def rounds_curve(records: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """The best-so-far curve of one ``prime_rounds`` run: (calls, latency; inf before any
    feasible design), a point per round."""
    calls = np.array([r["simulator_calls"] for r in records], dtype=np.int64)
    lat = np.array(
        [np.inf if r.get("best_so_far_ms") is None else r["best_so_far_ms"] for r in records]
    )
    return calls, lat


def measure_rows(
    rows: list[dict[str, Any]],
    task: Task,
    settings: CompareSettings,
    d_best_ms: float | None,
    say: Say,
) -> Exhaustive:
    """Add the "all designs" rows (one per seed, like D(best)'s) and every row's measures."""
    ex = task_optimum(task, k=settings.candidates, say=say)
    name = settings.task_name
    if ex.feasible:
        top = ex.geomean_ms[: settings.candidates]
        for seed in settings.seeds:
            rows.append(
                row(
                    ALL_DESIGNS,
                    seed,
                    name,
                    ex.optimum_ms,
                    float(np.median(top)),
                    float(ex.area_mm2[0]),
                    ex.in_budget,
                    round(ex.elapsed_s, 2),
                )
            )
    for r in rows:
        # A design over the budget (the EdgeTPU-like reference under a small budget) is not in
        # the space the optimum is the best of: it gets the optimum but no measures.
        over = r["area_mm2"] is not None and r["area_mm2"] > task.area_budget
        a = ex.assess(None if over else r["best_latency_ms"], d_best_ms)
        r.update({k: a[k] for k in MEASURES})
    return ex
