"""The Dataset: Parquet round trips, PRIME's splits, validation of files and arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _data_support import assert_same_dataset
from hypothesis import given, settings
from hypothesis import strategies as st

from prime_rs import SPACE
from prime_rs.data import Dataset, _space, concat, from_arrays, load
from prime_rs.errors import (
    DatasetError,
    InvalidArgumentError,
    InvalidDesignError,
    OutputError,
    UnknownApplicationError,
)


def _dataset(n: int = 2000, seed: int = 0, energy: bool = True) -> Dataset:
    rng = np.random.default_rng(seed)
    designs = SPACE.sample(n, seed=seed)
    feasible = rng.random(n) < 0.3
    apps = rng.choice(["mobilenet_v2", "unet", "m4"], size=n)
    latency = np.where(feasible, rng.lognormal(5, 1, n), np.inf)
    area = rng.uniform(5, 80, n)
    reason = np.where(feasible, "", rng.choice(["act_mem", "core_mem"], size=n))
    energy_mj = np.where(feasible, rng.random(n), np.nan) if energy else None
    return from_arrays(
        designs, apps, latency, area, feasible, reason, energy_mj, {"prime_rs.seed": str(seed)}
    )


def test_parquet_round_trip_is_identical(tmp_path: Path) -> None:
    ds = _dataset()
    ds.save(tmp_path / "d.parquet")
    back = load(tmp_path / "d.parquet")
    assert_same_dataset(ds, back)
    assert back.metadata["prime_rs.seed"] == "0"
    assert back.metadata["prime_rs.space_fingerprint"].startswith("sha256:")
    # The file has exactly the interface's columns and types.
    schema = pq.read_schema(tmp_path / "d.parquet")
    assert schema.names == [
        "application",
        *SPACE.names,
        "latency_ms",
        "area_mm2",
        "feasible",
        "reason",
        "energy_mj",
    ]
    assert schema.field("application").type == pa.string()
    assert schema.field("pe_x").type == pa.int64()
    assert schema.field("feasible").type == pa.bool_()


def test_without_energy(tmp_path: Path) -> None:
    ds = _dataset(energy=False)
    assert not ds.has_energy and np.isnan(ds.energy_mj).all()
    ds.save(tmp_path / "d.parquet")
    assert "energy_mj" not in pq.read_schema(tmp_path / "d.parquet").names
    assert_same_dataset(ds, load(tmp_path / "d.parquet"))


def test_filters_and_splits() -> None:
    ds = _dataset(5000)
    assert ds.applications == ["m4", "mobilenet_v2", "unet"]
    mb = ds.filter(apps="MobilenetV2")  # PRIME spelling accepted
    assert set(mb.application) == {"mobilenet_v2"}
    assert len(mb) == int((ds.application == "mobilenet_v2").sum())
    small = ds.filter(area_budget=27.0, feasible=True)
    assert (small.area_mm2 <= 27).all() and small.feasible.all()

    reg, inf = ds.split_feasible(27.0)
    assert len(reg) + len(inf) == len(ds)
    assert reg.feasible.all() and (reg.area_mm2 <= 27).all()
    assert ((~inf.feasible) | (inf.area_mm2 > 27)).all()
    reg_all, _ = ds.split_feasible(None)
    assert len(reg_all) == int(ds.feasible.sum())

    train, val = ds.train_val_split(0.2, seed=3)
    assert len(train) + len(val) == len(ds)
    for app in ds.applications:
        n_app = int((ds.application == app).sum())
        assert int((val.application == app).sum()) == round(0.2 * n_app)
    ids = np.concatenate([SPACE.to_ids(train.designs), SPACE.to_ids(val.designs)])
    assert sorted(ids.tolist()) == sorted(SPACE.to_ids(ds.designs).tolist())
    _, v2 = ds.train_val_split(0.2, seed=3)
    assert_same_dataset(v2, val)
    _, v3 = ds.train_val_split(0.2, seed=4)
    assert not np.array_equal(v3.designs, val.designs)

    rest, held = ds.holdout(["unet", "m4"])
    assert set(held.applications) == {"unet", "m4"} and rest.applications == ["mobilenet_v2"]
    assert len(rest) + len(held) == len(ds)


def test_selection_errors() -> None:
    ds = _dataset(100)
    with pytest.raises(UnknownApplicationError, match="'resnet50' is not in this dataset"):
        ds.filter(apps="resnet50")
    with pytest.raises(UnknownApplicationError):
        ds.holdout("nope")
    with pytest.raises(InvalidArgumentError):
        ds.train_val_split(1.5)


def test_concat_and_take() -> None:
    a, b = _dataset(100, seed=1), _dataset(50, seed=2, energy=False)
    c = concat([a, b])
    assert len(c) == 150 and not c.has_energy
    np.testing.assert_array_equal(c.designs[100:], b.designs)
    np.testing.assert_array_equal(c.application[:100], a.application)
    sub = c.take(np.array([149, 0]))
    np.testing.assert_array_equal(sub.designs, c.designs[[149, 0]])


def test_from_arrays_validates() -> None:
    d = SPACE.sample(3, seed=0)
    with pytest.raises(InvalidDesignError):
        from_arrays(np.full((3, 10), 12), "unet", [1, 2, 3], [1, 2, 3], [True] * 3)
    with pytest.raises(InvalidArgumentError, match="different lengths"):
        from_arrays(d, "unet", [1, 2], [1, 2, 3], [True] * 3)
    ds = from_arrays(d, "unet", [1, np.inf, 3], [1, 2, 3], [True, False, True])
    assert ds.reason.tolist() == ["", "infeasible", ""]


def _write(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path)
    return path


def test_load_rejects_bad_files(tmp_path: Path) -> None:
    ds = _dataset(20)
    good = ds.table.cast(
        pa.schema(
            [
                pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type)
                for f in ds.table.schema
            ]
        )
    )
    with pytest.raises(DatasetError, match="no such dataset file"):
        load(tmp_path / "missing.parquet")
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(DatasetError, match="not a readable Parquet file"):
        load(tmp_path / "junk.parquet")
    with pytest.raises(DatasetError, match=r"missing column.*latency_ms"):
        load(_write(good.drop_columns(["latency_ms"]), tmp_path / "a.parquet"))
    bad_type = good.set_column(
        1, "pe_x", pa.array([str(v) for v in good.column("pe_x").to_pylist()])
    )
    with pytest.raises(DatasetError, match="'pe_x' has type string, expected int64"):
        load(_write(bad_type, tmp_path / "b.parquet"))
    bad_feas = good.set_column(
        good.schema.get_field_index("feasible"), "feasible", pa.array([1] * 20)
    )
    with pytest.raises(DatasetError, match="'feasible' has type int64, expected bool"):
        load(_write(bad_feas, tmp_path / "c.parquet"))
    vals = good.column("simd_lanes").to_numpy().copy()
    vals[7] = 12
    out_of_space = good.set_column(3, "simd_lanes", pa.array(vals))
    with pytest.raises(InvalidDesignError, match=r"'simd_lanes'.*row 7: 12"):
        load(_write(out_of_space, tmp_path / "d.parquet"))


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ds = _dataset(50)
    target = tmp_path / "d.parquet"
    target.write_bytes(b"previous contents")

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", boom)
    with pytest.raises(OutputError, match="disk full"):
        ds.save(target)
    assert target.read_bytes() == b"previous contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.parquet"]  # no temp left


def test_unwritable_output(tmp_path: Path) -> None:
    ds = _dataset(10)
    with pytest.raises(OutputError, match="does not exist"):
        ds.save(tmp_path / "no" / "such" / "dir" / "d.parquet")
    with pytest.raises(OutputError, match="is a directory"):
        ds.save(tmp_path)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300))
def test_value_index_map_agrees_with_the_space(seed: int, n: int) -> None:
    """The data layer's vectorised value -> index map is SPACE.from_values, and rejects the rest."""
    designs = SPACE.sample(n, seed=seed)
    values = SPACE.to_values(designs)
    got, bad = _space.index_columns([values[:, k] for k in range(10)])
    np.testing.assert_array_equal(got, SPACE.from_values(values))
    assert not bad.any()
    rng = np.random.default_rng(seed)
    k = int(rng.integers(10))
    values[0, k] += 1 if values[0, k] != 1 else 2  # never a value of any parameter list here
    with pytest.raises(InvalidDesignError):
        SPACE.from_values(values)
    _, bad = _space.index_columns([values[:, j] for j in range(10)])
    assert bad[0] and not bad[1:].any()


