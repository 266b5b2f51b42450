"""Worlds in dataset metadata: the built-in simulator with its fingerprint, imports as external
with their source, latency units, and merges that refuse to mix worlds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import prime_rs
from prime_rs import data, worlds
from prime_rs.cli import _register, app
from prime_rs.data.merge import merge
from prime_rs.errors import DatasetError, InvalidArgumentError

runner = CliRunner()
_register()


def test_generated_data_is_the_builtin_world(tmp_path: Path) -> None:
    path = tmp_path / "g.parquet"
    data.write_generated(path, ["mobilenet_v3_small"], 100, seed=0)
    ds = data.load(path)
    assert ds.world.kind == "builtin" and ds.world.is_builtin
    assert ds.metadata["prime_rs.simulator_fingerprint"] == worlds.builtin_fingerprint()
    assert ds.latency_unit == "ms" and ds.data_only_applications == []


def test_the_fingerprint_has_one_source(monkeypatch: pytest.MonkeyPatch) -> None:
    before = worlds.World.builtin()
    monkeypatch.setattr(prime_rs.simulator, "FINGERPRINT", "sim:1234", raising=False)
    assert worlds.builtin_fingerprint() == "sim:1234"
    # Data of another version of the built-in simulator is no longer this world.
    assert before.kind == "builtin" and not before.is_builtin


def test_files_without_a_recorded_world() -> None:
    assert worlds.world_of({"prime_rs.source": "generate"}).is_builtin
    ext = worlds.world_of({"prime_rs.source": "csv", "prime_rs.source_path": "/x/runs.csv"})
    assert ext.kind == "external" and ext.source == "/x/runs.csv"
    assert worlds.world_of({}).kind == "external"


def _csv(tmp_path: Path, apps: list[str]) -> Path:
    ds = data.generate(["mobilenet_v2"], len(apps), seed=1)
    ds.to_csv(tmp_path / "src.csv")
    lines = (tmp_path / "src.csv").read_text().splitlines()
    head, rows = lines[0], lines[1:]
    out = [head] + [
        r.replace('"mobilenet_v2"', f'"{a}"', 1) for r, a in zip(rows, apps, strict=True)
    ]
    (tmp_path / "logs.csv").write_text("\n".join(out) + "\n")
    return tmp_path / "logs.csv"


def test_csv_import_records_unit_source_and_data_only_names(tmp_path: Path) -> None:
    src = _csv(tmp_path, ["my_net"] * 6 + ["mobilenet_v2"] * 4)
    out = tmp_path / "mine.parquet"
    res = runner.invoke(
        app, ["data", "import-csv", str(src), "--latency-unit", "cycles", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    ds = data.load(out)
    assert ds.applications == ["mobilenet_v2", "my_net"] and ds.data_only_applications == ["my_net"]
    assert ds.world.kind == "external" and str(src.resolve()) in ds.world.source
    assert ds.latency_unit == "cycles"
    table = runner.invoke(app, ["data", "stats", str(out)])
    assert table.exit_code == 0 and "latency in cycles" in " ".join(table.output.split())
    stats = runner.invoke(app, ["data", "stats", str(out), "--json"])
    assert '"latency_unit": "cycles"' in stats.output
    strict = runner.invoke(app, ["data", "import-csv", str(src), "--known-apps-only",
                                 "--out", str(tmp_path / "strict.parquet")])  # fmt: skip
    assert strict.exit_code == 2 and "my_net" in strict.output
    with pytest.raises(InvalidArgumentError, match="latency unit"):
        data.import_csv(src, latency_unit=" ")


def test_merge_needs_one_unit_and_one_world(tmp_path: Path) -> None:
    src = _csv(tmp_path, ["my_net"] * 5)
    ms = data.import_csv(src)
    cycles = data.import_csv(src, latency_unit="cycles")
    with pytest.raises(DatasetError, match="different units"):
        merge([ms, cycles], allow_mixed_worlds=True)
    own = data.generate(["mobilenet_v2"], 5, seed=0)
    with pytest.raises(DatasetError, match="different worlds"):
        merge([ms, own])
    mixed = merge([ms, own], allow_mixed_worlds=True)
    assert mixed.world.kind == "external" and mixed.world.source.startswith("mixed")
    assert mixed.data_only_applications == ["my_net"] and len(mixed) == 10
    same = merge([ms, ms])
    assert same.world == ms.world
    np.testing.assert_array_equal(same.designs[:5], ms.designs)
    with pytest.raises(InvalidArgumentError, match="at least two"):
        merge([ms])


def test_imported_mobilenet_v2_logs_are_never_verified_by_the_builtin_simulator(
    tmp_path: Path,
) -> None:
    from prime_rs.oracles import NoOracle
    from prime_rs.run import OptimizeSettings, prepare

    # Logs of a built-in network name, but from another world (an import).
    data.generate(["mobilenet_v2"], 300, seed=2).to_csv(tmp_path / "other.csv")
    data.import_csv(tmp_path / "other.csv", tmp_path / "other.parquet")
    settings = OptimizeSettings(apps=["mobilenet_v2"], data=str(tmp_path / "other.parquet"))
    setup = prepare(settings)
    assert isinstance(setup.task.oracle, NoOracle) and not setup.builtin
    assert setup.task.area_model.kind == "fitted"
    with pytest.raises(InvalidArgumentError, match="--force-oracle"):
        prepare(OptimizeSettings(**{**settings.to_dict(), "oracle": "builtin"}))
    forced = prepare(
        OptimizeSettings(**{**settings.to_dict(), "oracle": "builtin", "force_oracle": True})
    )
    assert forced.task.oracle.world == "builtin" and not forced.builtin
