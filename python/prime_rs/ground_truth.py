"""The true optimum of a task in the built-in world, by enumerating every design.

The built-in simulator is fast enough to visit the whole 452,760,000-design space: the native
kernel (``prime_core::enumerate``) walks the designs, skips every run of them over the area budget,
simulates the rest on each application until the first one they are infeasible on, and keeps the
``k`` best by geometric-mean latency (ties broken by design id) and a log-spaced histogram of the
geometric-mean latency of every feasible in-budget design. :func:`exhaustive` returns an
:class:`Exhaustive`: the best designs, the counts, and :meth:`Exhaustive.quantile`, which places
any latency in the whole feasible in-budget space.

**For evaluation only.** The optimum answers "how far from the best design that exists is this
result?". Nothing in training, search or candidate selection may import this module: a method
that read it would be told the answer.

Results are cached on disk (``$PRIME_RS_CACHE/optima``, see :func:`prime_rs.runs.cache_dir`),
one JSON file per question: the applications' lowered op tables, the area budget, the
sub-space, ``k`` and the simulator's fingerprint. The work is split into native calls of
:data:`CALL_ORDINALS` designs, so a long run reports progress and stops on Ctrl-C between calls.

The ordinals are cut into shards of :data:`SHARD_ORDINALS`, each enumerated on its own (by an
executor: in this process by default, or on Ray workers) and merged exactly: counts and
histograms add, the top-k of the union is the top-k of the shards' top-ks by (latency, design
id), so the result is the same for any shard size or number of workers. With the cache on,
every finished shard is kept next to the cache file (``<key>.parts/``) until the result is
written: an interrupted enumeration asked again continues from the shards it finished.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from prime_rs import _native
from prime_rs.errors import InvalidArgumentError, InvalidDesignError
from prime_rs.executors import Executor
from prime_rs.space import SPACE

__all__ = ["CALL_ORDINALS", "SHARD_ORDINALS", "Exhaustive", "exhaustive", "fingerprint"]

#: Designs (ordinals of the sub-space) per native call: about a second of work at worst on two
#: cores, so progress moves and Ctrl-C is answered promptly, yet long enough that the threads
#: rarely wait for each other at the end of a call.
CALL_ORDINALS = 1 << 23

#: Ordinals per shard, the unit an executor runs and an interrupted enumeration keeps: 14
#: shards for the whole space, each a few seconds on two cores, so several workers share the
#: space evenly and a crash loses little.
SHARD_ORDINALS = 1 << 25

#: Version of the cache file layout; part of the cache key.
_CACHE_FORMAT = 1


def fingerprint() -> str:
    """The built-in simulator's fingerprint: results cached under another one are stale."""
    from prime_rs.worlds import builtin_fingerprint

    return builtin_fingerprint()


