"""Executors: one interface for fanning out independent work, on this machine or on Ray.

Work that splits into independent pieces (shards of a dataset by seed-stream or id range, id
ranges of an enumeration, oracle batches, the cells of a comparison) is handed to an executor
as a function and a list of items. :meth:`Executor.map` returns the results **in item order**,
whatever the number of workers and whichever finishes first, so a result never depends on the
executor or its parallelism: each item carries everything its result depends on (its seed
stream, its id range), and the caller merges results in order.

- :class:`LocalExecutor` (the default): a pool of threads (for work that releases the GIL, as
  every native kernel and an external command do) or of processes (for Python-heavy work).
  Processes are started with ``spawn``: forking a process whose rayon pool is running can
  deadlock the child, and ``spawn`` never forks.
- :class:`RayExecutor`: tasks on a Ray cluster (``address``), or on a local Ray instance started
  for the purpose when no address is given. ``pip install 'prime-rs[ray]'``.

``jobs`` bounds how many items run at once on either backend.

Long jobs that must survive a crash go through :func:`map_resumable`: every finished item's
result is kept on disk as a shard in a folder of the job, so a rerun with ``resume=True`` skips
what is done, and results come back in item order so the caller merges them into one final
(atomic) file exactly as an uninterrupted run would. ``prime-rs generate`` uses it; it is the
helper for any other job split into ordered pieces (enumeration id ranges, comparison cells).
"""

from __future__ import annotations

import json
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor as _PoolExecutor
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal, TypeVar

from prime_rs.checks import count
from prime_rs.errors import InvalidArgumentError, MissingDependencyError

__all__ = [
    "EXECUTORS",
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "get_executor",
    "map_resumable",
]

T = TypeVar("T")
R = TypeVar("R")

#: Upper bound on ``jobs``: more workers than this is a typo, not a machine.
MAX_JOBS = 4096


class Executor(ABC):
    """Runs ``fn`` over items, at most :attr:`jobs` at a time; results in item order."""

    name: str = "executor"

    def __init__(self, jobs: int | None = None) -> None:
        if jobs is None:
            jobs = os.cpu_count() or 1
        self.jobs = count(jobs, "jobs", 1)
        if self.jobs > MAX_JOBS:
            raise InvalidArgumentError(f"jobs must be at most {MAX_JOBS}, got {self.jobs}")

    @abstractmethod
    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        on_result: Callable[[int, R], None] | None = None,
    ) -> list[R]:
        """``[fn(item) for item in items]``, run in parallel. The first exception raised by
        ``fn`` propagates (as its own type); items not yet started are not run.

        ``on_result(i, result)`` is called in the calling process as soon as item ``i`` is
        done, in the order items finish: a long job keeps each finished piece (a comparison
        writes its cell) without waiting for the slowest one. An exception it raises stops the
        map like one of ``fn``'s."""

    def close(self) -> None:
        """Release the workers (a no-op where there are none to keep)."""
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(jobs={self.jobs})"


class LocalExecutor(Executor):
    """Threads (``kind="thread"``, the default) or spawned processes on this machine."""

    name = "local"

    def __init__(
        self, jobs: int | None = None, kind: Literal["thread", "process"] = "thread"
    ) -> None:
        super().__init__(jobs)
        if kind not in ("thread", "process"):
            raise InvalidArgumentError(f"kind must be 'thread' or 'process', got {kind!r}")
        self.kind = kind

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        on_result: Callable[[int, R], None] | None = None,
    ) -> list[R]:
        items = list(items)
        if self.jobs == 1 or len(items) <= 1:
            results = []
            for i, x in enumerate(items):
                results.append(fn(x))
                if on_result is not None:
                    on_result(i, results[-1])
            return results
        workers = min(self.jobs, len(items))
        pool: _PoolExecutor
        if self.kind == "thread":
            pool = ThreadPoolExecutor(max_workers=workers)
        else:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
        with pool:
            futures = {pool.submit(fn, x): i for i, x in enumerate(items)}
            try:
                if on_result is not None:
                    for f in as_completed(futures):
                        on_result(futures[f], f.result())
                return [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                raise


class RayExecutor(Executor):
    """Tasks on Ray: the cluster at ``address``, or a local instance started on first use (with
    ``jobs`` CPUs) when ``address`` is None. At most ``jobs`` tasks are in flight at once."""

    name = "ray"

    def __init__(self, jobs: int | None = None, address: str | None = None) -> None:
        super().__init__(jobs)
        self.address = address
        self._ray = _import_ray()
        self._started_here = False

    def _ensure(self) -> Any:
        ray = self._ray
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if self.address is None:
                kwargs["num_cpus"] = self.jobs
            else:
                kwargs["address"] = self.address
            try:
                ray.init(**kwargs)
            except (ConnectionError, RuntimeError, ValueError) as e:
                where = self.address or "a local instance"
                raise InvalidArgumentError(f"cannot start or reach Ray at {where}: {e}") from e
            self._started_here = True
        return ray

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        on_result: Callable[[int, R], None] | None = None,
    ) -> list[R]:
        items = list(items)
        if not items:
            return []
        ray = self._ensure()
        remote = ray.remote(num_cpus=1)(_apply)
        fn_ref = ray.put(fn)
        results: list[Any] = [None] * len(items)
        pending: dict[Any, int] = {}
        nxt = 0
        try:
            while nxt < len(items) or pending:
                while nxt < len(items) and len(pending) < self.jobs:
                    pending[remote.remote(fn_ref, items[nxt])] = nxt
                    nxt += 1
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    i = pending.pop(ref)
                    results[i] = ray.get(ref)
                    if on_result is not None:
                        on_result(i, results[i])
        except ray.exceptions.RayTaskError as e:
            # Let the tasks in flight finish rather than cancel them: a cancel racing a task's
            # completion has crashed Ray's core worker here. No new item is started.
            if pending:
                ray.wait(list(pending), num_returns=len(pending))
            cause = getattr(e, "cause", None)
            if isinstance(cause, BaseException):
                raise cause from None
            raise
        return results

    def close(self) -> None:
        if self._started_here and self._ray.is_initialized():
            self._ray.shutdown()
        self._started_here = False


