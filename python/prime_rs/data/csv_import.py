"""Import of users' own simulation logs (CSV or Parquet) with a column mapping.

The mapping names, for each dataset column, the column of the input that holds it (flags
``--map latency_ms=runtime`` or a TOML file, see :meth:`ColumnMapping.from_toml`). Unmapped
columns are looked up under their own name, the parameters also under their ``param_k`` keys,
``latency_ms``/``area_mm2`` also under PRIME's ``runtime``/``area``. Feasibility comes from a
``feasible`` column or, inverted, an ``infeasible`` one. Values are checked, never coerced:
parameters must be exact values of the design space, results numeric, flags boolean or 0/1.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from prime_rs.data import _space
from prime_rs.data import apps as app_names
from prime_rs.data.dataset import Dataset, assemble_table, check_results
from prime_rs.errors import DatasetError, InvalidArgumentError
from prime_rs.worlds import World, data_only_metadata

#: The longest CSV row always accepted: pyarrow parses in blocks of this size, and a row may
#: straddle one block boundary, not two.
MAX_CSV_ROW_BYTES = 16 << 20

_RESULT_TARGETS = ("latency_ms", "area_mm2", "feasible", "infeasible", "reason", "energy_mj")
_FALLBACKS = {"latency_ms": ("runtime",), "area_mm2": ("area",)}


def targets() -> list[str]:
    """Every dataset column a mapping may name."""
    return ["application", *_space.names(), *_RESULT_TARGETS]


@dataclass
class ColumnMapping:
    """Where each dataset column comes from in the input file."""

    #: dataset column (or a ``param_k`` key) -> input column
    columns: dict[str, str] = field(default_factory=dict)
    #: one application name for every row (for logs of a single application)
    application: str | None = None

    def __post_init__(self) -> None:
        key_to_name = dict(zip(_space.keys(), _space.names(), strict=True))
        norm = {}
        for target, src in self.columns.items():
            t = key_to_name.get(target, target)
            if t not in targets():
                raise InvalidArgumentError(
                    f"unknown dataset column {target!r} in the column mapping; "
                    f"known: {', '.join(targets())}"
                )
            if not isinstance(src, str):
                raise InvalidArgumentError(
                    f"mapping of {target!r} must be a column name, got {src!r}"
                )
            norm[t] = src
        self.columns = norm

    @classmethod
    def from_pairs(cls, pairs: Sequence[str], application: str | None = None) -> ColumnMapping:
        """From ``TARGET=SOURCE`` strings (the ``--map`` flags)."""
        cols = {}
        for p in pairs:
            target, sep, src = p.partition("=")
            if not sep or not target.strip() or not src.strip():
                raise InvalidArgumentError(f"column mapping {p!r} is not of the form TARGET=SOURCE")
            cols[target.strip()] = src.strip()
        return cls(cols, application)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> ColumnMapping:
        """``application = "name"`` (optional) and a ``[columns]`` table of target = "source"."""
        try:
            doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except UnicodeDecodeError as e:
            raise InvalidArgumentError(f"column mapping {path} is not UTF-8 text: {e}") from e
        except OSError as e:
            raise InvalidArgumentError(
                f"cannot read column mapping {path}: {e.strerror or e}"
            ) from e
        except tomllib.TOMLDecodeError as e:
            raise InvalidArgumentError(f"column mapping {path} is not valid TOML: {e}") from e
        extra = set(doc) - {"application", "columns"}
        if extra:
            raise InvalidArgumentError(
                f"column mapping {path}: unknown key(s) {', '.join(sorted(extra))}"
            )
        cols = doc.get("columns", {})
        if not isinstance(cols, dict):
            raise InvalidArgumentError(f"column mapping {path}: [columns] must be a table")
        app = doc.get("application")
        if app is not None and not isinstance(app, str):
            raise InvalidArgumentError(f"column mapping {path}: application must be a string")
        return cls(dict(cols), app)

    def merged(self, other: ColumnMapping) -> ColumnMapping:
        """This mapping overridden by `other` (flags override the file)."""
        return ColumnMapping(
            {**self.columns, **other.columns}, other.application or self.application
        )


def read_table(path: str | os.PathLike[str]) -> pa.Table:
    """A CSV (optionally compressed), TSV or Parquet file as an Arrow table."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"no such file: {p}")
    name = p.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            table = pq.read_table(p, page_checksum_verification=True)
        else:
            table = pcsv.read_csv(
                p,
                read_options=pcsv.ReadOptions(block_size=MAX_CSV_ROW_BYTES),
                parse_options=pcsv.ParseOptions(delimiter="\t" if ".tsv" in name else ","),
            )
    except (pa.ArrowException, OSError) as e:
        if "straddling" in str(e):
            raise DatasetError(
                f"cannot parse {p}: a row is longer than the CSV reader's limit "
                f"({MAX_CSV_ROW_BYTES >> 20} MiB); shorten its cells or convert the file to Parquet"
            ) from e
        raise DatasetError(f"cannot parse {p}: {e}") from e
    counts: dict[str, int] = {}
    for c in table.column_names:
        counts[c] = counts.get(c, 0) + 1
    dup = [f"{c!r} ({n} times)" for c, n in counts.items() if n > 1]
    if dup:
        raise DatasetError(f"{p}: duplicate column name(s) {', '.join(dup)}; names must be unique")
    return table


