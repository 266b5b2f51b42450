"""Datasets simulated by prime-rs itself.

Two sampling modes:

* ``random``: designs drawn uniformly from the whole space;
* ``search``: the visits of simulator-driven regularised (aging) evolution, which is how real logs
  look: concentrated near good regions and mostly infeasible. Each run is the aging proposer
  (:class:`prime_rs.search.AgingEvolution`): it starts from a random population, breeds children
  with the native tournament/crossover/mutation kernel, and the simulated children replace the
  oldest members; fitness is -log(latency), with infeasible or over-budget designs worst. A
  fraction of every batch of ``batch`` designs is uniform random ("immigrants", not admitted) so
  coverage stays broad. Every simulated design is logged, repeats included.

Reproducibility: the rows of each application are produced in blocks of ``BLOCK`` rows; block
``b`` of application ``app`` draws all its randomness from ``SeedSequence([seed, crc32(app), b])``
(and in search mode is one independent evolutionary run, drawing in call order from that
generator: :class:`prime_rs.search.GeneratorStreams`). The output therefore depends only on
(seed, application, number of designs, mode and its settings), never on the chunk size, on the
other applications requested, or on the thread count.

Memory: chunks of ``chunk_size`` rows are simulated and appended to the Parquet file as row
groups, so memory stays flat however many rows are generated; the file appears (atomically)
only when complete.

Sharding and resume (:func:`write_generated`): each chunk (a run of whole blocks of one
application) is a shard, simulated by an executor (local threads or Ray workers, ``jobs`` at a
time) and kept in the cache (:func:`parts_dir`) until the final file is merged from the
shards in order. The bytes therefore do not depend on the executor or its number of workers,
and a killed run restarted with ``resume=True`` simulates only the missing shards. A lock on
that folder serialises writers of one output, so two processes never interleave shards.
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from prime_rs.data import _space
from prime_rs.data.dataset import Dataset, assemble_table, file_schema, parquet_options
from prime_rs.errors import InvalidArgumentError, OutputError
from prime_rs.search import AgingEvolution, AgingSettings, GeneratorStreams
from prime_rs.task import DEFAULT_AREA_BUDGET
from prime_rs.worlds import World

#: Rows per reproducibility block (and per evolutionary run in search mode).
BLOCK = 65_536
#: Default rows per simulated chunk / Parquet row group.
CHUNK = 262_144
#: Upper bound on designs per application: 10^10 rows is ~200 GB of Parquet; more is a typo.
MAX_DESIGNS = 10**10
#: Upper bound on the search population / batch of mode ``search`` (held in memory).
MAX_POPULATION = 10**7

Mode = Literal["random", "search"]


@dataclass(frozen=True)
class GenerationSearchSettings:
    """Settings of the logged evolutionary search (mode ``search``)."""

    area_budget: float | None = DEFAULT_AREA_BUDGET
    population: int = 512
    batch: int = 256
    random_fraction: float = 0.2
    tournament_size: int = 4
    mutation_rate: float = 0.1

    def check(self) -> None:
        if self.area_budget is not None and not (
            self.area_budget > 0 and np.isfinite(self.area_budget)
        ):
            raise InvalidArgumentError(
                f"area budget must be a positive number, got {self.area_budget}"
            )
        if self.population < 2:
            raise InvalidArgumentError(f"population must be at least 2, got {self.population}")
        if self.population > MAX_POPULATION:
            raise InvalidArgumentError(
                f"population must be at most {MAX_POPULATION:,}, got {self.population:,}"
            )
        if self.batch < 1:
            raise InvalidArgumentError(f"batch must be at least 1, got {self.batch}")
        if self.batch > MAX_POPULATION:
            raise InvalidArgumentError(
                f"batch must be at most {MAX_POPULATION:,}, got {self.batch:,}"
            )
        if not 0.0 <= self.random_fraction <= 1.0:
            raise InvalidArgumentError(
                f"random_fraction must lie in [0, 1], got {self.random_fraction}"
            )


#: The former name (it collided with the surrogate search's config), kept as an alias.
SearchSettings = GenerationSearchSettings


@dataclass
class GenerateReport:
    path: str
    rows: int
    feasible: int
    applications: list[str]
    mode: str
    seed: int
    seconds: float
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class _App:
    name: str  # the application name stored in the dataset
    workload: Any  # what prime_rs.simulate accepts (name or loaded Workload)


def resolve_apps(apps: str | Sequence[str]) -> list[_App]:
    """Application names (built-in workloads, PRIME spellings) or workload file paths, read by
    :func:`prime_rs.workloads.application`; a comma-separated string is split first."""
    from prime_rs import workloads

    items = apps.split(",") if isinstance(apps, str) else [str(a) for a in apps]
    if isinstance(apps, str) and not apps.strip():
        raise InvalidArgumentError("no applications given")
    # A built-in travels by name (cheap to ship to workers); a file by its loaded network.
    return [
        _App(a.name, a.workload if a.is_file else a.name) for a in workloads.applications(items)
    ]


def _block_rng(seed: int, app: str, block: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(app.encode()), block]))


def _simulate(designs: np.ndarray, workload: Any, threads: int | None) -> Any:
    import prime_rs

    return prime_rs.simulate(designs, workload, threads=threads)


def _reason_names(res: Any) -> pa.Array:
    """Reason strings as a dictionary array (cheap: one str per distinct reason)."""
    from prime_rs.simulator import REASONS

    codes = np.asarray(res.reason).astype(np.int32)
    return pa.DictionaryArray.from_arrays(codes, list(REASONS))


def _proposer(rng: np.random.Generator, s: SearchSettings) -> AgingEvolution:
    """One block's evolutionary run; the area budget enters through the fitness, not the
    proposals (logs contain over-budget designs too)."""
    settings = AgingSettings(
        population=s.population,
        tournament=s.tournament_size,
        children=s.batch,
        mutation_rate=s.mutation_rate,
        random_fraction=s.random_fraction,
    )
    return AgingEvolution(settings, area_budget=None, streams=GeneratorStreams(rng))


def _fitness(res: Any, budget: float | None) -> np.ndarray:
    lat = np.asarray(res.latency_ms, dtype=np.float64)
    ok = np.asarray(res.feasible, dtype=bool) & np.isfinite(lat) & (lat > 0)
    if budget is not None:
        ok &= np.asarray(res.area_mm2) <= budget
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, -np.log(np.where(ok, lat, 1.0)), -np.inf)


def _chunk_table(app: str, designs: np.ndarray, results: list[tuple[np.ndarray, Any]]) -> pa.Table:
    """One chunk's rows as an in-memory dataset table (dictionary strings)."""
    values = _space.to_values(designs)
    res_cols = {
        "latency_ms": np.concatenate([np.asarray(r.latency_ms, np.float64) for _, r in results]),
        "area_mm2": np.concatenate([np.asarray(r.area_mm2, np.float64) for _, r in results]),
        "feasible": np.concatenate([np.asarray(r.feasible, bool) for _, r in results]),
        "energy_mj": np.concatenate([np.asarray(r.energy_mj, np.float64) for _, r in results]),
    }
    reasons = (
        pa.chunked_array([_reason_names(r) for _, r in results]).cast(pa.string()).combine_chunks()
    )
    return assemble_table(
        (np.zeros(len(designs), np.int32), [app]),
        values,
        res_cols["latency_ms"],
        res_cols["area_mm2"],
        res_cols["feasible"],
        reasons,
        res_cols["energy_mj"],
    )


