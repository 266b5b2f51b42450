"""The oracle interface and the machinery every oracle shares: cache, call count, batches, jobs."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from prime_rs.checks import count
from prime_rs.errors import InvalidArgumentError, OracleError
from prime_rs.space import SPACE, DesignsLike

__all__ = ["Oracle", "OracleResult", "check_raw_result"]


@dataclass(frozen=True)
class OracleResult:
    """What an oracle said about ``n`` designs on ``m`` applications (rows in input order).

    ``area_mm2`` is per design: area is a property of the chip, not of the application, so an
    oracle that reports it per pair must report the same value for every application of a
    design (checked). ``latency_ms`` is ``+inf`` where the pair is infeasible; ``reason`` holds
    the oracle's reason name for infeasible pairs and ``""`` for feasible ones.
    """

    designs: npt.NDArray[np.uint8]  # (n, 10)
    applications: tuple[str, ...]
    latency_ms: npt.NDArray[np.float64]  # (n, m)
    area_mm2: npt.NDArray[np.float64]  # (n,)
    feasible: npt.NDArray[np.bool_]  # (n, m)
    reason: npt.NDArray[np.object_]  # (n, m) of str

    def __len__(self) -> int:
        return int(self.designs.shape[0])


def check_raw_result(
    source: str,
    n: int,
    m: int,
    latency_ms: npt.ArrayLike,
    area_mm2: npt.ArrayLike,
    feasible: npt.ArrayLike,
    reason: npt.ArrayLike | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate what an oracle implementation returned for ``n`` designs x ``m`` applications.

    Latency and feasibility are ``(n, m)``; area is ``(n,)`` or ``(n, m)`` with one value per
    design. A feasible pair needs a finite positive latency and every design a finite positive
    area; anything else is an :class:`OracleError` naming ``source``, because a partial or
    garbled answer must never be used as if it were complete. Returns the normalised arrays
    (latency ``+inf`` where infeasible, reasons as ``str``).
    """
    try:
        lat = np.asarray(latency_ms, dtype=np.float64)
        feas = np.asarray(feasible)
        ar = np.asarray(area_mm2, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise OracleError(f"{source} returned values that are not numbers: {e}") from None
    if lat.shape != (n, m):
        raise OracleError(f"{source} returned latency of shape {lat.shape}, expected {(n, m)}")
    if feas.shape != (n, m):
        raise OracleError(f"{source} returned feasible of shape {feas.shape}, expected {(n, m)}")
    if feas.dtype != np.bool_:
        if not np.isin(feas, (0, 1)).all():
            raise OracleError(f"{source} returned feasible values other than true/false")
        feas = feas.astype(bool)
    if ar.shape == (n, m):
        if m and not np.all(ar == ar[:, :1]):
            row = int(np.flatnonzero(~np.all(ar == ar[:, :1], axis=1))[0])
            raise OracleError(
                f"{source} returned different areas for the applications of design row {row}; "
                "area is a property of the chip"
            )
        ar = ar[:, 0] if m else np.empty(n)
    elif ar.shape != (n,):
        raise OracleError(f"{source} returned area of shape {ar.shape}, expected {(n,)}")
    bad_area = ~(np.isfinite(ar) & (ar > 0))
    if bad_area.any():
        row = int(np.flatnonzero(bad_area)[0])
        raise OracleError(f"{source} returned a non-positive or non-finite area at row {row}")
    bad_lat = feas & ~(np.isfinite(lat) & (lat > 0))
    if bad_lat.any():
        row, col = (int(v[0]) for v in np.nonzero(bad_lat))
        raise OracleError(
            f"{source} returned a feasible pair without a finite positive latency "
            f"(row {row}, application {col}: {lat[row, col]!r})"
        )
    lat = np.where(feas, lat, np.inf)
    if reason is None:
        rsn = np.where(feas, "", "infeasible").astype(object)
    else:
        rsn = np.asarray(reason, dtype=object)
        if rsn.shape != (n, m):
            raise OracleError(f"{source} returned reason of shape {rsn.shape}, expected {(n, m)}")
        missing = np.frompyfunc(lambda r: r is None or r == "", 1, 1)(rsn).astype(bool)
        rsn = np.where(feas, "", np.where(missing, "infeasible", rsn)).astype(object)
    return lat, ar, feas, rsn


class Oracle(ABC):
    """Evaluates designs in one world, counting calls and caching what it has seen.

    Subclasses implement :meth:`_evaluate` for a batch of *new* designs; the public
    :meth:`evaluate` adds the cache, the call count, batching and parallel jobs. ``name`` says
    what evaluates the designs (it goes into ``best.json``); ``world`` is ``"builtin"`` for the
    built-in simulator and ``"external"`` for anything else.
    """

    #: What evaluated the designs, for reports and artefacts (e.g. ``"builtin"``).
    name: str = "oracle"
    #: The world the oracle's numbers belong to: ``"builtin"`` or ``"external"``.
    world: str = "external"

    def __init__(self, *, batch_size: int | None = None, jobs: int = 1) -> None:
        from prime_rs.executors import MAX_JOBS

        self._batch_size = None if batch_size is None else count(batch_size, "batch_size", 1)
        self._jobs = count(jobs, "jobs", 1)
        if self._jobs > MAX_JOBS:
            raise InvalidArgumentError(f"jobs must be at most {MAX_JOBS}, got {self._jobs}")
        self._executor: Any = None
        self._cache: dict[tuple[int, str], tuple[float, float, bool, str]] = {}
        self._lock = threading.Lock()
        self._calls = 0
        self._cache_hits = 0

    def use_executor(self, executor: Any) -> None:
        """Run batches on ``executor`` (a :class:`prime_rs.executors.Executor`, e.g. Ray
        workers for a slow external simulator) instead of this process's threads; its
        ``jobs`` then bounds how many batches run at once. Answers do not depend on it: each
        batch is a pure function of its designs, merged in order here. The oracle is sent to
        the workers without its cache."""
        from prime_rs.executors import Executor

        if executor is not None and not isinstance(executor, Executor):
            raise InvalidArgumentError(f"executor must be an Executor, got {executor!r}")
        self._executor = executor
        if executor is not None:
            self._jobs = executor.jobs

    def __getstate__(self) -> dict[str, Any]:
        # What a worker needs to evaluate a batch: not the lock, cache or executor.
        state = dict(self.__dict__)
        state["_lock"] = None
        state["_cache"] = {}
        state["_executor"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        """Designs evaluated so far (cache hits excluded)."""
        return self._calls

    @property
    def cache_hits(self) -> int:
        """Designs answered wholly from the cache."""
        return self._cache_hits

    @property
    def jobs(self) -> int:
        return self._jobs

    @property
    def batch_size(self) -> int | None:
        return self._batch_size

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, calls={self._calls})"

    @abstractmethod
    def _evaluate(
        self, designs: npt.NDArray[np.uint8], applications: tuple[str, ...]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Evaluate ``(n, 10)`` distinct designs on every application: ``(latency (n, m),
        area (n,) or (n, m), feasible (n, m), reason (n, m) or None)``. Raise
        :class:`~prime_rs.errors.OracleError` on failure; the base class validates the shapes
        and values (:func:`check_raw_result`)."""

    def evaluate(self, designs: DesignsLike, applications: Sequence[str]) -> OracleResult:
        """Evaluate every design on every application (rows in input order)."""
        apps = _check_applications(applications)
        rows = SPACE.validate(designs)
        n, m = rows.shape[0], len(apps)
        ids = SPACE.to_ids(rows)
        # Distinct designs that miss the cache for at least one application, in first-seen
        # order: the same answer whatever the batch size or the number of jobs.
        _, first = np.unique(ids, return_index=True)
        first.sort()
        with self._lock:
            todo = [int(i) for i in first if any((int(ids[i]), a) not in self._cache for a in apps)]
            self._cache_hits += len(first) - len(todo)
        if todo:
            self._run(rows[np.asarray(todo, dtype=np.int64)], ids[todo], apps)
        lat = np.empty((n, m), dtype=np.float64)
        ar = np.empty(n, dtype=np.float64)
        feas = np.empty((n, m), dtype=bool)
        rsn = np.empty((n, m), dtype=object)
        with self._lock:
            for i, design_id in enumerate(ids.tolist()):
                for j, a in enumerate(apps):
                    lat[i, j], ar[i], feas[i, j], rsn[i, j] = self._cache[(design_id, a)]
        return OracleResult(rows, apps, lat, ar, feas, rsn)

    def _run(self, rows: np.ndarray, ids: np.ndarray, apps: tuple[str, ...]) -> None:
        size = self._batch_size or len(rows)
        chunks = [(rows[s : s + size], ids[s : s + size]) for s in range(0, len(rows), size)]

        from prime_rs.executors import LocalExecutor

        executor = self._executor or LocalExecutor(jobs=self._jobs)
        # Batch by batch in windows of ``jobs``: a failure keeps the finished batches cached
        # (they are complete answers) and records nothing of the failed one.
        window = max(1, executor.jobs)
        for lo in range(0, len(chunks), window):
            part_chunks = chunks[lo : lo + window]
            answers = executor.map(_EvaluateBatch(self, apps), [part for part, _ in part_chunks])
            with self._lock:
                for (part, part_ids), (lat, ar, feas, rsn) in zip(
                    part_chunks, answers, strict=True
                ):
                    for k, design_id in enumerate(part_ids.tolist()):
                        for j, a in enumerate(apps):
                            self._cache[(design_id, a)] = (
                                float(lat[k, j]),
                                float(ar[k]),
                                bool(feas[k, j]),
                                str(rsn[k, j]),
                            )
                    self._calls += len(part)


class _EvaluateBatch:
    """One batch's checked answer (a picklable callable, so Ray workers can run it)."""

    def __init__(self, oracle: Oracle, apps: tuple[str, ...]) -> None:
        self.oracle, self.apps = oracle, apps

    def __call__(self, part: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        raw = self.oracle._evaluate(part, self.apps)
        return check_raw_result(self.oracle.name, len(part), len(self.apps), *raw)


def _check_applications(applications: Sequence[str]) -> tuple[str, ...]:
    if isinstance(applications, str):
        applications = [applications]
    apps = tuple(applications)
    if not apps:
        raise InvalidArgumentError("an oracle evaluation needs at least one application")
    for a in apps:
        if not isinstance(a, str) or not a:
            raise InvalidArgumentError(f"application names must be non-empty strings, got {a!r}")
    if len(set(apps)) != len(apps):
        raise InvalidArgumentError(f"applications are repeated: {list(apps)}")
    return apps
