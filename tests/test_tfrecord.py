"""The native TFRecord reader and `prime_rs.data.import_prime`, checked against an independent
pure-Python writer of the published PRIME schema."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from _data_support import (
    crc32c,
    example,
    float_feature,
    frame,
    int64_feature,
    masked,
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
    UnknownApplicationError,
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


def _huge_length_file(path: Path, claimed: int, good_before: bytes = b"") -> None:
    """`good_before`, then a header claiming `claimed` bytes with a valid length checksum,
    then 64 zero bytes (the 76-byte file of the reliability review when alone)."""
    n = struct.pack("<Q", claimed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(good_before + n + struct.pack("<I", masked(n)) + bytes(64))


@pytest.mark.parametrize("claimed", [2**40, 2**60, 2**62, 2**64 - 1, 6 * 2**30])
def test_huge_length_field_is_a_cheap_typed_error(tmp_path: Path, claimed: int) -> None:
    """Review 3.9 / 3.10: a length claiming far more than the file never becomes an allocation
    of that size (it aborted the interpreter, or took 6 GB), with or without --skip-corrupt."""
    import resource

    p, _, good = _bytes_and_offsets(tmp_path, n=20)
    _huge_length_file(p, claimed, good)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(CorruptRecordError, match=rf"offset {len(good)}: (record length|truncated)"):
        import_prime(tmp_path)
    ds, rep = import_prime(tmp_path, skip_corrupt=True)
    assert len(ds) == 20 and rep.skipped == 1 and rep.skips[0][1] == len(good)
    # Peak RSS grew by less than 200 MiB (the claims start at 1 TiB; 6 GiB took 6.4 GB before).
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024


def test_a_huge_length_alone_is_skipped_and_the_rest_resynced(tmp_path: Path) -> None:
    p, offsets, good = _bytes_and_offsets(tmp_path, n=6)
    n = struct.pack("<Q", 2**60)
    bad = good[: offsets[2]] + n + struct.pack("<I", masked(n)) + good[offsets[2] :]
    p.write_bytes(bad)
    ds, rep = import_prime(tmp_path, skip_corrupt=True)
    assert len(ds) == 6 and rep.skipped == 1
    assert "exceeds" in rep.skips[0][2] and rep.skips[0][1] == offsets[2]


def test_app_map_targets_are_validated(tmp_path: Path) -> None:
    """Review 3.15: --app-map targets resolve as folder names do: a release spelling maps, any
    other name is a data-only application (reported), or refused with allow_unknown_apps=False."""
    rows = random_prime_rows(10, seed=10)
    _write_app(tmp_path, "ResNet152", rows, files=1)
    with pytest.raises(UnknownApplicationError, match=r"'nonexistent'.*known:"):
        import_prime(tmp_path, app_map={"ResNet152": "nonexistent"}, allow_unknown_apps=False)
    with pytest.raises(UnknownApplicationError, match=r"ResNet152.*--app-map"):
        import_prime(tmp_path, allow_unknown_apps=False)
    ds, _ = import_prime(tmp_path, app_map={"ResNet152": "MobilenetV2"})
    assert ds.applications == ["mobilenet_v2"]  # folder spellings resolve like folders do
    ds, rep = import_prime(tmp_path, app_map={"ResNet152": "resnet152"})
    assert ds.applications == rep.data_only_applications == ["resnet152"]


def test_negative_area_is_invalid_on_every_row(tmp_path: Path) -> None:
    """The dataset's result rule (README): no area is negative, feasible or not."""
    rows = random_prime_rows(10, seed=11)
    rows["infeasible"][:] = 1
    rows["area"][6] = -5.0
    _write_app(tmp_path, "MobilenetV2", rows, files=1)
    with pytest.raises(DatasetError, match=r"1 record\(s\) have invalid results.*record 6"):
        import_prime(tmp_path)
    ds, rep = import_prime(tmp_path, drop_invalid=True)
    assert len(ds) == 9 and rep.dropped_invalid == 1


