"""The native TFRecord reader and `prime_rs.data.import_prime`, checked against an independent
pure-Python writer of the published PRIME schema."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from _data_support import (
    crc32c,
    example,
    float_feature,
    frame,
    int64_feature,
    prime_example,
    random_prime_rows,
    write_prime_file,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from prime_rs import SPACE, _native
from prime_rs.data import import_prime, load, write_prime_tfrecords
from prime_rs.errors import (
    CorruptRecordError,
    DatasetError,
    InvalidDesignError,
)

FLOATS = [f"param_{k}" for k in range(1, 11)] + ["runtime", "area"]


def test_reference_crc32c() -> None:
    # RFC 3720 B.4 and the classic check value: the test writer's CRC is right.
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert crc32c(b"123456789") == 0xE3069283


def _write_app(root: Path, folder: str, rows: dict, files: int = 2, **kw) -> list[Path]:
    n = len(rows["runtime"])
    cuts = np.linspace(0, n, files + 1).astype(int)
    paths = []
    for f in range(files):
        payloads = [
            prime_example(
                rows["values"][i],
                rows["runtime"][i],
                rows["area"][i],
                int(rows["infeasible"][i]),
                **kw,
            )
            for i in range(cuts[f], cuts[f + 1])
        ]
        p = root / folder / f"data-{f:03d}.tfrecord"
        write_prime_file(p, payloads)
        paths.append(p)
    return paths


def _expected(rows: dict) -> dict:
    feas = rows["infeasible"] == 0
    return {
        "designs": rows["designs"],
        "feasible": feas,
        "latency": np.where(feas, rows["runtime"].astype(np.float64), np.inf),
        "area": rows["area"].astype(np.float64),
    }


def _check(ds, rows: dict) -> None:
    e = _expected(rows)
    np.testing.assert_array_equal(ds.designs, e["designs"])
    np.testing.assert_array_equal(ds.values, SPACE.to_values(e["designs"]))
    np.testing.assert_array_equal(ds.feasible, e["feasible"])
    np.testing.assert_array_equal(ds.latency_ms, e["latency"])
    np.testing.assert_array_equal(ds.area_mm2, e["area"])
    np.testing.assert_array_equal(ds.reason, np.where(e["feasible"], "", "infeasible"))


def test_import_compares_every_value(tmp_path: Path) -> None:
    a = random_prime_rows(700, seed=1)
    b = random_prime_rows(300, seed=2)
    _write_app(tmp_path, "MobilenetV2", a, files=3)
    _write_app(tmp_path, "t_rnn_enc", b, files=1)
    ds, rep = import_prime(tmp_path, tmp_path / "out.parquet")
    assert rep.rows == 1000 and rep.skipped == 0 and len(rep.files) == 4
    assert ds.applications == ["mobilenet_v2", "rnnt_encoder"]
    _check(ds.filter(apps="mobilenet_v2"), a)
    _check(ds.filter(apps="rnnt_encoder"), b)
    # The written file holds the same rows and its provenance.
    back = load(tmp_path / "out.parquet")
    np.testing.assert_array_equal(back.designs, ds.designs)
    np.testing.assert_array_equal(back.application, ds.application)
    assert back.metadata["prime_rs.source"] == "prime-tfrecord"


def test_unpacked_encoding_shuffled_order_and_extra_features(tmp_path: Path) -> None:
    rows = random_prime_rows(200, seed=3)
    order = list(np.random.default_rng(0).permutation(13))
    _write_app(tmp_path, "u-net", rows, files=1, packed=False, order=order, extra=True)
    ds, _ = import_prime(tmp_path)
    assert ds.applications == ["unet"]
    _check(ds, rows)


def test_native_writer_matches_reference_writer(tmp_path: Path) -> None:
    rows = random_prime_rows(50, seed=4)
    mine = tmp_path / "ref.tfrecord"
    _write_app(tmp_path, "x", rows, files=1)
    (tmp_path / "x" / "data-000.tfrecord").rename(mine)
    native = tmp_path / "native.tfrecord"
    cols = [(k, np.ascontiguousarray(rows["values"][:, i])) for i, k in enumerate(FLOATS[:10])]
    cols += [("runtime", rows["runtime"]), ("area", rows["area"])]
    _native.tfrecord.write(str(native), cols, [("infeasible", rows["infeasible"])])
    assert native.read_bytes() == mine.read_bytes()


def _bytes_and_offsets(tmp_path: Path, n: int = 20) -> tuple[Path, list[int], bytes]:
    rows = random_prime_rows(n, seed=5)
    payloads = [
        prime_example(
            rows["values"][i], rows["runtime"][i], rows["area"][i], int(rows["infeasible"][i])
        )
        for i in range(n)
    ]
    p = tmp_path / "MobilenetV2" / "d.tfrecord"
    offsets = write_prime_file(p, payloads)
    return p, offsets, p.read_bytes()


def test_every_flipped_byte_is_detected_with_file_and_offset(tmp_path: Path) -> None:
    p, offsets, good = _bytes_and_offsets(tmp_path, n=3)
    starts = [*offsets, len(good)]
    for i in range(len(good)):
        bad = bytearray(good)
        bad[i] ^= 0x10
        p.write_bytes(bytes(bad))
        with pytest.raises(CorruptRecordError) as info:
            import_prime(tmp_path)
        rec = max(j for j in range(len(offsets)) if starts[j] <= i)
        msg = str(info.value)
        assert str(p) in msg and f"byte offset {offsets[rec]}" in msg, (i, msg)


def test_skip_corrupt_skips_and_counts(tmp_path: Path) -> None:
    p, offsets, good = _bytes_and_offsets(tmp_path, n=20)
    bad = bytearray(good)
    bad[offsets[4] + 30] ^= 0xFF  # payload of record 4
    bad[offsets[9] + 2] ^= 0xFF  # length of record 9: the reader must resync
    p.write_bytes(bytes(bad[:-5]))  # and the last record is truncated
    with pytest.raises(CorruptRecordError, match=f"offset {offsets[4]}"):
        import_prime(tmp_path)
    ds, rep = import_prime(tmp_path, skip_corrupt=True)
    assert rep.skipped == 3
    assert [o for _, o, _ in rep.skips] == [offsets[4], offsets[9], offsets[19]]
    assert len(ds) == 17
    rows = random_prime_rows(20, seed=5)
    keep = [i for i in range(20) if i not in (4, 9, 19)]
    _check(ds, {k: v[keep] for k, v in rows.items()})


def test_truncated_file_names_file_and_offset(tmp_path: Path) -> None:
    p, offsets, good = _bytes_and_offsets(tmp_path, n=5)
    p.write_bytes(good[: offsets[3] + 7])
    with pytest.raises(CorruptRecordError, match=rf"{p}.*offset {offsets[3]}.*truncated"):
        import_prime(tmp_path)


def test_values_outside_the_space_are_reported_not_coerced(tmp_path: Path) -> None:
    rows = random_prime_rows(30, seed=6)
    rows["values"][17, 2] = 12.0  # simd_lanes 12 is not a value of the space
    rows["values"][20, 0] = 2.5
    _write_app(tmp_path, "MobilenetV3", rows, files=1)
    with pytest.raises(
        InvalidDesignError, match=r"2 record\(s\).*record 17.*param_3 \(simd_lanes\) = 12"
    ):
        import_prime(tmp_path)
    ds, rep = import_prime(tmp_path, drop_invalid=True)
    assert rep.dropped_invalid == 2 and len(ds) == 28
    assert ds.applications == ["mobilenet_v3_large"]


def test_feasible_rows_need_finite_results(tmp_path: Path) -> None:
    rows = random_prime_rows(10, seed=7)
    rows["infeasible"][:] = 0
    rows["runtime"][4] = np.nan
    _write_app(tmp_path, "m4", rows, files=1)
    with pytest.raises(DatasetError, match=r"record 4.*runtime=nan"):
        import_prime(tmp_path)


def test_schema_violations(tmp_path: Path) -> None:
    vals = [1.0] * 10
    no_area = example([*((f"param_{k}", float_feature([v])) for k, v in enumerate(vals, 1)),
                       ("runtime", float_feature([1.0])), ("infeasible", int64_feature([0]))])  # fmt: skip
    write_prime_file(tmp_path / "m5" / "a.tfrecord", [no_area])
    with pytest.raises(CorruptRecordError, match="'area' is missing"):
        import_prime(tmp_path)
    wrong = example([*((f"param_{k}", float_feature([v])) for k, v in enumerate(vals, 1)),
                     ("runtime", float_feature([1.0])), ("area", int64_feature([3])),
                     ("infeasible", int64_feature([0]))])  # fmt: skip
    write_prime_file(tmp_path / "m5" / "a.tfrecord", [wrong])
    with pytest.raises(CorruptRecordError, match=r"'area'.*int64_list, expected a float_list"):
        import_prime(tmp_path)


def test_folder_names(tmp_path: Path) -> None:
    rows = random_prime_rows(10, seed=8)
    _write_app(tmp_path, "MobileNetEdgeTPU", rows, files=1)
    _write_app(tmp_path, "MobilenetEdgeTPU", rows, files=1)
    ds, _ = import_prime(tmp_path)
    assert ds.applications == ["mobilenet_edgetpu"] and len(ds) == 20
    # One application folder given directly.
    ds, _ = import_prime(tmp_path / "MobileNetEdgeTPU")
    assert ds.applications == ["mobilenet_edgetpu"] and len(ds) == 10
    _write_app(tmp_path, "SomethingElse", rows, files=1)
    # An unknown folder is a data-only application under its own name (issue 9).
    ds, _ = import_prime(tmp_path)
    assert ds.applications == ["SomethingElse", "mobilenet_edgetpu"]
    assert ds.metadata["prime_rs.data_only_applications"] == "SomethingElse"
    ds, _ = import_prime(tmp_path, app_map={"SomethingElse": "resnet50"})
    assert ds.applications == ["mobilenet_edgetpu", "resnet50"]


def test_not_a_prime_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"no \*.tfrecord files"):
        import_prime(tmp_path)
    with pytest.raises(DatasetError, match="not a directory"):
        import_prime(tmp_path / "missing")


def test_export_then_import_round_trip(tmp_path: Path) -> None:
    rows = random_prime_rows(500, seed=9)
    _write_app(tmp_path / "a", "MobilenetV2", rows, files=2)
    ds, _ = import_prime(tmp_path / "a")
    write_prime_tfrecords(ds, tmp_path / "b", records_per_file=128)
    back, rep = import_prime(tmp_path / "b")
    assert len(rep.files) == 4
    np.testing.assert_array_equal(back.designs, ds.designs)
    np.testing.assert_array_equal(back.latency_ms, ds.latency_ms)
    np.testing.assert_array_equal(back.area_mm2, ds.area_mm2)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(width=32, allow_nan=False), min_size=1, max_size=5),
    ints=st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=5),
    packed=st.booleans(),
)
def test_decoder_reads_any_scalar(
    values: list[float], ints: list[int], packed: bool, tmp_path_factory
) -> None:  # type: ignore[no-untyped-def]
    """Arbitrary float32 / int64 values (negative int64 = 10-byte varints), either encoding."""
    p = tmp_path_factory.mktemp("h") / "x.tfrecord"
    payloads = [
        example([("f", float_feature([v], packed)), ("i", int64_feature([i], packed))])
        for v, i in zip(values, ints * len(values), strict=False)
    ]
    p.write_bytes(b"".join(frame(x) for x in payloads))
    f, i, files, _ = _native.tfrecord.read([str(p)], ["f"], ["i"])
    n = len(payloads)
    np.testing.assert_array_equal(f[0], np.array(values[:n], dtype=np.float32))
    np.testing.assert_array_equal(i[0], np.array((ints * len(values))[:n], dtype=np.int64))
    assert files == [(str(p), n, 0)]


def test_frame_layout_is_the_tfrecord_one() -> None:
    data = b"abc"
    f = frame(data)
    assert struct.unpack("<Q", f[:8])[0] == 3 and f[12:15] == data and len(f) == 19
