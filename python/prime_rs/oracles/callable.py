"""A Python function as an oracle: a user's simulator wrapped in Python."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from prime_rs.errors import InvalidArgumentError, OracleError
from prime_rs.oracles._base import Oracle

__all__ = ["CallableOracle"]


class CallableOracle(Oracle):
    """Evaluates designs by calling ``fn(designs, applications)``.

    ``fn`` receives the ``(n, 10)`` uint8 index rows of distinct designs (``SPACE.to_values``
    gives physical values) and the tuple of application names, and returns a mapping with
    ``latency_ms`` ``(n, m)``, ``area_mm2`` ``(n,)`` or ``(n, m)``, ``feasible`` ``(n, m)`` and
    optionally ``reason`` ``(n, m)``. An exception inside ``fn`` becomes an
    :class:`~prime_rs.errors.OracleError` naming it; the answer is validated before use.
    """

    world = "external"

    def __init__(
        self,
        fn: Callable[[np.ndarray, tuple[str, ...]], Any],
        *,
        name: str | None = None,
        world: str = "external",
        batch_size: int | None = None,
        jobs: int = 1,
    ) -> None:
        if not callable(fn):
            raise InvalidArgumentError(f"oracle function must be callable, got {type(fn).__name__}")
        if world not in ("builtin", "external"):
            raise InvalidArgumentError(f"world must be 'builtin' or 'external', got {world!r}")
        super().__init__(batch_size=batch_size, jobs=jobs)
        self._fn = fn
        self.name = name or f"callable:{getattr(fn, '__qualname__', type(fn).__name__)}"
        self.world = world

    def _evaluate(
        self, designs: npt.NDArray[np.uint8], applications: tuple[str, ...]
    ) -> tuple[Any, Any, Any, Any]:
        try:
            out = self._fn(designs.copy(), applications)
        except OracleError:
            raise
        except Exception as e:
            raise OracleError(f"{self.name} failed: {type(e).__name__}: {e}") from e
        try:
            return out["latency_ms"], out["area_mm2"], out["feasible"], out.get("reason")
        except (TypeError, KeyError, AttributeError) as e:
            raise OracleError(
                f"{self.name} must return a mapping with latency_ms, area_mm2 and feasible "
                f"(and optionally reason); got {type(out).__name__} ({e})"
            ) from None