def _iter_chunks(
    apps: list[_App],
    n_designs: int,
    seed: int,
    mode: Mode,
    settings: SearchSettings,
    chunk_size: int,
    threads: int | None,
    first_block: int = 0,
    last_block: int | None = None,
) -> Iterator[tuple[pa.Table, np.ndarray]]:
    """(table, designs) chunks of at most max(chunk_size, BLOCK) rows, app by app (blocks
    ``first_block`` up to ``last_block`` only, for one shard)."""
    blocks_per_chunk = max(1, chunk_size // BLOCK)
    n_blocks = -(-n_designs // BLOCK) if last_block is None else last_block
    for app in apps:
        for first in range(first_block, n_blocks, blocks_per_chunk):
            blocks = range(first, min(first + blocks_per_chunk, n_blocks))
            sizes = [min(BLOCK, n_designs - b * BLOCK) for b in blocks]
            rngs = [_block_rng(seed, app.name, b) for b in blocks]
            if mode == "random":
                designs = np.concatenate(
                    [
                        GeneratorStreams(r).designs(n, "random", b)
                        for r, n, b in zip(rngs, sizes, blocks, strict=True)
                    ]
                )
                res = _simulate(designs, app.workload, threads)
                yield _chunk_table(app.name, designs, [(designs, res)]), designs
            else:
                yield _search_chunk(app, rngs, sizes, settings, threads)


def _search_chunk(
    app: _App,
    rngs: list[np.random.Generator],
    sizes: list[int],
    s: SearchSettings,
    threads: int | None,
) -> tuple[pa.Table, np.ndarray]:
    """Run the chunk's independent searches in lockstep so each simulator call is large: every
    run with rows left proposes a batch, one simulation scores them all, each run is told its
    part (every row is new: logs keep no cache)."""
    runs = [_proposer(r, s) for r in rngs]
    left = list(sizes)
    logged: list[list[tuple[np.ndarray, Any]]] = [[] for _ in runs]
    while True:
        active = [i for i, n in enumerate(left) if n > 0]
        if not active:
            break
        proposals = [runs[i].ask(left[i]) for i in active]
        batch = np.concatenate(proposals)
        res = _simulate(batch, app.workload, threads)
        fit = _fitness(res, s.area_budget)
        lo = 0
        for i, p in zip(active, proposals, strict=True):
            hi = lo + len(p)
            part = _SliceResult(res, lo, hi)
            runs[i].tell(p, fit[lo:hi])
            left[i] -= len(p)
            logged[i].append((p, part))
            lo = hi
    flat = [item for run in logged for item in run]
    designs = np.concatenate([d for d, _ in flat])
    return _chunk_table(app.name, designs, flat), designs


class _SliceResult:
    """A row range of a SimResult (just the fields the dataset stores)."""

    def __init__(self, res: Any, lo: int, hi: int) -> None:
        self.latency_ms = np.asarray(res.latency_ms)[lo:hi]
        self.area_mm2 = np.asarray(res.area_mm2)[lo:hi]
        self.feasible = np.asarray(res.feasible)[lo:hi]
        self.energy_mj = np.asarray(res.energy_mj)[lo:hi]
        self.reason = np.asarray(res.reason)[lo:hi]
        self._res, self._lo, self._hi = res, lo, hi

    def reason_names(self) -> np.ndarray:
        return np.asarray(self._res.reason_names())[self._lo : self._hi]


def _check(
    n_designs: int,
    seed: int,
    mode: str,
    chunk_size: int,
    settings: SearchSettings,
    threads: int | None = None,
) -> None:
    from prime_rs.checks import seed as check_seed
    from prime_rs.checks import threads as check_threads

    if isinstance(n_designs, bool) or not isinstance(n_designs, int | np.integer) or n_designs < 1:
        raise InvalidArgumentError(
            f"number of designs must be a positive integer, got {n_designs!r}"
        )
    if n_designs > MAX_DESIGNS:
        raise InvalidArgumentError(
            f"number of designs must be at most {MAX_DESIGNS:,} per application, got {n_designs:,}"
        )
    check_seed(seed)
    check_threads(threads)
    if mode not in ("random", "search"):
        raise InvalidArgumentError(f"mode must be 'random' or 'search', got {mode!r}")
    if chunk_size < 1:
        raise InvalidArgumentError(f"chunk size must be positive, got {chunk_size}")
    settings.check()


def _metadata(
    apps: list[_App], n_designs: int, seed: int, mode: str, s: SearchSettings
) -> dict[str, str]:
    import prime_rs
    from prime_rs.simulator import FINGERPRINT

    meta = {
        "prime_rs.source": "generate",
        "prime_rs.mode": mode,
        "prime_rs.seed": str(seed),
        "prime_rs.designs_per_application": str(n_designs),
        "prime_rs.applications": ",".join(a.name for a in apps),
        "prime_rs.simulator_version": f"prime-rs {prime_rs.__version__}",
        "prime_rs.simulator_fingerprint": FINGERPRINT,
        "prime_rs.space_fingerprint": _space.fingerprint(),
        "prime_rs.block_rows": str(BLOCK),
        **World.builtin().to_metadata(),
    }
    if mode == "search":
        meta |= {
            "prime_rs.search.area_budget_mm2": str(s.area_budget),
            "prime_rs.search.population": str(s.population),
            "prime_rs.search.batch": str(s.batch),
            "prime_rs.search.random_fraction": str(s.random_fraction),
            "prime_rs.search.tournament_size": str(s.tournament_size),
            "prime_rs.search.mutation_rate": str(s.mutation_rate),
        }
    return meta


def generate(
    apps: str | Sequence[str],
    n_designs: int,
    seed: int = 0,
    mode: Mode = "random",
    *,
    settings: SearchSettings | None = None,
    chunk_size: int = CHUNK,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
    out: str | os.PathLike[str] | None = None,
) -> Dataset:
    """Simulate `n_designs` designs per application into a Dataset. With `out`, the rows are
    streamed to that Parquet file first (see :func:`write_generated`) and the file is loaded;
    for datasets too large to hold, call :func:`write_generated` directly."""
    if out is not None:
        write_generated(out, apps, n_designs, seed, mode, settings=settings,
                        chunk_size=chunk_size, threads=threads, progress=progress)  # fmt: skip
        from prime_rs.data.dataset import load

        return load(out)
    s = settings or SearchSettings()
    _check(n_designs, seed, mode, chunk_size, s, threads)
    resolved = resolve_apps(apps)
    tables, designs = [], []
    for table, d in _iter_chunks(resolved, n_designs, seed, mode, s, chunk_size, threads):
        tables.append(table)
        designs.append(d)
        if progress:
            progress(table.num_rows)
    table = pa.concat_tables(tables).unify_dictionaries().combine_chunks()
    meta = _metadata(resolved, n_designs, seed, mode, s)
    return Dataset(table, meta, _designs=np.concatenate(designs))


@dataclass(frozen=True)
class _Shard:
    """One chunk of rows: whole blocks of one application, all it needs to be simulated
    anywhere (a Ray worker included)."""

    app: _App
    blocks: tuple[int, ...]
    n_designs: int
    seed: int
    mode: str
    settings: SearchSettings
    threads: int | None


def _shards(
    apps: list[_App],
    n_designs: int,
    seed: int,
    mode: str,
    settings: SearchSettings,
    chunk_size: int,
    threads: int | None,
) -> list[_Shard]:
    blocks_per_chunk = max(1, chunk_size // BLOCK)
    n_blocks = -(-n_designs // BLOCK)
    return [
        _Shard(
            app,
            tuple(range(first, min(first + blocks_per_chunk, n_blocks))),
            n_designs,
            seed,
            mode,
            settings,
            threads,
        )
        for app in apps
        for first in range(0, n_blocks, blocks_per_chunk)
    ]


def _run_shard(sh: _Shard) -> pa.Table:
    rows = len(sh.blocks) * BLOCK
    (table, _), *_ = _iter_chunks(
        [sh.app], sh.n_designs, sh.seed, sh.mode, sh.settings, rows, sh.threads,  # type: ignore[arg-type]
        first_block=sh.blocks[0], last_block=sh.blocks[-1] + 1,
    )  # fmt: skip
    return table


def _save_shard(table: pa.Table, path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, path, compression="zstd")


def _load_shard(path: Path) -> pa.Table:
    import pyarrow.parquet as pq

    return pq.read_table(path)


def _check_resumable_output(path: Path, meta: dict[str, str]) -> None:
    """``--resume`` onto a finished output (no unfinished job left): refused, changing nothing,
    when the file holds another job's data; the same job simply runs again, to the same bytes."""
    import pyarrow.parquet as pq

    parts = parts_dir(path)
    if not path.is_file() or (parts.is_dir() and any(parts.iterdir())):
        return
    try:
        raw = pq.read_schema(path).metadata or {}
    except (OSError, ValueError):
        raise InvalidArgumentError(
            f"cannot resume: {path} exists and is not a dataset; rerun without --resume to "
            "replace it"
        ) from None
    have = {k.decode(): v.decode() for k, v in raw.items()}
    diff = sorted(k.removeprefix("prime_rs.") for k, v in meta.items() if have.get(k) != v)
    if diff:
        raise InvalidArgumentError(
            f"cannot resume: {path} is a finished dataset of other settings ({', '.join(diff)}); "
            "rerun without --resume to replace it, or give another --out"
        )


def parts_dir(path: str | os.PathLike[str]) -> Path:
    """Where the finished shards of an unfinished ``write_generated(path, ...)`` are kept: in
    the cache (``$PRIME_RS_CACHE/partial/``), keyed by the output's absolute path, so the
    output's folder only ever holds complete files."""
    import hashlib

    from prime_rs.runs import cache_dir

    p = Path(path).absolute()
    digest = hashlib.sha256(str(p).encode("utf-8", "surrogateescape")).hexdigest()[:20]
    return cache_dir() / "partial" / f"generate-{digest}"


def write_generated(
    path: str | os.PathLike[str],
    apps: str | Sequence[str],
    n_designs: int,
    seed: int = 0,
    mode: Mode = "random",
    *,
    settings: SearchSettings | None = None,
    chunk_size: int = CHUNK,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
    executor: Any = None,
    jobs: int | None = None,
    resume: bool = False,
) -> GenerateReport:
    """Simulate `n_designs` designs per application straight into a Parquet file, chunk by chunk
    (flat memory); the file appears atomically when complete.

    ``executor`` (a :class:`prime_rs.executors.Executor`, or a name for
    :func:`~prime_rs.executors.get_executor` with ``jobs``, default 1) simulates the chunks,
    that many at a time; the bytes written do not depend on it. Finished chunks are kept in
    :func:`parts_dir` until the file is complete; ``resume=True`` reuses those of an
    interrupted run with the same settings instead of simulating them again."""
    import pyarrow.parquet as pq

    from prime_rs.executors import get_executor, map_resumable
    from prime_rs.fileio import atomic_path, check_writable, dir_lock

    s = settings or SearchSettings()
    _check(n_designs, seed, mode, chunk_size, s, threads)
    resolved = resolve_apps(apps)
    check_writable(path)
    meta = _metadata(resolved, n_designs, seed, mode, s)
    meta["prime_rs.format_version"] = "1"
    if resume:
        _check_resumable_output(Path(path), meta)
    schema = file_schema(with_energy=True, metadata=meta)
    shards = _shards(resolved, n_designs, seed, mode, s, chunk_size, threads)
    # Everything the bytes depend on (a loaded workload by its operator table's digest).
    key = {
        "metadata": meta,
        "chunk_size": chunk_size,
        "workloads": [_workload_key(a) for a in resolved],
    }
    # One chunk at a time unless asked: the simulator already uses every core per chunk.
    ex = get_executor(executor, jobs=1 if jobs is None else jobs, address=None)
    t0 = time.perf_counter()
    rows = feasible = 0
    parts = parts_dir(path)
    try:
        with dir_lock(parts, what=f"output {path}"):
            with (
                atomic_path(path) as tmp,
                pq.ParquetWriter(tmp, schema, **parquet_options()) as writer,
            ):
                for table in map_resumable(
                    ex, _run_shard, shards, parts, key, save=_save_shard, load=_load_shard,
                    resume=resume, suffix=".parquet",
                ):  # fmt: skip
                    plain = table.cast(schema.remove_metadata()).replace_schema_metadata(meta)
                    writer.write_table(plain, row_group_size=max(chunk_size, BLOCK))
                    rows += table.num_rows
                    feasible += int(np.asarray(table.column("feasible")).sum())
                    if progress:
                        progress(table.num_rows)
            # The file is in place: the shards are not needed any more. The locked folder
            # itself goes last (a waiting writer notices and starts afresh).
            for entry in list(parts.iterdir()):
                entry.unlink()
            parts.rmdir()
    except OSError as e:
        if isinstance(e, OutputError):
            raise
        raise OutputError(f"cannot write {path}: {e}") from e
    finally:
        if executor is None or isinstance(executor, str):
            ex.close()
    return GenerateReport(
        path=str(path),
        rows=rows,
        feasible=feasible,
        applications=[a.name for a in resolved],
        mode=mode,
        seed=seed,
        seconds=time.perf_counter() - t0,
        metadata=meta,
    )


def _workload_key(app: _App) -> str:
    from prime_rs import workloads

    if isinstance(app.workload, str):
        return app.workload
    return f"{app.name}:{workloads.content_hash(app.workload)[:16]}"
