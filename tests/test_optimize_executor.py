"""`optimize --executor/--address/--jobs`: the oracle's batches (the verification, D(best)'s
re-evaluation) go through the executor, and the run is the same as a local one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prime_rs.executors import LocalExecutor

_VOLATILE = ("time", "wall", "second", "started", "finished", "run", "path", "dir", "argv", "_s")


def _deterministic(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {
            k: _deterministic(v)
            for k, v in obj.items()
            if not any(t in k.lower() for t in _VOLATILE)
        }
    if isinstance(obj, list):
        return [_deterministic(v) for v in obj]
    return obj


class Counting(LocalExecutor):
    """A local executor that counts the items it was handed."""

    def __init__(self, jobs: int) -> None:
        super().__init__(jobs=jobs)
        self.items = 0

    def map(self, fn, items, on_result=None):  # type: ignore[no-untyped-def]
        self.items += len(items)
        return super().map(fn, items, on_result=on_result)


def test_optimize_on_an_executor_is_the_local_run(tmp_path: Path) -> None:
    from prime_rs import data
    from prime_rs.run import OptimizeSettings, run_optimize

    logged = tmp_path / "logged.parquet"
    data.write_generated(logged, "mobilenet_v2", 2000, seed=0)
    s = OptimizeSettings(
        apps=["mobilenet_v2"], data=str(logged), steps=20, population=16, generations=2,
        candidates=8, seed=1, oracle_batch=4,
    )  # fmt: skip
    local = run_optimize(s, tmp_path / "local")
    ex = Counting(jobs=2)
    fanned = run_optimize(s, tmp_path / "fanned", executor=ex)
    assert ex.items >= 2  # the 8 candidates went in batches of 4 through the executor
    a = json.loads((tmp_path / "local" / "best.json").read_text())
    b = json.loads((tmp_path / "fanned" / "best.json").read_text())
    assert _deterministic(a) == _deterministic(b)
    assert (tmp_path / "local" / "candidates.parquet").read_bytes() == (
        tmp_path / "fanned" / "candidates.parquet"
    ).read_bytes()
    assert local.best["simulator_calls"] == fanned.best["simulator_calls"]


def test_cli_optimize_refuses_an_address_without_ray(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from prime_rs.cli import _register, app

    _register()
    res = CliRunner().invoke(
        app, ["optimize", "--address", "127.0.0.1:6379", "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 2 and "only meaningful with --executor ray" in res.output
    assert not (tmp_path / "o").exists()
    res = CliRunner().invoke(app, ["optimize", "--executor", "spark", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "unknown executor" in res.output


@pytest.mark.parametrize("jobs", ["0", "99999"])
def test_cli_optimize_bounds_jobs(tmp_path: Path, jobs: str) -> None:
    from typer.testing import CliRunner

    from prime_rs.cli import _register, app

    _register()
    res = CliRunner().invoke(app, ["optimize", "--jobs", jobs, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "jobs must be" in res.output, res.output
    assert not (tmp_path / "o").exists()