@dataclass(frozen=True, eq=False)
class Exhaustive:
    """The enumeration of a task's designs over a sub-space (the whole space by default).

    Arrays of the best designs have one row per design, best first (at most ``k``; fewer when
    fewer designs are feasible): ``designs`` ``(n, 10)`` uint8 indices, ``ids`` their design ids,
    ``latency_ms`` ``(n, n_apps)``, ``geomean_ms`` the geometric mean over the applications (for
    one application, its latency) and ``area_mm2``. ``fixed`` maps each restricted parameter to
    its allowed raw values. The histogram counts every feasible in-budget design by geometric-mean
    latency: ``hist_counts[0]`` below ``hist_edges[0]``, ``hist_counts[i]`` in
    ``[hist_edges[i-1], hist_edges[i])``, ``hist_counts[-1]`` at or above ``hist_edges[-1]``.
    """

    applications: tuple[str, ...]
    area_budget: float
    k: int
    fixed: dict[str, tuple[int, ...]]
    space_size: int
    in_budget: int
    feasible: int
    designs: npt.NDArray[np.uint8]
    ids: npt.NDArray[np.uint64]
    latency_ms: npt.NDArray[np.float64]
    geomean_ms: npt.NDArray[np.float64]
    area_mm2: npt.NDArray[np.float64]
    hist_edges: npt.NDArray[np.float64]
    hist_counts: npt.NDArray[np.int64]
    max_geomean_ms: float
    fingerprint: str
    #: Seconds the enumeration took (when it ran; a cached result keeps the original time).
    elapsed_s: float
    #: Whether this result was read from the cache rather than computed now.
    from_cache: bool = field(default=False, compare=False)

    @property
    def optimum_ms(self) -> float:
        """The true optimum's geometric-mean latency (``inf`` when no design is feasible)."""
        return float(self.geomean_ms[0]) if len(self.geomean_ms) else math.inf

    @property
    def optimum(self) -> npt.NDArray[np.uint8] | None:
        """The best design (``None`` when no design is feasible)."""
        return self.designs[0] if len(self.designs) else None

    def quantile(self, latency_ms: npt.ArrayLike) -> Any:
        """The share of the feasible in-budget designs whose geometric-mean latency is at most
        ``latency_ms`` (a number or an array): the optimum is at ``1 / feasible`` (more when
        designs tie with it), the slowest design at 1. Exact below the ``k``-th best latency (every design that fast is among the
        best kept) and at the extremes; in between, interpolated log-linearly inside the
        histogram bin (each spans 2.3% of latency). NaN when no design is feasible."""
        x = np.asarray(latency_ms, dtype=np.float64)
        if np.isnan(x).any():
            raise InvalidArgumentError("quantile of NaN latency")
        out = np.vectorize(self._quantile_one, otypes=[np.float64])(x)
        return float(out) if out.ndim == 0 else out

    def _quantile_one(self, x: float) -> float:
        n = self.feasible
        if n == 0:
            return math.nan
        best = self.geomean_ms
        if len(best) < self.k or x < best[-1]:
            # Every design at most this fast is among the ones kept.
            return float(np.searchsorted(best, x, side="right")) / n
        if x >= self.max_geomean_ms:
            return 1.0
        edges, counts = self.hist_edges, self.hist_counts
        b = int(np.searchsorted(edges, x, side="right"))  # the bin of x: edges <= x
        below = int(counts[:b].sum())
        lo = edges[b - 1] if b > 0 else best[0]
        hi = edges[b] if b < len(edges) else self.max_geomean_ms
        frac = math.log(x / lo) / math.log(hi / lo) if hi > lo else 1.0
        estimate = below + min(max(frac, 0.0), 1.0) * int(counts[b])
        return min(max(estimate, float(len(best))), float(n)) / n

    def assess(self, latency_ms: float | None, start_ms: float | None = None) -> dict[str, Any]:
        """How good a geometric-mean latency is against the whole feasible in-budget space:

        * ``regret``: ``latency_ms / optimum - 1`` (0 at the optimum);
        * ``gap_closed``: ``(start_ms - latency_ms) / (start_ms - optimum)``, the share of the
          gap from ``start_ms`` (D(best), the best logged design) to the optimum that it closed:
          1 at the optimum, 0 at the start, negative when worse than the start; None without a
          start, or when the start is already the optimum (no gap to close);
        * ``quantile``: :meth:`quantile`.

        ``optimum_ms`` is there too. Every measure is None when ``latency_ms`` is None (no
        feasible result) or no design is feasible."""
        out: dict[str, Any] = {
            "optimum_ms": self.optimum_ms if self.feasible else None,
            "regret": None,
            "gap_closed": None,
            "quantile": None,
        }
        if latency_ms is None or not self.feasible:
            return out
        x = float(latency_ms)
        if not (math.isfinite(x) and x > 0):
            raise InvalidArgumentError(f"cannot assess a latency of {latency_ms!r}")
        best = self.optimum_ms
        out["regret"] = x / best - 1.0
        if start_ms is not None and float(start_ms) > best:
            out["gap_closed"] = (float(start_ms) - x) / (float(start_ms) - best)
        out["quantile"] = float(self.quantile(x))
        return out

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (floats round-trip exactly); :meth:`from_json` reads it back."""
        d = asdict(self)
        d.pop("from_cache")
        d["applications"] = list(self.applications)
        d["fixed"] = {name: list(v) for name, v in self.fixed.items()}
        for name in ("designs", "ids", "latency_ms", "geomean_ms", "area_mm2"):
            d[name] = getattr(self, name).tolist()
        d["hist_edges"] = self.hist_edges.tolist()
        d["hist_counts"] = self.hist_counts.tolist()
        d["optimum_ms"] = self.optimum_ms if self.feasible else None
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Exhaustive:
        n_apps = len(d["applications"])
        return cls(
            applications=tuple(d["applications"]),
            area_budget=float(d["area_budget"]),
            k=int(d["k"]),
            fixed={name: tuple(int(x) for x in v) for name, v in d["fixed"].items()},
            space_size=int(d["space_size"]),
            in_budget=int(d["in_budget"]),
            feasible=int(d["feasible"]),
            designs=np.asarray(d["designs"], dtype=np.uint8).reshape(-1, SPACE.n_params),
            ids=np.asarray(d["ids"], dtype=np.uint64),
            latency_ms=np.asarray(d["latency_ms"], dtype=np.float64).reshape(-1, n_apps),
            geomean_ms=np.asarray(d["geomean_ms"], dtype=np.float64),
            area_mm2=np.asarray(d["area_mm2"], dtype=np.float64),
            hist_edges=np.asarray(d["hist_edges"], dtype=np.float64),
            hist_counts=np.asarray(d["hist_counts"], dtype=np.int64),
            max_geomean_ms=float(d["max_geomean_ms"]),
            fingerprint=str(d["fingerprint"]),
            elapsed_s=float(d["elapsed_s"]),
        )

    def __repr__(self) -> str:
        return (
            f"Exhaustive({list(self.applications)!r}, area_budget={self.area_budget:g}, "
            f"optimum_ms={self.optimum_ms:.6g}, feasible={self.feasible:,} of "
            f"{self.in_budget:,} in budget)"
        )


def _check_count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidArgumentError(f"{what} must be a positive integer, got {value!r}")
    if value < 1:
        raise InvalidArgumentError(f"{what} must be at least 1, got {value}")
    return int(value)


def _index_of(param: int, value: Any) -> int:
    """The index of one raw value, by the space's own value rule (``SPACE.from_values``)."""
    row = SPACE.to_values(np.zeros((1, SPACE.n_params), dtype=np.uint8)).astype(np.float64)
    p = SPACE.params[param]
    try:
        row[0, param] = float(value)
        return int(SPACE.from_values(row)[0, param])
    except (TypeError, ValueError, InvalidDesignError):
        allowed = ", ".join(str(v) for v in p.values)
        raise InvalidArgumentError(
            f"parameter '{p.name}' cannot be {value!r}: allowed values are {allowed}"
        ) from None


