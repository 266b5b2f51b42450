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


def index_column(k: int, col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indices uint8, bad bool) of one column of raw values of parameter `k`, by the space's
    one value -> index rule (the native one behind ``SPACE.from_values``: allowed values only,
    nothing rounded or clipped; see ``VALUE_TOLERANCE`` in ``rust/prime-core/src/space.rs``)."""
    from prime_rs import _native

    values = np.ascontiguousarray(col, dtype=np.float64)
    if values.ndim != 1:
        raise InvalidDesignError(f"a value column must be 1-D, got shape {values.shape}")
    return _native.space.index_column(k, values)


def index_columns(cols: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(designs (n, 10) uint8, bad (n,) bool) from ten columns of raw values, column by column
    because it runs over millions of logged rows."""
    n = len(cols[0]) if cols else 0
    designs = np.empty((n, len(cols)), dtype=np.uint8)
    bad = np.zeros(n, dtype=bool)
    for k, col in enumerate(cols):
        designs[:, k], b = index_column(k, col)
        bad |= b
    return designs, bad


def raise_invalid(cols: list[np.ndarray], bad: np.ndarray, where: str = "") -> None:
    """Raise InvalidDesignError naming the parameter, the first offending row and value, and
    how many rows hold values outside the space."""
    row = int(np.flatnonzero(bad)[0])
    for k, (name, key, allowed) in enumerate(params()):
        col_bad = index_column(k, cols[k])[1]
        if col_bad[row]:
            v = cols[k][row]
            raise InvalidDesignError(
                f"{where}{int(col_bad.sum())} row(s) hold values of '{name}' ({key}) outside "
                f"the design space, first at row {row}: {v}; "
                f"allowed: {', '.join(map(str, allowed))}"
            )


def designs_of(cols: list[np.ndarray], where: str = "") -> np.ndarray:
    """Index rows of ten raw-value columns; InvalidDesignError if any value is not in the space."""
    designs, bad = index_columns(cols)
    if bad.any():
        raise_invalid(cols, bad, where)
    return designs


def to_values(designs: np.ndarray) -> np.ndarray:
    from prime_rs import SPACE

    return np.asarray(SPACE.to_values(designs), dtype=np.int64)
