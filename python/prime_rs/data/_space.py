"""The design-space facts the data layer needs: parameter names, keys and value lists, the
raw-value <-> index conversion and the space fingerprint stored in every dataset file."""

from __future__ import annotations

import hashlib
import json
from functools import cache

import numpy as np

from prime_rs.errors import InvalidDesignError

# Interim copy of DESIGN.md section 3, used only while `prime_rs.SPACE` is a placeholder.
_KI, _MI = 1024, 1024 * 1024
_INTERIM = (
    ("pe_x", "param_1", (1, 2, 4, 6, 8, 10, 12, 14, 16, 32)),
    ("pe_y", "param_2", (1, 2, 4, 6, 8, 10, 12, 14, 16, 32)),
    ("simd_lanes", "param_3", (4, 8, 16, 32, 64, 128, 256)),
    ("cores_per_pe", "param_4", (1, 2, 4, 6, 8, 10, 12, 14, 16, 32)),
    ("pe_memory", "param_5", tuple(_KI * 256 * 2**i for i in range(7))),
    ("core_memory", "param_6", tuple(_KI * 4 * 2**i for i in range(11))),
    ("instruction_memory", "param_7", (256, 512, 1024, 2048, 4096, 8192, 16384)),
    ("parameter_memory", "param_8", (8192, 16384, 32768, 65536)),
    ("activation_memory", "param_9", (2048, 4096, 8192, 16384, 32768)),
    ("dram_bandwidth", "param_10", (5, 10, 16, 20, 25, 30)),
)


@cache
def params() -> tuple[tuple[str, str, tuple[int, ...]], ...]:
    """(name, key, values) of the ten parameters in key order."""
    from prime_rs import SPACE

    if SPACE is None:
        return _INTERIM
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

    if SPACE is None:
        out = np.empty(values.shape, dtype=np.uint8)
        for k, (_, _, allowed) in enumerate(params()):
            out[:, k] = np.searchsorted(np.asarray(allowed), values[:, k])
        return out
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
