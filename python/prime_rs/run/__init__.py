"""`prime-rs optimize` end to end, split by job: logged data -> conservative surrogate ->
offline search -> verification through an oracle -> a run directory (config.toml, meta.json,
model/, search.jsonl, candidates.parquet or proposals.*, best.json, report.md, plots/).

* :mod:`~prime_rs.run.settings`: :class:`OptimizeSettings` (typed, read from TOML or given),
  :func:`load_contexts`;
* :mod:`~prime_rs.run.prepare`: :func:`prepare` resolves the world, oracle, area model and task
  and checks them before any work;
* :mod:`~prime_rs.run.logged`: the cached dataset and D(best) from the logs;
* :mod:`~prime_rs.run.optimize`: :func:`run_optimize`, the computation, returning an
  :class:`OptimizeOutcome`;
* :mod:`~prime_rs.run.artifacts`: the schemas and writers of everything the run writes.
"""

from __future__ import annotations

from prime_rs.run.artifacts import (
    Proposals,
    best_index,
    reasons,
    write_candidates,
    write_proposals,
)
from prime_rs.run.logged import cached_dataset, dataset_best, logged_best, logged_top
from prime_rs.run.optimize import (
    OptimizeOutcome,
    make_proposals,
    run_optimize,
    search_designs,
    surrogate_objective,
)
from prime_rs.run.prepare import Setup, choose_area_model, choose_oracle, prepare
from prime_rs.run.settings import (
    AREA_MODELS,
    DEFAULT_DATASET_DESIGNS,
    OptimizeSettings,
    load_contexts,
)

__all__ = [
    "AREA_MODELS",
    "DEFAULT_DATASET_DESIGNS",
    "OptimizeOutcome",
    "OptimizeSettings",
    "Proposals",
    "Setup",
    "best_index",
    "cached_dataset",
    "choose_area_model",
    "choose_oracle",
    "dataset_best",
    "load_contexts",
    "logged_best",
    "logged_top",
    "make_proposals",
    "prepare",
    "reasons",
    "run_optimize",
    "search_designs",
    "surrogate_objective",
    "write_candidates",
    "write_proposals",
]
