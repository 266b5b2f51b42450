"""The CLI of the data layer: `prime-rs generate` and `prime-rs data import-prime | import-csv |
stats`: exit codes, messages on stderr, JSON on stdout, no partial output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from _data_support import assert_same_dataset, prime_example, random_prime_rows, write_prime_file
from typer.testing import CliRunner

from prime_rs.cli import data as data_cli
from prime_rs.data import generation as gen
from prime_rs.data import load, stats


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(gen, "BLOCK", 1000)
    app = typer.Typer()
    data_cli.register(app)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, [str(a) for a in args], env=env)

    return run


def _prime_dir(root: Path, n: int = 40) -> tuple[Path, list[int]]:
    rows = random_prime_rows(n, seed=11)
    payloads = [prime_example(rows["values"][i], rows["runtime"][i], rows["area"][i], int(rows["infeasible"][i]))
                for i in range(n)]  # fmt: skip
    f = root / "prime" / "MobilenetV2" / "part.tfrecord"
    return f, write_prime_file(f, payloads)


def test_generate_and_stats(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "g.parquet"
    r = cli(
        "generate",
        "--apps",
        "mobilenet_v2,unet",
        "--designs",
        "1500",
        "--seed",
        "3",
        "--out",
        out,
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["rows"] == 3000 and summary["applications"] == ["mobilenet_v2", "unet"]
    ds = load(out)
    assert len(ds) == 3000
    r = cli("data", "stats", out, "--json", "--area-budget", "40")
    assert r.exit_code == 0, r.stderr
    got = json.loads(r.stdout)
    rows, total = stats(ds, 40.0)
    assert got["applications"] == [x.as_dict() for x in rows]
    assert got["total"] == total.as_dict()
    assert got["total"]["feasible"] == int(ds.feasible.sum())
    assert got["total"]["within_budget"] == int((ds.feasible & (ds.area_mm2 <= 40)).sum())
    r = cli("data", "stats", out, env={"NO_COLOR": "1", "COLUMNS": "160"})
    assert r.exit_code == 0 and "mobilenet_v2" in r.stdout and "regression set" in r.stdout


def test_generate_search_mode(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "s.parquet"
    r = cli("generate", "--apps", "unet", "--designs", "1200", "--mode", "search", "--population", "64",
            "--batch", "32", "--out", out)  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "wrote 1,200 rows" in r.stderr
    assert load(out).metadata["prime_rs.search.population"] == "64"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--apps", "alexnet", "--designs", "10"], "unknown application 'alexnet'"),
        (["--apps", "unet", "--designs", "0"], "positive integer"),
        (["--apps", "unet", "--designs", "10", "--mode", "grid"], "mode must be"),
    ],
)
def test_generate_bad_input(cli, tmp_path: Path, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "g.parquet"
    r = cli("generate", *args, "--out", out)
    assert r.exit_code == 2
    assert r.stderr.startswith("error: ") and message in r.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_unwritable_output(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("generate", "--apps", "unet", "--designs", "10", "--out", tmp_path / "no" / "g.parquet")
    assert r.exit_code == 2 and "does not exist" in r.stderr
    f, _ = _prime_dir(tmp_path)
    r = cli("data", "import-prime", f.parent.parent, "--out", tmp_path)
    assert r.exit_code == 2 and "is a directory" in r.stderr


def test_import_prime(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f, offsets = _prime_dir(tmp_path)
    out = tmp_path / "p.parquet"
    r = cli("data", "import-prime", f.parent.parent, "--out", out, "--json")
    assert r.exit_code == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["rows"] == 40 and summary["files"][0]["application"] == "mobilenet_v2"
    assert len(load(out)) == 40
    # A flipped byte: exit 2 naming file and offset, and no output.
    out.unlink()
    raw = bytearray(f.read_bytes())
    raw[offsets[6] + 40] ^= 1
    f.write_bytes(bytes(raw))
    r = cli("data", "import-prime", f.parent.parent, "--out", out)
    assert r.exit_code == 2
    assert f"error: corrupt record in {f} at byte offset {offsets[6]}" in r.stderr
    assert not out.exists()
    r = cli("data", "import-prime", f.parent.parent, "--out", out, "--skip-corrupt", "--json")
    assert r.exit_code == 0
    summary = json.loads(r.stdout)
    assert summary["rows"] == 39 and summary["skipped_records"] == 1
    assert summary["skips"][0]["offset"] == offsets[6]
    r = cli("data", "import-prime", f.parent.parent, "--out", out, "--app-map", "oops")
    assert r.exit_code == 2 and "FOLDER=APPLICATION" in r.stderr


def test_import_csv(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    g = tmp_path / "g.parquet"
    assert cli("generate", "--apps", "unet", "--designs", "300", "--out", g).exit_code == 0
    ds = load(g)
    ds.to_csv(tmp_path / "g.csv")
    out = tmp_path / "c.parquet"
    r = cli("data", "import-csv", tmp_path / "g.csv", "--out", out, "--json")
    assert r.exit_code == 0, r.stderr
    assert_same_dataset(load(out), ds)
    # Renamed column through --map; missing column -> exit 2 and no output.
    text = (tmp_path / "g.csv").read_text().replace('"latency_ms"', '"runtime_ms"', 1)
    (tmp_path / "r.csv").write_text(text)
    out2 = tmp_path / "r.parquet"
    r = cli("data", "import-csv", tmp_path / "r.csv", "--out", out2)
    assert r.exit_code == 2 and "missing column 'latency_ms'" in r.stderr and not out2.exists()
    r = cli(
        "data", "import-csv", tmp_path / "r.csv", "--out", out2, "--map", "latency_ms=runtime_ms"
    )
    assert r.exit_code == 0, r.stderr
    np.testing.assert_array_equal(load(out2).latency_ms, ds.latency_ms)


def test_stats_of_a_missing_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("data", "stats", tmp_path / "none.parquet")
    assert r.exit_code == 2 and "error: no such dataset file" in r.stderr
