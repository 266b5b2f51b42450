"""The one config schema (prime_rs.config): committed as docs/config.schema.json, defaults equal
to the carriers', every field a flag of optimize, bad keys and values named with exit 2, flags
over the file, and a run's config.toml loading back through the same schema."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prime_rs import config, data, errors
from prime_rs.cli import _register, app
from prime_rs.cli.config import table_flags
from prime_rs.run import OptimizeSettings

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
_register()
TINY = ["--steps", "4", "--val-every", "2", "--model", "mlp", "--population", "16",
        "--generations", "2", "--candidates", "4"]  # fmt: skip


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs") / "logs.parquet"
    data.write_generated(path, ["mobilenet_v2"], 2000, seed=1)
    return path


def test_the_committed_schema_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "config.schema.json").read_text(encoding="utf-8")
    assert committed == config.json_schema(), (
        "run: prime-rs config schema -o docs/config.schema.json"
    )
    res = runner.invoke(app, ["config", "schema"])
    assert res.exit_code == 0 and json.loads(res.stdout) == json.loads(committed)


def test_every_field_is_described_with_a_default() -> None:
    schema = json.loads(config.json_schema())
    tables = [schema, *schema["$defs"].values()]
    for table in tables:
        for name, prop in table["properties"].items():
            assert prop.get("description"), name
            assert "default" in prop or "$ref" in prop, name


def test_table_defaults_are_the_carriers_defaults() -> None:
    from prime_rs.model import ModelConfig
    from prime_rs.train import TrainConfig

    def carrier(cls: type, reserved: set[str]) -> dict[str, object]:
        out = {}
        for f in dataclasses.fields(cls):
            if f.name in reserved:
                continue
            value = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    assert config.TrainTable().model_dump() == carrier(
        TrainConfig, {"seed", "area_budget", "contextual"}
    )
    assert config.ModelTable().model_dump() == carrier(ModelConfig, {"block_sizes", "context_dim"})
    defaults = OptimizeSettings()
    assert config.SearchTable().model_dump() == {
        n: getattr(defaults, n) for n in ("population", "generations", "candidates")
    }


def test_every_table_field_is_a_flag_of_optimize_and_propose() -> None:
    import typer

    keys = {
        f"{t}.{n}"
        for t in ("train", "model", "search")
        for n in type(getattr(config.OptimizeConfig(), t)).model_fields
    }
    assert {f.key for f in table_flags()} == keys
    group = typer.main.get_command(app)
    for command in ("optimize", "propose"):
        params = {p.name for p in group.commands[command].params}  # type: ignore[attr-defined]
        assert {f.param for f in table_flags()} <= params, command
    top = set(config.OptimizeConfig.model_fields) - {"train", "model", "search", "contexts"}
    optimize = {p.name for p in group.commands["optimize"].params}  # type: ignore[attr-defined]
    assert top <= optimize, sorted(top - optimize)


def test_settings_round_trip_through_the_schema(tmp_path: Path) -> None:
    from prime_rs import runs

    s = OptimizeSettings(
        apps=["mobilenet_v2", "unet"], seed=3, data_seed=2, steps=40, population=32,
        train={"alpha": 0.05, "negatives": "gradient"}, model={"kind": "mlp"},
        contexts={"m4": [1.0, 2.0]},
    )  # fmt: skip
    path = tmp_path / "config.toml"
    runs.write_toml(path, s.to_config())
    raw = tomllib.loads(path.read_text())
    assert raw["train"]["alpha"] == 0.05 and raw["search"]["population"] == 32
    back = config.load(path).to_settings()
    assert back.to_config() == s.to_config()
    assert back.seed == 3 and back.data_seed == 2 and back.steps == 40


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("alpha = 0.1\n", "unknown key alpha"),
        ("[train]\nlearning_rat = 0.1\n", "unknown key train.learning_rat"),
        ("[train]\nalpha = -1.0\n", "train.alpha"),
        ("[model]\nkind = 'cnn'\n", "model.kind"),
        ("[search]\npopulation = 0\n", "search.population"),
        ("population = 64\n", "population belongs in the [search] table"),
        ("seed = 'one'\n", "seed"),
        ("model_run = 'runs/t'\n[train]\nalpha = 0.1\n", "training settings do not apply"),
    ],
)
def test_bad_config_files_exit_2_naming_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    out = tmp_path / "run"
    res = runner.invoke(app, ["optimize", "--config", str(path), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: ") and message in res.stderr, res.stderr
    assert not out.exists()
    check = runner.invoke(app, ["config", "check", str(path)])
    assert check.exit_code == 2 and message in check.stderr


def test_flags_override_the_file_and_the_run_writes_the_schema(logs: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("seed = 4\n[train]\nalpha = 0.2\nbeta = 0.03\n[search]\ngenerations = 9\n")
    out = tmp_path / "run"
    res = runner.invoke(
        app,
        ["optimize", "--data", str(logs), "--config", str(cfg), *TINY, "--alpha", "0.07",
         "--out", str(out), "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    written = tomllib.loads((out / "config.toml").read_text())
    # The flag wins over the file; the file over the defaults; the defaults fill the rest.
    assert written["train"]["alpha"] == 0.07 and written["train"]["beta"] == 0.03
    assert written["seed"] == 4 and written["search"]["generations"] == 2
    assert written["train"]["learning_rate"] == config.TrainTable().learning_rate
    assert written["model"]["kind"] == "mlp"
    trained = json.loads((out / "model" / "config.json").read_text())["train_config"]
    assert trained["alpha"] == 0.07 and trained["beta"] == 0.03 and trained["seed"] == 4
    # The run's config.toml loads back through the schema, and reruns the same settings.
    assert config.load(out / "config.toml").to_settings().to_config() == written
    assert runner.invoke(app, ["config", "check", str(out / "config.toml")]).exit_code == 0
    meta = json.loads((out / "meta.json").read_text())
    assert len(meta["dataset"]["sha256"]) == 64


def test_bad_flag_values_are_named(tmp_path: Path) -> None:
    for args, message in (
        (["--steps", "0"], "--steps must be at least 1"),
        (["--negatives", "random"], "--negatives must be one of evolution, gradient"),
        (["--head-hidden", "64,x"], "--head-hidden takes comma-separated integers"),
        (["--dropout", "1.0"], "model.dropout"),
    ):
        res = runner.invoke(app, ["optimize", *args, "--out", str(tmp_path / "r")])
        assert res.exit_code == 2 and message in res.stderr, (args, res.stderr)
        assert "Traceback" not in res.output


def test_api_settings_are_checked_by_the_schema() -> None:
    with pytest.raises(errors.InvalidArgumentError, match=r"train\.min_lr_ratio"):
        OptimizeSettings(train={"min_lr_ratio": 2.0}).to_config()