def test_streaming_import_matches_in_memory_and_spans_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches smaller than a file and than the import: same rows, same file, one row group per
    batch; problems found in a later batch still name the right file and record."""
    from prime_rs.data import tfrecord

    monkeypatch.setattr(tfrecord, "BATCH_ROWS", 64)
    a = random_prime_rows(300, seed=12)
    b = random_prime_rows(100, seed=13)
    _write_app(tmp_path / "in", "MobilenetV2", a, files=3)
    _write_app(tmp_path / "in", "u-net", b, files=1)
    ds, rep = import_prime(tmp_path / "in", tmp_path / "mem.parquet")
    streamed = tfrecord.import_prime_file(tmp_path / "in", tmp_path / "file.parquet")
    assert streamed.rows == rep.rows == 400 and streamed.applications == ["mobilenet_v2", "unet"]
    assert streamed.files == rep.files
    back = load(tmp_path / "file.parquet")
    np.testing.assert_array_equal(back.designs, ds.designs)
    np.testing.assert_array_equal(back.application, ds.application)
    np.testing.assert_array_equal(back.latency_ms, ds.latency_ms)
    assert pq.ParquetFile(tmp_path / "file.parquet").num_row_groups == 7
    assert back.metadata["prime_rs.skipped_records"] == "0"
    assert back.metadata["prime_rs.format_version"] == "1"
    a["values"][250, 2] = 12.0  # record 50 of the third MobilenetV2 file, in batch 4
    a["values"][290, 2] = 12.0
    _write_app(tmp_path / "in", "MobilenetV2", a, files=3)
    third = tmp_path / "in" / "MobilenetV2" / "data-002.tfrecord"
    with pytest.raises(InvalidDesignError, match=rf"^2 record\(s\).*{third}, record 50: param_3"):
        tfrecord.import_prime_file(tmp_path / "in", tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.parquet", "in", "mem.parquet"]


def test_import_memory_is_flat_in_the_number_of_records(tmp_path: Path) -> None:
    """Peak RSS growth of a file-to-file import is the same for 250k and 1M records (a few
    batches in flight), while the in-memory import grows by the ~90 MB of Arrow columns between."""
    import subprocess
    import sys

    n = 1_000_000
    designs = SPACE.sample(n, seed=1)
    vals = SPACE.to_values(designs).astype(np.float32)
    for rows in (n // 4, n):
        d = tmp_path / str(rows) / "MobilenetV2"
        d.mkdir(parents=True)
        cols = [(f"param_{k + 1}", np.ascontiguousarray(vals[:rows, k])) for k in range(10)]
        cols += [("runtime", np.ones(rows, np.float32)), ("area", np.ones(rows, np.float32))]
        ints = [("infeasible", np.zeros(rows, np.int64))]
        _native.tfrecord.write(str(d / "a.tfrecord"), cols, ints)
    script = (
        "import sys\n"
        "import prime_rs.data.tfrecord as t\n"
        "from prime_rs.data.tfrecord import import_prime, import_prime_file\n"
        "t.BATCH_ROWS = 16_384  # so that 250k records already reach the steady state\n"
        "def kib(key):\n"
        "    line = next(x for x in open('/proc/self/status') if x.startswith(key))\n"
        "    return int(line.split()[1])\n"
        "open('/proc/self/clear_refs', 'w').write('5')  # reset the peak to the current RSS\n"
        "base = kib('VmRSS')\n"
        "f = import_prime_file if sys.argv[3] == 'file' else import_prime\n"
        "f(sys.argv[1], sys.argv[2])\n"
        "print(kib('VmHWM') - base)\n"
    )

    def grown(rows: int, how: str) -> float:
        out = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / str(rows)), str(tmp_path / "o.parquet"), how],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return int(out.stdout) / 1024  # MiB

    file_growth = grown(n, "file") - grown(n // 4, "file")
    memory_growth = grown(n, "memory") - grown(n // 4, "memory")
    assert file_growth < 20 < 60 < memory_growth, (file_growth, memory_growth)
