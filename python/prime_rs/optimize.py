"""Offline optimisation: evolutionary search over a trained surrogate under a hard area budget,
then verification of the best K proposals with the simulator.

The search never calls the simulator: the surrogate scores designs and the analytic area model
(``prime_rs.area``, not a simulation) rejects over-budget ones. It is a (mu + lambda)
evolutionary search with the native breeding kernel (``prime_rs.search.next_generation``):
tournament selection, uniform crossover, step/resample mutation; survivors are the best distinct
designs seen so far. Seeded and deterministic; warm-started from the best logged designs, as
COMs and PRIME do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import prime_rs
from prime_rs import search
from prime_rs.errors import InvalidArgumentError
from prime_rs.objective import DEFAULT_AREA_BUDGET, check_area_budget
from prime_rs.space import SPACE

ScoreFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class SearchConfig:
    """Knobs of the surrogate search (defaults sized for a 2-core CPU: about 50k surrogate
    evaluations)."""

    population: int = 512
    generations: int = 80
    candidates: int = 128
    tournament_size: int = 8
    crossover_prob: float = 0.5
    mutation_rate: float = 0.15
    step_prob: float = 0.6

    def __post_init__(self) -> None:
        for name in ("population", "generations", "candidates", "tournament_size"):
            v = getattr(self, name)
            least = 0 if name == "generations" else 1
            if not isinstance(v, int) or v < least:
                raise InvalidArgumentError(f"{name} must be an integer >= {least}, got {v!r}")
        for name in ("crossover_prob", "mutation_rate", "step_prob"):
            v = getattr(self, name)
            if not 0.0 <= float(v) <= 1.0:
                raise InvalidArgumentError(f"{name} must be in [0, 1], got {v!r}")


@dataclass
class SearchResult:
    """The K best distinct in-budget designs by surrogate score, best first."""

    designs: np.ndarray
    scores: np.ndarray
    #: Best surrogate score after each generation (generation 0 = the initial population).
    best_per_generation: np.ndarray
    evaluations: int
    extra: dict[str, float] = field(default_factory=dict)


def sample_within_area(n: int, area_budget: float, seed: int) -> np.ndarray:
    """n uniformly random designs whose area is within the budget (rejection sampling)."""
    budget = check_area_budget(area_budget)
    found: list[np.ndarray] = []
    have = 0
    for round_ in range(1000):
        batch = SPACE.sample(max(4 * n, 4096), seed=seed * 1009 + round_)
        ok = batch[prime_rs.area(batch) <= budget]
        found.append(ok)
        have += len(ok)
        if have >= n:
            break
    pool = np.concatenate(found) if found else np.zeros((0, SPACE.n_params), np.uint8)
    if len(pool) == 0:
        raise InvalidArgumentError(
            f"uniform sampling found no design within {budget:g} mm²; raise the budget"
        )
    return pool[:n]


def _distinct_best(
    designs: np.ndarray, scores: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-scores, kind="stable")
    designs, scores = designs[order], scores[order]
    _, first = SPACE.unique(designs, return_index=True)
    keep = first[:k]
    return designs[keep], scores[keep]


def surrogate_search(
    score_fn: ScoreFn,
    area_budget: float = DEFAULT_AREA_BUDGET,
    *,
    seed: int = 0,
    init: np.ndarray | None = None,
    config: SearchConfig | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> SearchResult:
    """Maximise ``score_fn`` (higher is better) over designs with area <= ``area_budget``.

    ``init``: designs to warm-start from (e.g. the best logged ones); over-budget ones are
    dropped, and the population is topped up with random in-budget designs.
    """
    cfg = config or SearchConfig()
    budget = check_area_budget(area_budget)
    start = np.zeros((0, SPACE.n_params), np.uint8) if init is None else SPACE.validate(init)
    if len(start):
        start = start[prime_rs.area(start) <= budget]
    need = max(cfg.population - len(start), 0)
    pop = np.concatenate([start, sample_within_area(need, budget, seed)]) if need else start
    pop = SPACE.unique(pop)
    fit = np.asarray(score_fn(pop), dtype=np.float64)
    evaluations = len(pop)
    best = [float(fit.max())]
    archive_d, archive_s = [pop], [fit]
    for gen in range(1, cfg.generations + 1):
        children = search.next_generation(
            pop,
            fit,
            cfg.population,
            seed=seed * 100_003 + gen,
            tournament_size=cfg.tournament_size,
            crossover_prob=cfg.crossover_prob,
            mutation_rate=cfg.mutation_rate,
            step_prob=cfg.step_prob,
        )
        children = children[prime_rs.area(children) <= budget]
        if len(children):
            child_fit = np.asarray(score_fn(children), dtype=np.float64)
            evaluations += len(children)
            archive_d.append(children)
            archive_s.append(child_fit)
            pop, fit = _distinct_best(
                np.concatenate([pop, children]), np.concatenate([fit, child_fit]), cfg.population
            )
        best.append(float(fit.max()))
        if progress is not None:
            progress(gen, best[-1])
    designs, scores = _distinct_best(
        np.concatenate(archive_d), np.concatenate(archive_s), cfg.candidates
    )
    return SearchResult(
        designs=designs,
        scores=scores,
        best_per_generation=np.asarray(best),
        evaluations=evaluations,
    )