def test_load_checks_result_values(tmp_path: Path) -> None:
    """Review 4.13: a file whose feasible rows hold a NaN, negative or infinite latency (or a
    negative area anywhere) is a DatasetError on load, not a dataset that breaks `stats`."""
    ds = _dataset(20)
    table = ds.table.cast(
        pa.schema(
            [
                pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type)
                for f in ds.table.schema
            ]
        )
    )
    all_feasible = table.set_column(
        table.schema.get_field_index("feasible"), "feasible", pa.array([True] * 20)
    )
    with pytest.raises(
        DatasetError, match=r"row\(s\) have invalid results.*feasible=True, latency_ms=inf"
    ):
        load(_write(all_feasible, tmp_path / "a.parquet"))
    f = int(ds.feasible.argmax())
    for col, value in (("latency_ms", np.nan), ("latency_ms", -1.0), ("area_mm2", -1.3e101)):
        vals = ds.table.column(col).to_numpy().copy()
        vals[f] = value
        bad = table.set_column(table.schema.get_field_index(col), col, pa.array(vals))
        with pytest.raises(
            DatasetError, match=rf"1 row\(s\) have invalid results.*first at row {f}"
        ):
            load(_write(bad, tmp_path / "b.parquet"))
    # A file written without page checksums: the value check still catches a corrupt area.
    area = ds.area_mm2.copy()
    area[int((~ds.feasible).argmax())] = -5.0
    bad = table.set_column(table.schema.get_field_index("area_mm2"), "area_mm2", pa.array(area))
    pq.write_table(bad, tmp_path / "c.parquet", write_page_checksum=False)
    with pytest.raises(DatasetError, match="invalid results"):
        load(tmp_path / "c.parquet")


def test_dataset_files_carry_page_checksums(tmp_path: Path) -> None:
    _dataset(50).save(tmp_path / "d.parquet")
    raw = (tmp_path / "d.parquet").read_bytes()
    meta = pq.ParquetFile(tmp_path / "d.parquet").metadata
    assert meta.num_rows == 50
    # Flip one byte inside the first data page of the latency column: a checksum error.
    col = meta.row_group(0).column(_dataset(50).table.column_names.index("latency_ms"))
    start = col.data_page_offset
    bad = bytearray(raw)
    bad[start + col.total_compressed_size - 3] ^= 0x01
    (tmp_path / "e.parquet").write_bytes(bytes(bad))
    with pytest.raises(DatasetError, match="CRC checksum verification failed"):
        load(tmp_path / "e.parquet")
