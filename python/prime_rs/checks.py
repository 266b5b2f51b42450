"""Argument checks shared by the Python API: numbers of the right kind and range, or a typed
InvalidArgumentError naming the argument (native kernels take only checked values)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from prime_rs import _native
from prime_rs.errors import InvalidArgumentError

_U64_MAX = 2**64 - 1

#: Upper bound on a thread count: each is an OS thread; beyond this it is a typo, and 10^6
#: threads would take minutes to spawn before any work (reliability 1.13). The native module
#: holds the number (it caps its own pools); this is its one Python name.
MAX_THREADS: int = _native.sim.MAX_THREADS


def seed(value: Any) -> int:
    """A seed as a Python int in the native range (0 .. 2**64 - 1)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidArgumentError(f"seed must be an integer, got {value!r}")
    s = int(value)
    if not 0 <= s <= _U64_MAX:
        raise InvalidArgumentError(f"seed must be in 0..2**64-1, got {s}")
    return s


#: Upper bound on rows a native kernel is asked to allocate at once (10^9 designs is 10 GB):
#: beyond it the allocation would abort the interpreter, not raise (reliability 1.11, 1.12).
MAX_ROWS = 10**9
#: Upper bound on a tournament size: the kernel's cost is linear in it (reliability 1.20).
MAX_TOURNAMENT = 100_000


def count(value: Any, what: str, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer >= ``minimum`` (0: "non-negative", 1: "positive") and <= ``maximum``."""
    kind = {0: "a non-negative integer", 1: "a positive integer"}.get(
        minimum, f"an integer >= {minimum}"
    )
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{what} must be {kind}, got {value!r}")
    try:
        v = operator.index(value)
    except TypeError:
        raise InvalidArgumentError(f"{what} must be {kind}, got {value!r}") from None
    if v < minimum:
        raise InvalidArgumentError(f"{what} must be {kind}, got {v}")
    if maximum is not None and v > maximum:
        raise InvalidArgumentError(f"{what} must be at most {maximum:,}, got {v:,}")
    return v


def real(value: Any, what: str) -> float:
    """A real number argument (its range is the caller's or the native kernel's business)."""
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{what} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{what} must be a number, got {value!r}") from None


def probability(value: Any, what: str) -> float:
    """A number in [0, 1]."""
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{what} must be a probability, got {value!r}")
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{what} must be a probability, got {value!r}") from None
    if not 0.0 <= p <= 1.0:
        raise InvalidArgumentError(f"{what} must be in [0, 1], got {value!r}")
    return p


def names(value: Any, what: str) -> list[str]:
    """A list of names (applications, methods). Settings take lists, never comma strings: the
    command line splits ``--apps a,b`` before the settings see it."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise InvalidArgumentError(
            f"{what} must be a list of names, e.g. ['mobilenet_v2', 'unet'], got {value!r}"
        )
    out = [str(v).strip() for v in value]
    if not all(out):
        raise InvalidArgumentError(f"{what} holds an empty name: {value!r}")
    return out


def integers(value: Any, what: str, minimum: int = 0) -> list[int]:
    """A list of integers >= ``minimum`` (seeds, budgets), each checked as by :func:`count`."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise InvalidArgumentError(f"{what} must be a list of integers, got {value!r}")
    return [count(v, what, minimum) for v in value]


def threads(value: Any) -> int | None:
    """A worker-thread count: None (all cores) or 1..MAX_THREADS."""
    if value is None:
        return None
    n = count(value, "threads", 1)
    if n > MAX_THREADS:
        raise InvalidArgumentError(f"threads must be at most {MAX_THREADS}, got {n}")
    return n
