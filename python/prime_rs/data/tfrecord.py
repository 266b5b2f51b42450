"""Import of the published PRIME dataset: ``<dir>/<application folder>/*.tfrecord``, one
``tf.train.Example`` per simulated design with float ``param_1``..``param_10`` (raw values),
float ``runtime`` (ms), float ``area`` (mm²) and int64 ``infeasible``.

The records are parsed by the native reader (no TensorFlow), which verifies both framing
checksums of every record. Conventions of the imported dataset: ``feasible = infeasible == 0``;
``latency_ms`` is the logged runtime for feasible rows and +inf for infeasible ones (as the
simulator reports them; the logged runtime of a failed compilation means nothing); ``area_mm2`` is
the logged area for every row; ``reason`` is "infeasible" for infeasible rows (the release does not
say why).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from prime_rs.data import _space
from prime_rs.data import apps as app_names
from prime_rs.data.dataset import (
    RESULT_RULE,
    Dataset,
    DatasetWriter,
    _arrow_schema,
    bad_results,
)
from prime_rs.errors import DatasetError, InvalidDesignError, UnknownApplicationError
from prime_rs.worlds import World, data_only_metadata

FLOAT_FEATURES = (*(f"param_{k}" for k in range(1, 11)), "runtime", "area")
INT_FEATURES = ("infeasible",)
#: Reason recorded for rows the release marks infeasible.
LOGGED_INFEASIBLE = "infeasible"
#: Records per native batch (and per Parquet row group): a few tens of MB in flight, whatever
#: the number of records.
BATCH_ROWS = 1 << 16


@dataclass
class ImportReport:
    """What an import read, skipped and dropped."""

    rows: int = 0
    #: (file, application, records read, records skipped)
    files: list[tuple[str, str, int, int]] = field(default_factory=list)
    skipped: int = 0
    #: The first skipped records: (file, byte offset, problem).
    skips: list[tuple[str, int, str]] = field(default_factory=list)
    #: Rows dropped with ``drop_invalid`` (values outside the design space, bad results).
    dropped_invalid: int = 0
    #: Applications of the imported rows, sorted.
    applications: list[str] = field(default_factory=list)
    #: Those of them prime-rs has no workload for.
    data_only_applications: list[str] = field(default_factory=list)
    #: The dataset's world, described, and the unit of its latencies.
    world: str = ""
    latency_unit: str = "ms"
    seconds: float = 0.0

    @property
    def records_per_second(self) -> float:
        return (
            (self.rows + self.skipped + self.dropped_invalid) / self.seconds
            if self.seconds
            else 0.0
        )


def _is_record_file(p: Path) -> bool:
    return p.is_file() and ".tfrecord" in p.name


def find_prime_files(
    root: str | os.PathLike[str],
    app_map: Mapping[str, str] | None = None,
    allow_unknown_apps: bool = True,
) -> list[tuple[Path, str]]:
    """(file, application) for every TFRecord under `root`, sorted by folder then file name.
    `root` is the release directory (one folder per application) or one application folder.
    `app_map` maps folder names to applications, resolved as folder names are: a release
    spelling maps to its prime-rs name, any other name is a data-only application, or, without
    `allow_unknown_apps`, an UnknownApplicationError."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root} is not a directory (expected the PRIME data folder)")
    extra = dict(app_map or {})
    targets = app_names.resolve(sorted(set(extra.values())), allow_unknown_apps)
    direct = sorted(p for p in root.iterdir() if _is_record_file(p))
    groups: list[tuple[str, list[Path]]] = []
    if direct:
        groups.append((root.resolve().name, direct))
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(p for p in sub.iterdir() if _is_record_file(p))
        if files:
            groups.append((sub.name, files))
    if not groups:
        raise DatasetError(f"no *.tfrecord files in {root} or its sub-folders")
    out: list[tuple[Path, str]] = []
    unknown = []
    for folder, files in groups:
        # A folder prime-rs has no name for is an application known from data only.
        app = targets[extra[folder]] if folder in extra else app_names.canonical(folder)
        if app is None:
            if not allow_unknown_apps:
                unknown.append(folder)
                continue
            app = folder
        out.extend((f, app) for f in files)
    if unknown:
        raise UnknownApplicationError(
            f"folder(s) {', '.join(repr(u) for u in unknown)} in {root} are not PRIME application "
            f"names ({', '.join(sorted(app_names.PRIME_FOLDERS))}); map them with "
            f"--app-map FOLDER=APPLICATION"
        )
    return out


