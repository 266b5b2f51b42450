"""`prime-rs optimize` end to end on small budgets: the area budget is never broken, the same
seed reproduces the run, multi-application and zero-shot paths run, and bad input gets the exit
codes of docs/design.md section 8."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import prime_rs
from prime_rs import data, errors
from prime_rs.cli import _register, app
from prime_rs.run import OptimizeSettings, run_optimize

FAST = {"steps": 30, "population": 64, "generations": 5, "candidates": 16}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs") / "logs.parquet"
    data.write_generated(path, ["mobilenet_v2", "mobilenet_v3_small", "unet"], 6000, seed=1)
    return path


def _settings(logs: Path, **kw: object) -> OptimizeSettings:
    merged = {**FAST, "data": str(logs), **kw}
    return OptimizeSettings(**merged)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def single(logs: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("run") / "single"
    return run_optimize(_settings(logs), out)


def test_run_directory_has_every_artefact(single) -> None:
    run = single.run_dir
    for name in (
        "config.toml",
        "meta.json",
        "best.json",
        "candidates.parquet",
        "report.md",
        "search.jsonl",
        "model/metrics.jsonl",
        "plots/candidates.png",
    ):
        assert (run / name).exists(), name
    best = json.loads((run / "best.json").read_text())
    for key in (
        "design",
        "latency_ms",
        "area_mm2",
        "simulator_calls",
        "dataset_best_latency_ms",
        "reference_latency_ms",
    ):
        assert key in best
    assert best["simulator_calls"] == FAST["candidates"]
    assert set(best["latency_ms"]) == {"mobilenet_v2", "mean"}


def test_no_proposed_design_breaks_the_area_budget(single) -> None:
    cands = pq.read_table(single.run_dir / "candidates.parquet").to_pydict()
    assert np.all(np.asarray(cands["area_mm2"]) <= 27.0)
    best = json.loads((single.run_dir / "best.json").read_text())
    d = np.array(best["design_indices"], dtype=np.uint8)
    r = prime_rs.simulate(d, "mobilenet_v2")
    assert r.feasible[0] and r.area_mm2[0] <= 27.0
    assert r.latency_ms[0] == pytest.approx(best["latency_ms"]["mobilenet_v2"], rel=1e-12)


def test_same_seed_reproduces_the_run(single, logs: Path, tmp_path: Path) -> None:
    again = run_optimize(_settings(logs), tmp_path / "again")
    np.testing.assert_array_equal(again.verified.designs, single.verified.designs)
    assert again.best["latency_ms"] == single.best["latency_ms"]


def test_multi_application(logs: Path, tmp_path: Path) -> None:
    out = run_optimize(_settings(logs, apps=["mobilenet_v2", "mobilenet_v3_small"]), tmp_path / "m")
    lat = out.best["latency_ms"]
    assert set(lat) == {"mobilenet_v2", "mobilenet_v3_small", "mean"}
    assert lat["mean"] == pytest.approx(np.sqrt(lat["mobilenet_v2"] * lat["mobilenet_v3_small"]))
    assert out.best["dataset_best_simulator_calls"] > 0


def test_zero_shot_on_a_held_out_and_a_user_network(logs: Path, tmp_path: Path) -> None:
    wl = Path(prime_rs.__file__).parent / "example_workloads" / "tiny_cnn.toml"
    out = run_optimize(
        _settings(
            logs,
            apps=["unet", str(wl)],
            zero_shot=True,
            train_apps=["mobilenet_v2", "mobilenet_v3_small"],
        ),
        tmp_path / "z",
        # A 30-step model may propose nothing feasible for U-Net; the path is what is tested.
        raise_if_none_feasible=False,
    )
    assert out.best["surrogate"]["trained_on"] == ["mobilenet_v2", "mobilenet_v3_small"]
    assert out.best["applications"] == ["unet", "tiny_cnn"]
    assert out.verified.latency_ms.shape == (FAST["candidates"], 2)
    assert np.all(out.verified.area_mm2 <= 27.0)
    # Held-out applications have no logs: D(best) comes from the training applications' logs,
    # re-simulated on the target task (and charged).
    assert out.best["dataset_best_simulator_calls"] > 0
    assert (out.run_dir / "best.json").exists()


def test_existing_output_is_refused_unless_overwrite(single, logs: Path) -> None:
    with pytest.raises(errors.OutputError, match="--overwrite"):
        run_optimize(_settings(logs), single.run_dir)


def test_settings_errors() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="minimum achievable area"):
        OptimizeSettings(area_budget=1.0)
    with pytest.raises(errors.InvalidArgumentError, match="train-apps"):
        OptimizeSettings(zero_shot=True)
    with pytest.raises(errors.InvalidArgumentError, match="must not be among"):
        OptimizeSettings(apps=["unet"], zero_shot=True, train_apps=["unet"])


runner = CliRunner()
_register()


def test_cli_exit_codes(logs: Path, tmp_path: Path) -> None:
    args = [
        "optimize",
        "--data",
        str(logs),
        "--steps",
        "5",
        "--generations",
        "1",
        "--population",
        "16",
        "--candidates",
        "4",
    ]
    bad_app = runner.invoke(app, [*args, "--apps", "no_such_net", "--out", str(tmp_path / "a")])
    assert bad_app.exit_code == 2 and "no_such_net" in bad_app.output
    bad_budget = runner.invoke(app, [*args, "--area-budget", "0.5", "--out", str(tmp_path / "b")])
    assert bad_budget.exit_code == 2 and "area" in bad_budget.output
    ok = runner.invoke(app, [*args, "--out", str(tmp_path / "c"), "--json"])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(app, [*args, "--out", str(tmp_path / "c")])
    assert again.exit_code == 2 and "--overwrite" in again.output
    report = runner.invoke(app, ["report", str(tmp_path / "c")])
    assert report.exit_code == 0 and "report.md" in report.output
    missing = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert missing.exit_code == 2


def test_no_feasible_design_exits_1(logs: Path, tmp_path: Path) -> None:
    # A budget that admits only the tiniest chips: none of them runs U-Net.
    res = runner.invoke(
        app,
        [
            "optimize",
            "--data",
            str(logs),
            "--apps",
            "unet",
            "--area-budget",
            "1.6",
            "--steps",
            "5",
            "--generations",
            "1",
            "--population",
            "16",
            "--candidates",
            "4",
            "--out",
            str(tmp_path / "none"),
        ],
    )
    assert res.exit_code == 1, res.output
