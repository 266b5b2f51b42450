"""Bring your own simulator (issue 9), end to end with the standalone example simulator
(`examples/oracles/toy_chip_sim.py`, which does not import prime-rs): its logs in the published
PRIME TFRecord format (folder `m4/`), `import-prime`, `optimize --apps m4 --oracle ...`,
`propose`, `compare`, and every refusal (exit 2, nothing written)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _data_support import prime_example, write_prime_file
from test_command_oracle import fake
from typer.testing import CliRunner

import prime_rs
from prime_rs import data
from prime_rs.cli import _register, app
from prime_rs.oracles import NoOracle
from prime_rs.oracles.command import write_in_csv
from prime_rs.run import OptimizeSettings, prepare

ROOT = Path(__file__).resolve().parents[1]
SIM = ROOT / "examples" / "oracles" / "toy_chip_sim.py"
ORACLE = f"{sys.executable} {SIM}"
BUDGET = 27.0
FAST = ["--steps", "60", "--population", "64", "--generations", "6", "--candidates", "24"]
# A small, quick surrogate (the [train] and [model] tables of a config file): CI-sized.
FAST_TOML = """
[train]
warmup_steps = 5
batch_size = 128
infeasible_batch_size = 128
val_every = 30

[model]
kind = "mlp"
"""

runner = CliRunner()
_register()


def run_sim(designs: np.ndarray, apps: list[str], tmp: Path) -> list[dict[str, str]]:
    """The example simulator's own answer, asked directly (not through prime-rs's oracle)."""
    write_in_csv(tmp / "in.csv", designs, apps)
    subprocess.run(
        [sys.executable, str(SIM), str(tmp / "in.csv"), str(tmp / "out.csv")], check=True
    )
    with open(tmp / "out.csv", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """3000 random designs logged by the example simulator on m4, as PRIME TFRecords."""
    tmp = tmp_path_factory.mktemp("world")
    designs = prime_rs.SPACE.sample(3000, seed=11)
    out = run_sim(designs, ["m4"], tmp)
    values = prime_rs.SPACE.to_values(designs)
    payloads = [
        prime_example(
            values[i].astype(np.float32),
            float(r["latency_ms"]) if r["feasible"] == "true" else 0.0,
            float(r["area_mm2"]),
            int(r["feasible"] != "true"),
        )
        for i, r in enumerate(out)
    ]
    write_prime_file(tmp / "prime" / "m4" / "part-00000.tfrecord", payloads)
    res = runner.invoke(
        app, ["data", "import-prime", str(tmp / "prime"), "--out", str(tmp / "m4.parquet")]
    )
    assert res.exit_code == 0, res.output
    (tmp / "fast.toml").write_text(FAST_TOML)
    return {"tmp": tmp, "data": tmp / "m4.parquet", "config": tmp / "fast.toml"}


@pytest.fixture
def no_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-in simulator must not run: any call fails the test."""

    def forbidden(*_a: object, **_k: object) -> None:
        raise AssertionError("the built-in simulator was called")

    monkeypatch.setattr(prime_rs._native.sim, "simulate", forbidden)


def test_import_records_an_external_world_with_a_data_only_application(world) -> None:
    ds = data.load(world["data"])
    assert ds.applications == ["m4"] and ds.data_only_applications == ["m4"]
    assert ds.world.kind == "external" and "PRIME TFRecords" in ds.world.source
    assert ds.latency_unit == "ms"
    res = runner.invoke(app, ["data", "stats", str(world["data"]), "--json"])
    stats = json.loads(res.output)
    assert stats["latency_unit"] == "ms" and stats["world"].startswith("external")


