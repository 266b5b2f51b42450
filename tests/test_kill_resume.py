"""SIGKILL `generate`, `train`, `optimize` and `compare` midway (subprocesses, small sizes) and
resume each with --resume to the result an uninterrupted run gives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prime_rs.data.generation import BLOCK, parts_dir, write_generated


def _env(tmp_path: Path) -> dict[str, str]:
    # The compiled-program cache lives in the test's cache too (see the train test).
    mine = ("JAX_COMPILATION_CACHE_DIR", "PRIME_RS_JAX_CACHE")
    env = {k: v for k, v in os.environ.items() if k not in mine}
    return {**env, "PRIME_RS_CACHE": str(tmp_path / "cache"), "JAX_PLATFORMS": "cpu"}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "prime_rs", *args]


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(_cli(*args), env=_env(tmp_path), capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def _kill_when(tmp_path: Path, args: list[str], cond: Callable[[], bool]) -> None:
    """Start the command, SIGKILL it as soon as ``cond()`` holds, and check it was midway."""
    p = subprocess.Popen(_cli(*args), env=_env(tmp_path), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)  # fmt: skip
    t0 = time.monotonic()
    try:
        while not cond():
            if p.poll() is not None:
                pytest.fail(f"the command finished (rc {p.returncode}) before it could be killed")
            if time.monotonic() - t0 > 600:
                pytest.fail("timed out waiting for the kill point")
            time.sleep(0.02)
        p.send_signal(signal.SIGKILL)
    finally:
        p.kill()
        p.wait()
    assert p.returncode == -signal.SIGKILL


def test_sigkill_generate_then_resume_is_byte_identical(tmp_path: Path) -> None:
    args = ["generate", "--apps", "mobilenet_v2", "--designs", str(12 * BLOCK), "--seed", "2",
            "--chunk-size", str(BLOCK)]  # fmt: skip
    out = tmp_path / "g.parquet"
    os.environ["PRIME_RS_CACHE"] = str(tmp_path / "cache")
    parts = parts_dir(out)
    _kill_when(tmp_path, [*args, "--out", str(out)], lambda: len(list(parts.glob("shard-*"))) >= 2)
    assert not out.exists()
    done = len(list(parts.glob("shard-*.parquet")))
    assert 2 <= done < 12
    _run(tmp_path, *args, "--out", str(out), "--resume")
    ref = tmp_path / "ref.parquet"
    _run(tmp_path, *args, "--out", str(ref))
    assert out.read_bytes() == ref.read_bytes()
    assert not parts.exists()


def _latest_step(run: Path) -> int:
    try:
        return int(json.loads((run / "checkpoints" / "latest.json").read_text())["step"])
    except (OSError, ValueError, KeyError):
        return -1


def _metrics(run: Path) -> list[dict[str, Any]]:
    recs = [json.loads(ln) for ln in (run / "metrics.jsonl").read_text().splitlines() if ln]
    for r in recs:
        r.pop("time_s", None)
    return recs


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "d.parquet"
    write_generated(path, "mobilenet_v2", 20_000, seed=0)
    return path


def test_sigkill_train_then_resume_is_identical(tmp_path: Path, dataset: Path) -> None:
    args = ["train", "--data", str(dataset), "--apps", "mobilenet_v2", "--steps", "60",
            "--val-every", "10", "--seed", "3", "--no-progress"]  # fmt: skip
    run = tmp_path / "killed"
    _kill_when(tmp_path, [*args, "--out", str(run)], lambda: 10 <= _latest_step(run) < 60)
    r = subprocess.run(_cli(*args, "--out", str(run)), env=_env(tmp_path), capture_output=True,
                       text=True, timeout=600)  # fmt: skip
    assert r.returncode == 2 and "--resume" in r.stderr  # not silently restarted
    _run(tmp_path, *args, "--out", str(run), "--resume")
    ref = tmp_path / "ref"
    _run(tmp_path, *args, "--out", str(ref))
    assert _metrics(run) == _metrics(ref)
    for which in ("best", "latest"):
        a = json.loads((run / "checkpoints" / f"{which}.json").read_text())
        b = json.loads((ref / "checkpoints" / f"{which}.json").read_text())
        assert a == b
        assert (run / "checkpoints" / a["dir"] / "model.eqx").read_bytes() == (
            ref / "checkpoints" / b["dir"] / "model.eqx"
        ).read_bytes()
    assert not list((run / "checkpoints").glob(".step-*"))
    # The first run compiled into the JAX cache and the later ones read from it
    # (cli.common.keep_compiled_programs): the identical results above cover cached programs.
    assert len(list((tmp_path / "cache" / "jax").glob("jit_*"))) > 10


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


def test_sigkill_optimize_then_resume_is_identical(tmp_path: Path) -> None:
    args = ["optimize", "--dataset-designs", "20000", "--steps", "120", "--generations", "3",
            "--population", "16", "--candidates", "8", "--seed", "5"]  # fmt: skip
    run = tmp_path / "killed"
    model = run / "model"
    _kill_when(tmp_path, [*args, "--out", str(run)], lambda: 50 <= _latest_step(model) < 120)
    _run(tmp_path, *args, "--out", str(run), "--resume")
    ref = tmp_path / "ref"
    _run(tmp_path, *args, "--out", str(ref))
    a = json.loads((run / "best.json").read_text())
    b = json.loads((ref / "best.json").read_text())
    assert _deterministic(a) == _deterministic(b)
    assert (run / "candidates.parquet").read_bytes() == (ref / "candidates.parquet").read_bytes()


def _results_without_wall_times(out: Path) -> list[dict[str, str]]:
    import csv

    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r.pop("wall_time_s")  # measured, not computed
    return rows


def test_sigkill_compare_then_resume_is_identical(tmp_path: Path, dataset: Path) -> None:
    args = ["compare", "--data", str(dataset), "--apps", "mobilenet_v2", "--seeds", "0,1,2",
            "--methods", "prime,random_search", "--steps", "20", "--budgets", "16,48",
            "--candidates", "8", "--population", "16", "--generations", "2"]  # fmt: skip
    run = tmp_path / "killed"
    cells = run / "cells"

    def finished() -> int:
        return len(list(cells.glob("*-seed*.json")))

    _kill_when(tmp_path, [*args, "--out", str(run)], lambda: finished() >= 2)
    assert 2 <= finished() < 6 and not (run / "results.csv").exists()
    _run(tmp_path, *args, "--out", str(run), "--resume")
    ref = tmp_path / "ref"
    _run(tmp_path, *args, "--out", str(ref))
    assert _results_without_wall_times(run) == _results_without_wall_times(ref)
