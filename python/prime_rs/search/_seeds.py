"""Where every proposer's randomness comes from: one stream per (seed, purpose, index).

A purpose is a registered name, so two parts of a search never share a stream by accident and
a new proposer picks its own by adding a line to ``_PURPOSES``. Almost every purpose derives its
seeds with :class:`numpy.random.SeedSequence` over ``[seed, purpose id, index]``, which keeps
streams independent across seeds, purposes and indices without any arithmetic invariant.

Two purposes keep the affine derivation the offline optimiser has always used
(``seed * m + index``), so that its proposals, and every number the README reports for PRIME,
reproduce; their multipliers exceed any index they are used with (rounds < 1000, generations
< 100_003), which is what keeps them collision-free.

A :class:`Streams` object hands these seeds to a proposer; :class:`GeneratorStreams` instead
draws from one :class:`numpy.random.Generator` in call order, the contract of logged-data
generation (one generator per block of rows, see :mod:`prime_rs.data.generation`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from prime_rs.errors import InvalidArgumentError
from prime_rs.space import SPACE

__all__ = ["GeneratorStreams", "Streams", "stream"]

#: purpose -> SeedSequence key (int) or legacy affine multiplier (("affine", m)).
_PURPOSES: dict[str, int | tuple[str, int]] = {
    "random": 1,
    "evolution-init": 2,
    "evolution": 3,
    "bo": 4,
    "annealing-init": 5,
    "annealing": 6,
    "evolution-immigrants": 7,
    "mu-plus-lambda-init": 8,
    "mu-plus-lambda": 9,
    "surrogate-init": ("affine", 1009),
    "surrogate": ("affine", 100_003),
}


def stream(seed: int, purpose: str, index: int | None = None, *, bits: int = 64) -> int:
    """The seed for draw ``index`` of ``purpose`` under ``seed`` (``bits`` wide: 32 for
    consumers such as numpy's legacy RandomState, which Optuna's samplers use)."""
    try:
        key = _PURPOSES[purpose]
    except KeyError:
        raise InvalidArgumentError(
            f"unknown seed purpose {purpose!r}; known: {', '.join(_PURPOSES)}"
        ) from None
    if isinstance(key, tuple):
        # Modulo 2**64 keeps every valid seed's stream a valid native seed (reliability 8.5: a
        # seed near 2**63 used to fail after training); seeds below 2**64 / 100_003 (1.8e14),
        # all seeds anyone has used, are unchanged by it.
        return (seed * key[1] + (index or 0)) % 2**64
    entropy = [seed, key] if index is None else [seed, key, index]
    ss = np.random.SeedSequence(entropy)
    if bits == 32:
        return int(ss.generate_state(1)[0])
    return int(ss.generate_state(1, dtype=np.uint64)[0])


class Streams:
    """Seeds and uniform designs for one search run, all derived from ``seed``."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def seed_for(self, purpose: str, index: int) -> int:
        return stream(self.seed, purpose, index)

    def designs(self, n: int, purpose: str, index: int) -> npt.NDArray[np.uint8]:
        """``n`` uniform designs (the native sampler) from stream ``(purpose, index)``."""
        return SPACE.sample(n, seed=self.seed_for(purpose, index))

    def state(self) -> dict[str, Any]:
        return {"seed": self.seed}

    def restore(self, state: dict[str, Any]) -> None:
        self.seed = int(state["seed"])


class GeneratorStreams(Streams):
    """Everything drawn in call order from one generator (purposes and indices are ignored):
    the randomness contract of logged-data generation."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__(0)
        self.rng = rng

    def seed_for(self, purpose: str, index: int) -> int:
        return int(self.rng.integers(0, 2**63 - 1))

    def designs(self, n: int, purpose: str, index: int) -> npt.NDArray[np.uint8]:
        out = np.empty((n, SPACE.n_params), dtype=np.uint8)
        for k, c in enumerate(SPACE.cardinalities):
            out[:, k] = self.rng.integers(0, c, size=n, dtype=np.uint8)
        return out

    def state(self) -> dict[str, Any]:
        return {"bit_generator": self.rng.bit_generator.state}

    def restore(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["bit_generator"]
