"""Simulated annealing: a walk that accepts worse neighbours with a probability that cools."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from prime_rs.errors import InvalidArgumentError
from prime_rs.search._base import Proposer, ProposerSettings, told
from prime_rs.search._sampling import sample_within_area
from prime_rs.simulator import area
from prime_rs.space import SPACE, DesignsLike


@dataclass(frozen=True)
class AnnealingSettings(ProposerSettings):
    #: Uniform designs within the area budget evaluated first; the walk starts at the best.
    init: int = 32
    #: Neighbours evaluated per step (one batch); the best of them is the step's candidate.
    neighbours: int = 8
    #: Temperature (in objective units: 0.05 = a 5% slower design) at the first step and at
    #: step ``cooling_steps`` and after; geometric in between.
    t_start: float = 0.05
    t_end: float = 0.001
    cooling_steps: int = 100
    mutation_rate: float = 0.2
    step_prob: float = 0.5
    #: Stop after this many consecutive steps without a new design.
    max_stall: int = 200

    _counts: ClassVar[tuple[str, ...]] = ("init", "neighbours", "cooling_steps", "max_stall")
    _probabilities: ClassVar[tuple[str, ...]] = ("mutation_rate", "step_prob")

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("t_start", "t_end"):
            t = getattr(self, name)
            if isinstance(t, bool) or not isinstance(t, int | float) or not (0 < t < math.inf):
                raise InvalidArgumentError(f"{name} must be a positive temperature, got {t!r}")


class SimulatedAnnealing(Proposer):
    """Each step mutates the current design into ``neighbours`` candidates within the area
    budget (the native mutation kernel), and moves to the best of them when it is better, or
    with probability ``exp(delta / T)`` when it is worse (Metropolis). An invalid current
    design (score -inf) is left for any candidate."""

    name = "simulated_annealing"
    Settings = AnnealingSettings
    settings: AnnealingSettings

    def __init__(self, settings: AnnealingSettings | None = None, **kw: Any) -> None:
        super().__init__(settings, **kw)
        self.started = False
        self.current = np.zeros(SPACE.n_params, dtype=np.uint8)
        self.current_score = -math.inf
        self.step = 0
        self.stall = 0
        self.accepted = 0
        self.empty = False

    @property
    def done(self) -> bool:
        return self.empty or self.stall >= self.settings.max_stall

    def temperature(self, step: int) -> float:
        s = self.settings
        frac = min(step / s.cooling_steps, 1.0)
        return s.t_start * (s.t_end / s.t_start) ** frac

    def ask(self, n: int | None = None) -> npt.NDArray[np.uint8]:
        s = self.settings
        if not self.started:
            k = s.init if n is None else min(s.init, n)
            return sample_within_area(k, self.area_budget, self.streams, "annealing-init")
        k = s.neighbours if n is None else min(s.neighbours, n)
        surplus = 1 if self.area_budget is None else 4
        cand = SPACE.mutate(
            np.repeat(self.current[None], surplus * k, axis=0),
            seed=self.streams.seed_for("annealing", 2 * self.step),
            rate=s.mutation_rate,
            step_prob=s.step_prob,
        )
        if self.area_budget is not None:
            cand = cand[area(cand) <= self.area_budget]
        return cand[:k]

    def tell(
        self, designs: DesignsLike, scores: npt.ArrayLike, new: npt.ArrayLike | None = None
    ) -> None:
        rows, fit, fresh = told(designs, scores, new)
        scored = ~np.isnan(fit)
        if not self.started:
            self.started = True
            if not scored.any():
                self.empty = True
                return
            best = int(np.flatnonzero(scored)[np.argmax(fit[scored])])
            self.current, self.current_score = rows[best].copy(), float(fit[best])
            return
        self.stall = 0 if fresh.any() else self.stall + 1
        if scored.any():
            best = int(np.flatnonzero(scored)[np.argmax(fit[scored])])
            delta = float(fit[best]) - self.current_score
            if delta >= 0 or math.isnan(delta):
                accept = True
            else:
                u = np.random.default_rng(self.streams.seed_for("annealing", 2 * self.step + 1))
                accept = bool(u.random() < math.exp(delta / self.temperature(self.step)))
            if accept:
                self.current, self.current_score = rows[best].copy(), float(fit[best])
                self.accepted += 1
        self.step += 1

    def params(self) -> dict[str, Any]:
        return {**super().params(), "steps": self.step, "accepted": self.accepted}

    def _state(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "current": self.current.copy(),
            "current_score": self.current_score,
            "step": self.step,
            "stall": self.stall,
            "accepted": self.accepted,
            "empty": self.empty,
        }

    def _restore(self, state: dict[str, Any]) -> None:
        self.started = bool(state["started"])
        self.current = np.array(state["current"], dtype=np.uint8).reshape(SPACE.n_params)
        self.current_score = float(state["current_score"])
        self.step = int(state["step"])
        self.stall = int(state["stall"])
        self.accepted = int(state["accepted"])
        self.empty = bool(state["empty"])