def _subspace(
    fixed: Mapping[str, Any] | None,
) -> tuple[list[list[int]], dict[str, tuple[int, ...]]]:
    """Allowed indices per parameter, and the restricted parameters' raw values by name."""
    sets = [list(range(c)) for c in SPACE.cardinalities]
    described: dict[str, tuple[int, ...]] = {}
    if fixed is None:
        return sets, described
    if not isinstance(fixed, Mapping):
        raise InvalidArgumentError(
            f"fixed must map parameter names to values, got {type(fixed).__name__}"
        )
    for key, value in fixed.items():
        k = SPACE.index(key)
        p = SPACE.params[k]
        if isinstance(value, bool):
            raise InvalidArgumentError(f"parameter '{p.name}' cannot be {value!r}")
        if p.name in described:
            raise InvalidArgumentError(f"parameter '{p.name}' is fixed twice")
        many = isinstance(value, Sequence | np.ndarray) and not isinstance(value, str | bytes)
        values = list(value) if many else [value]
        if not values:
            raise InvalidArgumentError(f"the sub-space is empty: parameter '{p.name}' has no value")
        idx = sorted({_index_of(k, v) for v in values})
        sets[k] = idx
        described[p.name] = tuple(p.values[i] for i in idx)
    return sets, {name: described[name] for name in SPACE.names if name in described}


