"""The logged-design dataset: one columnar schema (Arrow in memory, Parquet on disk) for
simulations from any source, and the splits PRIME trains on.

Columns: ``application`` (string), the ten physical parameter names holding raw
values (int64), ``latency_ms`` (float64, +inf when infeasible), ``area_mm2`` (float64),
``feasible`` (bool), ``reason`` (string, empty when feasible) and optional ``energy_mj`` (float64,
NaN when unknown). Provenance lives in the Parquet key-value metadata under ``prime_rs.*``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from prime_rs.data import _space
from prime_rs.errors import (
    DatasetError,
    InvalidArgumentError,
    OutputError,
    UnknownApplicationError,
)
from prime_rs.fileio import atomic_path
from prime_rs.task import DEFAULT_AREA_BUDGET
from prime_rs.worlds import World, world_of

#: Version of the on-disk layout, stored as ``prime_rs.format_version``.
FORMAT_VERSION = "1"
META_PREFIX = "prime_rs."
RESULT_COLUMNS = ("latency_ms", "area_mm2", "feasible", "reason")
OPTIONAL_COLUMNS = ("energy_mj",)
_STR_COLUMNS = ("application", "reason")
_DICT = pa.dictionary(pa.int32(), pa.string())


#: The rule every dataset's results follow, checked on import and on load.
RESULT_RULE = (
    "a feasible row needs a finite latency > 0 and a finite area >= 0, and no area may be negative"
)


def bad_results(feasible: np.ndarray, latency_ms: np.ndarray, area_mm2: np.ndarray) -> np.ndarray:
    """Rows whose results break :data:`RESULT_RULE` (infeasible rows may hold an unknown, NaN or
    infinite, area; their latency is ignored)."""
    good = np.isfinite(latency_ms) & (latency_ms > 0) & np.isfinite(area_mm2) & (area_mm2 >= 0)
    return (feasible & ~good) | (area_mm2 < 0)


def check_results(
    feasible: np.ndarray, latency_ms: np.ndarray, area_mm2: np.ndarray, where: str = ""
) -> None:
    """DatasetError naming the count and the first row that breaks :data:`RESULT_RULE`."""
    bad = bad_results(feasible, latency_ms, area_mm2)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DatasetError(
            f"{where}{int(bad.sum())} row(s) have invalid results ({RESULT_RULE}); first at row "
            f"{row}: feasible={bool(feasible[row])}, latency_ms={float(latency_ms[row]):g}, "
            f"area_mm2={float(area_mm2[row]):g}"
        )


def parquet_options() -> dict[str, Any]:
    """Writer options: zstd, dictionary encoding only where values repeat (names, parameters,
    flags; latencies and areas are near-unique floats, where dictionaries only cost time), and
    a CRC of every page, verified by :func:`load`, so flipped bytes are an error, not data."""
    return {
        "compression": "zstd",
        "use_dictionary": ["application", "reason", "feasible", *_space.names()],
        "write_page_checksum": True,
    }


def file_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Provenance as written to a file: the layout version and the space fingerprint added."""
    meta = {**(metadata or {}), f"{META_PREFIX}format_version": FORMAT_VERSION}
    meta.setdefault(f"{META_PREFIX}space_fingerprint", _space.fingerprint())
    return meta


