"""The built-in simulator as an oracle: the default world of generated data, tests and benches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from prime_rs.checks import count
from prime_rs.oracles._base import Oracle
from prime_rs.simulator import REASONS, area, resolve_workload, simulate

__all__ = ["BuiltinOracle"]


class BuiltinOracle(Oracle):
    """Evaluates designs with prime-rs's native simulator.

    Applications are built-in workload names or workload-file paths, resolved once and kept;
    ``workloads`` maps further names to workload objects (e.g. a user's network already loaded,
    or a file registered under a short name). Area is the analytic model, exact in this world.
    """

    name = "builtin"
    world = "builtin"

    def __init__(
        self,
        workloads: Mapping[str, Any] | None = None,
        *,
        threads: int | None = None,
        batch_size: int | None = None,
        jobs: int = 1,
    ) -> None:
        super().__init__(batch_size=batch_size, jobs=jobs)
        self._threads = threads
        self._workloads: dict[str, Any] = dict(workloads or {})

    @property
    def threads(self) -> int | None:
        """Simulator threads (None: all cores); results do not depend on it."""
        return self._threads

    @threads.setter
    def threads(self, value: int | None) -> None:
        self._threads = None if value is None else count(value, "threads", 1)

    def workload(self, application: str) -> Any:
        """The workload object behind an application name (resolved once, then kept)."""
        w = self._workloads.get(application)
        if w is None:
            w = resolve_workload(application)
            self._workloads[application] = w
        return w

    def _evaluate(
        self, designs: npt.NDArray[np.uint8], applications: tuple[str, ...]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n, m = designs.shape[0], len(applications)
        lat = np.empty((n, m), dtype=np.float64)
        feas = np.empty((n, m), dtype=bool)
        rsn = np.empty((n, m), dtype=object)
        names = np.asarray(REASONS, dtype=object)
        for j, app in enumerate(applications):
            res = simulate(designs, self.workload(app), threads=self._threads)
            lat[:, j] = res.latency_ms
            feas[:, j] = res.feasible
            rsn[:, j] = names[res.reason]
        return lat, area(designs, threads=self._threads), feas, rsn
