"""The library's progress protocol: a search reports a :class:`Progress` to a plain callable.

Nothing here draws a bar; the CLI renders progress (``prime_rs.cli.common``). ``progress=True``
asks for a short text line on stderr at every tenth of the budget, for scripts without a UI.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import NamedTuple

from prime_rs.errors import InvalidArgumentError

__all__ = ["Progress", "ProgressArg", "ProgressCallback", "resolve_progress"]


class Progress(NamedTuple):
    """What a progress callback receives after each batch of simulator calls."""

    method: str
    simulator_calls: int
    budget: int
    best_objective: float  # -inf until a valid design is found
    best_mean_latency_ms: float  # inf until a valid design is found


ProgressCallback = Callable[[Progress], None]
ProgressArg = bool | ProgressCallback | None


def resolve_progress(progress: ProgressArg) -> ProgressCallback | None:
    """The callback a ``progress=`` argument asks for (None: silent)."""
    if progress is None or progress is False:
        return None
    if progress is True:
        return _TextProgress()
    if callable(progress):
        return progress
    raise InvalidArgumentError(
        f"progress must be True, False, None or a callable, got {type(progress).__name__}"
    )


class _TextProgress:
    def __init__(self) -> None:
        self._next = 0.0

    def __call__(self, p: Progress) -> None:
        done = p.simulator_calls / max(p.budget, 1)
        if done + 1e-12 < self._next and p.simulator_calls < p.budget:
            return
        self._next = math.floor(done * 10 + 1) / 10
        best = f"{p.best_mean_latency_ms:.4g} ms" if p.best_objective > -math.inf else "-"
        print(f"{p.method}: {p.simulator_calls}/{p.budget} calls, best {best}", file=sys.stderr)
