"""Uniform random search: batches of uniform designs, nothing learned."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from prime_rs.checks import count
from prime_rs.search._base import Proposer, ProposerSettings, told
from prime_rs.space import DesignsLike


@dataclass(frozen=True)
class RandomSettings(ProposerSettings):
    #: Designs per batch (over-area ones are dropped for free by the driver).
    batch_size: int = 4096
    #: Stop after this many draws, so that a budget the area constraint makes unreachable ends
    #: (None: ``max(10**6, 100 * budget)`` under a simulator budget, unlimited otherwise).
    max_draws: int | None = None

    _counts: ClassVar[tuple[str, ...]] = ("batch_size",)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_draws is not None:
            object.__setattr__(self, "max_draws", count(self.max_draws, "max_draws", 1))

    def for_budget(self, budget: int) -> RandomSettings:
        if self.max_draws is not None:
            return self
        return replace(self, max_draws=max(10**6, 100 * budget))


class RandomSearch(Proposer):
    """Batch ``b`` is ``batch_size`` uniform designs from stream ``(seed, "random", b)``, so a
    smaller budget replays a prefix of a larger one."""

    name = "random_search"
    Settings = RandomSettings
    settings: RandomSettings

    def __init__(self, settings: RandomSettings | None = None, **kw: Any) -> None:
        super().__init__(settings, **kw)
        self.batch = 0
        self.drawn = 0

    @property
    def label(self) -> str:
        return "random"

    @property
    def done(self) -> bool:
        limit = self.settings.max_draws
        return limit is not None and self.drawn >= limit

    def ask(self, n: int | None = None) -> npt.NDArray[np.uint8]:
        k = self.settings.batch_size
        if self.settings.max_draws is not None:
            k = min(k, self.settings.max_draws - self.drawn)
        if n is not None:
            k = min(k, n)
        designs = self.streams.designs(k, "random", self.batch)
        self.batch += 1
        self.drawn += k
        return designs

    def tell(
        self, designs: DesignsLike, scores: npt.ArrayLike, new: npt.ArrayLike | None = None
    ) -> None:
        told(designs, scores, new)

    def params(self) -> dict[str, Any]:
        return {"batch_size": self.settings.batch_size, "designs_drawn": self.drawn}

    def _state(self) -> dict[str, Any]:
        return {"batch": self.batch, "drawn": self.drawn}

    def _restore(self, state: dict[str, Any]) -> None:
        self.batch, self.drawn = int(state["batch"]), int(state["drawn"])
