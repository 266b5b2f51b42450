"""`prime_rs.data.import_csv`: users' own logs with a column mapping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from _data_support import assert_same_dataset

from prime_rs import SPACE
from prime_rs.data import ColumnMapping, Dataset, from_arrays, import_csv, load
from prime_rs.data.csv_import import mapping_from
from prime_rs.errors import (
    DatasetError,
    InvalidArgumentError,
    InvalidDesignError,
    OutputError,
    UnknownApplicationError,
)


def _dataset(n: int = 500, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    feasible = rng.random(n) < 0.4
    return from_arrays(
        SPACE.sample(n, seed=seed),
        rng.choice(["mobilenet_v2", "rnnt_decoder"], size=n),
        np.where(feasible, rng.lognormal(3, 1, n), np.inf),
        rng.uniform(1, 90, n),
        feasible,
        np.where(feasible, "", "act_mem"),
        np.where(feasible, rng.random(n), np.nan),
    )


def test_csv_round_trip_reproduces_the_dataset(tmp_path: Path) -> None:
    ds = _dataset()
    ds.to_csv(tmp_path / "d.csv")
    back = import_csv(tmp_path / "d.csv", tmp_path / "d.parquet")
    assert_same_dataset(ds, back)
    assert_same_dataset(ds, load(tmp_path / "d.parquet"))
    assert back.metadata["prime_rs.source"] == "csv"


def test_parquet_input_with_prime_style_columns(tmp_path: Path) -> None:
    """A log with param_k keys, runtime/area and an infeasible flag maps without flags."""
    ds = _dataset(200, seed=1)
    cols = {"application": ds.application.tolist()}
    cols |= {key: ds.values[:, k].astype(np.float64) for k, key in enumerate(SPACE.keys)}
    cols |= {"runtime": np.where(ds.feasible, ds.latency_ms, 0.0), "area": ds.area_mm2,
             "infeasible": (~ds.feasible).astype(np.int64)}  # fmt: skip
    pq.write_table(pa.table(cols), tmp_path / "log.parquet")
    back = import_csv(tmp_path / "log.parquet")
    np.testing.assert_array_equal(back.designs, ds.designs)
    np.testing.assert_array_equal(back.latency_ms, ds.latency_ms)
    np.testing.assert_array_equal(back.feasible, ds.feasible)
    assert set(back.reason[~back.feasible]) == {"infeasible"}


def test_mapping_flags_and_toml(tmp_path: Path) -> None:
    ds = _dataset(100, seed=2)
    t = {f"p{k}": ds.values[:, k] for k in range(10)}
    t |= {"lat": ds.latency_ms, "mm2": ds.area_mm2, "ok": ds.feasible.astype(int)}
    pcsv.write_csv(pa.table(t), tmp_path / "mine.csv")
    pairs = [f"{name}=p{k}" for k, name in enumerate(SPACE.names)] + [
        "latency_ms=lat",
        "area_mm2=mm2",
        "feasible=ok",
    ]
    back = import_csv(
        tmp_path / "mine.csv", mapping=ColumnMapping.from_pairs(pairs, application="MobilenetV2")
    )
    assert back.applications == ["mobilenet_v2"]
    np.testing.assert_array_equal(back.designs, ds.designs)
    np.testing.assert_array_equal(back.feasible, ds.feasible)
    toml = tmp_path / "map.toml"
    lines = ['application = "unet"', "[columns]"]
    lines += [f'param_{k + 1} = "p{k}"' for k in range(10)]  # keys work as targets too
    lines += ['latency_ms = "lat"', 'area_mm2 = "mm2"', 'feasible = "ok"']
    toml.write_text("\n".join(lines))
    back2 = import_csv(tmp_path / "mine.csv", mapping=mapping_from([], toml))
    assert back2.applications == ["unet"]
    np.testing.assert_array_equal(back2.designs, ds.designs)
    # Flags override the file.
    m = mapping_from(["feasible=ok"], toml, application="rnnt_encoder")
    assert m.application == "rnnt_encoder" and m.columns["pe_x"] == "p0"


def _csv(tmp_path: Path, ds: Dataset, **changes: object) -> Path:
    table = pa.table({c: ds.table.column(c).cast(pa.string()) if c in ("application", "reason") else ds.table.column(c)
                      for c in ds.table.column_names})  # fmt: skip
    for name, col in changes.items():
        if col is None:
            table = table.drop_columns([name])
        else:
            table = table.set_column(table.schema.get_field_index(name), name, pa.array(col))
    p = tmp_path / "bad.csv"
    pcsv.write_csv(table, p)
    return p


def test_bad_inputs(tmp_path: Path) -> None:
    ds = _dataset(20, seed=3)
    with pytest.raises(DatasetError, match=r"missing column 'area_mm2' or 'area'"):
        import_csv(_csv(tmp_path, ds, area_mm2=None))
    with pytest.raises(DatasetError, match=r"missing column 'feasible' \(or 'infeasible'\)"):
        import_csv(_csv(tmp_path, ds, feasible=None))
    with pytest.raises(DatasetError, match=r"'pe_x' has type string"):
        import_csv(_csv(tmp_path, ds, pe_x=["x"] * 20))
    with pytest.raises(DatasetError, match=r"'latency_ms' has type string"):
        import_csv(_csv(tmp_path, ds, latency_ms=["fast"] * 20))
    with pytest.raises(DatasetError, match=r"'feasible' must be true/false or 0/1; row 0 holds 2"):
        import_csv(_csv(tmp_path, ds, feasible=[2] * 20))
    with pytest.raises(UnknownApplicationError, match=r"'AlexNet'"):
        import_csv(_csv(tmp_path, ds, application=["AlexNet"] * 20), allow_unknown_apps=False)
    # By default an unknown name is kept as a data-only application (issue 9).
    kept = import_csv(_csv(tmp_path, ds, application=["AlexNet"] * 20))
    assert kept.applications == ["AlexNet"]
    assert kept.metadata["prime_rs.data_only_applications"] == "AlexNet"
    lanes = ds.values[:, 2].copy()
    lanes[5] = 12
    with pytest.raises(InvalidDesignError, match=r"'simd_lanes'.*row 5: 12"):
        import_csv(_csv(tmp_path, ds, simd_lanes=lanes))
    half = ds.values[:, 0].astype(float)
    half[3] = 1.5
    with pytest.raises(
        DatasetError, match=r"'pe_x' must hold whole raw parameter values; row 3 holds 1.5"
    ):
        import_csv(_csv(tmp_path, ds, pe_x=half))
    lat = ds.latency_ms.copy()
    lat[ds.feasible.argmax()] = np.nan
    with pytest.raises(DatasetError, match=r"feasible row\(s\) have no finite 'latency_ms'"):
        import_csv(_csv(tmp_path, ds, latency_ms=lat))
    with pytest.raises(DatasetError, match=r"column 'nope' \(mapped to latency_ms\) is missing"):
        import_csv(_csv(tmp_path, ds), mapping=ColumnMapping({"latency_ms": "nope"}))
    with pytest.raises(InvalidArgumentError, match=r"unknown dataset column 'speed'"):
        ColumnMapping({"speed": "x"})
    with pytest.raises(InvalidArgumentError, match=r"not of the form TARGET=SOURCE"):
        ColumnMapping.from_pairs(["latency_ms"])
    with pytest.raises(DatasetError, match="no such file"):
        import_csv(tmp_path / "missing.csv")
    (tmp_path / "bad.toml").write_text("[columns\n")
    with pytest.raises(InvalidArgumentError, match="not valid TOML"):
        mapping_from([], tmp_path / "bad.toml")


def test_no_partial_output(tmp_path: Path) -> None:
    ds = _dataset(20, seed=4)
    out = tmp_path / "out.parquet"
    with pytest.raises(DatasetError):
        import_csv(_csv(tmp_path, ds, area_mm2=None), out)
    assert not out.exists()
    with pytest.raises(OutputError):
        import_csv(_csv(tmp_path, ds), tmp_path / "missing-dir" / "out.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]
