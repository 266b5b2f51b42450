"""`prime_rs._native.tfrecord` (rust/prime-py/src/dataset.rs)."""

import os

import numpy as np
import numpy.typing as npt

def read(
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
def write(
    path: str | os.PathLike[str],
    float_features: list[tuple[str, npt.NDArray[np.float32]]],
    int_features: list[tuple[str, npt.NDArray[np.int64]]],
) -> int: ...
