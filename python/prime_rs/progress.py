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

Nothing in the library draws or prints: the CLI renders events as rich bars on a terminal
(``prime_rs.cli.common``) and as :class:`ProgressLines` off one. ``progress=True`` asks for
those lines (one at every tenth of a job, or at least every half minute) for scripts without a
UI; ``None``/``False`` is silent. Stage lines a caller does not take go to the job's logger
(:func:`log_stages`, :mod:`prime_rs.logs`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from prime_rs.errors import InvalidArgumentError

__all__ = [
    "Count",
    "Event",
    "Progress",
    "ProgressArg",
    "ProgressCallback",
    "ProgressLines",
    "Say",
    "TrainProgress",
    "log_stages",
    "resolve_progress",
    "silent",
]

#: A stage line sink: called once as a job enters each stage.
Say = Callable[[str], None]


def silent(_message: str) -> None:
    """The :data:`Say` of a job nobody watches."""


def log_stages(name: str) -> Say:
    """The :data:`Say` of a job whose caller gave none: its stage lines are INFO records of the
    logger ``name`` (shown where the application shows prime-rs's logs, e.g. the CLI)."""
    return logging.getLogger(name).info


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


class Count(NamedTuple):
    """Plain counted work, e.g. designs simulated into a dataset."""

    job: str
    done: int
    total: int
    unit: str

    @property
    def position(self) -> tuple[str, int, int]:
        return self.job, self.done, self.total

    def describe(self) -> str:
        return ""


#: Any counted-progress event: each has ``position`` (job, done, total) and ``describe()``.
Event = Progress | TrainProgress | Count
ProgressCallback = Callable[[Any], None]
ProgressArg = bool | ProgressCallback | None


def resolve_progress(progress: ProgressArg) -> ProgressCallback | None:
    """The callback a ``progress=`` argument asks for (None: silent)."""
    if progress is None or progress is False:
        return None
    if progress is True:
        return ProgressLines(shown=True)
    if callable(progress):
        return progress
    raise InvalidArgumentError(
        f"progress must be True, False, None or a callable, got {type(progress).__name__}"
    )


class ProgressLines:
    """Progress as plain lines (``train: 50/500 steps, val_spearman 0.91``) on the
    :data:`prime_rs.logs.PROGRESS` logger: one when a job starts, at every tenth of it, at its
    end, and at least every ``every_s`` seconds between, so a log off a terminal is never silent
    for long. A job that starts over (the next seed) starts its count again. ``shown``: the lines
    were asked for by name (``progress=True``) and reach stderr even where logging is not set
    up."""

    def __init__(
        self,
        every_s: float = 30.0,
        *,
        shown: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every_s = every_s
        self.shown = shown
        self._clock = clock
        self._next: dict[str, float] = {}
        self._last_done: dict[str, int] = {}
        self._last_time: dict[str, float] = {}

    def __call__(self, p: Event) -> None:
        job, done, total = p.position
        share = done / max(total, 1)
        now = self._clock()
        if done < self._last_done.get(job, -1):
            self._next.pop(job, None)  # the job started over
        self._last_done[job] = done
        due = share + 1e-12 >= self._next.get(job, 0.0) or done >= total
        if not due and now - self._last_time.get(job, now) < self.every_s:
            return
        self._next[job] = math.floor(share * 10 + 1) / 10
        self._last_time[job] = now
        if isinstance(p, Count):
            unit = p.unit
        else:
            unit = "calls" if isinstance(p, Progress) else "steps"
        detail = p.describe()
        line = f"{job}: {done:,}/{total:,} {unit}"
        from prime_rs import logs

        logger = logging.getLogger(logs.PROGRESS)
        message = f"{line}, {detail}" if detail else line
        if self.shown:
            logs.emit(logger, message)
        else:
            logger.info(message)