def test_optimize_m4_through_the_command_oracle(world, no_builtin, tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(
        app,
        ["optimize", "--data", str(world["data"]), "--apps", "m4", "--oracle", ORACLE,
         "--area-budget", str(BUDGET), *FAST, "--config", str(world["config"]),
         "--out", str(out), "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    best = json.loads((out / "best.json").read_text())
    assert "toy_chip_sim.py" in best["oracle"] and best["verified"] is True
    assert 0 < best["simulator_calls"] <= 24 and best["reference_simulator_calls"] == 1
    # The claimed numbers are the example simulator's own for that design.
    design = np.array(best["design_indices"], dtype=np.uint8)[None]
    (own,) = run_sim(design, ["m4"], tmp_path)
    assert own["feasible"] == "true"
    assert best["latency_ms"]["m4"] == float(own["latency_ms"])
    assert best["area_mm2"] == float(own["area_mm2"]) <= BUDGET
    # ... and it beats the best logged design of that world under the budget.
    ds = data.load(world["data"])
    ok = ds.feasible & (ds.area_mm2 <= BUDGET)
    logged_best = float(ds.latency_ms[ok].min())
    assert best["dataset_best_latency_ms"]["m4"] == pytest.approx(logged_best, rel=1e-6)
    assert best["latency_ms"]["m4"] < logged_best
    # The area constraint was a model fitted to the logs, within 2% median error.
    assert best["area_model"]["kind"] == "fitted"
    assert best["area_model"]["median_relative_error"] < 0.02
    assert best["latency_unit"] == "ms" and best["world"].startswith("external")
    assert (out / "candidates.parquet").exists() and (out / "report.md").exists()


def test_propose_writes_proposals_in_the_oracle_format(world, no_builtin, tmp_path: Path) -> None:
    out = tmp_path / "props"
    res = runner.invoke(
        app,
        ["propose", "--data", str(world["data"]), "--apps", "m4", *FAST[:6], "-k", "8",
         "--config", str(world["config"]), "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    import pyarrow.parquet as pq

    props = pq.read_table(out / "proposals.parquet").to_pydict()
    assert props["rank"] == list(range(8))
    assert {"predicted_latency_ms.m4", "constraint_area_mm2", "surrogate_score"} <= set(props)
    assert max(props["constraint_area_mm2"]) <= BUDGET
    with open(out / "proposals_in.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["application", *prime_rs.SPACE.names] and len(rows) == 9
    assert [int(v) for v in rows[1][1:]] == [props[n][0] for n in prime_rs.SPACE.names]
    best = json.loads((out / "best.json").read_text())
    assert best["verified"] is False and best["simulator_calls"] == 0
    assert not (out / "candidates.parquet").exists()
    # The loop closes: the user's simulator on proposals_in.csv, imported and merged.
    subprocess.run([sys.executable, str(SIM), str(out / "proposals_in.csv"), str(tmp_path / "r.csv")],
                   check=True)  # fmt: skip
    imported = data.import_csv(tmp_path / "r.csv")
    assert imported.applications == ["m4"] and len(imported) == 8


def test_optimize_on_external_data_proposes_without_verifying_by_default(
    world, no_builtin, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    res = runner.invoke(
        app,
        ["optimize", "--data", str(world["data"]), "--apps", "m4", "--steps", "5",
         "--generations", "1", "--population", "32", "-k", "4", "--config", str(world["config"]),
         "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "not verified" in res.output
    best = json.loads((out / "best.json").read_text())
    assert best["oracle"] == "none" and best["verified"] is False and best["latency_ms"] is None
    assert best["reference_latency_ms"] is None  # no oracle can evaluate it
    assert best["dataset_best_latency_ms"]["m4"] > 0  # read from the logs
    assert (out / "proposals_in.csv").exists() and not (out / "candidates.parquet").exists()
    assert "not verified" in (out / "report.md").read_text().lower()


def test_the_default_oracle_follows_the_data(world, tmp_path: Path) -> None:
    ext = prepare(OptimizeSettings(apps=["m4"], data=str(world["data"])))
    assert isinstance(ext.task.oracle, NoOracle) and ext.task.area_model.kind == "fitted"
    path = tmp_path / "builtin.parquet"
    data.write_generated(path, ["mobilenet_v2"], 500, seed=0)
    own = prepare(OptimizeSettings(apps=["mobilenet_v2"], data=str(path)))
    assert own.builtin and own.task.area_model.kind == "builtin"


def _refused(args: list[str], out: Path, message: str) -> None:
    res = runner.invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert message in res.output.replace("\n", " ")
    assert not out.exists() or not (out / "best.json").exists()


def test_builtin_oracle_on_external_data_is_refused(world, tmp_path: Path) -> None:
    base = ["optimize", "--data", str(world["data"]), "--apps", "m4", "--oracle", "builtin"]
    _refused(base, tmp_path / "a", "--force-oracle")
    # Forced, it still cannot simulate a network it has no workload for.
    _refused([*base, "--force-oracle"], tmp_path / "b", "m4")


@pytest.mark.parametrize("mode", ["fail", "hang", "short", "nan"])
def test_broken_oracle_commands_exit_2_with_nothing_written(
    world, tmp_path: Path, mode: str
) -> None:
    cmd = fake(tmp_path, mode)
    messages = {"fail": "exit status 3", "hang": "timed out", "short": "result row", "nan": "NaN"}
    _refused(
        ["optimize", "--data", str(world["data"]), "--apps", "m4", "--oracle", cmd,
         "--oracle-timeout", "1"],
        tmp_path / "run",
        messages[mode],
    )  # fmt: skip
    assert not (tmp_path / "run").exists()


def test_unknown_application_and_zero_shot_without_context(world, tmp_path: Path) -> None:
    base = ["optimize", "--data", str(world["data"]), "--oracle", "none"]
    _refused([*base, "--apps", "m9"], tmp_path / "a", "no logged data")
    _refused(
        [*base, "--apps", "m5", "--zero-shot", "--train-apps", "m4"],
        tmp_path / "b",
        "--workload m5=",
    )
    wl = str(ROOT / "python" / "prime_rs" / "example_workloads" / "tiny_cnn.toml")
    # With m5's network given, only m4's (a training application) is still missing.
    _refused(
        [*base, "--apps", "m5", "--zero-shot", "--train-apps", "m4", "--workload", f"m5={wl}"],
        tmp_path / "c",
        "--workload m4=",
    )
    settings = OptimizeSettings(
        apps=["m5"],
        zero_shot=True,
        train_apps=["m4"],
        data=str(world["data"]),
        contexts={"m5": wl, "m4": wl},
    )
    ok = prepare(settings)
    assert ok.task.applications == ("m5",) and ok.task.workloads == (None,)


def test_merge_refuses_to_mix_worlds(world, tmp_path: Path) -> None:
    own = tmp_path / "own.parquet"
    data.write_generated(own, ["mobilenet_v2"], 200, seed=0)
    out = tmp_path / "merged.parquet"
    res = runner.invoke(app, ["data", "merge", str(world["data"]), str(own), "--out", str(out)])
    assert res.exit_code == 2 and "different worlds" in res.output and not out.exists()
    res = runner.invoke(
        app,
        ["data", "merge", str(world["data"]), str(own), "--out", str(out), "--allow-mixed-worlds"],
    )
    assert res.exit_code == 0, res.output
    merged = data.load(out)
    assert merged.world.source.startswith("mixed") and len(merged) == 3000 + 200
    res = runner.invoke(
        app, ["data", "merge", str(world["data"]), str(world["data"]), "--out", str(out)]
    )
    assert res.exit_code == 0 and data.load(out).world == data.load(world["data"]).world


def test_compare_baselines_through_the_command_oracle(world, no_builtin, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    res = runner.invoke(
        app,
        ["compare", "--data", str(world["data"]), "--apps", "m4", "--oracle", ORACLE,
         "--seeds", "0", "--methods", "random_search,regularized_evolution",
         "--budgets", "16,48", "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = json.loads((out / "results.json").read_text())
    by = {(r["method"], r["simulator_calls"]): r for r in rows}
    assert by[("D(best)", 0)]["best_latency_ms"] is not None  # read from the logs, no call
    for method in ("random_search", "regularized_evolution"):
        assert {(method, 16), (method, 48)} <= set(by)
