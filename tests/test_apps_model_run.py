"""Workload files and built-in names alike in --apps (one reading, workloads.application), the
data cache keyed on the workload's content and the data seed, and --model-run reusing a
`prime-rs train` result (refusing another world's, another dataset's or other applications'
model)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prime_rs import data, errors, workloads
from prime_rs.cli import _register, app
from prime_rs.compare import CompareSettings
from prime_rs.run import OptimizeSettings, cached_dataset

ROOT = Path(__file__).resolve().parents[1]
TINY_CNN = ROOT / "python" / "prime_rs" / "example_workloads" / "tiny_cnn.toml"
SEARCH = ["--population", "16", "--generations", "2", "--candidates", "4"]
TRAIN = ["--steps", "4", "--val-every", "2", "--model", "mlp"]
runner = CliRunner()
_register()


def test_one_reading_of_an_apps_item(tmp_path: Path) -> None:
    assert workloads.application("mobilenet_v2").name == "mobilenet_v2"
    assert workloads.application("MobilenetV2").name == "mobilenet_v2"  # a PRIME spelling
    f = workloads.application(str(TINY_CNN))
    assert f.name == "tiny_cnn" and f.is_file and f.workload is not None
    assert workloads.application("m4", data_only=True).workload is None
    with pytest.raises(errors.UnknownApplicationError, match="no_such_net"):
        workloads.application("no_such_net")
    with pytest.raises(errors.InvalidArgumentError, match="listed twice"):
        workloads.applications([str(TINY_CNN), str(TINY_CNN)])


def test_the_cache_follows_the_workload_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIME_RS_CACHE", str(tmp_path / "cache"))
    net = tmp_path / "net.toml"
    shutil.copy(TINY_CNN, net)
    settings = OptimizeSettings(apps=[str(net)], dataset_designs=200)
    first = cached_dataset(settings)
    assert cached_dataset(settings) == first  # reused while the file is unchanged
    renamed = tmp_path / "renamed.toml"
    shutil.copy(net, renamed)
    assert cached_dataset(OptimizeSettings(apps=[str(renamed)], dataset_designs=200)) == first
    # Edit one layer: the same file name now means another network, so its logs regenerate.
    text = net.read_text()
    assert "out_c = 32" in text
    net.write_text(text.replace("out_c = 32", "out_c = 48", 1))
    edited = cached_dataset(settings)
    assert edited != first and edited.exists()
    assert not data.load(edited).table.equals(data.load(first).table)


def test_the_data_seed_is_not_the_model_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIME_RS_CACHE", str(tmp_path / "cache"))
    base = {"apps": ["mobilenet_v3_small"], "dataset_designs": 200}
    default = cached_dataset(OptimizeSettings(**base))
    assert cached_dataset(OptimizeSettings(**base, seed=7)) == default
    other = cached_dataset(OptimizeSettings(**base, data_seed=7))
    assert other != default
    assert data.load(other).content_hash() != data.load(default).content_hash()
    # compare follows the same rule: one data seed for every model seed.
    cmp = CompareSettings(apps=["mobilenet_v3_small"], seeds=[0, 1], data_seed=7)
    assert {cmp.optimize_settings(s).data_seed for s in cmp.seeds} == {7}
    with pytest.raises(errors.InvalidArgumentError, match="seed"):
        OptimizeSettings(data_seed=-1)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs") / "logs.parquet"
    data.write_generated(path, ["mobilenet_v2", str(TINY_CNN)], 2000, seed=1)
    return path


def test_optimize_learns_on_a_workload_file_beside_a_built_in(logs: Path, tmp_path: Path) -> None:
    apps = f"mobilenet_v2,{TINY_CNN}"
    out = tmp_path / "multi"
    res = runner.invoke(
        app, ["optimize", "--data", str(logs), "--apps", apps, *TRAIN, *SEARCH, "--out", str(out)]
    )
    assert res.exit_code in (0, 1), res.output  # 1: no feasible design in so short a run
    best = json.loads((out / "best.json").read_text())
    assert best["applications"] == ["mobilenet_v2", "tiny_cnn"]
    assert best["surrogate"]["trained_on"] == ["mobilenet_v2", "tiny_cnn"]


@pytest.fixture(scope="module")
def trained(logs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("train") / "t"
    res = runner.invoke(
        app,
        ["train", "-d", str(logs), "--apps", f"mobilenet_v2,{TINY_CNN}", *TRAIN, "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    record = json.loads((out / "dataset.json").read_text())
    assert record["sha256"] == data.load(logs).content_hash()
    return out


def test_model_run_reuses_a_trained_model(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "reuse"
    apps = f"mobilenet_v2,{TINY_CNN}"
    res = runner.invoke(
        app, ["optimize", "--model-run", str(trained), "--apps", apps, *SEARCH, "--out", str(out)]
    )
    assert res.exit_code in (0, 1), res.output
    meta = json.loads((out / "meta.json").read_text())
    assert meta["model_run"]["path"] == str(trained)
    assert not (out / "model").exists()  # nothing was trained
    written = (out / "config.toml").read_text()
    assert "model_run" in written and "[train]" not in written
    # The same run, given the data explicitly, finds the same candidates.
    again = tmp_path / "again"
    res = runner.invoke(
        app,
        ["optimize", "--model-run", str(trained), "--data", meta["dataset"]["path"], "--apps",
         apps, *SEARCH, "--out", str(again)],
    )  # fmt: skip
    assert res.exit_code in (0, 1), res.output
    assert (again / "best.json").read_text() == (out / "best.json").read_text()


@pytest.mark.parametrize("case", ["apps", "data", "training", "not_a_run"])
def test_model_run_refuses_what_it_was_not_trained_for(
    case: str, trained: Path, tmp_path: Path
) -> None:
    apps = f"mobilenet_v2,{TINY_CNN}"
    args = ["optimize", "--model-run", str(trained), "--apps", apps, *SEARCH]
    message = {"apps": "trained on mobilenet_v2, tiny_cnn", "data": "another dataset",
               "training": "training settings do not apply", "not_a_run": "not a training run"}[case]  # fmt: skip
    if case == "apps":
        args[args.index(apps)] = "mobilenet_v2"
    elif case == "data":
        other = tmp_path / "other.parquet"
        data.write_generated(other, ["mobilenet_v2", str(TINY_CNN)], 500, seed=2)
        args += ["--data", str(other)]
    elif case == "training":
        args += ["--alpha", "0.5"]
    else:
        args[args.index(str(trained))] = str(tmp_path)
    out = tmp_path / "refused"
    res = runner.invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert message in res.stderr, res.stderr
    assert not out.exists()


def test_rounds_fine_tune_a_reused_model_of_another_architecture(
    trained: Path, tmp_path: Path
) -> None:
    # The reused run's model is an MLP (TRAIN's --model mlp): fine-tuning between rounds must
    # rebuild that architecture from the run, not the default transformer.
    out = tmp_path / "rounds"
    apps = f"mobilenet_v2,{TINY_CNN}"
    res = runner.invoke(
        app,
        ["optimize", "--model-run", str(trained), "--apps", apps, *SEARCH, "--rounds", "2",
         "--finetune-steps", "2", "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code in (0, 1), res.output
    rounds = [json.loads(line) for line in (out / "rounds.jsonl").read_text().splitlines()]
    assert [r["round"] for r in rounds] == [1, 2]
    best = json.loads((out / "best.json").read_text())
    assert best["simulator_calls"] == 2 * 4
    tuned = json.loads((out / "rounds" / "round-2" / "model" / "config.json").read_text())
    assert tuned["model_config"]["kind"] == "mlp"
    # ...and the objective it was trained with (TRAIN's --val-every 2 survives; steps are the
    # rounds' own).
    assert tuned["train_config"]["val_every"] == 2 and tuned["train_config"]["steps"] == 2
