"""Simulator-driven baselines (docs/design.md section 7): random search, regularised evolution and
Bayesian optimisation, each held to an explicit simulator-call budget; any other method of
:data:`prime_rs.search.PROPOSERS` runs the same way through :func:`run_baseline`.

Each baseline is a proposer (:mod:`prime_rs.search`) run by the oracle driver
(:func:`prime_rs.search.run_on_oracle`); the functions here only map their keyword arguments
onto the proposer's settings.

All three optimise the objective of :mod:`prime_rs.task` (mean over applications of
-log latency; -inf unless feasible everywhere and within the area budget) and return the same
:class:`BaselineResult`, with the best-so-far curve that the comparison protocol reads
("how many simulator calls does each method need to match PRIME": :func:`calls_to_match`).

How simulator calls are counted:

- one **simulator call** is one *design* evaluated, however many applications the task has
  (all applications of a design are simulated together, as PRIME's multi-task setting does);
- a design over the area budget is rejected by the analytic area model and costs **no call**
  (area is not a simulation, docs/design.md section 6);
- a design the run has seen before costs **no call** (by design id,
  :meth:`prime_rs.space.DesignSpace.to_ids`); the task's oracle caches results across runs;
- ``budget`` is a hard cap: a batch that would overrun it is cut to the calls left, in order.

Every method is deterministic for a seed, whatever the thread count: random draws come from
streams derived from ``(seed, purpose, batch index)`` (:func:`prime_rs.search.stream`), the
simulator does not depend on threads, and Optuna's samplers are seeded and run one trial at a
time. ``threads`` sets the simulator threads of the task's built-in oracle for the run (other
oracles own their parallelism: ``jobs``); it changes the speed, never the result. A method may stop below its
budget when it can no longer find new designs within the area budget (a guard against an
endless loop; ``simulator_calls`` says what was used).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np

from prime_rs.checks import count
from prime_rs.errors import InvalidArgumentError, MissingDependencyError
from prime_rs.oracles import BuiltinOracle
from prime_rs.progress import Progress, ProgressArg
from prime_rs.search import (
    AgingSettings,
    BOSettings,
    Proposer,
    RandomSettings,
    make_proposer,
    run_on_oracle,
)
from prime_rs.search._aging import AgingEvolution
from prime_rs.search._optuna import BayesianOptimization
from prime_rs.search._random import RandomSearch
from prime_rs.search.results import BaselineResult, Curve
from prime_rs.task import Task

__all__ = [
    "BaselineResult",
    "Curve",
    "MissingDependencyError",
    "Progress",
    "bayesian_optimization",
    "calls_to_match",
    "random_search",
    "regularized_evolution",
    "run_baseline",
]


def calls_to_match(result: BaselineResult, target_latency_ms: float) -> int | None:
    """Simulator calls after which ``result``'s best-so-far geometric-mean latency first reached
    ``target_latency_ms`` (at or below it); None if it never did within its calls."""
    try:
        target = float(target_latency_ms)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"target latency must be a number of ms, got {target_latency_ms!r}"
        ) from None
    if isinstance(target_latency_ms, bool) or not (target > 0) or math.isnan(target):
        raise InvalidArgumentError(f"target latency must be positive, got {target_latency_ms!r}")
    if math.isinf(target):
        return 1 if result.simulator_calls > 0 else None
    # Compare in objective space with a hair of slack: a target computed by the same simulator
    # (e.g. PRIME's verified design) must match exactly despite exp/log round-off.
    reached = result.curve.objective >= -math.log(target) - 1e-12
    hits = np.flatnonzero(reached)
    return int(result.curve.calls[hits[0]]) if hits.size else None


def _check_task(task: Any) -> Task:
    if not isinstance(task, Task):
        raise InvalidArgumentError(f"task must be a prime_rs.task.Task, got {type(task).__name__}")
    return task


@contextmanager
def _simulator_threads(task: Task, threads: int | None) -> Iterator[None]:
    """The task's built-in oracle runs with ``threads`` for the duration of one run."""
    oracle = task.oracle
    if threads is None or not isinstance(oracle, BuiltinOracle):
        yield
        return
    before = oracle.threads
    oracle.threads = threads
    try:
        yield
    finally:
        oracle.threads = before


def _run(
    task: Task, proposer: Proposer, budget: int, threads: int | None, progress: ProgressArg
) -> BaselineResult:
    with _simulator_threads(task, threads):
        return run_on_oracle(task, proposer, budget, progress=progress)