def import_prime(
    root: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    skip_corrupt: bool = False,
    drop_invalid: bool = False,
    app_map: Mapping[str, str] | None = None,
    allow_unknown_apps: bool = True,
    latency_unit: str = "ms",
) -> tuple[Dataset, ImportReport]:
    """Read the PRIME TFRecords under `root` into a Dataset (and write it to `out` if given).

    Folders are named after applications: the release's spellings map to prime-rs names (and
    `app_map` maps others); any other folder name is kept as a data-only application. The
    dataset's world is "external" (the TFRecords' source) with `latency_unit` as the unit of
    the logged runtimes.

    A corrupt or truncated record raises CorruptRecordError naming the file and byte offset,
    unless `skip_corrupt`, which skips and counts it. Rows whose parameters are not values of
    the design space (or whose results break the dataset's rule, see
    :func:`prime_rs.data.dataset.bad_results`) raise InvalidDesignError / DatasetError, unless
    `drop_invalid`, which drops and counts them. Nothing is coerced.
    """
    tables: list[pa.Table] = []
    designs: list[np.ndarray] = []

    def keep(table: pa.Table, d: np.ndarray) -> None:
        tables.append(table)
        designs.append(d)

    meta, report = _import(
        root, out, skip_corrupt, drop_invalid, app_map, allow_unknown_apps, latency_unit, keep
    )
    table = pa.concat_tables(tables) if tables else _table(*_empty_rows(), [])
    ds = Dataset(table, meta, _designs=np.concatenate(designs) if designs else _empty_rows()[0])
    return ds, report


def import_prime_file(
    root: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    skip_corrupt: bool = False,
    drop_invalid: bool = False,
    app_map: Mapping[str, str] | None = None,
    allow_unknown_apps: bool = True,
    latency_unit: str = "ms",
) -> ImportReport:
    """:func:`import_prime` straight to the Parquet file `out`, one row group per batch of
    records, holding no more than a few batches in memory whatever the number of records."""
    return _import(
        root, out, skip_corrupt, drop_invalid, app_map, allow_unknown_apps, latency_unit, None
    )[1]


def _batches(reader: Any) -> Iterator[Any]:
    """The reader's batches, the next one parsed (natively, without the GIL) while the caller
    converts and writes the current one."""
    with ThreadPoolExecutor(1, thread_name_prefix="prime-rs-tfrecord") as pool:
        ahead = pool.submit(reader.next_batch, BATCH_ROWS)
        while (batch := ahead.result()) is not None:
            ahead = pool.submit(reader.next_batch, BATCH_ROWS)
            yield batch


