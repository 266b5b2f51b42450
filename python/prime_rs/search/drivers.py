"""The two loops every search runs in: against an oracle (simulator calls are the budget) and
against a surrogate score function (generations are the budget).

The proposer decides what to evaluate; the driver owns everything else, once: the budget,
the free area rejection, the per-run record of what was evaluated, the best-so-far curve,
progress, and the top-K distinct designs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from prime_rs.checks import count
from prime_rs.errors import InvalidArgumentError
from prime_rs.progress import Progress, ProgressArg, ProgressCallback, resolve_progress
from prime_rs.search._base import Proposer, best_first
from prime_rs.search.results import BaselineResult, Curve, SearchResult
from prime_rs.space import SPACE, DesignsLike
from prime_rs.task import Evaluation, Task

__all__ = ["ScoreFn", "run_on_oracle", "run_on_surrogate"]

ScoreFn = Callable[[np.ndarray], np.ndarray]


def run_on_oracle(
    task: Task, proposer: Proposer, budget: int, *, progress: ProgressArg = None
) -> BaselineResult:
    """Run ``proposer`` on ``task`` until ``budget`` simulator calls are spent or it is done.

    How calls are counted (docs/design.md section 7):

    - one **simulator call** is one *design* evaluated, however many applications the task has
      (all applications of a design are evaluated together, through the task's oracle);
    - a design over the area budget is rejected by the analytic area model and costs **no
      call** (area is not a simulation);
    - a design the run has seen before costs **no call** and is not evaluated again;
    - ``budget`` is a hard cap: a batch that would overrun it is cut to the calls left, in
      order, and the rows cut off are told to the proposer as NaN.
    """
    if not isinstance(task, Task):
        raise InvalidArgumentError(f"task must be a prime_rs.task.Task, got {type(task).__name__}")
    if not isinstance(proposer, Proposer):
        raise InvalidArgumentError(
            f"proposer must be a prime_rs.search.Proposer, got {type(proposer).__name__}"
        )
    budget = count(budget, "budget", 1)
    report = resolve_progress(progress)
    t0 = time.perf_counter()
    oracle_calls = task.oracle.calls
    ledger = _Ledger(task, budget, report, proposer.label)
    while not ledger.exhausted and not proposer.done:
        designs = proposer.ask()
        scores, new = ledger.score(designs)
        proposer.tell(designs, scores, new)
    return ledger.result(
        proposer.seed,
        time.perf_counter() - t0,
        proposer.params(),
        task.oracle.calls - oracle_calls,
    )


class _Ledger:
    """One run's account: what it evaluated (in call order), what it was charged, the curve."""

    def __init__(
        self, task: Task, budget: int, report: ProgressCallback | None, method: str
    ) -> None:
        self.task = task
        self.budget = budget
        self.report = report
        self.method = method
        self.seen: dict[int, float] = {}  # id -> objective (-inf for over-area designs)
        self.batches: list[Evaluation] = []
        self.calls = 0
        self.area_rejected = 0
        self.best = -np.inf
        self.curve = np.full(budget, -np.inf)

    @property
    def remaining(self) -> int:
        return self.budget - self.calls

    @property
    def exhausted(self) -> bool:
        return self.calls >= self.budget

    def score(self, designs: DesignsLike) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """Objective of each design (NaN for new designs the budget left unevaluated) and which
        rows were evaluated by this call (the first occurrence of each design not seen before,
        within the budget)."""
        rows = SPACE.validate(designs)
        ids = SPACE.to_ids(rows)
        _, first = np.unique(ids, return_index=True)
        first.sort()  # first occurrences, in input order
        new = np.array([i for i in first if int(ids[i]) not in self.seen], dtype=np.int64)
        if new.size:
            within = self.task.within_area(rows[new])
            for i in new[~within]:
                self.seen[int(ids[i])] = -np.inf
            self.area_rejected += int((~within).sum())
            todo = new[within][: self.remaining]
            if todo.size:
                self._evaluate(rows[todo], ids[todo])
        else:
            todo = new
        evaluated = np.zeros(len(ids), dtype=bool)
        evaluated[todo] = True
        objective = np.array([self.seen.get(int(i), np.nan) for i in ids], dtype=np.float64)
        return objective, evaluated

    def _evaluate(self, rows: np.ndarray, ids: np.ndarray) -> None:
        ev = self.task.evaluate(rows)
        k = len(ev)
        for i, obj in zip(ids.tolist(), ev.objective.tolist(), strict=True):
            self.seen[int(i)] = obj
        running = np.maximum.accumulate(np.concatenate([[self.best], ev.objective]))[1:]
        self.curve[self.calls : self.calls + k] = running
        self.best = float(running[-1])
        self.calls += k
        self.batches.append(ev)
        if self.report is not None:
            self.report(
                Progress(self.method, self.calls, self.budget, self.best, math.exp(-self.best))
            )

    def result(
        self, seed: int, wall: float, params: dict[str, Any], oracle_calls: int
    ) -> BaselineResult:
        apps = self.task.applications
        m = len(apps)
        if self.batches:
            cat = {
                "design": np.concatenate([b.designs for b in self.batches]),
                "latency_ms": np.concatenate([b.latency_ms for b in self.batches]),
                "reason": np.concatenate([b.reason for b in self.batches]),
                "feasible": np.concatenate([b.feasible for b in self.batches]),
                "area_mm2": np.concatenate([b.area_mm2 for b in self.batches]),
                "objective": np.concatenate([b.objective for b in self.batches]),
            }
        else:
            cat = {
                "design": np.empty((0, SPACE.n_params), dtype=np.uint8),
                "latency_ms": np.empty((0, m)),
                "reason": np.empty((0, m), dtype=object),
                "feasible": np.empty(0, dtype=bool),
                "area_mm2": np.empty(0),
                "objective": np.empty(0),
            }
        evaluated = {"design": cat["design"], "id": SPACE.to_ids(cat["design"]), **cat}
        objective = self.curve[: self.calls].copy()
        curve = Curve(np.arange(1, self.calls + 1, dtype=np.int64), objective, np.exp(-objective))
        best_design: np.ndarray | None = None
        best_lat: dict[str, float] = {}
        best_area = math.nan
        if self.calls and math.isfinite(self.best):
            # The first design to reach the best objective (argmax returns the first).
            b = int(np.argmax(evaluated["objective"]))
            best_design = evaluated["design"][b].copy()
            best_lat = {a: float(x) for a, x in zip(apps, evaluated["latency_ms"][b], strict=True)}
            best_area = float(evaluated["area_mm2"][b])
        return BaselineResult(
            method=self.method,
            seed=seed,
            budget=self.budget,
            applications=apps,
            area_budget=self.task.area_budget,
            simulator_calls=self.calls,
            best_design=best_design,
            best_latency_ms=best_lat,
            best_mean_latency_ms=math.exp(-self.best),
            best_objective=self.best,
            best_area_mm2=best_area,
            curve=curve,
            evaluated=evaluated,
            area_rejected=self.area_rejected,
            wall_time_s=wall,
            params=params,
            oracle_calls=oracle_calls,
        )


def run_on_surrogate(
    score_fn: ScoreFn,
    proposer: Proposer,
    generations: int,
    *,
    candidates: int,
    progress: Callable[[int, float], None] | None = None,
) -> SearchResult:
    """Run ``proposer`` against ``score_fn`` (higher is better) for ``generations`` batches
    after the first; every batch is scored whole (the surrogate is cheap, so repeats are simply
    scored again). ``progress(generation, best score so far)`` follows every generation. Returns
    the ``candidates`` best distinct designs ever scored."""
    generations = count(generations, "generations")
    candidates = count(candidates, "candidates", 1)
    archive_d: list[np.ndarray] = []
    archive_s: list[np.ndarray] = []
    evaluations = 0
    best = -np.inf
    history: list[float] = []
    for gen in range(generations + 1):
        if gen and proposer.done:
            break
        designs = proposer.ask()
        if len(designs):
            scores = np.asarray(score_fn(designs), dtype=np.float64)
            evaluations += len(designs)
            archive_d.append(designs)
            archive_s.append(scores)
            proposer.tell(designs, scores)
            best = max(best, float(scores.max()))
        history.append(best)
        if gen and progress is not None:
            progress(gen, best)
    if archive_d:
        designs, scores = best_first(
            np.concatenate(archive_d), np.concatenate(archive_s), candidates
        )
    else:
        designs, scores = np.empty((0, SPACE.n_params), np.uint8), np.empty(0)
    return SearchResult(
        designs=designs,
        scores=scores,
        best_per_generation=np.asarray(history),
        evaluations=evaluations,
    )
