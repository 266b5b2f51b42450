"""Simulator-driven baselines (DESIGN.md section 7): random search, regularised evolution and
Bayesian optimisation, each held to an explicit simulator-call budget.

All three optimise the objective of :mod:`prime_rs.objective` (mean over applications of
-log latency; -inf unless feasible everywhere and within the area budget) and return the same
:class:`BaselineResult`, with the best-so-far curve that the comparison protocol reads
("how many simulator calls does each method need to match PRIME": :func:`calls_to_match`).

How simulator calls are counted:

- one **simulator call** is one *design* evaluated, however many applications the task has
  (all applications of a design are simulated together, as PRIME's multi-task setting does);
- a design over the area budget is rejected by the analytic area model and costs **no call**
  (area is not a simulation, DESIGN.md section 6);
- a design seen before costs **no call**: results are cached by design id
  (:meth:`prime_rs.space.DesignSpace.to_ids`);
- ``budget`` is a hard cap: a batch that would overrun it is cut to the calls left, in order.

Every method is deterministic for a seed, whatever the thread count: random draws come from
streams derived from ``(seed, method, batch index)``, the simulator does not depend on threads,
and Optuna's samplers are seeded and run one trial at a time. A method may stop below its
budget when it can no longer find new designs within the area budget (a guard against an
endless loop; ``simulator_calls`` says what was used).
"""

from __future__ import annotations

import importlib.util
import math
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from prime_rs.checks import count, probability
from prime_rs.checks import seed as check_seed
from prime_rs.errors import InvalidArgumentError, MissingDependencyError
from prime_rs.objective import Evaluation, Task
from prime_rs.search import next_generation
from prime_rs.space import SPACE, DesignsLike

__all__ = [
    "BaselineResult",
    "Curve",
    "MissingDependencyError",
    "Progress",
    "bayesian_optimization",
    "calls_to_match",
    "random_search",
    "regularized_evolution",
]


class Progress(NamedTuple):
    """What a progress callback receives after each batch of simulator calls."""

    method: str
    simulator_calls: int
    budget: int
    best_objective: float  # -inf until a valid design is found
    best_mean_latency_ms: float  # inf until a valid design is found


ProgressArg = bool | Callable[[Progress], None] | None


@dataclass(frozen=True)
class Curve:
    """Best-so-far trace: after ``calls[i]`` simulator calls the best objective was
    ``objective[i]`` (``-inf`` before the first valid design), i.e. a geometric-mean latency of
    ``latency_ms[i]`` (``inf`` before). ``calls`` is ``1 .. simulator_calls``."""

    calls: npt.NDArray[np.int64]
    objective: npt.NDArray[np.float64]
    latency_ms: npt.NDArray[np.float64]