class DatasetWriter(AbstractContextManager["DatasetWriter"]):
    """Streams tables (one row group each) into a dataset file. The file appears only when the
    block exits normally (a temporary file renamed into place); provenance may be completed
    with :meth:`add_metadata` before then."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        metadata: Mapping[str, str] | None = None,
        with_energy: bool = False,
    ) -> None:
        self.path = path
        self._meta = file_metadata(metadata)
        self._schema = file_schema(with_energy, self._meta)
        self._atomic = atomic_path(path)
        self._writer: pq.ParquetWriter | None = None

    def __enter__(self) -> DatasetWriter:
        tmp = self._atomic.__enter__()
        try:
            self._writer = pq.ParquetWriter(tmp, self._schema, **parquet_options())
        except OSError as e:
            self._atomic.__exit__(type(e), e, e.__traceback__)
            raise OutputError(f"cannot write {self.path}: {e}") from e
        return self

    def write(self, table: pa.Table) -> None:
        """Append `table` (in-memory or file layout) as one row group."""
        assert self._writer is not None, "DatasetWriter.write outside its with-block"
        try:
            self._writer.write_table(to_file_table(table).replace_schema_metadata(self._meta))
        except OSError as e:
            raise OutputError(f"cannot write {self.path}: {e}") from e

    def add_metadata(self, metadata: Mapping[str, str]) -> None:
        """Provenance known only at the end (counts); stored in the file's footer."""
        assert self._writer is not None, "DatasetWriter.add_metadata outside its with-block"
        self._writer.add_key_value_metadata(dict(metadata))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                writer.close()
            except OSError as e:
                if exc is None:
                    err = OutputError(f"cannot write {self.path}: {e}")
                    self._atomic.__exit__(OutputError, err, None)
                    raise err from e
        return self._atomic.__exit__(exc_type, exc, tb)


def columns(with_energy: bool = False) -> list[str]:
    """The column names of a dataset file, in order."""
    return [
        "application",
        *_space.names(),
        *RESULT_COLUMNS,
        *(OPTIONAL_COLUMNS if with_energy else ()),
    ]


def _arrow_schema(with_energy: bool, dictionary: bool) -> pa.Schema:
    s = pa.string() if not dictionary else _DICT
    fields = [pa.field("application", s, nullable=False)]
    fields += [pa.field(n, pa.int64(), nullable=False) for n in _space.names()]
    fields += [
        pa.field("latency_ms", pa.float64(), nullable=False),
        pa.field("area_mm2", pa.float64(), nullable=False),
        pa.field("feasible", pa.bool_(), nullable=False),
        pa.field("reason", s, nullable=False),
    ]
    if with_energy:
        fields.append(pa.field("energy_mj", pa.float64()))
    return pa.schema(fields)


def assemble_table(
    application: tuple[Any, Sequence[str]],
    values: Any,
    latency_ms: Any,
    area_mm2: Any,
    feasible: Any,
    reason: tuple[Any, Sequence[str]] | pa.Array | pa.ChunkedArray,
    energy_mj: Any = None,
) -> pa.Table:
    """The one builder of an in-memory dataset table (dictionary strings), behind every importer
    and generation: ``application`` and a coded ``reason`` are ``(codes, names)``, a ``reason``
    of text is encoded here; ``values`` are the ten raw parameter columns (a sequence, or the
    columns of a 2-D array). Each column is cast to the schema's type, so a source only has to
    produce numbers."""
    codes, names = application
    cols: list[Any] = [pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), list(names))]
    vals = values.T if isinstance(values, np.ndarray) and values.ndim == 2 else values
    cols += [pa.array(v) for v in vals]
    cols += [pa.array(latency_ms), pa.array(area_mm2), pa.array(feasible)]
    if isinstance(reason, tuple):
        r_codes, r_names = reason
        cols.append(pa.DictionaryArray.from_arrays(pa.array(r_codes, pa.int32()), list(r_names)))
    else:
        if isinstance(reason, pa.ChunkedArray):
            reason = reason.combine_chunks()
        cols.append(reason if pa.types.is_dictionary(reason.type) else reason.dictionary_encode())
    if energy_mj is not None:
        cols.append(pa.array(energy_mj))
    schema = _arrow_schema(energy_mj is not None, dictionary=True)
    cols = [c if c.type == f.type else c.cast(f.type) for c, f in zip(cols, schema, strict=True)]
    return pa.Table.from_arrays(cols, schema=schema)


def file_schema(with_energy: bool = False, metadata: Mapping[str, str] | None = None) -> pa.Schema:
    """The Arrow schema of dataset files (plain strings, provenance metadata attached)."""
    return _arrow_schema(with_energy, dictionary=False).with_metadata(dict(metadata or {}))


