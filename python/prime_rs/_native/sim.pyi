"""`prime_rs._native.sim` (rust/prime-py/src/sim.rs)."""

import numpy as np
import numpy.typing as npt

from prime_rs._native.workload import Workload

MAX_THREADS: int

def simulate(
    designs: npt.NDArray[np.uint8], workload: Workload, threads: int | None = None
) -> dict[str, npt.NDArray[np.generic]]: ...
def area(designs: npt.NDArray[np.uint8], threads: int | None = None) -> npt.NDArray[np.float64]: ...
def constants() -> list[tuple[str, float]]: ...
def reason_names() -> list[str]: ...
