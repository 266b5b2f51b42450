"""What both reference simulators share: the model's constants (read from the native module,
the single source), design decoding and the per-workload preparation."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

PARAM_VALUES: tuple[tuple[int, ...], ...] = (
    (1, 2, 4, 6, 8, 10, 12, 14, 16, 32),
    (1, 2, 4, 6, 8, 10, 12, 14, 16, 32),
    (4, 8, 16, 32, 64, 128, 256),
    (1, 2, 4, 6, 8, 10, 12, 14, 16, 32),
    tuple(x * 1024 for x in (256, 512, 1024, 2048, 4096, 8192, 16384)),
    tuple(4096 << i for i in range(11)),
    (256, 512, 1024, 2048, 4096, 8192, 16384),
    (8192, 16384, 32768, 65536),
    (2048, 4096, 8192, 16384, 32768),
    (5, 10, 16, 20, 25, 30),
)


@cache
def constants() -> dict[str, float]:
    from prime_rs import _native

    return dict(_native.sim.constants())


def design_columns(designs: np.ndarray) -> dict[str, np.ndarray]:
    """Raw values of (n, 10) index rows, as int64 columns named like the model's symbols."""
    cols = [np.asarray(v, dtype=np.int64)[designs[:, j]] for j, v in enumerate(PARAM_VALUES)]
    return {
        "p": cols[0] * cols[1],
        "lanes": cols[2],
        "c": cols[3],
        "mpe": cols[4],
        "mc": cols[5],
        "instr": cols[6],
        "mp": cols[7],
        "ma": cols[8],
        "bw": cols[9],
    }


@dataclass(frozen=True)
class Prepared:
    ops: dict[str, np.ndarray]
    workload_limits: dict[str, int]
    macs: float


def prepare(ops: dict[str, np.ndarray]) -> Prepared:
    """Per-workload constants of the feasibility rules (maxima over the GEMM ops)."""
    k = constants()
    gemm = ops["kind"] == 0
    kh, kw, cin_g = ops["kh"][gemm], ops["kw"][gemm], ops["cin_g"][gemm]
    stride, in_w, in_c = ops["stride"][gemm], ops["in_w"][gemm], ops["in_c"][gemm]
    out_w = -(-in_w // stride)
    psum_ch = int(k["PSUM_MIN_CHANNELS"])

    def top(x: np.ndarray) -> int:
        return int(x.max()) if x.size else 0

    limits = {
        "filter_bytes": top(int(k["FILTERS_RESIDENT"]) * kh * kw * cin_g),
        "window_bytes": top(kh * (stride + kw) * cin_g),
        "psum_row_bytes": top(out_w * psum_ch * 4),
        "band_bytes": top(2 * kh * in_w * in_c),
    }
    macs = float((ops["m"] * ops["n"] * ops["k"] * ops["reps"])[gemm].sum())
    return Prepared(ops=ops, workload_limits=limits, macs=macs)
