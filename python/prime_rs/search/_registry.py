"""Name -> proposer: the one list of search methods (compare, the baselines and the docs read it).

Adding a method is a file with its :class:`~prime_rs.search.Proposer` subclass plus one line
here; the drivers, the budget accounting, ``compare`` and its settings come with it.
"""

from __future__ import annotations

from typing import Any

from prime_rs.errors import InvalidArgumentError
from prime_rs.search._aging import AgingEvolution
from prime_rs.search._annealing import SimulatedAnnealing
from prime_rs.search._base import Proposer
from prime_rs.search._mu_plus_lambda import MuPlusLambda
from prime_rs.search._optuna import BayesianOptimization
from prime_rs.search._random import RandomSearch

__all__ = ["ALIASES", "PROPOSERS", "make_proposer", "resolve_method"]

PROPOSERS: dict[str, type[Proposer]] = {
    cls.name: cls
    for cls in (
        RandomSearch,
        AgingEvolution,
        MuPlusLambda,
        BayesianOptimization,
        SimulatedAnnealing,
    )
}

#: Older spellings (the labels results and progress reports carry) -> (name, preset knobs).
ALIASES: dict[str, tuple[str, dict[str, Any]]] = {
    "random": ("random_search", {}),
    "evolution": ("regularized_evolution", {}),
    "bo-tpe": ("bayesian_optimization", {"sampler": "tpe"}),
    "bo-gp": ("bayesian_optimization", {"sampler": "gp"}),
}


def resolve_method(method: str) -> tuple[type[Proposer], dict[str, Any]]:
    """The proposer class a method name (or alias) means, and the knobs the alias presets."""
    if method in PROPOSERS:
        return PROPOSERS[method], {}
    if method in ALIASES:
        name, preset = ALIASES[method]
        return PROPOSERS[name], dict(preset)
    raise InvalidArgumentError(
        f"unknown search method {method!r}; known: {', '.join(PROPOSERS)} "
        f"(aliases: {', '.join(ALIASES)})"
    )


def make_proposer(
    method: str,
    *,
    seed: int = 0,
    area_budget: float | None = None,
    budget: int | None = None,
    **knobs: Any,
) -> Proposer:
    """A proposer by name with its knobs (unknown knobs are an error naming the known ones);
    ``budget``, the simulator budget it will run under, fills the limits derived from it."""
    cls, preset = resolve_method(method)
    settings = cls.Settings.from_knobs(cls.name, {**preset, **knobs})
    if budget is not None:
        settings = settings.for_budget(budget)
    return cls(settings, seed=seed, area_budget=area_budget)