def run_baseline(
    method: str,
    task: Task,
    budget: int,
    seed: int = 0,
    *,
    threads: int | None = None,
    progress: ProgressArg = None,
    **knobs: Any,
) -> BaselineResult:
    """Any search method of :data:`prime_rs.search.PROPOSERS` (or an alias) on ``task`` with
    ``budget`` simulator calls; ``knobs`` are the method's settings."""
    task = _check_task(task)
    budget = count(budget, "budget", 1)
    proposer = make_proposer(
        method, seed=seed, area_budget=task.area_budget, budget=budget, **knobs
    )
    return _run(task, proposer, budget, threads, progress)


def random_search(
    task: Task,
    budget: int,
    seed: int = 0,
    *,
    batch_size: int = 4096,
    max_draws: int | None = None,
    threads: int | None = None,
    progress: ProgressArg = None,
) -> BaselineResult:
    """Uniform random designs, simulated in batches until ``budget`` calls are spent.

    Each batch draws ``batch_size`` designs (stream ``(seed, batch index)``), drops those over
    the area budget for free, and simulates the new ones (one simulator run per application per
    batch). A smaller budget replays a prefix of a larger one. Stops early after ``max_draws``
    draws (default ``max(10**6, 100 * budget)``) if the area budget rejects nearly everything.
    """
    task, budget = _check_task(task), count(budget, "budget", 1)
    settings = RandomSettings(batch_size=batch_size, max_draws=max_draws).for_budget(budget)
    proposer = RandomSearch(settings, seed=seed, area_budget=task.area_budget)
    return _run(task, proposer, budget, threads, progress)


def regularized_evolution(
    task: Task,
    budget: int,
    seed: int = 0,
    *,
    population: int = 64,
    tournament: int = 8,
    children: int = 16,
    crossover_prob: float = 0.5,
    mutation_rate: float = 0.1,
    step_prob: float = 0.5,
    max_stall: int = 1000,
    threads: int | None = None,
    progress: ProgressArg = None,
) -> BaselineResult:
    """Regularised ("aging") evolution (Real et al., AAAI 2019), batched per generation
    (:class:`prime_rs.search.AgingEvolution`).

    The population starts as ``population`` random designs within the area budget. Each
    generation breeds ``children`` designs with :func:`prime_rs.search.next_generation`
    (tournaments of ``tournament``, uniform crossover with ``crossover_prob``, mutation), keeps
    only children within the area budget (free: area is analytic), simulates them in one batch,
    appends the newly simulated ones (a design seen before is not re-admitted) and removes the
    *oldest* members so the population keeps its size. Invalid designs have fitness -inf and
    age out. Stops early after ``max_stall`` consecutive generations that spend no call (every
    child already seen).
    """
    task, budget = _check_task(task), count(budget, "budget", 1)
    settings = AgingSettings(
        population=population,
        tournament=tournament,
        children=children,
        crossover_prob=crossover_prob,
        mutation_rate=mutation_rate,
        step_prob=step_prob,
        max_stall=max_stall,
    ).for_budget(budget)
    proposer = AgingEvolution(settings, seed=seed, area_budget=task.area_budget)
    return _run(task, proposer, budget, threads, progress)


def bayesian_optimization(
    task: Task,
    budget: int,
    seed: int = 0,
    *,
    sampler: Literal["tpe", "gp"] = "tpe",
    n_startup_trials: int = 10,
    max_trials: int | None = None,
    threads: int | None = None,
    progress: ProgressArg = None,
) -> BaselineResult:
    """Bayesian optimisation with Optuna, one trial (one design) at a time
    (:class:`prime_rs.search.BayesianOptimization`).

    Each parameter is a categorical over its value *indices*. ``sampler="tpe"`` is Optuna's
    multivariate TPE; ``sampler="gp"`` is Optuna's Gaussian-process sampler (needs PyTorch; its
    cost grows cubically with the trials, so keep ``budget`` to a few hundred). Both are seeded;
    invalid designs report a finite penalty (``prime_rs.search._optuna.PENALTY_OBJECTIVE``).
    Trials proposing an over-area or already-seen design cost no call but are still trials, and
    Optuna's per-trial cost grows with the number of trials (TPE: quadratic total time), so BO
    is the slowest baseline per call; the run stops after ``max_trials`` trials (default
    ``10 * budget + 100``) even if calls are left. Optuna's logging is silenced for the run.
    """
    task, budget = _check_task(task), count(budget, "budget", 1)
    settings = BOSettings(
        sampler=sampler, n_startup_trials=n_startup_trials, max_trials=max_trials
    ).for_budget(budget)
    proposer = BayesianOptimization(settings, seed=seed, area_budget=task.area_budget)
    return _run(task, proposer, budget, threads, progress)