@dataclass(frozen=True)
class BaselineResult:
    """Outcome of one baseline run.

    ``evaluated`` holds every simulated design in call order (row ``i`` is call ``i + 1``):
    ``design`` (n, 10) uint8, ``id`` (n,) uint64, ``latency_ms`` (n, n_apps) float64 (+inf when
    infeasible), ``reason`` (n, n_apps) uint8, ``feasible`` (n,) bool (on every application),
    ``area_mm2`` (n,), ``objective`` (n,) float64. Designs rejected by area alone were never
    simulated; ``area_rejected`` counts them. When no valid design was found, ``best_design`` is
    None, ``best_latency_ms`` is empty and ``best_mean_latency_ms`` is inf.
    """

    method: str
    seed: int
    budget: int
    applications: tuple[str, ...]
    area_budget: float
    simulator_calls: int
    best_design: npt.NDArray[np.uint8] | None
    best_latency_ms: dict[str, float]
    best_mean_latency_ms: float
    best_objective: float
    best_area_mm2: float
    curve: Curve
    evaluated: dict[str, np.ndarray]
    area_rejected: int
    wall_time_s: float
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        """Whether any valid design was found."""
        return self.best_design is not None

    def top_k(self, k: int) -> dict[str, np.ndarray]:
        """The ``k`` best distinct valid designs (fewer if fewer were found), best first (ties
        in call order), with the columns of ``evaluated``."""
        k = count(k, "k", 1)
        obj = self.evaluated["objective"]
        valid = np.flatnonzero(np.isfinite(obj))
        order = valid[np.argsort(-obj[valid], kind="stable")][:k]
        return {name: col[order] for name, col in self.evaluated.items()}

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (no per-design arrays)."""
        return {
            "method": self.method,
            "seed": self.seed,
            "budget": self.budget,
            "applications": list(self.applications),
            "area_budget_mm2": self.area_budget,
            "simulator_calls": self.simulator_calls,
            "area_rejected": self.area_rejected,
            "found": self.found,
            "best_design": None
            if self.best_design is None
            else SPACE.as_dicts(self.best_design)[0],
            "best_latency_ms": dict(self.best_latency_ms),
            "best_mean_latency_ms": _json_float(self.best_mean_latency_ms),
            "best_objective": _json_float(self.best_objective),
            "best_area_mm2": _json_float(self.best_area_mm2),
            "wall_time_s": self.wall_time_s,
            "params": dict(self.params),
        }


def _json_float(x: float) -> float | None:
    return x if math.isfinite(x) else None


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


# --- shared machinery ----------------------------------------------------------------------

_STREAMS = {"random": 1, "evolution-init": 2, "evolution": 3, "bo": 4}


def _stream(seed: int, purpose: str, index: int) -> int:
    """A 64-bit seed for draw ``index`` of ``purpose``: independent streams per seed."""
    ss = np.random.SeedSequence([seed, _STREAMS[purpose], index])
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def _check_task(task: Any) -> Task:
    if not isinstance(task, Task):
        raise InvalidArgumentError(
            f"task must be a prime_rs.objective.Task, got {type(task).__name__}"
        )
    return task


@contextmanager
def _progress_sink(
    progress: ProgressArg, method: str, budget: int
) -> Iterator[Callable[[Progress], None] | None]:
    if progress is None or progress is False:
        yield None
    elif progress is True:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        with RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("best {task.fields[best]}"),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            job = bar.add_task(method, total=budget, best="-")

            def update(p: Progress) -> None:
                best = f"{p.best_mean_latency_ms:.4g} ms" if p.best_objective > -np.inf else "-"
                bar.update(job, completed=p.simulator_calls, best=best)

            yield update
    elif callable(progress):
        yield progress
    else:
        raise InvalidArgumentError(
            f"progress must be True, False, None or a callable, got {type(progress).__name__}"
        )


class _Ledger:
    """Spends the simulator budget: caches by design id, rejects over-area designs for free,
    truncates batches at the budget, and records the best-so-far curve."""

    def __init__(
        self,
        task: Task,
        budget: int,
        threads: int | None,
        report: Callable[[Progress], None] | None,
        method: str,
    ) -> None:
        self.task = task
        self.budget = budget
        self.threads = threads
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

    def score(self, designs: DesignsLike) -> npt.NDArray[np.float64]:
        """Objective of each design; NaN for new designs left unevaluated by the budget."""
        return self.score_new(designs)[0]

    def score_new(
        self, designs: DesignsLike
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """Objectives (as :meth:`score`) and which rows were simulated by this call (the first
        occurrence of each design not seen before, within the budget)."""
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
                self._simulate(rows[todo], ids[todo])
        else:
            todo = new
        simulated = np.zeros(len(ids), dtype=bool)
        simulated[todo] = True
        objective = np.array([self.seen.get(int(i), np.nan) for i in ids], dtype=np.float64)
        return objective, simulated

    def _simulate(self, rows: np.ndarray, ids: np.ndarray) -> None:
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

    def result(self, seed: int, wall: float, params: dict[str, Any]) -> BaselineResult:
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
                "reason": np.empty((0, m), dtype=np.uint8),
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
        )


def _start(task: Any, budget: Any, seed: Any, threads: int | None) -> tuple[Task, int, int, float]:
    return _check_task(task), count(budget, "budget", 1), check_seed(seed), time.perf_counter()


# --- random search -------------------------------------------------------------------------


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
    task, budget, seed, t0 = _start(task, budget, seed, threads)
    batch_size = count(batch_size, "batch_size", 1)
    limit = max(10**6, 100 * budget) if max_draws is None else count(max_draws, "max_draws", 1)
    drawn = 0
    with _progress_sink(progress, "random", budget) as report:
        ledger = _Ledger(task, budget, threads, report, "random")
        batch = 0
        while not ledger.exhausted and drawn < limit:
            n = min(batch_size, limit - drawn)
            ledger.score(SPACE.sample(n, seed=_stream(seed, "random", batch)))
            drawn += n
            batch += 1
    params = {"batch_size": batch_size, "designs_drawn": drawn}
    return ledger.result(seed, time.perf_counter() - t0, params)


# --- regularised evolution -----------------------------------------------------------------


def _sample_within_area(task: Task, n: int, seed: int, limit: int) -> np.ndarray:
    """``n`` random designs within the area budget (fewer if ``limit`` draws do not give n)."""
    found: list[np.ndarray] = []
    have = drawn = batch = 0
    while have < n and drawn < limit:
        d = SPACE.sample(max(4 * n, 1024), seed=_stream(seed, "evolution-init", batch))
        ok = d[task.within_area(d)]
        found.append(ok[: n - have])
        have += min(len(ok), n - have)
        drawn += len(d)
        batch += 1
    return np.concatenate(found) if found else np.empty((0, SPACE.n_params), dtype=np.uint8)


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
    """Regularised ("aging") evolution (Real et al., AAAI 2019), batched per generation.

    The population starts as ``population`` random designs within the area budget. Each
    generation breeds ``children`` designs with :func:`prime_rs.search.next_generation`
    (tournaments of ``tournament``, uniform crossover with ``crossover_prob``, mutation), keeps
    only children within the area budget (free: area is analytic), simulates them in one batch,
    appends the newly simulated ones (a design seen before is not re-admitted) and removes the
    *oldest* members so the population keeps its size. Invalid designs have fitness -inf and
    age out. Stops early after ``max_stall``
    consecutive generations that spend no call (every child already seen).
    """
    task, budget, seed, t0 = _start(task, budget, seed, threads)
    population = count(population, "population", 1)
    tournament = count(tournament, "tournament", 1)
    children = count(children, "children", 1)
    max_stall = count(max_stall, "max_stall", 1)
    crossover_prob = probability(crossover_prob, "crossover_prob")
    mutation_rate = probability(mutation_rate, "mutation_rate")
    step_prob = probability(step_prob, "step_prob")
    draw_limit = max(10**6, 100 * budget)
    with _progress_sink(progress, "evolution", budget) as report:
        ledger = _Ledger(task, budget, threads, report, "evolution")
        pop = _sample_within_area(task, population, seed, draw_limit)
        fit = ledger.score(pop)
        kept = ~np.isnan(fit)  # the budget may end inside the initial population
        pop, fit = pop[kept], fit[kept]
        gen = stall = 0
        while not ledger.exhausted and stall < max_stall and len(pop):
            # Breed a surplus so that area rejections rarely leave the generation short.
            cand = next_generation(
                pop,
                fit,
                4 * children,
                seed=_stream(seed, "evolution", gen),
                tournament_size=tournament,
                crossover_prob=crossover_prob,
                mutation_rate=mutation_rate,
                step_prob=step_prob,
            )
            gen += 1
            kids = cand[task.within_area(cand)][:children]
            kid_fit, fresh = ledger.score_new(kids)
            # Only designs simulated now join: re-admitting already-seen designs would let
            # clones of the incumbent take over the population once the search converges.
            pop = np.concatenate([pop, kids[fresh]])[-population:]
            fit = np.concatenate([fit, kid_fit[fresh]])[-population:]
            stall = 0 if fresh.any() else stall + 1
    params = {
        "population": population,
        "tournament": tournament,
        "children": children,
        "crossover_prob": crossover_prob,
        "mutation_rate": mutation_rate,
        "step_prob": step_prob,
        "generations": gen,
    }
    return ledger.result(seed, time.perf_counter() - t0, params)


# --- Bayesian optimisation (Optuna) --------------------------------------------------------

#: The value Optuna is told for an invalid design (over the area budget, or infeasible on some
#: application): -log(10 s), or 1 below the worst valid design seen so far when one is slower.
#: A finite value keeps the GP's standardisation sane; TPE only ranks values, so invalid trials
#: simply land in its "bad" group. (Optuna's constraint API changed between 4.x and 5.x, so the
#: penalty is the portable way to say "invalid".)
_PENALTY_OBJECTIVE = -math.log(1e4)


def _make_sampler(kind: str, seed: int, n_startup_trials: int) -> Any:
    import optuna

    sampler_seed = int(np.random.SeedSequence([seed, _STREAMS["bo"]]).generate_state(1)[0])
    if kind == "tpe":
        return optuna.samplers.TPESampler(
            seed=sampler_seed, n_startup_trials=n_startup_trials, multivariate=True
        )
    if importlib.util.find_spec("torch") is None:  # Optuna's GP sampler is built on PyTorch
        raise MissingDependencyError(
            "sampler='gp' needs PyTorch (Optuna's GPSampler is built on it): "
            "pip install torch, or use sampler='tpe'"
        )
    return optuna.samplers.GPSampler(
        seed=sampler_seed, n_startup_trials=n_startup_trials, deterministic_objective=True
    )


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
    """Bayesian optimisation with Optuna, one trial (one design) at a time.

    Each parameter is a categorical over its value *indices*. ``sampler="tpe"`` is Optuna's
    multivariate TPE; ``sampler="gp"`` is Optuna's Gaussian-process sampler (needs PyTorch; its
    cost grows cubically with the trials, so keep ``budget`` to a few hundred). Both are seeded;
    invalid designs report a finite penalty (see ``_PENALTY_OBJECTIVE``). Trials proposing an
    over-area or already-seen design cost no call but are still trials, and Optuna's per-trial
    cost grows with the number of trials (TPE: quadratic total time), so BO is the slowest
    baseline per call; the run stops after ``max_trials`` trials (default
    ``10 * budget + 100``) even if calls are left. Optuna's logging is silenced for the run.
    """
    task, budget, seed, t0 = _start(task, budget, seed, threads)
    if sampler not in ("tpe", "gp"):
        raise InvalidArgumentError(f"sampler must be 'tpe' or 'gp', got {sampler!r}")
    n_startup_trials = count(n_startup_trials, "n_startup_trials", 1)
    limit = 10 * budget + 100 if max_trials is None else count(max_trials, "max_trials", 1)

    import optuna

    distributions: dict[str, optuna.distributions.BaseDistribution] = {
        name: optuna.distributions.CategoricalDistribution(list(range(card)))
        for name, card in zip(SPACE.names, SPACE.cardinalities, strict=True)
    }

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    trials = 0
    try:
        with warnings.catch_warnings():
            # Multivariate TPE is flagged experimental; that is not the user's concern.
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study = optuna.create_study(
                direction="maximize",
                sampler=_make_sampler(sampler, seed, n_startup_trials),
            )
            with _progress_sink(progress, f"bo-{sampler}", budget) as report:
                ledger = _Ledger(task, budget, threads, report, f"bo-{sampler}")
                worst_valid = math.inf
                while not ledger.exhausted and trials < limit:
                    trial = study.ask(distributions)
                    design = np.array([[trial.params[n] for n in SPACE.names]], dtype=np.uint8)
                    obj = float(ledger.score(design)[0])
                    if math.isfinite(obj):
                        worst_valid = min(worst_valid, obj)
                        value = obj
                    else:
                        value = min(_PENALTY_OBJECTIVE, worst_valid - 1.0)
                    study.tell(trial, value)
                    trials += 1
    finally:
        optuna.logging.set_verbosity(verbosity)
    params = {"sampler": sampler, "n_startup_trials": n_startup_trials, "trials": trials}
    return ledger.result(seed, time.perf_counter() - t0, params)
