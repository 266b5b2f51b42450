"""Help and flags: help text survives rich markup, defaults are shown, choices and ranges are
declared, --version and completion exist, shared flags mean the same on every command, and a
bad item of a comma list is an input error (exit 2), not a traceback."""

from __future__ import annotations

import shlex
import subprocess
import sys
from typing import Any

import pytest
import typer
from rich.text import Text
from typer.testing import CliRunner

import prime_rs
from prime_rs.cli import _register, app

runner = CliRunner()
_register()
WIDE = {"COLUMNS": "240", "TERMINAL_WIDTH": "240"}


def _commands(group: Any = None, prefix: str = "") -> dict[str, Any]:
    group = group or typer.main.get_command(app)
    out = {}
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            out.update(_commands(cmd, f"{prefix}{name} "))
        else:
            out[f"{prefix}{name}"] = cmd
    return out


def _help(*command: str) -> str:
    res = runner.invoke(app, [*command, "--help"], env=WIDE)
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split())


def test_no_help_text_is_eaten_by_markup() -> None:
    for name, cmd in _commands().items():
        for p in cmd.params:
            text = getattr(p, "help", None) or ""
            shown = Text.from_markup(text).plain
            assert shown == text.replace("\\[", "["), (name, p.name, text)


@pytest.mark.parametrize(
    ("command", "text"),
    [
        (["train"], "Training steps. [default: (500)]"),
        (["train"], "Weight of the negatives' mean score. [default: (0.01)]"),
        (["train"], "Weight of the infeasible rows' mean score. [default: (0.01)]"),
        (["train"], "Validate every N steps. [default: (50)]"),
        (["optimize"], "Run directory. [default: (runs/optimize-DATE-TIME)]"),
        (["data", "import-csv"], "and a [columns] table."),
        (["optimize"], "[context vector]"),
        (["workloads", "import"], "[default: (the file's stem)]"),
    ],
)
def test_the_once_broken_help_strings_render(command: list[str], text: str) -> None:
    assert text in _help(*command)


def test_every_option_of_optimize_shows_its_default() -> None:
    no_default = {"data", "config", "model_run", "workload", "contexts", "help"}
    for p in _commands()["optimize"].params:
        if p.name in no_default or (getattr(p, "is_flag", False) and not p.secondary_opts):
            continue
        assert p.show_default not in (None, False), p.name


def test_choices_and_ranges_are_declared() -> None:
    text = _help("optimize")
    for shown in ("<random|search>", "<evolution|gradient>", "<regress|infeasible>",
                  "<transformer|mlp>", "[x>=1]"):  # fmt: skip
        assert shown in text, shown
    assert "<random|search>" in _help("generate")
    assert "<transformer|mlp>" in _help("train")


def test_version_and_completion() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.strip() == f"prime-rs {prime_rs.__version__}"
    assert "--install-completion" in _help()
    # typer finds the shell among the process's ancestors (with shellingham installed it ignores
    # a shell named on the command line), so run it from a bash that stays its parent: the
    # "; exit" keeps bash from exec-ing the command in its place.
    out = subprocess.run(
        ["bash", "-c", f"{shlex.quote(sys.executable)} -m prime_rs --show-completion; exit $?"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0 and "complete" in out.stdout, out.stderr


def test_shared_flags_are_the_same_on_every_command() -> None:
    seen = 0
    for name, cmd in _commands().items():
        opts = {p.name: p for p in cmd.params}
        if "data" in opts and "--data" in opts["data"].opts:
            assert "-d" in opts["data"].opts, name
        if "out" in opts and "--out" in opts["out"].opts:
            assert "-o" in opts["out"].opts, name
        if "seed" in opts:
            assert opts["seed"].opts == ["--seed"] and "0 to 2**64-1" in opts["seed"].help, name
        if "threads" in opts:
            assert opts["threads"].opts == ["--threads"] and opts["threads"].min == 1, name
        for flag in ("as_json", "overwrite"):
            if flag in opts:
                assert opts[flag].is_flag and not opts[flag].secondary_opts, (name, flag)
                seen += 1
    assert seen >= 8
    assert "overwrite" in {p.name for p in _commands()["train"].params}


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "--apps", "mobilenet_v2", "--seeds", "a,b"],
        ["compare", "--apps", "mobilenet_v2", "--budgets", "1e3"],
        ["compare", "--apps", "mobilenet_v2", "--seeds", "0,,1"],
        ["compare", "--apps", ","],
        ["optimize", "--apps", ","],
        ["optimize", "--apps", "mobilenet_v2,,unet"],
        ["generate", "--apps", ",", "--designs", "10"],
        ["optimum", "--apps", ","],
    ],
)
def test_a_bad_comma_list_is_an_input_error(args: list[str], tmp_path: Any) -> None:
    res = runner.invoke(
        app, [*args, "--out", str(tmp_path / "o")] if args[0] != "optimum" else args
    )
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: ") and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()
