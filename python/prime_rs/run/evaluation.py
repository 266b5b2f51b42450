"""The evaluation stage of a run in the built-in world: the true optimum of the task and how far
the result is from it (docs/design.md section 7).

For evaluation only. This is the one module of :mod:`prime_rs.run` that reads the optimum
(:mod:`prime_rs.ground_truth`), and the jobs call it after the last oracle call, when every
design has been chosen and verified: training, search and candidate selection never see it
(tests/test_regret.py and tests/test_architecture.py hold that).

The measures of a latency (a geometric mean over the task's applications) are
:meth:`prime_rs.ground_truth.Exhaustive.assess`'s: ``regret``, ``gap_closed`` (of the gap from
D(best) to the optimum) and ``quantile`` in the whole feasible in-budget space.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from prime_rs.area_model import AnalyticAreaModel
from prime_rs.progress import Say, silent
from prime_rs.space import SPACE
from prime_rs.task import Task

if TYPE_CHECKING:
    from prime_rs.ground_truth import Exhaustive

__all__ = ["OPTIMUM_K", "best_entries", "optimum_applies", "optimum_meta", "task_optimum"]

#: Best designs the enumeration keeps (its quantiles are exact below the k-th): at least the
#: default K, so the "all designs" row of `compare` has a median of its top K, and one value
#: for every job, so optimize and compare share one cached enumeration per task.
OPTIMUM_K = 128


def optimum_applies(task: Task, builtin: bool) -> bool:
    """Whether the true optimum is defined for a run's task: the built-in simulator verifies it
    on its own data, under the analytic area model (a world the enumeration models exactly)."""
    return (
        builtin
        and task.oracle.world == "builtin"
        and isinstance(task.area_model, AnalyticAreaModel)
        and all(w is not None for w in task.workloads)
    )


def task_optimum(task: Task, k: int = OPTIMUM_K, say: Say = silent) -> Exhaustive:
    """The enumeration of ``task`` (from the cache when there), saying so when it must run."""
    from prime_rs.ground_truth import exhaustive

    started: dict[str, float] = {}

    def progress(covered: int, total: int) -> None:
        if not started:
            started["t"] = time.perf_counter()
            say(
                f"enumerating all {total:,} designs for the true optimum of "
                f"{', '.join(task.applications)} under {task.area_budget:g} mm² (evaluation "
                "only; cached for later runs)"
            )
        elif covered == total:
            say(f"enumeration done in {time.perf_counter() - started['t']:.1f} s")

    return exhaustive(task, k=max(OPTIMUM_K, k), progress=progress)


def best_entries(
    ex: Exhaustive, best: dict[str, Any], rounds: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """What best.json gains: the optimum and the measures of the best verified design and of
    the median of the verified candidates; with ``rounds`` (rounds.jsonl's records), each
    round's best so far measured too."""
    start = (best.get("dataset_best_latency_ms") or {}).get("mean")
    mean = (best.get("latency_ms") or {}).get("mean")
    a = ex.assess(mean, start)
    out: dict[str, Any] = {
        "optimum_latency_ms": a["optimum_ms"],
        "optimum_design": SPACE.as_dicts(ex.designs[:1])[0] if ex.feasible else None,
        "optimum_area_mm2": float(ex.area_mm2[0]) if ex.feasible else None,
        "regret": a["regret"],
        "gap_closed": a["gap_closed"],
        "quantile": a["quantile"],
        "median_regret": ex.assess(best.get("median_latency_ms"), None)["regret"],
    }
    if rounds:
        out["rounds"] = [
            {**r, **_measures(ex.assess(r.get("best_so_far_ms"), start))} for r in rounds
        ]
    return out


def _measures(a: dict[str, Any]) -> dict[str, Any]:
    return {k: a[k] for k in ("regret", "gap_closed", "quantile")}


def optimum_meta(ex: Exhaustive) -> dict[str, Any]:
    """meta.json's record of the enumeration behind the measures."""
    return {
        "applications": list(ex.applications),
        "area_budget_mm2": ex.area_budget,
        "latency_ms": ex.optimum_ms if ex.feasible else None,
        "design_id": int(ex.ids[0]) if ex.feasible else None,
        "space_size": ex.space_size,
        "in_budget": ex.in_budget,
        "feasible": ex.feasible,
        "k": ex.k,
        "simulator_fingerprint": ex.fingerprint,
        "enumeration_s": round(ex.elapsed_s, 3),
        "from_cache": ex.from_cache,
    }
