"""Type stubs of the native module `prime_rs._native` (checked against the binary by
`tests/test_stubs.py` with mypy.stubtest). Sections follow the binding crate's modules."""

import os
from typing import Any, final

import numpy as np
import numpy.typing as npt

__version__: str

# --- space (rust/prime-py/src/space.rs) ---

SPACE_SIZE: int
SPACE_ONEHOT_WIDTH: int

def space_params() -> list[tuple[str, str, str, list[int]]]: ...
def space_validate(designs: npt.NDArray[np.uint8]) -> None: ...
def space_to_ids(designs: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]: ...
def space_from_ids(ids: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]: ...
def space_to_values(designs: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]: ...
def space_from_values(values: npt.NDArray[np.float64]) -> npt.NDArray[np.uint8]: ...
def space_index_column(
    param: int, values: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]: ...
def space_onehot(designs: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]: ...
def space_from_onehot(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]: ...
def space_sample(n: int, seed: int) -> npt.NDArray[np.uint8]: ...
def space_mutate(
    designs: npt.NDArray[np.uint8], seed: int, rate: float, step_prob: float
) -> npt.NDArray[np.uint8]: ...
def space_crossover(
    a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8], seed: int
) -> npt.NDArray[np.uint8]: ...
def space_unique(designs: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]: ...

# --- search (rust/prime-py/src/search.rs) ---

def search_next_generation(
    population: npt.NDArray[np.uint8],
    fitness: npt.NDArray[np.float64],
    n_children: int,
    seed: int,
    tournament_size: int,
    crossover_prob: float,
    mutation_rate: float,
    step_prob: float,
) -> npt.NDArray[np.uint8]: ...

# --- workload (rust/prime-py/src/workload.rs) ---

def workload_names() -> list[str]: ...
def workload_context_features() -> list[str]: ...
def workload_load(name_or_path: str) -> dict[str, Any]: ...
def workload_parse(text: str, format: str, source: str) -> dict[str, Any]: ...

# --- sim (rust/prime-py/src/sim.rs) ---

def sim_simulate(
    designs: npt.NDArray[np.uint8], op_table: npt.NDArray[np.int64], threads: int | None = None
) -> dict[str, npt.NDArray[np.generic]]: ...
def sim_area(
    designs: npt.NDArray[np.uint8], threads: int | None = None
) -> npt.NDArray[np.float64]: ...
def sim_constants() -> list[tuple[str, float]]: ...
def sim_reason_names() -> list[str]: ...
def sim_op_columns() -> list[str]: ...
def sim_rules() -> list[tuple[int, str, str, str, str]]: ...
def sim_fingerprint() -> str: ...

# --- dataset (rust/prime-py/src/dataset.rs) ---

def dataset_read_tfrecord(
    paths: list[str] | list[os.PathLike[str]] | list[str | os.PathLike[str]],
    float_features: list[str],
    int_features: list[str],
    skip_corrupt: bool = False,
) -> tuple[
    list[npt.NDArray[np.float32]],
    list[npt.NDArray[np.int64]],
    list[tuple[str, int, int]],
    list[tuple[str, int, str]],
]: ...

@final
class TfrecordReader:
    def __new__(
        cls,
        paths: list[str] | list[os.PathLike[str]] | list[str | os.PathLike[str]],
        float_features: list[str],
        int_features: list[str],
        skip_corrupt: bool = False,
        design: bool = False,
    ) -> TfrecordReader: ...
    def next_batch(
        self, max_rows: int
    ) -> (
        tuple[
            npt.NDArray[np.uint8] | None,
            tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.float32]],
            list[npt.NDArray[np.float32]],
            list[npt.NDArray[np.int64]],
            list[tuple[int, int]],
        ]
        | None
    ): ...
    def files(self) -> list[tuple[str, int, int]]: ...
    def skips(self) -> list[tuple[str, int, str]]: ...

def dataset_write_tfrecord(
    path: str | os.PathLike[str],
    float_features: list[tuple[str, npt.NDArray[np.float32]]],
    int_features: list[tuple[str, npt.NDArray[np.int64]]],
) -> int: ...

# --- enumerate (rust/prime-py/src/enumerate.rs) ---

@final
class Enumeration:
    def __new__(
        cls,
        op_tables: list[npt.NDArray[np.int64]],
        sets: list[list[int]],
        area_budget: float,
        k: int,
        threads: int | None = None,
    ) -> Enumeration: ...
    @property
    def size(self) -> int: ...
    @property
    def covered(self) -> int: ...
    @property
    def done(self) -> bool: ...
    def advance(self, n: int) -> int: ...
    def summary(self) -> dict[str, Any]: ...
