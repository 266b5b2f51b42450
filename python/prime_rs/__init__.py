"""prime-rs: data-driven offline design of hardware accelerators (PRIME, ICLR 2022).

The top level holds the cheap, native parts: the design space, the workload zoo and the
simulator. The JAX parts (``prime_rs.model``, ``prime_rs.train``, ``prime_rs.optimize``) are
imported on demand so ``import prime_rs`` and ``prime-rs --help`` stay fast.
"""

from __future__ import annotations

from prime_rs import errors, workloads
from prime_rs._native import __version__
from prime_rs.simulator import EDGETPU_REFERENCE, SimResult, area, simulate
from prime_rs.space import SPACE, DesignSpace

__all__ = [
    "EDGETPU_REFERENCE",
    "SPACE",
    "DesignSpace",
    "SimResult",
    "__version__",
    "area",
    "errors",
    "simulate",
    "workloads",
]
