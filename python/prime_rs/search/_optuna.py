"""Bayesian optimisation with Optuna, one trial (one design) per batch.

Each parameter is an ``IntDistribution`` over its value *index*: the values are ordered
(PE counts, memory sizes, bandwidths), and an ordered encoding lets TPE's Parzen estimators and
the GP's kernel use the neighbourhood a categorical would throw away. With ``storage`` (any
Optuna storage URL, e.g. ``sqlite:///bo.db``) the study is kept there, so a BO run opens in
optuna-dashboard; :func:`export_candidates` adds PRIME's verified candidates to a study in the
same encoding, so both sit side by side.
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from prime_rs.checks import count
from prime_rs.errors import InvalidArgumentError, MissingDependencyError
from prime_rs.search._base import Proposer, ProposerSettings, told
from prime_rs.search._seeds import stream
from prime_rs.space import SPACE, DesignsLike

#: The value Optuna is told for an invalid design (over the area budget, or infeasible on some
#: application): -log(10 s), or 1 below the worst valid design seen so far when one is slower,
#: less log(area / budget) for a design over the budget.
#: A finite value keeps the GP's standardisation sane; TPE only ranks values, so invalid trials
#: simply land in its "bad" group. (Optuna's constraint API changed between 4.x and 5.x, so the
#: penalty is the portable way to say "invalid".)
PENALTY_OBJECTIVE = -math.log(1e4)


@dataclass(frozen=True)
class BOSettings(ProposerSettings):
    #: "tpe": Optuna's multivariate TPE; "gp": its Gaussian-process sampler (needs PyTorch).
    sampler: str = "tpe"
    n_startup_trials: int = 10
    #: Stop after this many trials (a trial proposing a seen or over-area design costs no call;
    #: None: ``10 * budget + 100`` under a simulator budget, unlimited otherwise).
    max_trials: int | None = None
    #: An Optuna storage URL (e.g. ``sqlite:///bo.db``) to keep the study in; None: memory.
    storage: str | None = None
    #: The study's name in ``storage`` (None: ``bo-<sampler>-seed<seed>``).
    study_name: str | None = None

    _counts: ClassVar[tuple[str, ...]] = ("n_startup_trials",)

    def __post_init__(self) -> None:
        if self.sampler not in ("tpe", "gp"):
            raise InvalidArgumentError(f"sampler must be 'tpe' or 'gp', got {self.sampler!r}")
        super().__post_init__()
        if self.max_trials is not None:
            object.__setattr__(self, "max_trials", count(self.max_trials, "max_trials", 1))
        for name in ("storage", "study_name"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise InvalidArgumentError(f"{name} must be a non-empty string, got {value!r}")

    def for_budget(self, budget: int) -> BOSettings:
        if self.max_trials is not None:
            return self
        return replace(self, max_trials=10 * budget + 100)


def distributions(optuna: Any) -> dict[str, Any]:
    """The search space in Optuna's terms: each parameter an integer over its value index."""
    return {
        name: optuna.distributions.IntDistribution(0, card - 1)
        for name, card in zip(SPACE.names, SPACE.cardinalities, strict=True)
    }


def _storage(optuna: Any, url: str) -> Any:
    try:
        return optuna.storages.get_storage(url)
    except Exception as exc:  # Optuna raises SQLAlchemy's, ValueError, ... for a bad URL
        raise InvalidArgumentError(f"cannot open Optuna storage {url!r}: {exc}") from None


def _new_study(optuna: Any, storage: str | None, name: str | None, sampler: Any = None) -> Any:
    """A fresh study; one of that name already in ``storage`` is an error, never overwritten."""
    store = None if storage is None else _storage(optuna, storage)
    try:
        return optuna.create_study(
            direction="maximize", sampler=sampler, storage=store, study_name=name
        )
    except optuna.exceptions.DuplicatedStudyError:
        raise InvalidArgumentError(
            f"study {name!r} already exists in {storage}: delete it "
            f"(optuna delete-study --storage {storage} --study-name {name}) or choose another "
            "study_name"
        ) from None


def export_candidates(
    designs: DesignsLike,
    mean_latency_ms: npt.ArrayLike,
    feasible: npt.ArrayLike,
    storage: str,
    study_name: str,
) -> int:
    """Add designs and their verified results (e.g. a run's ``candidates.parquet``) to a new
    study in ``storage`` as finished trials, in BO's encoding and objective (-log latency;
    invalid designs as failed trials), so they open in optuna-dashboard next to BO runs.
    Returns the number of trials written."""
    rows = SPACE.validate(designs)
    lat = np.asarray(mean_latency_ms, dtype=np.float64).reshape(-1)
    ok = np.asarray(feasible, dtype=bool).reshape(-1)
    if not (len(rows) == len(lat) == len(ok)):
        raise InvalidArgumentError(
            f"designs, latencies and feasibility differ in length: {len(rows)}, {len(lat)}, "
            f"{len(ok)}"
        )
    with _quiet() as optuna:
        study = _new_study(optuna, storage, study_name)
        dist = distributions(optuna)
        trials = []
        for row, latency, good in zip(rows.tolist(), lat.tolist(), ok.tolist(), strict=True):
            valid = good and math.isfinite(latency) and latency > 0
            trials.append(
                optuna.trial.create_trial(
                    params=dict(zip(SPACE.names, row, strict=True)),
                    distributions=dist,
                    value=-math.log(latency) if valid else None,
                    state=optuna.trial.TrialState.COMPLETE
                    if valid
                    else optuna.trial.TrialState.FAIL,
                )
            )
        study.add_trials(trials)
    return len(trials)


