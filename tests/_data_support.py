"""Test support for the data tests: an independent pure-Python TFRecord / tf.train.Example
writer, so the native reader is checked against code that shares nothing with it."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

# --- CRC-32C (Castagnoli), bitwise table; RFC 3720 test vector checked in the tests ---------

_POLY = 0x82F63B78
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data: bytes) -> int:
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(payload: bytes) -> bytes:
    n = struct.pack("<Q", len(payload))
    return n + struct.pack("<I", masked(n)) + payload + struct.pack("<I", masked(payload))


# --- protobuf -----------------------------------------------------------------------------


def varint(v: int) -> bytes:
    v &= (1 << 64) - 1  # negative int64 -> two's complement, 10 bytes
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def ld(field: int, body: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(body)) + body


def float_feature(values: Sequence[float], packed: bool = True) -> bytes:
    if packed:
        lst = ld(1, b"".join(struct.pack("<f", v) for v in values))
    else:
        lst = b"".join(varint(1 << 3 | 5) + struct.pack("<f", v) for v in values)
    return ld(2, lst)


def int64_feature(values: Sequence[int], packed: bool = True) -> bytes:
    if packed:
        lst = ld(1, b"".join(varint(v) for v in values))
    else:
        lst = b"".join(varint(1 << 3 | 0) + varint(v) for v in values)
    return ld(3, lst)


def bytes_feature(values: Sequence[bytes]) -> bytes:
    return ld(1, b"".join(ld(1, v) for v in values))


def example(features: Iterable[tuple[str, bytes]]) -> bytes:
    entries = b"".join(ld(1, ld(1, k.encode()) + ld(2, f)) for k, f in features)
    return ld(1, entries)


PARAM_KEYS = [f"param_{k}" for k in range(1, 11)]


def prime_example(values: Sequence[float], runtime: float, area: float, infeasible: int, *,
                  packed: bool = True, order: Sequence[int] | None = None,
                  extra: bool = False) -> bytes:  # fmt: skip
    """One record of the published schema."""
    feats = [(k, float_feature([v], packed)) for k, v in zip(PARAM_KEYS, values, strict=True)]
    feats += [
        ("runtime", float_feature([runtime], packed)),
        ("area", float_feature([area], packed)),
    ]
    feats += [("infeasible", int64_feature([infeasible], packed))]
    if order is not None:
        feats = [feats[i] for i in order]
    if extra:
        feats.insert(3, ("note", bytes_feature([b"logged by a test"])))
    return example(feats)


def write_prime_file(path: Path, rows: Iterable[bytes]) -> list[int]:
    """Write framed records; returns the byte offset of each record."""
    offsets, buf = [], bytearray()
    for payload in rows:
        offsets.append(len(buf))
        buf += frame(payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(buf))
    return offsets


def random_prime_rows(n: int, seed: int) -> dict[str, np.ndarray]:
    """Random rows in the design space, in the published schema's types."""
    from prime_rs import SPACE

    rng = np.random.default_rng(seed)
    designs = SPACE.sample(n, seed=seed)
    values = SPACE.to_values(designs).astype(np.float32)
    infeasible = (rng.random(n) < 0.7).astype(np.int64)
    runtime = rng.lognormal(6.0, 1.0, n).astype(np.float32)
    area = rng.uniform(5.0, 150.0, n).astype(np.float32)
    return {
        "designs": designs,
        "values": values,
        "runtime": runtime,
        "area": area,
        "infeasible": infeasible,
    }


def assert_same_dataset(a, b) -> None:
    """Every column of two datasets is identical (designs, labels, energy)."""
    for attr in (
        "designs",
        "application",
        "latency_ms",
        "area_mm2",
        "feasible",
        "reason",
        "energy_mj",
    ):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr), err_msg=attr)
