"""`optimum` on executors: the enumeration sharded by id ranges gives the unsharded result for
any shard size and number of workers (threads, processes, Ray), and an interrupted enumeration
asked again runs only the shards it had not finished."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _subspaces import FIXED

from prime_rs import ground_truth
from prime_rs.executors import LocalExecutor
from prime_rs.ground_truth import exhaustive

APPS = ["mobilenet_v2", "unet"]


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("PRIME_RS_CACHE", str(root))
    return root


def _same(a: Any, b: Any) -> None:
    assert a.to_json() | {"elapsed_s": 0} == b.to_json() | {"elapsed_s": 0}


def test_any_shard_size_and_worker_count_gives_the_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = exhaustive(APPS, k=20, fixed=FIXED, cache=False)
    assert whole.feasible > 20
    for shard in (7_000, 12_345, 48_999):
        monkeypatch.setattr(ground_truth, "SHARD_ORDINALS", shard)
        _same(exhaustive(APPS, k=20, fixed=FIXED, cache=False), whole)
        _same(exhaustive(APPS, k=20, fixed=FIXED, cache=False, jobs=3, threads=1), whole)
    monkeypatch.setattr(ground_truth, "SHARD_ORDINALS", 10_000)
    with LocalExecutor(jobs=2, kind="process") as ex:
        _same(exhaustive(APPS, k=20, fixed=FIXED, cache=False, executor=ex), whole)


def test_an_interrupted_enumeration_resumes_from_its_shards(
    _cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ground_truth, "SHARD_ORDINALS", 7_000)
    monkeypatch.setattr(ground_truth, "CALL_ORDINALS", 3_500)
    ref = exhaustive(APPS, k=9, fixed=FIXED, cache=False)

    def interrupt(covered: int, total: int) -> None:
        if covered >= 24_500:  # in the middle of the fourth shard
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        exhaustive(APPS, k=9, fixed=FIXED, progress=interrupt)
    (parts,) = (_cache / "optima").glob("*.parts")
    assert len(list(parts.glob("shard-*.json"))) == 3
    assert not list((_cache / "optima").glob("*.json"))  # no result that looks complete

    ran: list[int] = []
    real = ground_truth._enumerate_shard

    def counting(shard: Any) -> Any:
        ran.append(shard.start)
        return real(shard)

    monkeypatch.setattr(ground_truth, "_enumerate_shard", counting)
    seen: list[int] = []
    got = exhaustive(APPS, k=9, fixed=FIXED, progress=lambda c, t: seen.append(c))
    assert ran == [21_000, 28_000, 35_000, 42_000]
    _same(got, ref)
    assert seen == sorted(set(seen)) and seen[0] == 0 and seen[-1] == 49_000
    assert not parts.exists()  # merged into the cache file
    assert exhaustive(APPS, k=9, fixed=FIXED).from_cache


def test_shards_of_another_question_are_not_reused(
    _cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ground_truth, "SHARD_ORDINALS", 7_000)

    def interrupt(covered: int, total: int) -> None:
        if covered >= 14_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        exhaustive(APPS, k=9, fixed=FIXED, progress=interrupt)
    # Another shard size is another set of ranges: its shards are not mixed in.
    monkeypatch.setattr(ground_truth, "SHARD_ORDINALS", 10_000)
    ran: list[int] = []
    real = ground_truth._enumerate_shard
    monkeypatch.setattr(ground_truth, "_enumerate_shard", lambda s: ran.append(s.start) or real(s))
    got = exhaustive(APPS, k=9, fixed=FIXED)
    assert ran == [0, 10_000, 20_000, 30_000, 40_000]
    _same(got, exhaustive(APPS, k=9, fixed=FIXED, cache=False))


def test_bad_ranges_are_refused_by_the_kernel() -> None:
    from prime_rs import _native
    from prime_rs.errors import InvalidArgumentError
    from prime_rs.task import Task

    sets = [list(range(c)) for c in ground_truth.SPACE.cardinalities]
    wl = list(Task(["mobilenet_v2"], 27.0).workloads)
    size = _native.enumerate.Enumeration(wl, sets, 27.0, 1).size
    with pytest.raises(InvalidArgumentError, match="not within"):
        _native.enumerate.Enumeration(wl, sets, 27.0, 1, None, 0, size + 1)
    with pytest.raises(InvalidArgumentError, match="not within"):
        _native.enumerate.Enumeration(wl, sets, 27.0, 1, None, 10, 5)


RAY_SCRIPT = """
import json, sys
from prime_rs import ground_truth
from prime_rs.ground_truth import exhaustive
ground_truth.SHARD_ORDINALS = 10_000
fixed = json.loads(sys.argv[1])
local = exhaustive(["mobilenet_v2", "unet"], k=20, fixed=fixed, cache=False)
ray = exhaustive(["mobilenet_v2", "unet"], k=20, fixed=fixed, cache=False, executor="ray", jobs=2)
assert local.to_json() | {"elapsed_s": 0} == ray.to_json() | {"elapsed_s": 0}
print("ray ok")
"""


def test_optimum_through_ray_gives_the_local_result() -> None:
    pytest.importorskip("ray")
    import json

    # Ray in its own session: a local Ray's shutdown signals its process group.
    out = subprocess.run(
        [sys.executable, "-c", RAY_SCRIPT, json.dumps(FIXED)],
        capture_output=True,
        text=True,
        timeout=300,
        start_new_session=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ray ok" in out.stdout


def test_cli_optimum_takes_the_executor_flags(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from prime_rs.cli import _register, app

    _register()
    fix = [a for name, v in FIXED.items() for a in ("--fix", f"{name}={v}")]
    base = ["optimum", "--apps", "mobilenet_v2", "-k", "3", "--no-cache", "--json", *fix]
    a = CliRunner().invoke(app, base)
    b = CliRunner().invoke(app, [*base, "--jobs", "2"])
    assert a.exit_code == b.exit_code == 0, a.output + b.output
    import json

    ja, jb = json.loads(a.stdout), json.loads(b.stdout)
    assert ja | {"elapsed_s": 0} == jb | {"elapsed_s": 0}
    bad = CliRunner().invoke(app, [*base, "--executor", "dask"])
    assert bad.exit_code == 2 and "unknown executor" in bad.output
