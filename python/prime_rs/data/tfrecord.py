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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from prime_rs.data import _space
from prime_rs.data import apps as app_names
from prime_rs.data.dataset import Dataset, assemble_table
from prime_rs.errors import DatasetError, InvalidDesignError
from prime_rs.worlds import World, data_only_metadata

FLOAT_FEATURES = (*(f"param_{k}" for k in range(1, 11)), "runtime", "area")
INT_FEATURES = ("infeasible",)
#: Reason recorded for rows the release marks infeasible.
LOGGED_INFEASIBLE = "infeasible"


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
    root: str | os.PathLike[str], app_map: Mapping[str, str] | None = None
) -> list[tuple[Path, str]]:
    """(file, application) for every TFRecord under `root`, sorted by folder then file name.
    `root` is the release directory (one folder per application) or one application folder."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root} is not a directory (expected the PRIME data folder)")
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
    extra = dict(app_map or {})
    out: list[tuple[Path, str]] = []
    for folder, files in groups:
        # A folder prime-rs has no name for is an application known from data only.
        app = extra.get(folder) or app_names.canonical(folder) or folder
        out.extend((f, app) for f in files)
    return out


def import_prime(
    root: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    skip_corrupt: bool = False,
    drop_invalid: bool = False,
    app_map: Mapping[str, str] | None = None,
    latency_unit: str = "ms",
) -> tuple[Dataset, ImportReport]:
    """Read the PRIME TFRecords under `root` into a Dataset (and write it to `out` if given).

    Folders are named after applications: the release's spellings map to prime-rs names (and
    `app_map` maps others); any other folder name is kept as a data-only application. The
    dataset's world is "external" (the TFRecords' source) with `latency_unit` as the unit of
    the logged runtimes.

    A corrupt or truncated record raises CorruptRecordError naming the file and byte offset,
    unless `skip_corrupt`, which skips and counts it. Rows whose parameters are not values of
    the design space (or whose feasible results are not finite) raise InvalidDesignError /
    DatasetError, unless `drop_invalid`, which drops and counts them. Nothing is coerced.
    """
    from prime_rs import _native
    from prime_rs.fileio import check_writable

    if out is not None:
        check_writable(out)
    world = World.external(f"PRIME TFRecords: {Path(root).resolve()}", latency_unit)
    t0 = time.perf_counter()
    found = find_prime_files(root, app_map)
    floats, ints, files, skips = _native.dataset_read_tfrecord(
        [str(f) for f, _ in found], list(FLOAT_FEATURES), list(INT_FEATURES), skip_corrupt
    )
    rows_per_file = np.array([r for _, r, _ in files], dtype=np.int64)
    apps_sorted = sorted({a for _, a in found})
    file_codes = np.array([apps_sorted.index(a) for _, a in found], dtype=np.int32)
    app_codes = np.repeat(file_codes, rows_per_file)

    runtime, area = floats[10], floats[11]
    feasible = ints[0] == 0
    # Parameters: exact raw values of the space, column by column (nothing rounded or clipped).
    values, bad_param = [], np.zeros(len(feasible), dtype=bool)
    for raw in floats[:10]:
        finite = np.isfinite(raw) & (np.abs(raw) < 2.0**62)
        iv = (raw if finite.all() else np.where(finite, raw, -1)).astype(np.int64)
        bad_param |= iv != raw
        values.append(iv)
    designs, bad_value = _space.index_columns(values)
    bad_param |= bad_value
    bad_result = feasible & ~(
        np.isfinite(runtime) & (runtime > 0) & np.isfinite(area) & (area >= 0)
    )
    bad = bad_param | bad_result
    dropped = 0
    if bad.any():
        if not drop_invalid:
            _raise_invalid(found, rows_per_file, floats[:10], runtime, area, bad_param, bad_result)
        dropped = int(bad.sum())
        keep = ~bad
        values = [v[keep] for v in values]
        designs, runtime, area, feasible, app_codes = (
            designs[keep],
            runtime[keep],
            area[keep],
            feasible[keep],
            app_codes[keep],
        )
    latency = np.where(feasible, runtime.astype(np.float64), np.inf)
    table = assemble_table(
        (app_codes, apps_sorted),
        values,
        latency,
        area.astype(np.float64),
        feasible,
        ((~feasible).astype(np.int32), ["", LOGGED_INFEASIBLE]),
    )
    report = ImportReport(
        rows=table.num_rows,
        files=[(str(f), a, int(r), int(s)) for (f, a), (_, r, s) in zip(found, files, strict=True)],
        skipped=sum(int(s) for _, _, s in files),
        skips=[(str(f), int(o), str(d)) for f, o, d in skips],
        dropped_invalid=dropped,
    )
    meta = {
        "prime_rs.source": "prime-tfrecord",
        "prime_rs.source_path": str(Path(root).resolve()),
        "prime_rs.source_files": str(len(found)),
        "prime_rs.skipped_records": str(report.skipped),
        "prime_rs.dropped_invalid_rows": str(dropped),
        "prime_rs.simulator_version": "PRIME release (proprietary simulator)",
        "prime_rs.space_fingerprint": _space.fingerprint(),
        **world.to_metadata(),
        **data_only_metadata(apps_sorted),
    }
    ds = Dataset(table, meta, _designs=designs)
    report.seconds = time.perf_counter() - t0
    if out is not None:
        ds.save(out)
    return ds, report


def _raise_invalid(
    found: list[tuple[Path, str]],
    rows_per_file: np.ndarray,
    raw: list[np.ndarray],
    runtime: np.ndarray,
    area: np.ndarray,
    bad_param: np.ndarray,
    bad_result: np.ndarray,
) -> None:
    """Name the first offending record (file and record number) and the count."""
    starts = np.concatenate([[0], np.cumsum(rows_per_file)])

    def where(row: int) -> str:
        f = int(np.searchsorted(starts, row, side="right") - 1)
        return f"{found[f][0]}, record {row - starts[f]}"

    if bad_param.any():
        row = int(np.flatnonzero(bad_param)[0])
        name, key, v = "", "", 0.0
        allowed: tuple[int, ...] = ()
        for k, (name, key, allowed) in enumerate(_space.params()):  # noqa: B007 (used after the loop)
            v = float(raw[k][row])
            if not (np.isfinite(v) and v == int(v) and int(v) in allowed):
                break
        raise InvalidDesignError(
            f"{int(bad_param.sum())} record(s) hold parameter values outside the design space; "
            f"first in {where(row)}: {key} ({name}) = {v:g}, allowed: "
            f"{', '.join(map(str, allowed))} (use --drop-invalid to drop such rows)"
        )
    row = int(np.flatnonzero(bad_result)[0])
    raise DatasetError(
        f"{int(bad_result.sum())} feasible record(s) have a non-finite or non-positive runtime or "
        f"area; first in {where(row)}: runtime={float(runtime[row]):g}, area={float(area[row]):g} "
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
            _native.dataset_write_tfrecord(str(path), cols, [("infeasible", infeasible[lo:hi])])
            written.append(path)
    return written