def _apply(fn: Callable[[T], R], item: T) -> R:
    # Ray takes only Python functions as tasks; this one carries any callable (a builtin, a
    # bound method, a functools.partial) to the workers.
    return fn(item)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingDependencyError(
            "the Ray executor needs Ray: pip install 'prime-rs[ray]'"
        ) from None
    return ray


#: Executor backends by name (``--executor``).
EXECUTORS: dict[str, type[Executor]] = {"local": LocalExecutor, "ray": RayExecutor}


def get_executor(
    spec: str | Executor | None = None, *, jobs: int | None = None, address: str | None = None
) -> Executor:
    """An executor from a CLI-style name (``"local"``, ``"ray"``) or one already built."""
    if isinstance(spec, Executor):
        return spec
    name = spec or "local"
    if name not in EXECUTORS:
        raise InvalidArgumentError(
            f"unknown executor {name!r}; choose one of: {', '.join(EXECUTORS)}"
        )
    if name == "ray":
        return RayExecutor(jobs=jobs, address=address)
    if address is not None:
        raise InvalidArgumentError("--address is only meaningful with --executor ray")
    return LocalExecutor(jobs=jobs)


_MANIFEST = "manifest.json"


def map_resumable(
    executor: Executor,
    fn: Callable[[T], R],
    items: Sequence[T],
    directory: str | os.PathLike[str],
    key: dict[str, Any],
    *,
    save: Callable[[R, Path], None],
    load: Callable[[Path], R],
    resume: bool = False,
    suffix: str = "",
) -> Iterator[R]:
    """Yield ``fn(item)`` for every item, in item order, keeping each result on disk.

    ``directory`` holds the job's shards: ``manifest.json`` (``key``: everything the results
    depend on, JSON-able) and ``shard-NNNNNN{suffix}`` per finished item, written by ``save``
    atomically (a killed run leaves whole shards or none) and read back by ``load``. With
    ``resume`` the shards of a job with the same key are reused and only missing items run;
    a different key is refused (:class:`InvalidArgumentError`), because mixing shards of two
    settings would silently yield a result neither asked for. Without ``resume`` leftover
    shards are discarded. Items run ``executor.jobs`` at a time, so memory holds at most that
    many results. The caller deletes ``directory`` once it has merged the results.
    """
    from prime_rs.fileio import atomic_path, fsync_path

    d = Path(directory)
    manifest = d / _MANIFEST
    want = json.loads(json.dumps(key))  # the key as it reads back from disk
    if d.exists() and any(d.iterdir()):
        have = None
        if resume and manifest.is_file():
            try:
                have = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                have = None  # a torn manifest: its shards cannot be trusted, start over
        if resume and have is not None and have != want:
            diff = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
            raise InvalidArgumentError(
                f"cannot resume: the unfinished job in {d} has other settings ({', '.join(diff)}); "
                "rerun without --resume to start over"
            )
        if have is None:
            for entry in d.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
    d.mkdir(parents=True, exist_ok=True)
    if not manifest.is_file():
        with atomic_path(manifest) as tmp:
            tmp.write_text(json.dumps(want, indent=1, sort_keys=True), encoding="utf-8")
        fsync_path(d)

    def shard(i: int) -> Path:
        return d / f"shard-{i:06d}{suffix}"

    items = list(items)
    window = max(1, executor.jobs)
    for lo in range(0, len(items), window):
        idx = range(lo, min(lo + window, len(items)))
        todo = [i for i in idx if not shard(i).is_file()]
        fresh = dict(zip(todo, executor.map(fn, [items[i] for i in todo]), strict=True))
        for i, r in fresh.items():
            with atomic_path(shard(i)) as tmp:
                save(r, tmp)
        del fresh
        # Every result is read back from its shard, fresh or resumed, so the two paths cannot
        # differ in what they hand the caller.
        for i in idx:
            yield load(shard(i))
