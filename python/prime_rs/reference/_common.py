"""What both reference simulators share, all read from the native module so that nothing here
restates a fact of the model: the design space's value table, the constants, the feasibility
rules (checked by :func:`first_failing`), plus design decoding and the per-workload requirements
the rules compare against."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

import numpy as np

from prime_rs import _native
from prime_rs.space import SPACE

#: Allowed raw values of each parameter, in key order (the native value table).
PARAM_VALUES: tuple[tuple[int, ...], ...] = tuple(p.values for p in SPACE.params)


class Rule(NamedTuple):
    """One feasibility rule of the native table: a design fails it when the workload's
    ``requirement`` exceeds the raw value of parameter ``resource`` (a position in key order)."""

    code: int
    name: str
    requirement: str
    resource: int


@cache
def constants() -> dict[str, float]:
    return dict(_native.sim.constants())


@cache
def rules() -> tuple[Rule, ...]:
    """The native rule table, in checking order."""
    return tuple(
        Rule(code, name, requirement, SPACE.index(resource))
        for code, name, requirement, resource, _doc in _native.sim.rules()
    )


def first_failing(required: Mapping[str, Any], resources: Sequence[Any]) -> Any:
    """Reason code of the first rule that fails (0 when none), elementwise: ``required`` maps
    each requirement name to a number or an array over designs, ``resources[k]`` is the raw
    value (or column of values) of parameter ``k``."""
    reason = np.zeros(np.broadcast(*resources).shape, dtype=np.uint8)
    # Last rule first, so that the first failing rule's code is the one left standing.
    for rule in reversed(rules()):
        if rule.requirement not in required:
            raise NotImplementedError(
                f"the reference simulators do not compute requirement {rule.requirement!r} of "
                f"the native rule {rule.name!r}: add it to reference/_common.py prepare()"
            )
        violated = required[rule.requirement] > resources[rule.resource]
        reason = np.where(violated, np.uint8(rule.code), reason)
    return reason


def raw_columns(designs: np.ndarray) -> list[np.ndarray]:
    """Raw values of (n, 10) index rows: one int64 column per parameter, in key order."""
    return [np.asarray(v, dtype=np.int64)[designs[:, j]] for j, v in enumerate(PARAM_VALUES)]


def design_columns(cols: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The raw-value columns of :func:`raw_columns` named like the model's symbols."""
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
    #: Workload-level requirements of the rules by name (maxima over the GEMM ops); the
    #: design-dependent one, the program size, is computed by the simulators' op loops.
    requirements: dict[str, int]
    macs: float


def prepare(ops: dict[str, np.ndarray]) -> Prepared:
    """Per-workload requirements of the feasibility rules (maxima over the GEMM ops)."""
    k = constants()
    gemm = ops["kind"] == 0
    kh, kw, cin_g = ops["kh"][gemm], ops["kw"][gemm], ops["cin_g"][gemm]
    stride, in_w, in_c = ops["stride"][gemm], ops["in_w"][gemm], ops["in_c"][gemm]
    out_w = -(-in_w // stride)
    psum_ch = int(k["PSUM_MIN_CHANNELS"])

    def top(x: np.ndarray) -> int:
        return int(x.max()) if x.size else 0

    requirements = {
        "filter_bytes": top(int(k["FILTERS_RESIDENT"]) * kh * kw * cin_g),
        "window_bytes": top(kh * (stride + kw) * cin_g),
        "psum_row_bytes": top(out_w * psum_ch * 4),
        "band_bytes": top(2 * kh * in_w * in_c),
    }
    macs = float((ops["m"] * ops["n"] * ops["k"] * ops["reps"])[gemm].sum())
    return Prepared(ops=ops, requirements=requirements, macs=macs)
