"""(mu + lambda) evolution: children compete with their parents; the best survive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from prime_rs.errors import InvalidArgumentError
from prime_rs.search._base import Proposer, ProposerSettings, best_first, told
from prime_rs.search._sampling import sample_within_area
from prime_rs.search.kernels import next_generation
from prime_rs.simulator import area
from prime_rs.space import SPACE, DesignsLike


@dataclass(frozen=True)
class MuPlusLambdaSettings(ProposerSettings):
    #: mu: the survivors kept after every generation.
    population: int = 512
    #: lambda: children bred per generation (0: as many as the population).
    children: int = 0
    tournament_size: int = 8
    crossover_prob: float = 0.5
    mutation_rate: float = 0.15
    step_prob: float = 0.6
    #: Survivors are distinct designs (a population of clones cannot explore).
    distinct: bool = True

    _counts: ClassVar[tuple[str, ...]] = ("population", "tournament_size")
    _naturals: ClassVar[tuple[str, ...]] = ("children",)
    _probabilities: ClassVar[tuple[str, ...]] = ("crossover_prob", "mutation_rate", "step_prob")


class MuPlusLambda(Proposer):
    """Warm-started from ``init`` (designs over the area budget are dropped), topped up with
    uniform designs within the budget; each generation breeds ``children`` designs with the
    native kernel, drops those over the area budget (free: area is analytic), and keeps the
    ``population`` best of parents and children.

    ``purposes`` names the seed streams of the initial sample and of breeding; the offline
    optimiser keeps its historical ones (see :mod:`prime_rs.search._seeds`).
    """

    name = "mu_plus_lambda"
    Settings = MuPlusLambdaSettings
    settings: MuPlusLambdaSettings

    def __init__(
        self,
        settings: MuPlusLambdaSettings | None = None,
        *,
        init: DesignsLike | None = None,
        purposes: tuple[str, str] = ("mu-plus-lambda-init", "mu-plus-lambda"),
        **kw: Any,
    ) -> None:
        super().__init__(settings, **kw)
        self.init = None if init is None else SPACE.validate(init)
        self.purposes = purposes
        self.started = False
        self.pop = np.empty((0, SPACE.n_params), dtype=np.uint8)
        self.fit = np.empty(0)
        self.generation = 0

    @property
    def done(self) -> bool:
        return self.started and len(self.pop) == 0

    @property
    def population(self) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64]]:
        """The survivors and their scores, best first."""
        return self.pop, self.fit

    def _within(self, designs: np.ndarray) -> np.ndarray:
        if self.area_budget is None or not len(designs):
            return designs
        return designs[area(designs) <= self.area_budget]

    def ask(self, n: int | None = None) -> npt.NDArray[np.uint8]:
        s = self.settings
        if not self.started:
            start = np.empty((0, SPACE.n_params), np.uint8) if self.init is None else self.init
            start = self._within(start)
            need = max(s.population - len(start), 0)
            if need:
                batch = max(4 * need, 4096)
                fresh = sample_within_area(
                    need,
                    self.area_budget,
                    self.streams,
                    self.purposes[0],
                    min_batch=4096,
                    max_draws=1000 * batch,
                )
                if not len(fresh):
                    raise InvalidArgumentError(
                        f"uniform sampling found no design within {self.area_budget:g} mm²; "
                        "raise the budget"
                    )
                start = np.concatenate([start, fresh])
            return SPACE.unique(start) if s.distinct else start  # type: ignore[return-value]
        self.generation += 1
        k = s.children or s.population
        if n is not None:
            k = min(k, n)
        children = next_generation(
            self.pop,
            self.fit,
            k,
            seed=self.streams.seed_for(self.purposes[1], self.generation),
            tournament_size=s.tournament_size,
            crossover_prob=s.crossover_prob,
            mutation_rate=s.mutation_rate,
            step_prob=s.step_prob,
        )
        return self._within(children)

    def tell(
        self, designs: DesignsLike, scores: npt.ArrayLike, new: npt.ArrayLike | None = None
    ) -> None:
        rows, fit, _ = told(designs, scores, new)
        scored = ~np.isnan(fit)
        rows, fit = rows[scored], fit[scored]
        if not self.started:
            self.started = True
            self.pop, self.fit = rows, fit
            return
        if len(rows):
            self.pop, self.fit = best_first(
                np.concatenate([self.pop, rows]),
                np.concatenate([self.fit, fit]),
                self.settings.population,
                self.settings.distinct,
            )

    def params(self) -> dict[str, Any]:
        return {**super().params(), "generations": self.generation}

    def _state(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "pop": self.pop.copy(),
            "fit": self.fit.copy(),
            "generation": self.generation,
        }

    def _restore(self, state: dict[str, Any]) -> None:
        self.started = bool(state["started"])
        self.pop = np.array(state["pop"], dtype=np.uint8).reshape(-1, SPACE.n_params)
        self.fit = np.array(state["fit"], dtype=np.float64)
        self.generation = int(state["generation"])