class Dataset:
    """Logged simulations: one row per (design, application).

    Immutable: every operation returns a new Dataset sharing the underlying Arrow buffers.
    Array properties are computed once and cached.
    """

    def __init__(
        self,
        table: pa.Table,
        metadata: Mapping[str, str] | None = None,
        *,
        source: str = "table",
        _designs: np.ndarray | None = None,
    ) -> None:
        if _designs is None:
            table = _normalise(table, source)
            cols = [table.column(n).to_numpy() for n in _space.names()]
            _designs = _space.designs_of(cols, where=f"{source}: ")
            check_results(
                table.column("feasible").to_numpy(zero_copy_only=False).astype(bool),
                _f64(table, "latency_ms"),
                _f64(table, "area_mm2"),
                where=f"{source}: ",
            )
        self.table: pa.Table = table
        self.metadata: dict[str, str] = dict(metadata or {})
        self._designs = _designs

    # --- columns as numpy -------------------------------------------------------------

    def __len__(self) -> int:
        return self.table.num_rows

    def __repr__(self) -> str:
        n_feas = int(self.feasible.sum())
        return f"Dataset({len(self):,} rows, {n_feas:,} feasible, applications={self.applications})"

    def content_hash(self) -> str:
        """SHA-256 (hex) of the rows' content: designs, applications, metrics and reasons, in
        row order. It does not depend on the file format, compression or dictionary order, so
        the same logs as Parquet or CSV hash alike; the metadata is not part of it."""
        import hashlib

        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.designs).tobytes())
        for name in _STR_COLUMNS:
            # Rows as positions in the sorted list of the names they use: the same whatever
            # the dictionary's order or its unused entries.
            codes, dictionary = _codes(self.table, name)
            used = np.unique(codes).tolist()
            names = sorted(dictionary[c] for c in used)
            rank = np.zeros(len(dictionary), dtype=np.int64)
            rank[used] = [names.index(dictionary[c]) for c in used]
            h.update("\0".join(names).encode() + b"\1")
            h.update(rank[codes].tobytes())
        for arr in (self.latency_ms, self.area_mm2, self.energy_mj):
            h.update(np.ascontiguousarray(arr, dtype="<f8").tobytes())
        h.update(np.packbits(self.feasible).tobytes())
        return h.hexdigest()

    def to_arrow(self) -> pa.Table:
        """The rows as a pyarrow Table (string columns dictionary-encoded, as held in memory)."""
        return self.table

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame (needs pandas, which is optional); string columns
        become categoricals."""
        from prime_rs._display import to_pandas

        return to_pandas(self.table)

    def _repr_html_(self) -> str:
        from prime_rs._display import fmt_ms, html_table

        rows = []
        for app in self.applications:
            mask = self.application == app
            ok = mask & self.feasible
            best = float(self.latency_ms[ok].min()) if ok.any() else None
            rows.append((app, int(mask.sum()), int(ok.sum()), fmt_ms(best)))
        unit = self.latency_unit
        return html_table(
            ("application", "rows", "feasible", f"best latency ({unit})"), rows, caption=repr(self)
        )

    @property
    def designs(self) -> np.ndarray:
        """(n, 10) uint8 index rows."""
        return self._designs

    @cached_property
    def values(self) -> np.ndarray:
        """(n, 10) int64 raw parameter values."""
        return _values_of(self.table)

    @cached_property
    def application(self) -> np.ndarray:
        return _str_column(self.table, "application")

    @cached_property
    def applications(self) -> list[str]:
        codes, dictionary = _codes(self.table, "application")
        return sorted({dictionary[c] for c in np.unique(codes).tolist()})

    @cached_property
    def latency_ms(self) -> np.ndarray:
        return _f64(self.table, "latency_ms")

    @cached_property
    def area_mm2(self) -> np.ndarray:
        return _f64(self.table, "area_mm2")

    @cached_property
    def feasible(self) -> np.ndarray:
        return self.table.column("feasible").to_numpy(zero_copy_only=False).astype(bool, copy=False)

    @cached_property
    def reason(self) -> np.ndarray:
        return _str_column(self.table, "reason")

    @cached_property
    def energy_mj(self) -> np.ndarray:
        """float64 energy; NaN where unknown (and everywhere when the source has none)."""
        if "energy_mj" not in self.table.column_names:
            return np.full(len(self), np.nan)
        return _f64(self.table, "energy_mj")

    @property
    def has_energy(self) -> bool:
        return "energy_mj" in self.table.column_names

    # --- world ------------------------------------------------------------------------

    @property
    def world(self) -> World:
        """What produced the metrics (:mod:`prime_rs.worlds`), with their latency unit."""
        return world_of(self.metadata)

    @property
    def latency_unit(self) -> str:
        return self.world.latency_unit

    @property
    def data_only_applications(self) -> list[str]:
        """Applications of this dataset that prime-rs has no workload for."""
        from prime_rs.data import apps as app_names

        return sorted(set(self.applications) - set(app_names.workload_names()))

    # --- selections -------------------------------------------------------------------

    def take(self, rows: np.ndarray) -> Dataset:
        """Rows by boolean mask or integer indices (in the given order)."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            if rows.shape != (len(self),):
                raise InvalidArgumentError(f"mask has shape {rows.shape}, expected ({len(self)},)")
            rows = np.flatnonzero(rows)
        table = self.table.take(pa.array(rows, type=pa.int64()))
        return Dataset(table, self.metadata, _designs=self._designs[rows])

    def _app_mask(self, apps: str | Iterable[str]) -> np.ndarray:
        from prime_rs.data import apps as app_names

        wanted = [apps] if isinstance(apps, str) else list(apps)
        present = self.applications
        resolved = []
        for a in wanted:
            name = a if a in present else app_names.canonical(a)
            if name not in present:
                raise UnknownApplicationError(
                    f"application {a!r} is not in this dataset; it holds: {', '.join(present) or 'no rows'}"
                )
            resolved.append(name)
        codes, dictionary = _codes(self.table, "application")
        wanted_codes = [i for i, d in enumerate(dictionary) if d in set(resolved)]
        return np.isin(codes, wanted_codes)

    def filter(
        self,
        apps: str | Iterable[str] | None = None,
        area_budget: float | None = None,
        feasible: bool | None = None,
    ) -> Dataset:
        """Rows of the given applications, with area <= `area_budget`, of the given feasibility."""
        mask = np.ones(len(self), dtype=bool)
        if apps is not None:
            mask &= self._app_mask(apps)
        if area_budget is not None:
            mask &= self.area_mm2 <= float(area_budget)
        if feasible is not None:
            mask &= self.feasible == bool(feasible)
        return self.take(mask)

    def split_feasible(
        self, area_budget: float | None = DEFAULT_AREA_BUDGET
    ) -> tuple[Dataset, Dataset]:
        """(regression set, "infeasible" set) as in docs/design.md section 6: feasible rows within the
        area budget, and everything else (simulator-infeasible plus over-budget)."""
        ok = self.feasible.copy()
        if area_budget is not None:
            ok &= self.area_mm2 <= float(area_budget)
        return self.take(ok), self.take(~ok)

    def train_val_split(self, val_fraction: float = 0.1, seed: int = 0) -> tuple[Dataset, Dataset]:
        """(train, validation), stratified by application: each application gives
        round(val_fraction * its rows) to validation. Row order is preserved in both."""
        if not 0.0 <= val_fraction <= 1.0 or not np.isfinite(val_fraction):
            raise InvalidArgumentError(f"val_fraction must lie in [0, 1], got {val_fraction}")
        rng = np.random.default_rng(seed)
        codes, dictionary = _codes(self.table, "application")
        val = np.zeros(len(self), dtype=bool)
        # Iterate applications by name so the split does not depend on dictionary order.
        for code in sorted(range(len(dictionary)), key=lambda c: dictionary[c]):
            rows = np.flatnonzero(codes == code)
            k = round(val_fraction * len(rows))
            if k:
                val[rng.choice(rows, size=k, replace=False)] = True
        return self.take(~val), self.take(val)

    def holdout(self, apps: str | Iterable[str]) -> tuple[Dataset, Dataset]:
        """(rows not of `apps`, rows of `apps`): hold out whole applications (zero-shot)."""
        mask = self._app_mask(apps)
        return self.take(~mask), self.take(mask)

    # --- output -----------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write Parquet atomically (a temporary file renamed into place)."""
        table = to_file_table(self.table).replace_schema_metadata(file_metadata(self.metadata))
        with atomic_path(path) as tmp:
            try:
                pq.write_table(table, tmp, **parquet_options())
            except OSError as e:
                raise OutputError(f"cannot write {path}: {e}") from e

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write CSV atomically (the columns of the Parquet file; no metadata)."""
        import pyarrow.csv as pcsv

        with atomic_path(path) as tmp:
            try:
                pcsv.write_csv(to_file_table(self.table), tmp)
            except OSError as e:
                raise OutputError(f"cannot write {path}: {e}") from e


# --- construction ---------------------------------------------------------------------


def from_arrays(
    designs: Any,
    application: str | Sequence[str] | np.ndarray,
    latency_ms: Any,
    area_mm2: Any,
    feasible: Any,
    reason: Sequence[str] | np.ndarray | None = None,
    energy_mj: Any = None,
    metadata: Mapping[str, str] | None = None,
) -> Dataset:
    """Build a Dataset from index rows and results. `application` may be one name for all rows;
    `reason` defaults to "" for feasible rows and "infeasible" otherwise."""
    from prime_rs import SPACE

    d = SPACE.validate(designs)
    n = len(d)
    feas = np.asarray(feasible, dtype=bool)
    if isinstance(application, str):
        app = pa.DictionaryArray.from_arrays(np.zeros(n, np.int32), [application])
    else:
        app = pa.array(np.asarray(application, dtype=object), type=pa.string()).dictionary_encode()
    if reason is None:
        reason_arr = pa.DictionaryArray.from_arrays(
            np.where(feas, 0, 1).astype(np.int32), ["", "infeasible"]
        )
    else:
        reason_arr = pa.array(
            np.asarray(reason, dtype=object), type=pa.string()
        ).dictionary_encode()
    cols: dict[str, Any] = {"application": app}
    values = _space.to_values(d)
    for k, name in enumerate(_space.names()):
        cols[name] = pa.array(values[:, k])
    cols["latency_ms"] = pa.array(np.asarray(latency_ms, dtype=np.float64))
    cols["area_mm2"] = pa.array(np.asarray(area_mm2, dtype=np.float64))
    cols["feasible"] = pa.array(feas)
    cols["reason"] = reason_arr
    if energy_mj is not None:
        cols["energy_mj"] = pa.array(np.asarray(energy_mj, dtype=np.float64))
    lengths = {k: len(v) for k, v in cols.items()}
    if len(set(lengths.values())) != 1:
        raise InvalidArgumentError(f"columns have different lengths: {lengths}")
    table = pa.table(cols)
    return Dataset(_normalise(table, "arrays"), metadata, _designs=d)


def load(path: str | os.PathLike[str]) -> Dataset:
    """Read a dataset file written by prime-rs (or any Parquet file with the dataset columns)."""
    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"no such dataset file: {p}")
    try:
        pf = pq.ParquetFile(p, read_dictionary=list(_STR_COLUMNS), page_checksum_verification=True)
        table = pf.read()
    except (pa.ArrowException, OSError) as e:
        raise DatasetError(f"{p} is not a readable Parquet file: {e}") from e
    # The footer's key-value pairs: the schema's, plus those a streaming writer added last.
    raw = pf.metadata.metadata or {}
    meta = {
        k.decode(errors="replace"): v.decode(errors="replace")
        for k, v in raw.items()
        if k.startswith(META_PREFIX.encode())
    }
    return Dataset(table, meta, source=str(p))


def concat(parts: Sequence[Dataset], metadata: Mapping[str, str] | None = None) -> Dataset:
    """Rows of all parts in order (energy kept only if every part has it)."""
    if not parts:
        raise InvalidArgumentError("concat needs at least one dataset")
    energy = all(p.has_energy for p in parts)
    schema = _arrow_schema(energy, dictionary=False)
    tables = [to_file_table(p.table).select(schema.names).cast(schema) for p in parts]
    table = _normalise(pa.concat_tables(tables), "concat")
    designs = np.concatenate([p.designs for p in parts])
    return Dataset(table, metadata if metadata is not None else parts[0].metadata, _designs=designs)


# --- helpers --------------------------------------------------------------------------


def to_file_table(table: pa.Table) -> pa.Table:
    """The table with plain string columns (dictionary columns decoded), as written to files."""
    for name in _STR_COLUMNS:
        i = table.schema.get_field_index(name)
        if pa.types.is_dictionary(table.schema.field(i).type):
            table = table.set_column(
                i, pa.field(name, pa.string(), nullable=False), table.column(name).cast(pa.string())
            )
    return table


def _normalise(table: pa.Table, source: str) -> pa.Table:
    """Check columns and types; return the canonical in-memory layout (string columns
    dictionary-encoded, numeric columns widened to int64/float64, columns in order)."""
    present = set(table.column_names)
    with_energy = "energy_mj" in present
    want = columns(with_energy)
    missing = [c for c in want if c not in present]
    if missing:
        raise DatasetError(
            f"{source}: missing column(s) {', '.join(missing)}; found: {', '.join(table.column_names)}"
        )
    out = []
    for name in want:
        col = table.column(name)
        t = col.type
        if name in _STR_COLUMNS:
            vt = t.value_type if pa.types.is_dictionary(t) else t
            if not (pa.types.is_string(vt) or pa.types.is_large_string(vt)):
                raise DatasetError(f"{source}: column '{name}' has type {t}, expected string")
            if t != _DICT or (name == "reason" and col.null_count):
                col = col.cast(pa.string())
                if name == "reason":
                    col = col.fill_null("")
                col = col.dictionary_encode().cast(_DICT)
        elif name == "feasible":
            if not pa.types.is_boolean(t):
                raise DatasetError(f"{source}: column 'feasible' has type {t}, expected bool")
        elif name in ("latency_ms", "area_mm2", "energy_mj"):
            if not (pa.types.is_floating(t) or pa.types.is_integer(t)):
                raise DatasetError(f"{source}: column '{name}' has type {t}, expected float64")
            col = col.cast(pa.float64())
            if name == "energy_mj" and col.null_count:
                col = col.fill_null(np.nan)
        else:
            if not pa.types.is_integer(t):
                raise DatasetError(
                    f"{source}: column '{name}' has type {t}, expected int64 raw values"
                )
            col = col.cast(pa.int64())
        if col.null_count and name != "energy_mj":
            raise DatasetError(f"{source}: column '{name}' has {col.null_count} missing value(s)")
        out.append(col)
    return pa.Table.from_arrays(out, schema=_arrow_schema(with_energy, dictionary=True))


def _values_of(table: pa.Table) -> np.ndarray:
    n = table.num_rows
    out = np.empty((n, len(_space.names())), dtype=np.int64)
    for k, name in enumerate(_space.names()):
        out[:, k] = table.column(name).to_numpy()
    return out


def _f64(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy().astype(np.float64, copy=False)


def _codes(table: pa.Table, name: str) -> tuple[np.ndarray, list[str]]:
    """Integer codes and the dictionary of a string column (codes index one unified dictionary)."""
    col = table.column(name)
    if col.num_chunks == 0:
        return np.zeros(0, np.int32), []
    col = col.unify_dictionaries() if col.num_chunks > 1 else col
    dictionary = col.chunk(0).dictionary.to_pylist()
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in col.chunks])
    return codes.astype(np.int64, copy=False), dictionary


def _str_column(table: pa.Table, name: str) -> np.ndarray:
    """Object array sharing one str per distinct value (cheap for millions of rows)."""
    codes, dictionary = _codes(table, name)
    lut = np.empty(len(dictionary), dtype=object)
    lut[:] = dictionary
    return lut[codes] if len(codes) else np.empty(0, dtype=object)