def import_csv(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    mapping: ColumnMapping | None = None,
    *,
    allow_unknown_apps: bool = True,
    latency_unit: str = "ms",
) -> Dataset:
    """Read a user's log into a Dataset (and write it to `out` if given).

    Application names prime-rs knows are canonicalised (PRIME folder spellings, case); any other
    name is kept as a data-only application, unless `allow_unknown_apps` is False, which
    rejects it. The dataset's world is "external" (this file) with `latency_unit` as the unit of
    the logged latencies."""
    from prime_rs.fileio import check_writable

    if out is not None:
        check_writable(out)
    world = World.external(f"csv: {Path(path).resolve()}", latency_unit)
    mapping = mapping or ColumnMapping()
    table = read_table(path)
    src = str(path)
    present = set(table.column_names)

    def source_of(target: str, candidates: Sequence[str] = ()) -> str | None:
        if target in mapping.columns:
            col = mapping.columns[target]
            if col not in present:
                raise DatasetError(
                    f"{src}: column {col!r} (mapped to {target}) is missing; "
                    f"found: {', '.join(table.column_names)}"
                )
            return col
        for c in (target, *candidates):
            if c in present:
                return c
        return None

    def need(target: str, candidates: Sequence[str] = ()) -> str:
        col = source_of(target, candidates)
        if col is None:
            tried = " or ".join(repr(c) for c in (target, *candidates))
            raise DatasetError(
                f"{src}: missing column {tried} (map another column with --map {target}=COLUMN); "
                f"found: {', '.join(table.column_names)}"
            )
        return col

    n = table.num_rows
    # --- feasibility first: it decides how missing latencies are read ---
    feas_col = source_of("feasible")
    if feas_col is not None:
        feasible = _flag(table.column(feas_col), feas_col, src)
    else:
        inf_col = source_of("infeasible")
        if inf_col is None:
            raise DatasetError(
                f"{src}: missing column 'feasible' (or 'infeasible'); map one with "
                f"--map feasible=COLUMN; found: {', '.join(table.column_names)}"
            )
        feasible = ~_flag(table.column(inf_col), inf_col, src)

    # --- application ---
    if mapping.application is not None:
        resolved = app_names.resolve([mapping.application], allow_unknown_apps)
        apps = (np.zeros(n, np.int32), [resolved[mapping.application]])
    else:
        col = table.column(need("application"))
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            raise DatasetError(
                f"{src}: column {need('application')!r} has type {col.type}, expected application names"
            )
        if col.null_count:
            raise DatasetError(f"{src}: column 'application' has {col.null_count} empty value(s)")
        enc = col.cast(pa.string()).combine_chunks().dictionary_encode()
        resolved = app_names.resolve(enc.dictionary.to_pylist(), allow_unknown_apps)
        names = sorted(set(resolved.values()))
        remap = np.array([names.index(resolved[d]) for d in enc.dictionary.to_pylist()], np.int32)
        apps = (remap[enc.indices.to_numpy(zero_copy_only=False)], names)

    # --- parameters ---
    values = []
    for name, key, _ in _space.params():
        col_name = need(name, (key,))
        values.append(_integers(table.column(col_name), col_name, src))
    designs = _space.designs_of(values, where=f"{src}: ")

    # --- results ---
    lat_name = need("latency_ms", _FALLBACKS["latency_ms"])
    latency = _numbers(table.column(lat_name), lat_name, src)
    area_name = need("area_mm2", _FALLBACKS["area_mm2"])
    area = _numbers(table.column(area_name), area_name, src)
    for arr, name in ((latency, lat_name), (area, area_name)):
        bad = feasible & ~np.isfinite(arr)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DatasetError(
                f"{src}: {int(bad.sum())} feasible row(s) have no finite {name!r}, first at row {row}"
            )
    latency = np.where(feasible, latency, np.inf)
    check_results(feasible, latency, area, where=f"{src}: ")
    reason_name = source_of("reason")
    if reason_name is not None:
        rcol = table.column(reason_name)
        if not (
            pa.types.is_string(rcol.type)
            or pa.types.is_large_string(rcol.type)
            or pa.types.is_null(rcol.type)
        ):
            raise DatasetError(f"{src}: column {reason_name!r} has type {rcol.type}, expected text")
        reason = rcol.cast(pa.string()).fill_null("").combine_chunks()
        reason = pc.if_else(pa.array(feasible), "", reason)
    else:
        reason = pa.array(np.where(feasible, "", "infeasible").astype(object), pa.string())
    energy_name = source_of("energy_mj")
    energy = None
    if energy_name is not None:
        energy = _numbers(table.column(energy_name), energy_name, src)
    meta = {
        "prime_rs.source": "csv",
        "prime_rs.source_path": str(Path(path).resolve()),
        "prime_rs.space_fingerprint": _space.fingerprint(),
        **world.to_metadata(),
        **data_only_metadata(list(apps[1])),
    }
    built = assemble_table(apps, values, latency, area, feasible, reason, energy)
    ds = Dataset(built, meta, _designs=designs)
    if out is not None:
        ds.save(out)
    return ds