def _empty_rows() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(designs, app codes, latency, area, feasible) of no rows."""
    return (np.zeros((0, 10), np.uint8), np.zeros(0, np.int32), np.zeros(0), np.zeros(0),
            np.zeros(0, bool))  # fmt: skip


def _table(
    designs: np.ndarray,
    codes: np.ndarray,
    latency: np.ndarray,
    area: np.ndarray,
    feasible: np.ndarray,
    apps: list[str],
) -> pa.Table:
    cols = [pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), apps)]
    cols += [pa.array(np.asarray(v, np.int64)[designs[:, k]])
             for k, (_, _, v) in enumerate(_space.params())]  # fmt: skip
    cols += [
        pa.array(latency),
        pa.array(area),
        pa.array(feasible),
        pa.DictionaryArray.from_arrays(
            pa.array((~feasible).astype(np.int32)), ["", LOGGED_INFEASIBLE]
        ),
    ]
    return pa.Table.from_arrays(cols, schema=_arrow_schema(False, dictionary=True))


@dataclass
class _Problems:
    """Rows outside the space / with bad results, counted over the whole import; the first of
    each kind is kept to name it."""

    params: int = 0
    results: int = 0
    #: (file index, record number, key, name, value, allowed)
    first_param: tuple[int, int, str, str, float, tuple[int, ...]] | None = None
    #: (file index, record number, runtime, area)
    first_result: tuple[int, int, float, float] | None = None


def _import(
    root: str | os.PathLike[str],
    out: str | os.PathLike[str] | None,
    skip_corrupt: bool,
    drop_invalid: bool,
    app_map: Mapping[str, str] | None,
    allow_unknown_apps: bool,
    latency_unit: str,
    keep: Callable[[pa.Table, np.ndarray], None] | None,
) -> tuple[dict[str, str], ImportReport]:
    from prime_rs import _native
    from prime_rs.fileio import check_writable

    if out is not None:
        check_writable(out)
    world = World.external(f"PRIME TFRecords: {Path(root).resolve()}", latency_unit)
    t0 = time.perf_counter()
    found = find_prime_files(root, app_map, allow_unknown_apps)
    apps = sorted({a for _, a in found})
    file_codes = np.array([apps.index(a) for _, a in found], dtype=np.int32)
    reader = _native.tfrecord.TfrecordReader(
        [str(f) for f, _ in found], list(FLOAT_FEATURES[10:]), list(INT_FEATURES),
        skip_corrupt, design=True,
    )  # fmt: skip
    meta = {
        "prime_rs.source": "prime-tfrecord",
        "prime_rs.source_path": str(Path(root).resolve()),
        "prime_rs.source_files": str(len(found)),
        "prime_rs.simulator_version": "PRIME release (proprietary simulator)",
        "prime_rs.space_fingerprint": _space.fingerprint(),
        **world.to_metadata(),
        **data_only_metadata(apps),
    }
    seen = np.zeros(len(found), dtype=np.int64)  # rows read so far per file
    problems = _Problems()
    rows = dropped = 0
    present = np.zeros(len(apps), dtype=bool)
    writer = DatasetWriter(out, meta) if out is not None else None
    with writer if writer is not None else nullcontext():
        for designs, (inv_rows, inv_params, inv_values), floats, ints, runs in _batches(reader):
            files = np.array([f for f, _ in runs], dtype=np.int64)
            counts = np.array([n for _, n in runs], dtype=np.int64)
            file_of = np.repeat(files, counts)
            record = np.arange(len(file_of)) - np.repeat(np.cumsum(counts) - counts, counts)
            record += seen[file_of]
            np.add.at(seen, files, counts)
            runtime, area = floats
            feasible = ints[0] == 0
            bad_param = np.zeros(len(feasible), dtype=bool)
            bad_param[inv_rows.astype(np.int64)] = True
            bad_result = bad_results(feasible, runtime, area)
            problems.params += len(inv_rows)
            problems.results += int(bad_result.sum())
            if len(inv_rows) and problems.first_param is None:
                r, k = int(inv_rows[0]), int(inv_params[0])
                name, key, allowed = _space.params()[k]
                v = float(inv_values[0])
                problems.first_param = (int(file_of[r]), int(record[r]), key, name, v, allowed)
            if bad_result.any() and problems.first_result is None:
                r = int(np.flatnonzero(bad_result)[0])
                problems.first_result = (int(file_of[r]), int(record[r]), float(runtime[r]),
                                         float(area[r]))  # fmt: skip
            if not drop_invalid and (problems.params or problems.results):
                continue  # the import fails once all is read; count on, write nothing more
            bad = bad_param | bad_result
            if bad.any():
                good = ~bad
                dropped += int(bad.sum())
                designs, file_of, runtime, area, feasible = (
                    designs[good], file_of[good], runtime[good], area[good], feasible[good],
                )  # fmt: skip
            codes = file_codes[file_of]
            present[np.unique(codes)] = True
            latency = np.where(feasible, runtime.astype(np.float64), np.inf)
            table = _table(designs, codes, latency, area.astype(np.float64), feasible, apps)
            rows += table.num_rows
            if writer is not None:
                writer.write(table)
            if keep is not None:
                keep(table, designs)
        if not drop_invalid:
            _raise_invalid(found, problems)
        files = reader.files()
        report = ImportReport(
            rows=rows,
            files=[
                (str(f), a, int(r), int(s)) for (f, a), (_, r, s) in zip(found, files, strict=True)
            ],
            skipped=sum(int(s) for _, _, s in files),
            skips=[(str(f), int(o), str(d)) for f, o, d in reader.skips()],
            dropped_invalid=dropped,
            applications=[a for a, p in zip(apps, present, strict=True) if p],
            world=world.describe(),
            latency_unit=world.latency_unit,
        )
        report.data_only_applications = sorted(
            set(report.applications) - set(app_names.workload_names())
        )
        meta["prime_rs.skipped_records"] = str(report.skipped)
        meta["prime_rs.dropped_invalid_rows"] = str(dropped)
        if writer is not None:
            writer.add_metadata(meta)
    report.seconds = time.perf_counter() - t0
    return meta, report


def _raise_invalid(found: list[tuple[Path, str]], problems: _Problems) -> None:
    """Name the first offending record (file and record number) and the count."""
    if problems.first_param is not None:
        f, rec, key, name, v, allowed = problems.first_param
        raise InvalidDesignError(
            f"{problems.params} record(s) hold parameter values outside the design space; "
            f"first in {found[f][0]}, record {rec}: {key} ({name}) = {v:g}, allowed: "
            f"{', '.join(map(str, allowed))} (use --drop-invalid to drop such rows)"
        )
    if problems.first_result is not None:
        f, rec, runtime, area = problems.first_result
        raise DatasetError(
            f"{problems.results} record(s) have invalid results ({RESULT_RULE}); first in "
            f"{found[f][0]}, record {rec}: runtime={runtime:g}, area={area:g} "
            f"(use --drop-invalid to drop such rows)"
        )


def write_prime_tfrecords(
    ds: Dataset, root: str | os.PathLike[str], records_per_file: int = 1_000_000
) -> list[Path]:
    """Export a Dataset in the published PRIME layout (``<root>/<Folder>/part-NNNNN.tfrecord``):
    the inverse of :func:`import_prime`. Infeasible rows get ``runtime`` 0."""
    from prime_rs import _native

    if records_per_file < 1:
        raise DatasetError("records_per_file must be at least 1")
    folder_of: dict[str, str] = {}
    for folder, app in app_names.PRIME_FOLDERS.items():
        folder_of.setdefault(app, folder)
    root = Path(root)
    written = []
    for app in ds.applications:
        part = ds.filter(apps=app)
        d = root / folder_of.get(app, app)
        d.mkdir(parents=True, exist_ok=True)
        vals = part.values.astype(np.float32)
        runtime = np.where(part.feasible, part.latency_ms, 0.0).astype(np.float32)
        area = part.area_mm2.astype(np.float32)
        infeasible = (~part.feasible).astype(np.int64)
        for i, lo in enumerate(range(0, len(part), records_per_file)):
            hi = min(lo + records_per_file, len(part))
            path = d / f"part-{i:05d}.tfrecord"
            cols = [(f"param_{k + 1}", np.ascontiguousarray(vals[lo:hi, k])) for k in range(10)]
            cols += [("runtime", runtime[lo:hi]), ("area", area[lo:hi])]
            _native.tfrecord.write(str(path), cols, [("infeasible", infeasible[lo:hi])])
            written.append(path)
    return written
