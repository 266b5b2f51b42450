"""Reference simulators: the same model as the native kernel, in plain Python (a per-design
loop, the "pure-Python baseline") and in numpy (vectorised over designs, the honest fast-Python
baseline). Both take the same arguments as ``prime_rs.simulate`` and agree with it to 1e-9
relative (tests/test_simulator.py)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

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


def area_python(designs: Any) -> np.ndarray:
    rows = SPACE.validate(designs)
    return np.array([python_sim.area_one(tuple(int(v) for v in d)) for d in rows], dtype=np.float64)


def area_numpy(designs: Any) -> np.ndarray:
    return numpy_sim.area_arrays(SPACE.validate(designs))


__all__ = ["area_numpy", "area_python", "simulate_numpy", "simulate_python"]
