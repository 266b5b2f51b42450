"""Uniform random search: batches of uniform designs, nothing learned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from prime_rs.search._base import Proposer, ProposerSettings, told
from prime_rs.space import DesignsLike


@dataclass(frozen=True)
class RandomSettings(ProposerSettings):
    #: Designs per batch (over-area ones are dropped for free by the driver).
    batch_size: int = 4096
    #: Stop after this many draws, so that a budget the area constraint makes unreachable ends.
    max_draws: int = 10**6

    _counts: ClassVar[tuple[str, ...]] = ("batch_size", "max_draws")


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
        return self.drawn >= self.settings.max_draws

    def ask(self, n: int | None = None) -> npt.NDArray[np.uint8]:
        k = min(self.settings.batch_size, self.settings.max_draws - self.drawn)
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