def _as_numpy(col: pa.ChunkedArray) -> np.ndarray:
    return col.combine_chunks().to_numpy(zero_copy_only=False)


def _flag(col: pa.ChunkedArray, name: str, src: str) -> np.ndarray:
    if col.null_count:
        raise DatasetError(f"{src}: column {name!r} has {col.null_count} empty value(s)")
    if pa.types.is_boolean(col.type):
        return _as_numpy(col).astype(bool)
    if pa.types.is_integer(col.type):
        v = _as_numpy(col)
        if not np.isin(v, (0, 1)).all():
            row = int(np.flatnonzero(~np.isin(v, (0, 1)))[0])
            raise DatasetError(
                f"{src}: column {name!r} must be true/false or 0/1; row {row} holds {v[row]}"
            )
        return v.astype(bool)
    raise DatasetError(f"{src}: column {name!r} has type {col.type}, expected true/false or 0/1")


def _integers(col: pa.ChunkedArray, name: str, src: str) -> np.ndarray:
    if col.null_count:
        raise DatasetError(f"{src}: column {name!r} has {col.null_count} empty value(s)")
    if pa.types.is_integer(col.type):
        return _as_numpy(col).astype(np.int64)
    if pa.types.is_floating(col.type):
        v = _as_numpy(col).astype(np.float64)
        ok = np.isfinite(v) & (np.abs(v) < 2.0**62)
        iv = np.where(ok, v, -1).astype(np.int64)
        bad = ~ok | (iv != v)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DatasetError(
                f"{src}: column {name!r} must hold whole raw parameter values; row {row} holds {v[row]:g}"
            )
        return iv
    raise DatasetError(f"{src}: column {name!r} has type {col.type}, expected integer raw values")


def _numbers(col: pa.ChunkedArray, name: str, src: str) -> np.ndarray:
    """float64; empty cells become NaN (they are checked by the caller where they matter)."""
    if pa.types.is_null(col.type):
        return np.full(len(col), np.nan)
    if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
        raise DatasetError(f"{src}: column {name!r} has type {col.type}, expected numbers")
    return _as_numpy(col.cast(pa.float64()).fill_null(np.nan)).astype(np.float64)


def mapping_from(
    pairs: Sequence[str] = (),
    toml_path: str | os.PathLike[str] | None = None,
    application: str | None = None,
) -> ColumnMapping:
    """Combine a TOML mapping file with ``--map`` flags and ``--app`` (flags win)."""
    base = ColumnMapping.from_toml(toml_path) if toml_path else ColumnMapping()
    return base.merged(ColumnMapping.from_pairs(pairs, application))


__all__ = ["ColumnMapping", "import_csv", "mapping_from", "read_table", "targets"]