def _op_bytes(workload: Any) -> bytes:
    """The lowered ops of a workload as bytes, in column order: the workload's content, which
    keys the cache (a workload file edited under the same name is a new question)."""
    ops = workload.ops
    return b"".join(
        name.encode() + np.ascontiguousarray(ops[name], dtype=np.int64).tobytes()
        for name in sorted(ops)
    )


def _cache_key(
    names: Sequence[str],
    tables: Sequence[bytes],
    budget: float,
    sets: Sequence[Sequence[int]],
    k: int,
) -> dict[str, Any]:
    return {
        "format": _CACHE_FORMAT,
        "fingerprint": fingerprint(),
        "applications": list(names),
        "op_tables_sha256": [hashlib.sha256(t).hexdigest() for t in tables],
        "area_budget": repr(budget),
        "sets": [list(s) for s in sets],
        "k": k,
    }


def _cache_path(key: Mapping[str, Any]) -> Path:
    from prime_rs.runs import cache_dir

    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
    return cache_dir() / "optima" / f"{digest}.json"


def _read_cache(path: Path, key: Mapping[str, Any]) -> Exhaustive | None:
    """The cached result for `key`, or None when absent, unreadable or for another question
    (an unreadable file is recomputed and replaced, never trusted)."""
    try:
        doc = json.loads(path.read_text())
        if doc.get("key") != key:
            return None
        return replace(Exhaustive.from_json(doc["result"]), from_cache=True)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(path: Path, key: Mapping[str, Any], result: Exhaustive) -> None:
    from prime_rs.fileio import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({"key": key, "result": result.to_json()}))


