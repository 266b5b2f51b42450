"""The library's one progress protocol: a long job reports typed events to plain callables.

Two kinds of report, one shape each:

* **stage lines** (:data:`Say`): ``say("training the conservative surrogate on unet")``, one
  line when a job enters a stage. ``run_optimize``, ``run_compare`` and dataset generation take
  one as ``progress=``.
* **counted progress** (:data:`ProgressCallback`): an event after each unit of work, a
  :class:`Progress` for a simulator-driven search (calls out of a budget), a
  :class:`TrainProgress` for training (steps out of the total). Every event is a small
  ``NamedTuple`` with a ``position`` (what to label the job with, the work done, the work in
  all) and ``describe()``, so one renderer serves all of them.

Nothing in the library draws: the CLI renders events as rich bars (``prime_rs.cli.common``).
``progress=True`` asks for a short text line on stderr at every tenth of a job, for scripts
without a UI; ``None``/``False`` is silent.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any, NamedTuple

from prime_rs.errors import InvalidArgumentError

__all__ = [
    "Event",
    "Progress",
    "ProgressArg",
    "ProgressCallback",
    "Say",
    "TrainProgress",
    "resolve_progress",
    "silent",
]

#: A stage line sink: called once as a job enters each stage.
Say = Callable[[str], None]


def silent(_message: str) -> None:
    """The :data:`Say` of a job nobody watches."""


class Progress(NamedTuple):
    """What a simulator-driven search reports after each batch of simulator calls."""

    method: str
    simulator_calls: int
    budget: int
    best_objective: float  # -inf until a valid design is found
    best_mean_latency_ms: float  # inf until a valid design is found

    @property
    def position(self) -> tuple[str, int, int]:
        return self.method, self.simulator_calls, self.budget

    def describe(self) -> str:
        best = f"{self.best_mean_latency_ms:.4g} ms" if self.best_objective > -math.inf else "-"
        return f"best {best}"


class TrainProgress(NamedTuple):
    """What training reports after each logged step: the step reached, the steps in all and the
    latest metrics (loss terms, validation scores; empty between validations)."""

    step: int
    steps: int
    metrics: dict[str, float]

    @property
    def position(self) -> tuple[str, int, int]:
        return "train", self.step, self.steps

    def describe(self) -> str:
        return " ".join(f"{k} {v:.4g}" for k, v in self.metrics.items())


#: Any counted-progress event: each has ``position`` (job, done, total) and ``describe()``.
Event = Progress | TrainProgress
ProgressCallback = Callable[[Any], None]
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
    """A line on stderr at every tenth of a job (and at its end)."""

    def __init__(self) -> None:
        self._next = 0.0

    def __call__(self, p: Event) -> None:
        job, done, total = p.position
        share = done / max(total, 1)
        if share + 1e-12 < self._next and done < total:
            return
        self._next = math.floor(share * 10 + 1) / 10
        unit = "calls" if isinstance(p, Progress) else "steps"
        print(f"{job}: {done}/{total} {unit}, {p.describe()}", file=sys.stderr)
