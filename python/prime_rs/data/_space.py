"""The design-space facts the data layer needs: parameter names, keys and value lists, the
raw-value <-> index conversion and the space fingerprint stored in every dataset file."""

from __future__ import annotations

import hashlib
import json
from functools import cache

import numpy as np

from prime_rs.errors import InvalidDesignError


@cache
def params() -> tuple[tuple[str, str, tuple[int, ...]], ...]:
    """(name, key, values) of the ten parameters in key order."""
    from prime_rs import SPACE

    return tuple(
        (name, key, tuple(int(v) for v in SPACE.values(name)))
        for name, key in zip(SPACE.names, SPACE.keys, strict=True)
    )


def names() -> list[str]:
    return [p[0] for p in params()]


def keys() -> list[str]:
    return [p[1] for p in params()]


@cache
def fingerprint() -> str:
    """A short hash of the parameter names and value lists: two files with the same fingerprint
    index the same space."""
    blob = json.dumps([[n, k, list(v)] for n, k, v in params()], separators=(",", ":"))
    return "sha256:" + hashlib.sha256(blob.encode()).hexdigest()[:16]


def check_values(values: np.ndarray, where: str = "") -> None:
    """Raise InvalidDesignError naming the parameter, the offending value, how many rows hold
    values outside the space and the first such row. `values` is (n, 10) int64."""
    bad = invalid_mask(values)
    if not bad.any():
        return
    for k, (name, key, allowed) in enumerate(params()):
        col_bad = ~np.isin(values[:, k], np.asarray(allowed, dtype=np.int64))
        if col_bad.any():
            row = int(np.flatnonzero(col_bad)[0])
            raise InvalidDesignError(
                f"{where}{int(col_bad.sum())} row(s) hold values of '{name}' ({key}) outside the "
                f"design space, first at row {row}: {int(values[row, k])}; allowed: "
                f"{', '.join(map(str, allowed))}"
            )


def invalid_mask(values: np.ndarray) -> np.ndarray:
    """Rows of (n, 10) raw values that hold any value outside the space."""
    bad = np.zeros(len(values), dtype=bool)
    for k, (_, _, allowed) in enumerate(params()):
        bad |= ~np.isin(values[:, k], np.asarray(allowed, dtype=np.int64))
    return bad


def to_designs(values: np.ndarray) -> np.ndarray:
    """(n, 10) raw int64 values -> (n, 10) uint8 index rows (the space's own conversion)."""
    from prime_rs import SPACE

    return np.asarray(
        SPACE.from_values(np.ascontiguousarray(values, dtype=np.int64)), dtype=np.uint8
    )


def to_values(designs: np.ndarray) -> np.ndarray:
    from prime_rs import SPACE

    if SPACE is None:
        d = np.asarray(designs)
        return np.stack(
            [np.asarray(a, dtype=np.int64)[d[:, k]] for k, (_, _, a) in enumerate(params())], axis=1
        )
    return np.asarray(SPACE.to_values(designs), dtype=np.int64)