def exhaustive(
    task_or_apps: Any,
    area_budget: float | None = None,
    k: int = 10,
    fixed: Mapping[str, Any] | None = None,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache: bool = True,
    executor: Any = None,
    jobs: int | None = None,
    address: str | None = None,
) -> Exhaustive:
    """Enumerate every design of a task and return the ``k`` best and the whole space's counts.

    ``task_or_apps`` is a :class:`prime_rs.objective.Task` or what a Task takes as
    applications (a built-in name, a workload file or object, or a sequence of them).
    ``area_budget`` is in mm², by default the task's (27 mm² for applications).
    ``fixed`` restricts the sub-space: ``{parameter: value or values}`` with physical names or
    ``param_k`` keys and raw values (``{"pe_x": 4, "dram_bandwidth": [20, 25]}``).
    ``threads``: a dedicated pool of that many threads (all cores by default; the result does
    not depend on it). ``progress(covered, size)`` is called before the first native call
    and after every one (not at all for a cached result).
    ``cache=False`` neither reads nor writes the cache (nor keeps finished shards).
    ``executor`` (an :class:`~prime_rs.executors.Executor`, or a name for
    :func:`~prime_rs.executors.get_executor` with ``jobs``, default 1, and ``address``) runs the
    shards; on a remote one each shard uses one native thread unless ``threads`` says otherwise.

    Raises :class:`~prime_rs.errors.InvalidArgumentError` before any work for an empty
    sub-space, a budget no design of it meets, ``k`` below 1 or above the sub-space's size, an
    unknown parameter or value; the workload module's errors for unknown applications.
    """
    from prime_rs.task import DEFAULT_AREA_BUDGET, Task

    if isinstance(task_or_apps, Task):
        task = task_or_apps
        world = getattr(task.oracle, "world", "builtin")
        if world != "builtin":
            raise InvalidArgumentError(
                "the true optimum is known only in the built-in world; this task's oracle "
                f"({type(task.oracle).__name__}) is in the {world!r} world"
            )
        if area_budget is not None and float(area_budget) != task.area_budget:
            task = Task(task.workloads, area_budget)
    else:
        task = Task(task_or_apps, DEFAULT_AREA_BUDGET if area_budget is None else area_budget)
    k = _check_count(k, "k")
    threads = None if threads is None else _check_count(threads, "threads")
    sets, described = _subspace(fixed)
    size = math.prod(len(s) for s in sets)
    if k > size:
        where = "sub-space" if described else "space"
        raise InvalidArgumentError(f"k = {k} is larger than the {where} ({size} designs)")
    tables = [_op_bytes(w) for w in task.workloads]
    budget = task.area_budget
    key = _cache_key(task.applications, tables, budget, sets, k)
    path = _cache_path(key)
    if cache:
        hit = _read_cache(path, key)
        if hit is not None:
            return hit
    # The kernel checks the question (budget, k, threads) here, before any work or file.
    _native.enumerate.Enumeration(list(task.workloads), sets, budget, k, threads)

    from prime_rs.executors import LocalExecutor, get_executor, map_resumable

    ex = get_executor(executor, jobs=1 if jobs is None else jobs, address=address)
    owned = not isinstance(executor, Executor)
    here = isinstance(ex, LocalExecutor) and ex.jobs == 1
    if threads is None and not isinstance(ex, LocalExecutor):
        threads = 1  # a remote task holds one CPU (the Ray executor asks for one per task)
    bounds = [(lo, min(lo + SHARD_ORDINALS, size)) for lo in range(0, size, SHARD_ORDINALS)]
    start = time.perf_counter()
    covered = 0
    reported = [0]
    if progress is not None:
        progress(0, size)

    def report(n: int) -> None:
        # In this process a shard reports after every native call; elsewhere (and a shard
        # kept from an interrupted run), when it is done.
        if progress is not None and covered + n > reported[0]:
            reported[0] = covered + n
            progress(covered + n, size)

    shard_jobs = [
        _Shard(tuple(task.workloads), sets, budget, k, threads, lo, hi, report if here else None)
        for lo, hi in bounds
    ]
    with ExitStack() as stack:
        if owned:
            stack.callback(ex.close)
        if cache:
            from prime_rs.fileio import dir_lock

            # One enumerator per question: another process asking the same waits, then finds
            # the result in the cache (the holder deletes the shards once it is written).
            parts_dir = stack.enter_context(dir_lock(path.with_suffix(".parts")))
            hit = _read_cache(path, key)
            if hit is not None:
                shutil.rmtree(parts_dir, ignore_errors=True)
                return hit
            shard_key = {**key, "shard_ordinals": SHARD_ORDINALS}
            parts: Any = map_resumable(
                ex,
                _enumerate_shard,
                shard_jobs,
                parts_dir,
                shard_key,
                save=_save_part,
                load=_load_part,
                # Shards of another layout (another shard size) are dropped, never mixed in.
                resume=_manifest(parts_dir) == json.loads(json.dumps(shard_key)),
                suffix=".json",
            )
        else:
            parts = iter(ex.map(_enumerate_shard, shard_jobs))
        merged: dict[str, Any] | None = None
        for (lo, hi), part in zip(bounds, parts, strict=True):
            merged = part if merged is None else _merge(merged, part, k)
            covered += hi - lo
            report(0)
        assert merged is not None  # the sub-space holds at least one design
        result = _result(task, budget, k, described, size, merged, time.perf_counter() - start)
        if cache:
            _write_cache(path, key, result)
            shutil.rmtree(parts_dir, ignore_errors=True)
    return result


