"""Run directories after failures, and the command line's output (issue 11, items 2 and 5).

* A command that fails on bad input leaves no directory it created, and leaves one that existed
  as it was; a refused ``--resume`` changes no byte of the run it names (optimize, train,
  compare, generate).
* Logs: ``-q`` / ``-v`` / ``--log-file`` over stdlib logging; off a terminal, plain unwrapped
  lines with no escape codes and periodic progress lines; the total and per-stage times at the
  end; on Ctrl-C the exact command that continues the run; ``data stats`` never cuts a name.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from prime_rs import data
from prime_rs.cli import _register, app
from prime_rs.progress import Count, ProgressLines, TrainProgress

_register()

ANSI = re.compile(r"\x1b\[")
# A tiny run: a few training steps and a short search (seconds, not minutes).
TINY = ["--steps", "4", "--generations", "2", "--population", "32", "--candidates", "8"]


@pytest.fixture(scope="module")
def logs_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logged") / "mnv2.parquet"
    data.write_generated(path, ["mobilenet_v2"], 1500, seed=0)
    return path


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("PRIME_RS_CACHE", str(tmp_path / "cache"))
    runner = CliRunner()

    def run(*args: Any, env: dict[str, str] | None = None) -> Any:
        return runner.invoke(app, [str(a) for a in args], env=env)

    return run


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` (names, bytes) and every directory: what "unchanged" means."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


# --- run directories -------------------------------------------------------------------------


def test_optimize_input_errors_leave_no_directory_they_created(cli, tmp_path: Path) -> None:
    out = tmp_path / "runs" / "e1"
    r = cli("optimize", "--steps", "0", "--out", out)
    assert r.exit_code == 2 and "--steps must be at least 1" in r.stderr
    # Found before any work: nothing created, no dataset generated for a run that cannot start.
    assert not out.exists() and not (tmp_path / "cache").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\nkind = "perceptron"\n')
    r = cli("optimize", "--config", bad, "--out", out)
    assert r.exit_code == 2 and "perceptron" in r.stderr and not out.exists()
    # A directory that existed before is never removed, even empty.
    out.mkdir(parents=True)
    r = cli("optimize", "--steps", "0", "--out", out)
    assert r.exit_code == 2 and out.is_dir()


def test_an_input_error_after_the_directory_exists_removes_it(
    cli, tmp_path: Path, logs_data, monkeypatch: pytest.MonkeyPatch
) -> None:
    import prime_rs.run.optimize as optimize_mod
    from prime_rs.errors import DatasetError

    def unreadable(*_a: Any, **_k: Any) -> Any:
        raise DatasetError("the logged data went away")

    # The run directory and its config.toml exist when the data turns out to be unusable.
    monkeypatch.setattr(optimize_mod, "cached_dataset", unreadable)
    out = tmp_path / "late"
    r = cli("optimize", *TINY, "--out", out)
    assert r.exit_code == 2 and "went away" in r.stderr
    assert not out.exists()
    # The corrected command runs into the same place.
    monkeypatch.undo()
    r = cli("optimize", "--data", logs_data, *TINY, "--out", out)
    assert r.exit_code == 0, r.stderr


def test_run_dir_removed_on_input_error_unless_it_holds_work(tmp_path: Path) -> None:
    from prime_rs.errors import InvalidArgumentError, NoFeasibleDesignError
    from prime_rs.runs import removed_on_input_error

    def fail(run: Path, exc: Exception, *, checkpoint: bool = False) -> None:
        with pytest.raises(type(exc)), removed_on_input_error(run):
            (run / "model" / "checkpoints").mkdir(parents=True)
            (run / "config.toml").write_text("seed = 0\n")
            if checkpoint:
                (run / "model" / "checkpoints" / "latest.json").write_text("{}")
            raise exc

    fail(tmp_path / "a", InvalidArgumentError("bad"))
    assert not (tmp_path / "a").exists()
    fail(tmp_path / "b", InvalidArgumentError("bad"), checkpoint=True)
    assert (tmp_path / "b" / "model" / "checkpoints" / "latest.json").exists()
    fail(tmp_path / "c", NoFeasibleDesignError("none"))  # exit 1: a finished run, kept
    assert (tmp_path / "c" / "config.toml").exists()
    fail(tmp_path / "d", KeyboardInterrupt())  # type: ignore[arg-type]
    assert (tmp_path / "d" / "config.toml").exists()
    (tmp_path / "e").mkdir()
    fail(tmp_path / "e", InvalidArgumentError("bad"))
    assert (tmp_path / "e" / "config.toml").exists()  # it existed: never removed


def test_a_refused_resume_changes_nothing_in_an_optimize_run(
    cli, tmp_path: Path, logs_data
) -> None:
    out = tmp_path / "run"
    r = cli("optimize", "--data", logs_data, *TINY, "--out", out)
    assert r.exit_code == 0, r.stderr
    before = tree_digest(out)
    r = cli("optimize", "--data", logs_data, *TINY, "--seed", "1", "--out", out, "--resume")
    assert r.exit_code == 2
    assert "cannot resume" in r.stderr and "seed (0 in the run, 1 now)" in r.stderr
    assert tree_digest(out) == before
    # A refusal from training itself (another model) also comes before any write.
    r = cli("optimize", "--data", logs_data, *TINY, "--naive", "--out", out, "--resume")
    assert r.exit_code == 2 and "naive" in r.stderr
    assert tree_digest(out) == before
    # More steps is a resume: training goes on and the run records the new setting.
    steps = ["--steps", "6", *TINY[2:]]
    r = cli("optimize", "--data", logs_data, *steps, "--out", out, "--resume")
    assert r.exit_code == 0, r.stderr
    assert "steps = 6" in (out / "config.toml").read_text()


def test_a_refused_resume_changes_nothing_in_a_train_run(cli, tmp_path: Path, logs_data) -> None:
    out = tmp_path / "model"
    base = ["train", "--data", logs_data, "--apps", "mobilenet_v2", "--steps", "4"]
    r = cli(*base, "--out", out)
    assert r.exit_code == 0, r.stderr
    before = tree_digest(out)
    r = cli(*base, "--seed", "1", "--out", out, "--resume")
    assert r.exit_code == 2 and "cannot resume" in r.stderr
    assert tree_digest(out) == before
    # Bad input to a new run: nothing left behind.
    r = cli("train", "--data", logs_data, "--apps", "unet", "--out", tmp_path / "m2")
    assert r.exit_code == 2 and not (tmp_path / "m2").exists()


def test_compare_checks_its_input_before_touching_the_output(
    cli, tmp_path: Path, logs_data
) -> None:
    out = tmp_path / "cmp"
    r = cli("compare", "--apps", "unet", "--data", logs_data, "--seeds", "0", "--out", out)
    assert r.exit_code == 2 and "unet" in r.stderr and not out.exists()
    # --overwrite of an earlier comparison with bad input: the earlier one is untouched.
    out.mkdir()
    (out / "results.csv").write_text("method,seed\nprime,0\n")
    before = tree_digest(out)
    r = cli("compare", "--apps", "unet", "--data", logs_data, "--seeds", "0", "--out", out,
            "--overwrite")  # fmt: skip
    assert r.exit_code == 2 and tree_digest(out) == before


def test_a_refused_generate_resume_changes_nothing(cli, tmp_path: Path) -> None:
    out = tmp_path / "g.parquet"
    base = ["generate", "--apps", "mobilenet_v2", "--designs", "300", "--out", out]
    r = cli(*base)
    assert r.exit_code == 0, r.stderr
    before = tree_digest(tmp_path)
    r = cli(*base, "--seed", "1", "--resume")
    assert r.exit_code == 2 and "other settings (seed)" in r.stderr
    assert tree_digest(tmp_path) == before
    r = cli(*base, "--resume")  # the same job: runs again, to the same bytes
    assert r.exit_code == 0, r.stderr
    assert tree_digest(tmp_path)[out.name] == before[out.name]


# --- logs ------------------------------------------------------------------------------------


def _prime_rs(*args: Any, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prime_rs", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = dict(os.environ, PRIME_RS_CACHE=str(tmp_path / "cache"), JAX_PLATFORMS="cpu")
    e.pop("FORCE_COLOR", None)
    e["COLUMNS"] = "80"  # what would make rich wrap
    return e


def test_piped_output_is_plain_whole_lines(env, tmp_path: Path, logs_data) -> None:
    log_file = tmp_path / "run.log"
    p = _prime_rs("--log-file", log_file, "optimize", "--data", logs_data, *TINY, "--out",
                  tmp_path / "run", env=env, cwd=tmp_path)  # fmt: skip
    assert p.returncode == 0, p.stderr
    for stream in (p.stdout, p.stderr):
        assert not ANSI.search(stream)
        assert all(line == line.rstrip() for line in stream.splitlines())
    # The long line rich used to wrap at 80 columns is one line, and the run path is whole.
    (design,) = [ln for ln in p.stdout.splitlines() if ln.startswith("best design: ")]
    assert "pe_x=" in design and "dram_bandwidth=" in design
    assert f"run directory: {tmp_path / 'run'} (" in p.stdout
    err = p.stderr.splitlines()
    assert "training the conservative surrogate on mobilenet_v2" in err
    assert "train: 4/4 steps" in "\n".join(err)  # progress lines stand in for the bar
    (done,) = [ln for ln in err if ln.startswith("done in ")]
    for stage in ("data", "train", "search", "verify"):
        assert re.search(rf"\b{stage} \d+\.\d s\b", done), done
    # The log file has every line, with time, level and logger.
    text = log_file.read_text()
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO prime_rs\.run\.optimize: "
                     r"training the conservative", text, re.M)  # fmt: skip
    assert "DEBUG prime_rs.run.prepare: world: built-in simulator" in text
    assert "INFO prime_rs.progress: train: 4/4 steps" in text


def test_quiet_and_verbose(cli, tmp_path: Path, logs_data) -> None:
    r = cli("-q", "optimize", "--data", logs_data, *TINY, "--out", tmp_path / "q")
    assert r.exit_code == 0, r.stderr
    assert "training" not in r.stderr and "done in" not in r.stderr and "train: " not in r.stderr
    assert "best design:" in r.stdout
    r = cli("-v", "optimize", "--data", logs_data, *TINY, "--out", tmp_path / "v")
    assert r.exit_code == 0, r.stderr
    assert "world: built-in simulator" in r.stderr and "training the" in r.stderr
    r = cli("-q", "-v", "optimize", "--out", tmp_path / "x")
    assert r.exit_code == 2 and "contradict" in r.stderr and not (tmp_path / "x").exists()
    # Errors still show under -q.
    r = cli("-q", "optimize", "--steps", "0", "--out", tmp_path / "y")
    assert r.exit_code == 2 and r.stderr.startswith("error: --steps must be at least 1")
    r = cli("--log-file", tmp_path / "no" / "such" / "dir.log", "optimize")
    assert r.exit_code == 2 and "cannot write the log file" in r.stderr


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_progress_lines_every_tenth_and_every_half_minute(monkeypatch) -> None:
    logger = logging.getLogger("prime_rs.progress")
    seen = _Lines()
    monkeypatch.setattr(logger, "handlers", [seen])
    monkeypatch.setattr(logger, "level", logging.INFO)
    now = [0.0]
    lines = ProgressLines(every_s=30.0, clock=lambda: now[0])
    for step in range(1, 1001):
        now[0] += 0.001  # fast: a line per tenth only
        lines(TrainProgress(step, 1000, {}))
    assert len(seen.lines) == 11  # the start, then 100, 200, ..., 1000
    assert seen.lines[-1] == "train: 1,000/1,000 steps"
    seen.lines.clear()
    for step in range(1, 21):
        now[0] += 20.0  # slow: a line at least every 30 s
        lines(Count("simulating", step, 10_000, "designs"))
    assert seen.lines[:2] == ["simulating: 1/10,000 designs", "simulating: 3/10,000 designs"]
    assert len(seen.lines) == 10
    # A job that starts over (the next seed) reports its start again.
    seen.lines.clear()
    lines(TrainProgress(1, 1000, {"loss": 0.5}))
    assert seen.lines == ["train: 1/1,000 steps, loss 0.5"]


def test_ctrl_c_prints_the_command_that_continues(cli, tmp_path: Path, monkeypatch) -> None:
    import prime_rs.run as run_mod

    calls: list[dict[str, Any]] = []

    def interrupted(settings, out, **kw):  # type: ignore[no-untyped-def]
        calls.append({"settings": settings, "out": out, **kw})
        Path(out).mkdir(exist_ok=True)  # the run had started
        raise KeyboardInterrupt

    monkeypatch.setattr(run_mod, "run_optimize", interrupted)
    out = tmp_path / "my run"
    r = cli("-v", "optimize", "--seed", "3", "--naive", "--apps", "mobilenet_v2", "--steps", "7",
            "--overwrite", "--out", out)  # fmt: skip
    assert r.exit_code == 130
    hint = r.stderr.strip().splitlines()[-1].strip()
    assert shlex.split(hint) == [
        "prime-rs", "--verbose", "optimize", "--apps", "mobilenet_v2", "--seed", "3", "--naive",
        "--steps", "7", "--out", str(out), "--resume",
    ]  # fmt: skip
    # The hint is a command this CLI takes, and it continues the same run.
    r = cli(*shlex.split(hint)[1:])
    assert r.exit_code == 130 and len(calls) == 2
    assert calls[0]["resume"] is False and calls[1]["resume"] is True and calls[1]["out"] == out
    assert calls[1]["settings"] == calls[0]["settings"]


def test_ctrl_c_during_training(env, tmp_path: Path, logs_data) -> None:
    """The real signal: SIGINT while training exits 130 with the resume hint, no traceback."""
    out = tmp_path / "ctrlc"
    with subprocess.Popen(
        [sys.executable, "-m", "prime_rs", "optimize", "--data", str(logs_data), "--steps",
         "5000", "--out", str(out)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=tmp_path,
    ) as proc:  # fmt: skip
        assert proc.stderr is not None
        deadline = time.monotonic() + 300
        for line in proc.stderr:
            if line.startswith("train: "):  # the first progress line: training is under way
                break
            assert time.monotonic() < deadline
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait(timeout=120) == 130
    assert "Traceback" not in rest
    assert f"--data {logs_data} --steps 5000 --out {out} --resume" in rest
    assert (out / "config.toml").exists()


def test_data_stats_never_cuts_an_application_name(cli, tmp_path: Path) -> None:
    name = "a_network_with_a_name_longer_than_a_narrow_column"
    g = tmp_path / "g.parquet"
    data.write_generated(g, ["mobilenet_v2"], 200, seed=0)
    data.load(g).to_csv(tmp_path / "g.csv")
    (tmp_path / "long.csv").write_text(
        (tmp_path / "g.csv").read_text().replace("mobilenet_v2", name)
    )
    out = tmp_path / "long.parquet"
    assert cli("data", "import-csv", tmp_path / "long.csv", "--out", out).exit_code == 0
    plain = cli("data", "stats", out, env={"COLUMNS": "80"})
    assert plain.exit_code == 0 and name in plain.stdout and not ANSI.search(plain.stdout)
    tty = cli("data", "stats", out, env={"COLUMNS": "80", "FORCE_COLOR": "1"})
    assert tty.exit_code == 0 and ANSI.search(tty.stdout)  # rich drew it as on a terminal
    text = re.sub(r"\x1b\[[0-9;]*m", "", tty.stdout)
    assert name in text and all(len(line) <= 80 for line in text.splitlines())
