"""`prime_rs.data.generate` / `write_generated`: simulated datasets, random and logged search."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from _data_support import assert_same_dataset

import prime_rs
from prime_rs import SPACE
from prime_rs.data import Dataset, generate, load, write_generated
from prime_rs.data import generation as gen
from prime_rs.data.generation import SearchSettings
from prime_rs.errors import (
    InvalidArgumentError,
    OutputError,
    UnknownApplicationError,
    WorkloadFileError,
)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small reproducibility blocks keep these tests fast while exercising several blocks."""
    monkeypatch.setattr(gen, "BLOCK", 1000)


def _consistent_with_simulator(ds: Dataset) -> None:
    for app in ds.applications:
        part = ds.filter(apps=app)
        res = prime_rs.simulate(part.designs, app)
        np.testing.assert_array_equal(part.latency_ms, res.latency_ms)
        np.testing.assert_array_equal(part.area_mm2, res.area_mm2)
        np.testing.assert_array_equal(part.feasible, res.feasible)
        np.testing.assert_array_equal(part.reason, res.reason_names())
        np.testing.assert_array_equal(part.energy_mj, res.energy_mj)


@pytest.mark.parametrize("mode", ["random", "search"])
def test_reproducible_and_consistent(mode: str) -> None:
    a = generate("mobilenet_v2,unet", 2500, seed=7, mode=mode)
    b = generate(["mobilenet_v2", "unet"], 2500, seed=7, mode=mode)
    assert_same_dataset(a, b)
    assert len(a) == 5000 and a.applications == ["mobilenet_v2", "unet"]
    assert a.metadata["prime_rs.mode"] == mode and a.metadata["prime_rs.seed"] == "7"
    _consistent_with_simulator(a)
    c = generate("mobilenet_v2,unet", 2500, seed=8, mode=mode)
    assert not np.array_equal(a.designs, c.designs)


@pytest.mark.parametrize("mode", ["random", "search"])
def test_independent_of_chunks_threads_and_other_apps(mode: str) -> None:
    base = generate("mobilenet_v2,unet", 2500, seed=3, mode=mode, chunk_size=1000, threads=1)
    big = generate("mobilenet_v2,unet", 2500, seed=3, mode=mode, chunk_size=10**6, threads=2)
    assert_same_dataset(base, big)
    alone = generate("unet", 2500, seed=3, mode=mode)
    assert_same_dataset(base.filter(apps="unet"), alone)


def test_random_mode_covers_the_space() -> None:
    ds = generate("mobilenet_v2", 3000, seed=1)
    for k, card in enumerate(SPACE.cardinalities):
        counts = np.bincount(ds.designs[:, k], minlength=card)
        assert counts.min() > 0.5 * len(ds) / card  # roughly uniform in every parameter


def test_search_mode_logs_a_search_that_improves() -> None:
    s = SearchSettings(area_budget=27.0, population=64, batch=32, random_fraction=0.25)
    ds = generate("mobilenet_v2", 3000, seed=2, mode="search", settings=s)
    rnd = generate("mobilenet_v2", 3000, seed=2, mode="random")
    n_block = 1000

    def good(d: Dataset) -> np.ndarray:
        return d.feasible & (d.area_mm2 <= 27.0)

    # Each block is one run: its later visits beat its random initial population.
    for b in range(3):
        run = ds.take(np.arange(b * n_block, (b + 1) * n_block))
        first, last = run.take(np.arange(64)), run.take(np.arange(n_block - 200, n_block))
        assert good(last).mean() > good(first).mean()
        lat_first = np.median(first.latency_ms[good(first)]) if good(first).any() else np.inf
        assert np.median(last.latency_ms[good(last)]) < lat_first
    # Logs concentrate near good regions: more within-budget feasible rows than uniform sampling.
    assert good(ds).mean() > good(rnd).mean()
    assert len(np.unique(SPACE.to_ids(ds.designs))) < len(ds)  # revisits, as real logs have


def test_streamed_file_equals_in_memory(tmp_path: Path) -> None:
    out = tmp_path / "g.parquet"
    seen: list[int] = []
    rep = write_generated(
        out, "mobilenet_v2,unet", 2500, seed=4, chunk_size=1000, progress=seen.append
    )
    assert rep.rows == 5000 and sum(seen) == 5000
    assert pq.ParquetFile(out).num_row_groups == 6  # 3 chunks per application: streamed
    on_disk = load(out)
    assert_same_dataset(on_disk, generate("mobilenet_v2,unet", 2500, seed=4))
    assert on_disk.metadata["prime_rs.source"] == "generate"
    assert on_disk.metadata["prime_rs.designs_per_application"] == "2500"
    assert rep.feasible == int(on_disk.feasible.sum())
    assert_same_dataset(
        generate("mobilenet_v2,unet", 2500, seed=4, out=tmp_path / "h.parquet"), on_disk
    )


def test_crash_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "g.parquet"
    out.write_bytes(b"old")
    real = gen._simulate
    calls = []

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) > 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(gen, "_simulate", flaky)
    with pytest.raises(KeyboardInterrupt):
        write_generated(out, "mobilenet_v2", 5000, seed=0, chunk_size=1000)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["g.parquet"]


def test_bad_arguments_fail_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("simulated before validating")

    monkeypatch.setattr(gen, "_simulate", never)
    out = tmp_path / "g.parquet"
    with pytest.raises(UnknownApplicationError, match="unknown application 'alexnet'"):
        write_generated(out, "mobilenet_v2,alexnet", 10)
    with pytest.raises(UnknownApplicationError, match="PRIME-only"):
        write_generated(out, "m4", 10)
    with pytest.raises(InvalidArgumentError, match="positive integer"):
        write_generated(out, "unet", 0)
    with pytest.raises(InvalidArgumentError, match="mode"):
        write_generated(out, "unet", 10, mode="grid")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="listed twice"):
        write_generated(out, "unet,u-net", 10)
    with pytest.raises(InvalidArgumentError, match="random_fraction"):
        write_generated(
            out, "unet", 10, mode="search", settings=SearchSettings(random_fraction=2.0)
        )
    with pytest.raises(OutputError, match="does not exist"):
        write_generated(tmp_path / "nope" / "g.parquet", "unet", 10)
    assert list(tmp_path.iterdir()) == []


def test_workload_file_as_application(tmp_path: Path) -> None:
    wl = Path(prime_rs.__file__).parent / "example_workloads" / "tiny_cnn.toml"
    out = tmp_path / "g.parquet"
    rep = write_generated(out, [str(wl)], 500, seed=1)
    ds = load(out)
    assert rep.applications == ["tiny_cnn"] and ds.applications == ["tiny_cnn"]
    res = prime_rs.simulate(ds.designs, str(wl))
    np.testing.assert_array_equal(ds.latency_ms, res.latency_ms)
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\n[[layers]\n')
    with pytest.raises(WorkloadFileError):
        write_generated(out, [str(broken)], 10)