@contextmanager
def _quiet() -> Iterator[Any]:
    """Optuna with its logging silenced and its experimental-feature warnings ignored (they
    are not the user's concern), restored afterwards."""
    import optuna

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield optuna
    finally:
        optuna.logging.set_verbosity(verbosity)


class BayesianOptimization(Proposer):
    """Each parameter is an integer over its value *indices*. Both samplers are seeded from
    stream ``(seed, "bo")``; invalid designs report :data:`PENALTY_OBJECTIVE`. Optuna's cost
    per trial grows with the trials (TPE: quadratic total time, GP: cubic), which is why
    ``compare`` caps BO's budget."""

    name = "bayesian_optimization"
    Settings = BOSettings
    settings: BOSettings
    compare_budget = 1000

    def __init__(self, settings: BOSettings | None = None, **kw: Any) -> None:
        super().__init__(settings, **kw)
        self.trials = 0
        self.worst_valid = math.inf
        self._study: Any = None
        self._trial: Any = None
        self._distributions: dict[str, Any] = {}
        #: (design, value told) of every trial: the state, replayed on restore.
        self._history: list[tuple[list[int], float]] = []

    @property
    def label(self) -> str:
        return f"bo-{self.settings.sampler}"

    @property
    def done(self) -> bool:
        limit = self.settings.max_trials
        return limit is not None and self.trials >= limit

    def _sampler(self, optuna: Any) -> Any:
        s = self.settings
        seed = stream(self.seed, "bo", bits=32)
        if s.sampler == "tpe":
            return optuna.samplers.TPESampler(
                seed=seed, n_startup_trials=s.n_startup_trials, multivariate=True
            )
        if importlib.util.find_spec("torch") is None:  # Optuna's GP sampler is built on PyTorch
            raise MissingDependencyError(
                "sampler='gp' needs PyTorch (Optuna's GPSampler is built on it): "
                "pip install torch, or use sampler='tpe'"
            )
        return optuna.samplers.GPSampler(
            seed=seed, n_startup_trials=s.n_startup_trials, deterministic_objective=True
        )

    @property
    def study_name(self) -> str:
        return self.settings.study_name or f"{self.label}-seed{self.seed}"

    def _start(self, optuna: Any, *, replace_stored: bool = False) -> None:
        s = self.settings
        if replace_stored and s.storage is not None:
            # A restore rebuilds the study from the checkpoint: the stored copy is that study.
            try:
                optuna.delete_study(study_name=self.study_name, storage=_storage(optuna, s.storage))
            except KeyError:
                pass
        self._study = _new_study(optuna, s.storage, self.study_name, self._sampler(optuna))
        self._distributions = distributions(optuna)

    def ask(self, n: int | None = None) -> npt.NDArray[np.uint8]:
        with _quiet() as optuna:
            if self._study is None:
                self._start(optuna)
            self._trial = self._study.ask(self._distributions)
        return np.array([[self._trial.params[p] for p in SPACE.names]], dtype=np.uint8)

    def tell(
        self, designs: DesignsLike, scores: npt.ArrayLike, new: npt.ArrayLike | None = None
    ) -> None:
        rows, fit, _ = told(designs, scores, new)
        if self._trial is None or len(fit) != 1:
            raise InvalidArgumentError("tell BO the score of the one design it last proposed")
        obj = float(fit[0])
        if math.isfinite(obj):
            self.worst_valid = min(self.worst_valid, obj)
            value = obj
        else:
            value = min(PENALTY_OBJECTIVE, self.worst_valid - 1.0) - self._overshoot(rows)
        with _quiet():
            self._study.tell(self._trial, value)
        self._history.append(([int(self._trial.params[p]) for p in SPACE.names], value))
        self._trial = None
        self.trials += 1

    def _overshoot(self, rows: np.ndarray) -> float:
        """log(area / budget) of a design over the area budget (0 within it), by the analytic
        area model. Graded this way, the penalty points an ordered encoding towards smaller
        chips; a flat one leaves TPE's "good" group full of equally penalised oversized
        designs, and most trials then land over the budget."""
        if self.area_budget is None:
            return 0.0
        from prime_rs.simulator import area

        return max(0.0, math.log(float(area(rows)[0]) / self.area_budget))

    def params(self) -> dict[str, Any]:
        s = self.settings
        return {"sampler": s.sampler, "n_startup_trials": s.n_startup_trials, "trials": self.trials}

    def _state(self) -> dict[str, Any]:
        if self._trial is not None:
            raise InvalidArgumentError("BO's state is taken between trials, not after an ask")
        return {
            "trials": self.trials,
            "worst_valid": self.worst_valid,
            "history": [(list(d), v) for d, v in self._history],
        }

    def _restore(self, state: dict[str, Any]) -> None:
        # Optuna's sampler is deterministic given its seed and the trials told, so replaying
        # the history rebuilds the study exactly, random state included, from plain numbers.
        history = [([int(x) for x in d], float(v)) for d, v in state["history"]]
        self._study, self._trial, self._history = None, None, []
        if history:
            with _quiet() as optuna:
                self._start(optuna, replace_stored=True)
                for design, value in history:
                    trial = self._study.ask(self._distributions)
                    if [trial.params[p] for p in SPACE.names] != design:
                        raise InvalidArgumentError(
                            "BO state does not replay: it was saved with other settings or "
                            "another Optuna version"
                        )
                    self._study.tell(trial, value)
        self._history = history
        self.trials = int(state["trials"])
        self.worst_valid = float(state["worst_valid"])
