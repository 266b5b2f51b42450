"""`compare` at scale: its cells run on executors, are kept one file each as they finish, a
resumed comparison runs only the missing ones, and the tables come out the same for any number
of jobs or backend; `--json` and the terminal table."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from prime_rs.cli import _register, app
from prime_rs.errors import InvalidArgumentError

_register()
runner = CliRunner()


def _settings(data: Path, **kw: Any) -> Any:
    from prime_rs.compare import CompareSettings

    base: dict[str, Any] = {
        "apps": ["mobilenet_v2"],
        "data": str(data),
        "seeds": [0, 1],
        "steps": 20,
        "candidates": 8,
        "population": 16,
        "generations": 2,
        "budgets": [16, 48],
        "methods": ["prime", "random_search", "regularized_evolution"],
    }
    return CompareSettings(**{**base, **kw})


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from prime_rs import data

    path = tmp_path_factory.mktemp("logged") / "logged.parquet"
    data.write_generated(path, "mobilenet_v2", 2000, seed=0)
    return path


def _table(path: Path) -> list[dict[str, str]]:
    """results.csv without the wall times, the one column that measures rather than computes."""
    with open(path / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r.pop("wall_time_s")
    return rows


def test_cells_on_two_jobs_give_the_serial_tables(logged: Path, tmp_path: Path) -> None:
    from prime_rs.compare import run_compare
    from prime_rs.executors import LocalExecutor

    s = _settings(logged)
    one = run_compare(s, tmp_path / "one")
    seen: list[int] = []

    class Recording(LocalExecutor):
        def map(self, fn, items, on_result=None):  # type: ignore[no-untyped-def]
            def record(i: int, r: Any) -> None:
                seen.append(i)
                assert on_result is not None
                on_result(i, r)
                # The cell is on disk as soon as it is done, before the others are.
                name = r["cell"]["method"] + "-seed" + str(r["cell"]["seed"])
                assert (tmp_path / "two" / "cells" / f"{name}.json").is_file()

            return super().map(fn, items, on_result=record)

    two = run_compare(s, tmp_path / "two", executor=Recording(jobs=2))
    assert sorted(seen) == list(range(6))  # 2 seeds x 3 methods
    assert _table(tmp_path / "one") == _table(tmp_path / "two")
    strip = [{k: v for k, v in r.items() if k != "wall_time_s"} for r in one]
    assert strip == [{k: v for k, v in r.items() if k != "wall_time_s"} for r in two]
    md = [(tmp_path / d / "results.md").read_text() for d in ("one", "two")]
    assert md[0] == md[1]
    # Every seed has its rows in the serial order: D(best), the reference, PRIME, then each
    # baseline's budgets and its @match row.
    methods = [r["method"] for r in one if r["seed"] == 0]
    assert methods[:3] == ["D(best)", "edgetpu_reference", "prime"]
    assert methods.index("random_search") < methods.index("regularized_evolution")
    cells = sorted(p.name for p in (tmp_path / "one" / "cells").glob("*-seed*.json"))
    assert len(cells) == 6


def test_resume_runs_only_the_missing_cells(logged: Path, tmp_path: Path) -> None:
    from prime_rs.compare import protocol, run_compare

    s = _settings(logged, methods=["random_search", "regularized_evolution"])
    out = tmp_path / "out"
    ref = run_compare(s, out)
    cells = out / "cells"
    (cells / "regularized_evolution-seed1.json").unlink()
    (cells / "random_search-seed0.json").write_text('{"torn": ')  # a torn cell runs again
    ran: list[str] = []
    real = protocol.run_cell

    def counting(job: Any) -> Any:
        ran.append(job.cell.name)
        return real(job)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(protocol, "run_cell", counting)
        again = run_compare(s, out, resume=True)
    assert sorted(ran) == ["random_search-seed0", "regularized_evolution-seed1"]
    assert [{k: v for k, v in r.items() if k != "wall_time_s"} for r in again] == [
        {k: v for k, v in r.items() if k != "wall_time_s"} for r in ref
    ]


def test_a_resume_with_other_settings_changes_nothing(logged: Path, tmp_path: Path) -> None:
    from prime_rs.compare import run_compare

    s = _settings(logged, seeds=[0], methods=["random_search"])
    out = tmp_path / "out"
    run_compare(s, out)
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    with pytest.raises(InvalidArgumentError, match=r"other settings \(budgets\)"):
        run_compare(_settings(logged, seeds=[0], methods=["random_search"], budgets=[16]), out,
                    resume=True)  # fmt: skip
    after = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert before == after
    other = tmp_path / "not-a-comparison"
    other.mkdir()
    (other / "x.txt").write_text("mine")
    with pytest.raises(InvalidArgumentError, match="not an unfinished comparison"):
        run_compare(s, other, resume=True)
    assert [p.name for p in other.iterdir()] == ["x.txt"]


def test_cli_json_and_plain_table(logged: Path, tmp_path: Path) -> None:
    args = ["compare", "--data", str(logged), "--apps", "mobilenet_v2", "--seeds", "0",
            "--methods", "random_search", "--budgets", "16,32"]  # fmt: skip
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "a"), "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows == json.loads((tmp_path / "a" / "results.json").read_text())
    assert {(r["method"], r["simulator_calls"]) for r in rows} >= {("random_search", 16),
                                                                    ("random_search", 32)}  # fmt: skip
    # Off a terminal the table is results.md's plain text.
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "b"), "--jobs", "2"])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == (tmp_path / "b" / "results.md").read_text().strip()


def test_the_terminal_table_is_rich(logged: Path, tmp_path: Path) -> None:
    from rich.console import Console

    from prime_rs.cli.compare import summary_table
    from prime_rs.compare import run_compare, summary

    s = _settings(logged, seeds=[0], methods=["random_search"])
    rows = run_compare(s, tmp_path / "out")
    console = Console(record=True, width=200, force_terminal=True)
    console.print(summary_table(rows, s))
    text = console.export_text()
    t = summary(rows, s)
    assert t["title"] in text and "┃" in text  # a box-drawn table, not Markdown pipes
    for cells in t["rows"]:
        assert cells[0] in text
    # Rows measured against the true optimum show regret, gap closed and quantile in the
    # terminal too, with the same cells as results.md; unmeasured rows have no such columns.
    assert rows[0]["regret"] is not None
    assert "regret" in text and "gap closed" in text and "True optimum:" in text
    md = (tmp_path / "out" / "results.md").read_text()
    for cells in t["rows"]:
        assert "| " + " | ".join(cells) + " |" in md
    bare = [{**r, "optimum_ms": None, "regret": None, "gap_closed": None, "quantile": None}
            for r in rows]  # fmt: skip
    console = Console(record=True, width=200, force_terminal=True)
    console.print(summary_table(bare, s))
    assert "regret" not in console.export_text()


def test_compare_through_ray_gives_the_local_results(logged: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    args = ["compare", "--data", str(logged), "--apps", "mobilenet_v2", "--seeds", "0,1",
            "--methods", "random_search,regularized_evolution", "--budgets", "16,48"]  # fmt: skip
    env = {**os.environ, "PRIME_RS_CACHE": str(tmp_path / "cache"), "JAX_PLATFORMS": "cpu"}
    outs = {}
    for name, extra in (("local", []), ("ray", ["--executor", "ray", "--jobs", "2"])):
        outs[name] = tmp_path / name
        # Ray in its own session: a local Ray's shutdown signals its process group.
        r = subprocess.run(
            [sys.executable, "-m", "prime_rs", *args, "--out", str(outs[name]), *extra],
            env=env, capture_output=True, text=True, timeout=300, start_new_session=True,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr[-3000:]
    assert _table(outs["local"]) == _table(outs["ray"])
