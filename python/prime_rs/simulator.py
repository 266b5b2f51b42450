"""The simulator's Python API: batch simulation of designs on a workload, and chip area.

``simulate`` is a thin wrapper: it converts designs once (``SPACE.validate``), resolves the
workload to its lowered op table, and calls the native kernel, which runs with the GIL released
on all cores (or ``threads``). Results do not depend on the thread count.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from prime_rs import _native
from prime_rs.space import SPACE

#: Reason names indexed by reason code (``REASONS[0] == ""``: feasible).
REASONS: tuple[str, ...] = tuple(_native.sim_reason_names())

#: A stable hash of the simulator's version, model revision, design space, constants and
#: feasibility rules (``rust/prime-core/src/sim/fingerprint.rs``). Generated datasets record it
#: and the cache of generated data is keyed by it, so logs of another model are never reused.
FINGERPRINT: str = _native.sim_fingerprint()

#: Column order of the op table the native kernel takes.
OP_COLUMNS: tuple[str, ...] = tuple(_native.sim_op_columns())

#: The EdgeTPU-like reference design (SIMULATOR_NOTES 3.2): 4x4 PEs, 64 lanes, 4 cores per PE,
#: 512 KiB PE memory, 32 KiB core memory, 16384 instruction entries, 64 KiB parameter memory,
#: 32 KiB activation memory, 25 GB/s DRAM. Its area is ≈27 mm², PRIME's budget.
EDGETPU_REFERENCE: np.ndarray = np.array([2, 2, 4, 2, 1, 3, 6, 3, 4, 4], dtype=np.uint8)
EDGETPU_REFERENCE.setflags(write=False)


class HasOps(Protocol):
    @property
    def ops(self) -> dict[str, np.ndarray]: ...


@dataclass(frozen=True)
class SimResult:
    """Per-design results; every field is a numpy array of length n."""

    latency_ms: np.ndarray
    area_mm2: np.ndarray
    feasible: np.ndarray
    reason: np.ndarray
    energy_mj: np.ndarray

    def __len__(self) -> int:
        return len(self.latency_ms)

    def reason_names(self) -> np.ndarray:
        """Readable reason per design ("" when feasible)."""
        return np.asarray(REASONS, dtype=object)[self.reason]


def resolve_workload(workload: str | os.PathLike[str] | HasOps) -> HasOps:
    """A workload object from a built-in name, a workload file path or a workload object."""
    if isinstance(workload, str | os.PathLike):
        from prime_rs import workloads

        return workloads.load(workload)
    if not hasattr(workload, "ops"):
        from prime_rs.errors import InvalidArgumentError

        raise InvalidArgumentError(
            f"workload must be a name, a path or a Workload, got {type(workload).__name__}"
        )
    return workload


def op_table(workload: HasOps) -> np.ndarray:
    """The (n_ops, 14) int64 op table of a workload, in the native kernel's column order."""
    ops = workload.ops
    return np.ascontiguousarray(
        np.stack([np.asarray(ops[c], dtype=np.int64) for c in OP_COLUMNS], axis=1)
    )


def _threads(threads: int | None) -> int | None:
    if threads is None:
        return None
    if not isinstance(threads, int | np.integer) or threads < 1:
        from prime_rs.errors import InvalidArgumentError

        raise InvalidArgumentError(f"threads must be a positive integer, got {threads!r}")
    from prime_rs.checks import threads as bounded

    return bounded(threads)


def simulate(
    designs: Any, workload: str | os.PathLike[str] | HasOps, threads: int | None = None
) -> SimResult:
    """Simulate designs ((n, 10) indices, a single design or a list) on one workload."""
    rows = SPACE.validate(designs)
    table = op_table(resolve_workload(workload))
    out = _native.sim_simulate(rows, table, _threads(threads))
    return SimResult(**out)


def area(designs: Any, threads: int | None = None) -> np.ndarray:
    """Chip area in mm² of each design (analytic; no workload, no simulation)."""
    return _native.sim_area(SPACE.validate(designs), _threads(threads))
