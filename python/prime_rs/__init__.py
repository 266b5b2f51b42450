"""prime-rs: data-driven offline design of hardware accelerators (PRIME, ICLR 2022).

The top level holds the cheap, native parts: the design space, the workload zoo and the
simulator. The JAX parts (``prime_rs.model``, ``prime_rs.train``, ``prime_rs.optimize``) are
imported on demand so ``import prime_rs`` and ``prime-rs --help`` stay fast.

``prime_rs.optimize(...)`` runs the whole job in memory (:func:`prime_rs.api.optimize`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prime_rs import errors, workloads
from prime_rs._native import __version__
from prime_rs.simulator import EDGETPU_REFERENCE, SimResult, area, simulate
from prime_rs.space import SPACE, DesignSpace

if TYPE_CHECKING:
    from prime_rs.ground_truth import exhaustive

__all__ = [
    "EDGETPU_REFERENCE",
    "SPACE",
    "DesignSpace",
    "SimResult",
    "__version__",
    "area",
    "errors",
    "exhaustive",
    "optimize",
    "simulate",
    "workloads",
]


def __getattr__(name: str) -> object:
    # The ground truth is for evaluation only: imported on first use, so importing prime_rs
    # (as training and search do) never loads it.
    if name == "exhaustive":
        from prime_rs.ground_truth import exhaustive

        return exhaustive
    # Loaded on first use: it pulls in the search stack (and, called, JAX).
    if name == "optimize":
        import importlib

        return importlib.import_module("prime_rs.optimize")
    raise AttributeError(f"module 'prime_rs' has no attribute {name!r}")
