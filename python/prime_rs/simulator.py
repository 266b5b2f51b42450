"""The simulator's Python API: batch simulation of designs on a workload, and chip area.

``simulate`` is a thin wrapper: it converts designs once (``SPACE.validate``), resolves the
workload to its native handle (``prime_rs.workloads.load``; a handle is used as is) and calls
the native kernel, which reads the handle's prepared tables directly and runs with the GIL
released on all cores (or ``threads``). Results do not depend on the thread count. A long batch
runs in chunks with a check for Ctrl-C between them, so ``KeyboardInterrupt`` arrives promptly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from prime_rs import _native
from prime_rs import checks as _checks
from prime_rs.space import SPACE
from prime_rs.workloads import Workload

#: Reason names indexed by reason code (``REASONS[0] == ""``: feasible).
REASONS: tuple[str, ...] = tuple(_native.sim.reason_names())

#: Largest ``threads`` value accepted (starting more OS threads than this would only stall);
#: the native pools' cap, named once in :mod:`prime_rs.checks`.
MAX_THREADS: int = _checks.MAX_THREADS

#: A stable hash of the simulator's version, model revision, design space, constants and
#: feasibility rules (``rust/prime-core/src/sim/fingerprint.rs``). Generated datasets record it
#: and the cache of generated data is keyed by it, so logs of another model are never reused.
FINGERPRINT: str = _native.sim.fingerprint()

#: The EdgeTPU-like reference design (docs/simulator.md section 3): 4x4 PEs, 64 lanes, 4 cores per PE,
#: 512 KiB PE memory, 32 KiB core memory, 16384 instruction entries, 64 KiB parameter memory,
#: 32 KiB activation memory, 25 GB/s DRAM. Its area is ≈27 mm², PRIME's budget.
EDGETPU_REFERENCE: np.ndarray = np.array([2, 2, 4, 2, 1, 3, 6, 3, 4, 4], dtype=np.uint8)
EDGETPU_REFERENCE.setflags(write=False)


class HasOps(Protocol):
    """Anything with an op table (``Workload`` is one); see ``prime_rs.workloads.from_ops``."""

    @property
    def ops(self) -> Mapping[str, np.ndarray]: ...


#: What names a workload: a built-in name, a workload file, a loaded handle, or any other object
#: with an ``ops`` table.
WorkloadLike = str | os.PathLike[str] | Workload | HasOps


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

    def __repr__(self) -> str:
        n, ok = len(self), int(np.count_nonzero(self.feasible))
        text = f"SimResult({n:,} designs, {ok:,} feasible"
        if ok:
            lat = self.latency_ms[self.feasible]
            text += f", latency {lat.min():.4g}..{lat.max():.4g} ms"
        return text + ")"

    def to_arrow(self) -> Any:
        """A pyarrow Table, one row per design, reasons as names ("" when feasible)."""
        import pyarrow as pa

        return pa.table(
            {
                "latency_ms": self.latency_ms,
                "area_mm2": self.area_mm2,
                "energy_mj": self.energy_mj,
                "feasible": self.feasible,
                "reason": pa.array(self.reason_names().tolist(), pa.string()),
            }
        )

    def to_pandas(self) -> Any:
        """A pandas DataFrame of :meth:`to_arrow` (needs pandas, which is optional)."""
        from prime_rs._display import to_pandas

        return to_pandas(self.to_arrow())

    def _repr_html_(self) -> str:
        from prime_rs._display import fmt_ms, html_table

        show = min(len(self), 10)
        rows = [
            (
                i,
                fmt_ms(float(self.latency_ms[i])),
                f"{self.area_mm2[i]:.2f}",
                f"{self.energy_mj[i]:.4g}",
                "yes" if self.feasible[i] else "no",
                str(self.reason_names()[i]),
            )
            for i in range(show)
        ]
        more = f" (first {show} shown)" if show < len(self) else ""
        return html_table(
            ("design", "latency (ms)", "area (mm²)", "energy (mJ)", "feasible", "reason"),
            rows,
            caption=repr(self) + more,
        )


def resolve_workload(workload: WorkloadLike) -> Workload:
    """The native handle of a built-in name, a workload file path, a handle, or an object with
    an ``ops`` table (resolve once and reuse the handle: an op table is checked and prepared on
    every resolution)."""
    if isinstance(workload, Workload):
        return workload
    if isinstance(workload, str | os.PathLike):
        from prime_rs import workloads

        return workloads.load(workload)
    if hasattr(workload, "ops"):
        from prime_rs import workloads

        name = getattr(workload, "name", "")
        return workloads.from_ops(workload.ops, name if isinstance(name, str) else "")
    from prime_rs.errors import InvalidArgumentError

    raise InvalidArgumentError(
        f"workload must be a name, a path or a Workload, got {type(workload).__name__}"
    )


def _threads(threads: int | None) -> int | None:
    from prime_rs.checks import threads as check_threads

    return check_threads(threads)


def simulate(designs: Any, workload: WorkloadLike, threads: int | None = None) -> SimResult:
    """Simulate designs ((n, 10) indices, a single design or a list) on one workload."""
    rows = SPACE.validate(designs)
    out = _native.sim.simulate(rows, resolve_workload(workload), _threads(threads))
    return SimResult(**out)


def area(designs: Any, threads: int | None = None) -> np.ndarray:
    """Chip area in mm² of each design (analytic; no workload, no simulation)."""
    return _native.sim.area(SPACE.validate(designs), _threads(threads))
