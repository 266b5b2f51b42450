"""Search as proposers and drivers (the optuna/evosax shape).

* a **proposer** (:class:`Proposer`: ``ask`` / ``tell`` / ``state``) is one algorithm, one file
  each: random search, regularised (aging) evolution, (mu + lambda), Bayesian optimisation
  (Optuna) and simulated annealing, all named in :data:`PROPOSERS`;
* a **driver** owns the loop: :func:`run_on_oracle` spends a simulator budget through a task's
  oracle (the simulator-driven baselines), :func:`run_on_surrogate` runs generations against a
  surrogate score (the offline optimiser);
* the shared pieces have one home each: the native breeding kernel (:func:`next_generation`),
  the sampler of designs within the area budget (:func:`sample_within_area`), the seed streams
  (:func:`stream`); progress goes out through the library's one protocol
  (:mod:`prime_rs.progress`, re-exported here).
"""

from __future__ import annotations

from prime_rs.progress import Progress, ProgressArg, ProgressCallback, resolve_progress
from prime_rs.search._aging import AgingEvolution, AgingSettings
from prime_rs.search._annealing import AnnealingSettings, SimulatedAnnealing
from prime_rs.search._base import Proposer, ProposerSettings, best_first
from prime_rs.search._mu_plus_lambda import MuPlusLambda, MuPlusLambdaSettings
from prime_rs.search._optuna import BayesianOptimization, BOSettings
from prime_rs.search._random import RandomSearch, RandomSettings
from prime_rs.search._registry import ALIASES, PROPOSERS, make_proposer, resolve_method
from prime_rs.search._sampling import sample_within_area
from prime_rs.search._seeds import GeneratorStreams, Streams, stream
from prime_rs.search.drivers import ScoreFn, run_on_oracle, run_on_surrogate
from prime_rs.search.kernels import next_generation
from prime_rs.search.results import BaselineResult, Curve, SearchResult

__all__ = [
    "ALIASES",
    "PROPOSERS",
    "AgingEvolution",
    "AgingSettings",
    "AnnealingSettings",
    "BOSettings",
    "BaselineResult",
    "BayesianOptimization",
    "Curve",
    "GeneratorStreams",
    "MuPlusLambda",
    "MuPlusLambdaSettings",
    "Progress",
    "ProgressArg",
    "ProgressCallback",
    "Proposer",
    "ProposerSettings",
    "RandomSearch",
    "RandomSettings",
    "ScoreFn",
    "SearchResult",
    "SimulatedAnnealing",
    "Streams",
    "best_first",
    "make_proposer",
    "next_generation",
    "resolve_method",
    "resolve_progress",
    "run_on_oracle",
    "run_on_surrogate",
    "sample_within_area",
    "stream",
]
