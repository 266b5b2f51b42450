"""The proposer interface: a search algorithm that proposes designs and learns from their scores.

A proposer never owns the loop (optuna's samplers, evosax's strategies): a driver asks it for a
batch, scores the batch (simulator through an oracle, or a surrogate), and tells it the scores.
All its randomness comes from its :class:`~prime_rs.search._seeds.Streams`, so a proposer is a
deterministic function of its seed, its settings and what it was told; :meth:`Proposer.state`
and :meth:`Proposer.restore` checkpoint exactly that.

Scores are "higher is better"; ``-inf`` marks an invalid design (infeasible, over the area
budget) and ``NaN`` one the driver did not evaluate (its budget ran out). ``new`` says which
rows were evaluated for the first time by this run; a repeat still carries its score.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from prime_rs.checks import count, probability
from prime_rs.checks import seed as check_seed
from prime_rs.errors import InvalidArgumentError
from prime_rs.search._seeds import Streams
from prime_rs.space import SPACE, DesignsLike

__all__ = ["Proposer", "ProposerSettings", "best_first"]


@dataclasses.dataclass(frozen=True)
class ProposerSettings:
    """A proposer's knobs. Subclasses are frozen dataclasses; :meth:`check` validates every
    field through :mod:`prime_rs.checks` by the kind its name declares in ``_counts`` (integers
    >= 1), ``_naturals`` (integers >= 0) and ``_probabilities`` ([0, 1])."""

    _counts: ClassVar[tuple[str, ...]] = ()
    _naturals: ClassVar[tuple[str, ...]] = ()
    _probabilities: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for name in self._counts:
            object.__setattr__(self, name, count(getattr(self, name), name, 1))
        for name in self._naturals:
            object.__setattr__(self, name, count(getattr(self, name), name, 0))
        for name in self._probabilities:
            object.__setattr__(self, name, probability(getattr(self, name), name))

    def for_budget(self, budget: int) -> ProposerSettings:
        """These settings with the limits left unset (None) derived from a simulator budget;
        a proposer whose stopping rules scale with the budget overrides this."""
        return self

    @classmethod
    def knobs(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_knobs(cls, method: str, knobs: dict[str, Any]) -> ProposerSettings:
        """Settings from a mapping (e.g. compare's per-baseline table); unknown keys are an
        error naming the method and its knobs."""
        unknown = sorted(set(knobs) - set(cls.knobs()))
        if unknown:
            raise InvalidArgumentError(
                f"unknown settings for {method}: {', '.join(unknown)}; "
                f"known: {', '.join(cls.knobs())}"
            )
        return cls(**knobs)


class Proposer(ABC):
    """One search algorithm. Subclasses set ``name`` (the registry key), ``Settings`` and
    implement :meth:`ask`, :meth:`tell`, :meth:`_state` and :meth:`_restore`."""

    #: The registry key: the one spelling of the method (``prime_rs.search.PROPOSERS``).
    name: ClassVar[str]
    #: The method's knobs.
    Settings: ClassVar[type[ProposerSettings]]
    #: The largest simulator budget ``compare`` gives the method unless told otherwise (None:
    #: the largest budget reported); a method whose cost per call grows with the calls caps it.
    compare_budget: ClassVar[int | None] = None

    def __init__(
        self,
        settings: ProposerSettings | None = None,
        *,
        seed: int = 0,
        area_budget: float | None = None,
        streams: Streams | None = None,
    ) -> None:
        if settings is None:
            settings = self.Settings()
        elif not isinstance(settings, self.Settings):
            raise InvalidArgumentError(
                f"{self.name} takes {self.Settings.__name__}, got {type(settings).__name__}"
            )
        self.settings = settings
        self.seed = check_seed(seed)
        self.area_budget = None if area_budget is None else float(area_budget)
        self.streams = Streams(self.seed) if streams is None else streams

    @property
    def label(self) -> str:
        """What results and progress reports call the method (``BaselineResult.method``)."""
        return self.name

    @property
    def done(self) -> bool:
        """True when the proposer has nothing more to propose (it stops the driver)."""
        return False

    @abstractmethod
    def ask(self, n: int | None = None) -> npt.NDArray[np.uint8]:
        """The next batch of designs (at most ``n`` when given; the proposer's own batch size
        otherwise). May be empty, e.g. when every child broke the area budget."""

    @abstractmethod
    def tell(
        self,
        designs: DesignsLike,
        scores: npt.ArrayLike,
        new: npt.ArrayLike | None = None,
    ) -> None:
        """Scores of the batch last asked for (rows in the same order); ``new`` (default: all)
        marks the rows evaluated for the first time."""

    def params(self) -> dict[str, Any]:
        """Settings and counters for the run's result (``BaselineResult.params``)."""
        return dataclasses.asdict(self.settings)

    def state(self) -> dict[str, Any]:
        """Everything needed to continue exactly where the proposer stands (picklable)."""
        return {"name": self.name, "streams": self.streams.state(), **self._state()}

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state` of a proposer built with the same settings."""
        if state.get("name") != self.name:
            raise InvalidArgumentError(
                f"state of {state.get('name')!r} cannot restore a {self.name} proposer"
            )
        self.streams.restore(state["streams"])
        self._restore(state)

    @abstractmethod
    def _state(self) -> dict[str, Any]: ...

    @abstractmethod
    def _restore(self, state: dict[str, Any]) -> None: ...


def told(
    designs: DesignsLike, scores: npt.ArrayLike, new: npt.ArrayLike | None
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """A tell's arguments checked and normalised (one home for the shape rules)."""
    rows = SPACE.validate(designs)
    try:
        fit = np.asarray(scores, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidArgumentError("scores must be numbers, one per design") from None
    if fit.shape[0] != rows.shape[0]:
        raise InvalidArgumentError(
            f"got {fit.shape[0]} scores for {rows.shape[0]} designs; tell one score per design"
        )
    fresh = np.ones(len(rows), dtype=bool) if new is None else np.asarray(new, dtype=bool)
    if fresh.shape != (len(rows),):
        raise InvalidArgumentError(f"new must have shape ({len(rows)},), got {fresh.shape}")
    return rows, fit, fresh


def best_first(
    designs: np.ndarray, scores: np.ndarray, k: int, distinct: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best rows by score (ties in row order), distinct designs when asked."""
    order = np.argsort(-scores, kind="stable")
    designs, scores = designs[order], scores[order]
    if distinct:
        _, first = SPACE.unique(designs, return_index=True)
        keep = first[:k]
        return designs[keep], scores[keep]
    return designs[:k], scores[:k]
