"""Reference simulators: the same model as the native kernel, in plain Python (a per-design
loop, the "pure-Python baseline") and in numpy (vectorised over designs, the honest fast-Python
baseline). Both take the same arguments as ``prime_rs.simulate`` and agree with it to 1e-9
relative (tests/test_simulator.py)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from prime_rs.errors import InvalidArgumentError
from prime_rs.reference import numpy_sim, python_sim
from prime_rs.reference._common import prepare
from prime_rs.simulator import HasOps, SimResult, _threads, resolve_workload
from prime_rs.space import SPACE


def simulate_python(
    designs: Any, workload: str | os.PathLike[str] | HasOps, threads: int | None = None
) -> SimResult:
    """Pure-Python per-design loop (``threads`` is accepted for signature parity and ignored)."""
    _threads(threads)
    rows = SPACE.validate(designs)
    return SimResult(**python_sim.simulate_rows(rows, prepare(resolve_workload(workload).ops)))


def simulate_numpy(
    designs: Any, workload: str | os.PathLike[str] | HasOps, threads: int | None = None
) -> SimResult:
    """numpy, vectorised over designs (``threads`` accepted for parity and ignored)."""
    _threads(threads)
    rows = SPACE.validate(designs)
    return SimResult(**numpy_sim.simulate_arrays(rows, prepare(resolve_workload(workload).ops)))


def breakdown(design: Any, workload: str | os.PathLike[str] | HasOps) -> list[python_sim.OpRow]:
    """The model's per-op view of one design on a workload: which mapping won, compute and
    transfer cycles, DRAM and on-chip bytes, each op's latency before the fixed costs (which
    :func:`python_sim.fixed_cost_ns` gives) and its instruction entries. The per-layer tables
    of docs/fidelity.md are built from it."""
    rows = SPACE.validate([design] if np.ndim(design) == 1 else design)
    if len(rows) != 1:
        raise InvalidArgumentError(f"breakdown takes one design, got {len(rows)}")
    values = tuple(python_sim.PARAM_VALUES[j][i] for j, i in enumerate(rows[0]))
    return python_sim.op_rows(values, prepare(resolve_workload(workload).ops))


def area_python(designs: Any) -> np.ndarray:
    rows = SPACE.validate(designs)
    return np.array([python_sim.area_one(tuple(int(v) for v in d)) for d in rows], dtype=np.float64)


def area_numpy(designs: Any) -> np.ndarray:
    return numpy_sim.area_arrays(SPACE.validate(designs))


__all__ = ["area_numpy", "area_python", "breakdown", "simulate_numpy", "simulate_python"]
