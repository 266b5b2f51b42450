"""`prime_rs._native.enumerate` (rust/prime-py/src/enumerate.rs)."""

from typing import Any, final

from prime_rs._native.workload import Workload

@final
class Enumeration:
    def __new__(
        cls,
        workloads: list[Workload],
        sets: list[list[int]],
        area_budget: float,
        k: int,
        threads: int | None = None,
        start: int = 0,
        end: int | None = None,
    ) -> Enumeration: ...
    @property
    def size(self) -> int: ...
    @property
    def covered(self) -> int: ...
    @property
    def done(self) -> bool: ...
    def advance(self, n: int) -> int: ...
    def summary(self) -> dict[str, Any]: ...
