"""The notebook face (issue 11.7): `prime_rs.optimize(...)` without a run directory, compact
reprs and `_repr_html_`, `to_arrow()` / `to_pandas()`, `SPACE.describe`, and a dataset content
hash that depends on the rows only."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import prime_rs
from prime_rs import _display, data
from prime_rs.errors import InvalidArgumentError, InvalidDesignError, MissingDependencyError
from prime_rs.space import SPACE, format_bytes

FAST = {"steps": 20, "population": 32, "generations": 3, "candidates": 8}


@pytest.fixture(scope="module")
def logs() -> data.Dataset:
    return data.generate(["mobilenet_v2"], 3000, seed=4)


def test_optimize_runs_in_memory_and_leaves_nothing(
    logs: data.Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, scratch = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    scratch.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    res = prime_rs.optimize("mobilenet_v2", data=logs, **FAST)
    assert list(work.iterdir()) == [] and list(scratch.iterdir()) == []
    assert res.run_dir is None
    assert res.to_arrow().num_rows == FAST["candidates"]
    assert res.report_markdown.startswith("# prime-rs optimize: mobilenet_v2")
    assert res.report_html.startswith("<!DOCTYPE html>")
    assert set(res.figures) >= {"candidates.png"}
    assert res.figures["candidates.png"][:4] == b"\x89PNG"
    text = repr(res)
    assert text.startswith("OptimizeResult(mobilenet_v2 under 27 mm²") and len(text) < 120
    assert "<table>" in res._repr_html_()
    if res.latency_ms is not None:
        assert res.latency_ms == res.best["latency_ms"]["mean"]
        assert "KiB" in str(res.design)


def test_optimize_keeps_the_directory_when_asked(logs: data.Dataset, tmp_path: Path) -> None:
    res = prime_rs.optimize(["mobilenet_v2"], data=logs, out=tmp_path / "run", **FAST)
    assert res.run_dir == tmp_path / "run"
    assert (res.run_dir / "report.html").read_text() == res.report_html


def test_a_run_exports_to_an_optuna_study(logs: data.Dataset, tmp_path: Path) -> None:
    optuna = pytest.importorskip("optuna")
    from prime_rs.api import export_to_optuna

    res = prime_rs.optimize(["mobilenet_v2"], data=logs, out=tmp_path / "run", **FAST)
    url = f"sqlite:///{tmp_path / 'o.db'}"
    assert export_to_optuna(res.run_dir, url) == FAST["candidates"]
    study = optuna.load_study(study_name="prime-run", storage=url)
    cands = res.to_arrow()
    first = {n: cands.column(n)[0].as_py() for n in SPACE.names}
    assert SPACE.as_dicts([[study.trials[0].params[n] for n in SPACE.names]])[0] == first
    with pytest.raises(InvalidArgumentError, match="no verified candidates"):
        export_to_optuna(tmp_path, url)


def test_optimize_bad_input_is_typed(logs: data.Dataset) -> None:
    with pytest.raises(InvalidArgumentError, match="unknown setting"):
        prime_rs.optimize("mobilenet_v2", data=logs, no_such_knob=1)
    with pytest.raises(InvalidArgumentError, match="path or a Dataset"):
        prime_rs.optimize("mobilenet_v2", data=42)


def test_import_prime_rs_stays_light() -> None:
    code = (
        "import sys, prime_rs; "
        "bad = [m for m in ('jax', 'prime_rs.pipeline', 'prime_rs.api', 'optuna') "
        "if m in sys.modules]; print(bad); "
        "assert callable(prime_rs.optimize) and hasattr(prime_rs.optimize, 'surrogate_search')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_sim_result_repr_html_and_tables() -> None:
    designs = np.stack([prime_rs.EDGETPU_REFERENCE, np.zeros(10, np.uint8)])
    r = prime_rs.simulate(designs, "mobilenet_v2")
    text = repr(r)
    assert text.startswith("SimResult(2 designs, ") and "array" not in text and len(text) < 90
    t = r.to_arrow()
    assert isinstance(t, pa.Table) and t.num_rows == 2
    assert t.column("reason").to_pylist() == list(r.reason_names())
    np.testing.assert_array_equal(t.column("latency_ms").to_numpy(), r.latency_ms)
    html = r._repr_html_()
    assert html.count("<tr>") == 3 and "reason" in html


def test_dataset_tables_and_html(logs: data.Dataset) -> None:
    assert logs.to_arrow() is logs.table
    html = logs._repr_html_()
    assert "mobilenet_v2" in html and f"{len(logs)}" in html


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="pandas not installed")
def test_to_pandas_with_pandas(logs: data.Dataset) -> None:
    df = logs.to_pandas()
    assert len(df) == len(logs) and "latency_ms" in df.columns


def test_to_pandas_without_pandas_is_a_clear_error(
    logs: data.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        _display.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pandas" else real(name, *a),
    )
    r = prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, "mobilenet_v2")
    for obj in (logs, r):
        with pytest.raises(MissingDependencyError, match="pip install pandas"):
            obj.to_pandas()


def test_describe_gives_units() -> None:
    d = SPACE.describe(prime_rs.EDGETPU_REFERENCE)
    text = d.as_dict()
    assert text["pe_memory"] == "512 KiB" and text["core_memory"] == "32 KiB"
    assert text["dram_bandwidth"] == "25 GB/s" and text["instruction_memory"] == "16,384 entries"
    assert text["pe_x"] == "4"
    assert str(d).splitlines()[0].split() == ["pe_x", "4"]
    assert repr(d).startswith("Design(pe_x=4, ")
    assert "<table>" in d._repr_html_()
    from_dict = SPACE.describe(SPACE.as_dicts(prime_rs.EDGETPU_REFERENCE)[0])
    assert from_dict == d
    with pytest.raises(InvalidDesignError, match="one design"):
        SPACE.describe(np.zeros((2, 10), np.uint8))
    assert format_bytes(2 << 20) == "2 MiB" and format_bytes(1536) == "1.5 KiB"
    assert format_bytes(100) == "100 B"


def test_content_hash_depends_on_rows_not_on_the_file(logs: data.Dataset, tmp_path: Path) -> None:
    logs.save(tmp_path / "a.parquet")
    logs.to_csv(tmp_path / "a.csv")
    h = logs.content_hash()
    assert data.load(tmp_path / "a.parquet").content_hash() == h
    from pyarrow import csv

    assert data.Dataset(csv.read_csv(tmp_path / "a.csv")).content_hash() == h
    halves = data.concat([logs.take(np.arange(0, 100)), logs.take(np.arange(100, len(logs)))])
    assert halves.content_hash() == h
    lat = logs.latency_ms.copy()
    i = int(np.flatnonzero(np.isfinite(lat))[0])
    table = logs.table.set_column(
        logs.table.schema.get_field_index("latency_ms"),
        "latency_ms",
        pa.array(np.where(np.arange(len(lat)) == i, lat * 1.000001, lat)),
    )
    assert data.Dataset(table).content_hash() != h
    assert logs.take(np.arange(len(logs))[::-1]).content_hash() != h


def test_baseline_result_repr_and_table() -> None:
    from prime_rs import baselines
    from prime_rs.objective import Task

    res = baselines.random_search(Task(["mobilenet_v2"]), 64, seed=0)
    text = repr(res)
    assert text.startswith("BaselineResult(random, seed 0, mobilenet_v2: ")
    assert "64/64 calls" in text and len(text) < 120
    assert "<table>" in res._repr_html_()
    t = res.to_arrow()
    assert t.num_rows == res.simulator_calls
    assert t.column("pe_x").to_pylist() == SPACE.to_values(res.evaluated["design"])[:, 0].tolist()
    np.testing.assert_array_equal(t.column("objective").to_numpy(), res.evaluated["objective"])
