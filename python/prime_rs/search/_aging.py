"""Regularised ("aging") evolution (Real et al., AAAI 2019), one generation per batch."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from prime_rs.checks import count
from prime_rs.search._base import Proposer, ProposerSettings, told
from prime_rs.search._sampling import sample_within_area
from prime_rs.search.kernels import next_generation
from prime_rs.simulator import area
from prime_rs.space import SPACE, DesignsLike


@dataclass(frozen=True)
class AgingSettings(ProposerSettings):
    population: int = 64
    tournament: int = 8
    #: Children bred per generation (the batch size).
    children: int = 16
    crossover_prob: float = 0.5
    mutation_rate: float = 0.1
    step_prob: float = 0.5
    #: Stop after this many consecutive generations in which no child was new.
    max_stall: int = 1000
    #: Share of every batch drawn uniformly ("immigrants"): evaluated, never admitted.
    random_fraction: float = 0.0
    #: Draws allowed to find the initial population within the area budget (None:
    #: ``max(10**6, 100 * budget)`` under a simulator budget, 10**6 otherwise).
    max_init_draws: int | None = None

    _counts: ClassVar[tuple[str, ...]] = ("population", "tournament", "children", "max_stall")
    _probabilities: ClassVar[tuple[str, ...]] = (
        "crossover_prob",
        "mutation_rate",
        "step_prob",
        "random_fraction",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_init_draws is not None:
            object.__setattr__(
                self, "max_init_draws", count(self.max_init_draws, "max_init_draws", 1)
            )

    def for_budget(self, budget: int) -> AgingSettings:
        if self.max_init_draws is not None:
            return self
        return replace(self, max_init_draws=max(10**6, 100 * budget))


class AgingEvolution(Proposer):
    """The population starts as ``population`` uniform designs within the area budget. Each
    generation breeds ``children`` designs with the native kernel (tournaments, uniform
    crossover, mutation; a 4x surplus is bred when an area budget is set, so that area
    rejections rarely leave the generation short), the new ones join and the *oldest* members
    leave, so the population keeps its size. A child seen before is not re-admitted: clones of
    the incumbent would otherwise take over once the search converges. Invalid designs have
    score -inf and age out."""

    name = "regularized_evolution"
    Settings = AgingSettings
    settings: AgingSettings

    def __init__(self, settings: AgingSettings | None = None, **kw: Any) -> None:
        super().__init__(settings, **kw)
        self.started = False
        self.pop = np.empty((0, SPACE.n_params), dtype=np.uint8)
        self.fit = np.empty(0)
        self.generation = 0
        self.stall = 0
        self.n_children = 0  # children at the head of the batch last asked for

    @property
    def label(self) -> str:
        return "evolution"

    @property
    def done(self) -> bool:
        return self.started and (self.stall >= self.settings.max_stall or len(self.pop) == 0)

    def ask(self, n: int | None = None) -> npt.NDArray[np.uint8]:
        s = self.settings
        if not self.started:
            k = s.population if n is None else min(s.population, n)
            return sample_within_area(
                k,
                self.area_budget,
                self.streams,
                "evolution-init",
                max_draws=10**6 if s.max_init_draws is None else s.max_init_draws,
            )
        k = s.children if n is None else min(s.children, n)
        n_rand = round(k * s.random_fraction)
        n_child = k - n_rand
        kids = np.empty((0, SPACE.n_params), dtype=np.uint8)
        if n_child:
            seed = self.streams.seed_for("evolution", self.generation)
            surplus = 1 if self.area_budget is None else 4
            kids = next_generation(
                self.pop,
                self.fit,
                surplus * n_child,
                seed=seed,
                tournament_size=s.tournament,
                crossover_prob=s.crossover_prob,
                mutation_rate=s.mutation_rate,
                step_prob=s.step_prob,
            )
            if self.area_budget is not None:
                kids = kids[area(kids) <= self.area_budget][:n_child]
        immigrants = self.streams.designs(n_rand, "evolution-immigrants", self.generation)
        self.generation += 1
        self.n_children = len(kids)
        return np.concatenate([kids, immigrants])

    def tell(
        self, designs: DesignsLike, scores: npt.ArrayLike, new: npt.ArrayLike | None = None
    ) -> None:
        rows, fit, fresh = told(designs, scores, new)
        if not self.started:
            # Every evaluated member of the initial population joins, repeats included.
            kept = ~np.isnan(fit)
            self.pop, self.fit = rows[kept], fit[kept]
            self.started = True
            return
        k = self.n_children
        join = fresh[:k]
        p = self.settings.population
        self.pop = np.concatenate([self.pop, rows[:k][join]])[-p:]
        self.fit = np.concatenate([self.fit, fit[:k][join]])[-p:]
        self.stall = 0 if join.any() else self.stall + 1

    def params(self) -> dict[str, Any]:
        s = self.settings
        return {
            "population": s.population,
            "tournament": s.tournament,
            "children": s.children,
            "crossover_prob": s.crossover_prob,
            "mutation_rate": s.mutation_rate,
            "step_prob": s.step_prob,
            "generations": self.generation,
        }

    def _state(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "pop": self.pop.copy(),
            "fit": self.fit.copy(),
            "generation": self.generation,
            "stall": self.stall,
            "n_children": self.n_children,
        }

    def _restore(self, state: dict[str, Any]) -> None:
        self.started = bool(state["started"])
        self.pop = np.array(state["pop"], dtype=np.uint8).reshape(-1, SPACE.n_params)
        self.fit = np.array(state["fit"], dtype=np.float64)
        self.generation = int(state["generation"])
        self.stall = int(state["stall"])
        self.n_children = int(state["n_children"])
