"""Type stubs of the native module `prime_rs._native` (checked against the binary by
`tests/test_stubs.py` with mypy.stubtest). Sections follow the binding crate's modules."""

from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str

# --- space (rust/prime-py/src/space.rs) ---

# --- search (rust/prime-py/src/search.rs) ---

# --- workload (rust/prime-py/src/workload.rs) ---

def workload_names() -> list[str]: ...
def workload_context_features() -> list[str]: ...
def workload_load(name_or_path: str) -> dict[str, Any]: ...
def workload_parse(text: str, format: str, source: str) -> dict[str, Any]: ...

# --- sim (rust/prime-py/src/sim.rs) ---

# --- dataset (rust/prime-py/src/dataset.rs) ---
