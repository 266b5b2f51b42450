"""Offline optimisation: evolutionary search over a trained surrogate under a hard area budget,
then verification of the best K proposals with the simulator.

The search never calls the simulator: the surrogate scores designs and the analytic area model
(``prime_rs.area``, not a simulation) rejects over-budget ones. It is the (mu + lambda) proposer
(:class:`prime_rs.search.MuPlusLambda`: native breeding kernel, tournament selection, uniform
crossover, step/resample mutation; survivors are the best distinct designs seen so far) run by
the surrogate driver (:func:`prime_rs.search.run_on_surrogate`). Seeded and deterministic;
warm-started from the best logged designs, as COMs and PRIME do.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from prime_rs.errors import InvalidArgumentError
from prime_rs.search import (
    MuPlusLambda,
    MuPlusLambdaSettings,
    ScoreFn,
    SearchResult,
    Streams,
    run_on_surrogate,
)
from prime_rs.search import sample_within_area as _sample_within_area
from prime_rs.task import DEFAULT_AREA_BUDGET, check_area_budget

__all__ = [
    "ScoreFn",
    "SearchConfig",
    "SearchResult",
    "SurrogateSearchConfig",
    "sample_within_area",
    "surrogate_search",
]

#: The offline optimiser's seed streams (kept from before the search package, see
#: :mod:`prime_rs.search._seeds`): its proposals, and PRIME's reported numbers, reproduce.
_PURPOSES = ("surrogate-init", "surrogate")


@dataclass(frozen=True)
class SurrogateSearchConfig:
    """Knobs of the offline search over the surrogate (defaults sized for a 2-core CPU: about 50k surrogate
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


#: The former name, kept for existing code: it collided with search-mode data generation's
#: settings (now :class:`prime_rs.data.GenerationSearchSettings`).
SearchConfig = SurrogateSearchConfig


def sample_within_area(n: int, area_budget: float, seed: int) -> np.ndarray:
    """n uniformly random designs whose area is within the budget (rejection sampling)."""
    budget = check_area_budget(area_budget)
    batch = max(4 * n, 4096)
    pool = _sample_within_area(
        n, budget, Streams(seed), _PURPOSES[0], min_batch=4096, max_draws=1000 * batch
    )
    if len(pool) == 0:
        raise InvalidArgumentError(
            f"uniform sampling found no design within {budget:g} mm²; raise the budget"
        )
    return pool


def surrogate_search(
    score_fn: ScoreFn,
    area_budget: float = DEFAULT_AREA_BUDGET,
    *,
    seed: int = 0,
    init: np.ndarray | None = None,
    config: SurrogateSearchConfig | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> SearchResult:
    """Maximise ``score_fn`` (higher is better) over designs with area <= ``area_budget``.

    ``init``: designs to warm-start from (e.g. the best logged ones); over-budget ones are
    dropped, and the population is topped up with random in-budget designs.
    """
    cfg = config or SurrogateSearchConfig()
    budget = check_area_budget(area_budget)
    settings = MuPlusLambdaSettings(
        population=cfg.population,
        tournament_size=cfg.tournament_size,
        crossover_prob=cfg.crossover_prob,
        mutation_rate=cfg.mutation_rate,
        step_prob=cfg.step_prob,
    )
    proposer = MuPlusLambda(settings, seed=seed, area_budget=budget, init=init, purposes=_PURPOSES)
    return run_on_surrogate(
        score_fn, proposer, cfg.generations, candidates=cfg.candidates, progress=progress
    )


class _Module(types.ModuleType):
    """``prime_rs.optimize`` is this module and, called, the whole job
    (:func:`prime_rs.api.optimize`): importing a submodule binds its name on the package, so a
    function of that name would be replaced by the module the first time anything imports it."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from prime_rs.api import optimize

        return optimize(*args, **kwargs)


sys.modules[__name__].__class__ = _Module
