"""`prime_rs._native.tfrecord` (rust/prime-py/src/dataset.rs)."""

import os
from typing import final

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