def _manifest(parts_dir: Path) -> Any:
    try:
        return json.loads((parts_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _result(
    task: Any,
    budget: float,
    k: int,
    described: dict[str, tuple[int, ...]],
    size: int,
    s: dict[str, Any],
    elapsed_s: float,
) -> Exhaustive:
    return Exhaustive(
        applications=task.applications,
        area_budget=budget,
        k=k,
        fixed=described,
        space_size=size,
        in_budget=int(s["in_budget"]),
        feasible=int(s["feasible"]),
        designs=np.asarray(s["designs"], dtype=np.uint8).reshape(-1, SPACE.n_params),
        ids=np.asarray(s["ids"], dtype=np.uint64),
        latency_ms=np.asarray(s["latency_ms"], dtype=np.float64).reshape(-1, len(task.workloads)),
        geomean_ms=np.asarray(s["geomean_ms"], dtype=np.float64),
        area_mm2=np.asarray(s["area_mm2"], dtype=np.float64),
        hist_edges=np.asarray(s["hist_edges"], dtype=np.float64),
        hist_counts=np.asarray(s["hist_counts"], dtype=np.int64),
        max_geomean_ms=float(s["max_geomean_ms"]),
        fingerprint=fingerprint(),
        elapsed_s=elapsed_s,
    )


@dataclass(frozen=True)
class _Shard:
    """One shard's question (it pickles, for processes and Ray): the task's workloads, the
    sub-space, the budget, ``k``, the native threads and the ordinals ``start..end``.
    ``progress(covered)`` is given only where the shard runs in the caller's process."""

    workloads: tuple[Any, ...]
    sets: list[list[int]]
    budget: float
    k: int
    threads: int | None
    start: int
    end: int
    progress: Callable[[int], None] | None = None


def _enumerate_shard(shard: _Shard) -> dict[str, Any]:
    """Enumerate one shard; its summary as JSON-ready lists (floats round-trip exactly)."""
    native = _native.enumerate.Enumeration(
        list(shard.workloads),
        shard.sets,
        shard.budget,
        shard.k,
        shard.threads,
        shard.start,
        shard.end,
    )
    while not native.done:
        covered = native.advance(CALL_ORDINALS)
        if shard.progress is not None:
            shard.progress(int(covered))
    s = native.summary()
    return {
        "in_budget": int(s["in_budget"]),
        "feasible": int(s["feasible"]),
        "designs": s["designs"].tolist(),
        "ids": s["ids"].tolist(),
        "latency_ms": s["latency_ms"].tolist(),
        "geomean_ms": s["geomean_ms"].tolist(),
        "area_mm2": s["area_mm2"].tolist(),
        "hist_edges": s["hist_edges"].tolist(),
        "hist_counts": s["hist_counts"].tolist(),
        "max_geomean_ms": float(s["max_geomean_ms"]),
    }


_BEST = ("designs", "ids", "latency_ms", "geomean_ms", "area_mm2")


def _merge(a: dict[str, Any], b: dict[str, Any], k: int) -> dict[str, Any]:
    """Two disjoint shards' summaries as one: the native kernel's merge (counts add, the best
    ``k`` by geometric-mean latency then design id, the slowest latency)."""
    if a["hist_edges"] != b["hist_edges"]:
        raise InvalidArgumentError("shards of one enumeration have different histogram edges")
    g = np.asarray(a["geomean_ms"] + b["geomean_ms"], dtype=np.float64)
    ids = np.asarray(a["ids"] + b["ids"], dtype=np.uint64)
    order = np.lexsort((ids, g))[:k].tolist()
    out = {name: [(a[name] + b[name])[i] for i in order] for name in _BEST}
    out["in_budget"] = a["in_budget"] + b["in_budget"]
    out["feasible"] = a["feasible"] + b["feasible"]
    out["hist_edges"] = a["hist_edges"]
    out["hist_counts"] = [x + y for x, y in zip(a["hist_counts"], b["hist_counts"], strict=True)]
    out["max_geomean_ms"] = max(a["max_geomean_ms"], b["max_geomean_ms"])
    return out


def _save_part(part: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(part), encoding="utf-8")


def _load_part(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
