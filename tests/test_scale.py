"""Executors carrying generate and oracle batches; resumable shards; locks; temp litter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import prime_rs.data.generation as gen
from prime_rs.data.generation import BLOCK, parts_dir, write_generated
from prime_rs.errors import InvalidArgumentError, OutputError
from prime_rs.executors import LocalExecutor, map_resumable
from prime_rs.fileio import atomic_path, clean_litter, dir_lock
from prime_rs.runs import cache_file, run_lock

# Two applications, two blocks each: four shards.
APPS = "mobilenet_v2,unet"
N = BLOCK + 500


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIME_RS_CACHE", str(tmp_path / "cache"))


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PRIME_RS_CACHE": str(tmp_path / "cache"), "JAX_PLATFORMS": "cpu"}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "prime_rs", *args]


def test_generate_bytes_do_not_depend_on_the_executor_or_jobs(tmp_path: Path) -> None:
    one, many = tmp_path / "one.parquet", tmp_path / "many.parquet"
    write_generated(one, APPS, N, seed=3, chunk_size=BLOCK)
    with LocalExecutor(jobs=3) as ex:
        write_generated(many, APPS, N, seed=3, chunk_size=BLOCK, executor=ex)
    assert one.read_bytes() == many.read_bytes()
    assert not parts_dir(one).exists() and not parts_dir(many).exists()


def test_resume_simulates_only_the_missing_shards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = tmp_path / "ref.parquet"
    write_generated(ref, APPS, N, seed=5, chunk_size=BLOCK)
    out = tmp_path / "out.parquet"
    real = gen._run_shard
    ran: list[tuple[str, tuple[int, ...]]] = []

    def interrupted(sh: gen._Shard):  # type: ignore[no-untyped-def]
        if len(ran) == 2:
            raise KeyboardInterrupt
        ran.append((sh.app.name, sh.blocks))
        return real(sh)

    monkeypatch.setattr(gen, "_run_shard", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_generated(out, APPS, N, seed=5, chunk_size=BLOCK)
    assert not out.exists()
    kept = sorted(p.name for p in parts_dir(out).glob("shard-*"))
    assert kept == ["shard-000000.parquet", "shard-000001.parquet"]

    ran.clear()
    monkeypatch.setattr(
        gen, "_run_shard", lambda sh: (ran.append((sh.app.name, sh.blocks)), real(sh))[1]
    )
    write_generated(out, APPS, N, seed=5, chunk_size=BLOCK, resume=True)
    assert ran == [("unet", (0,)), ("unet", (1,))]
    assert out.read_bytes() == ref.read_bytes()
    assert not parts_dir(out).exists()


def test_resume_with_other_settings_is_refused_and_a_plain_rerun_starts_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "o.parquet"
    real = gen._run_shard
    calls = []

    def once(sh: gen._Shard):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(sh)

    monkeypatch.setattr(gen, "_run_shard", once)
    with pytest.raises(KeyboardInterrupt):
        write_generated(out, APPS, N, seed=1, chunk_size=BLOCK)
    monkeypatch.setattr(gen, "_run_shard", real)
    with pytest.raises(InvalidArgumentError, match=r"cannot resume.*other settings"):
        write_generated(out, APPS, N, seed=2, chunk_size=BLOCK, resume=True)
    write_generated(out, APPS, N, seed=2, chunk_size=BLOCK)  # no --resume: fresh
    ref = tmp_path / "r.parquet"
    write_generated(ref, APPS, N, seed=2, chunk_size=BLOCK)
    assert out.read_bytes() == ref.read_bytes()


def test_map_resumable_refuses_a_torn_or_foreign_job_only_when_resuming(tmp_path: Path) -> None:
    d = tmp_path / "job"
    ex = LocalExecutor(jobs=2)
    save = lambda r, p: p.write_text(json.dumps(r))  # noqa: E731
    load = lambda p: json.loads(p.read_text())  # noqa: E731
    got = list(map_resumable(ex, lambda x: x * x, [1, 2, 3], d, {"k": 1}, save=save, load=load))
    assert got == [1, 4, 9]
    (d / "shard-000001").write_text("999")  # a finished shard is trusted on resume ...
    again = map_resumable(
        ex, lambda x: -1, [1, 2, 3], d, {"k": 1}, save=save, load=load, resume=True
    )
    assert list(again) == [1, 999, 9]
    fresh = map_resumable(ex, lambda x: x + 1, [1, 2, 3], d, {"k": 1}, save=save, load=load)
    assert list(fresh) == [2, 3, 4]  # ... and discarded without resume
    (d / "manifest.json").write_text('{"k": ')  # torn manifest: its shards are not trusted
    torn = map_resumable(ex, lambda x: x, [1, 2, 3], d, {"k": 1}, save=save, load=load, resume=True)
    assert list(torn) == [1, 2, 3]


def test_generate_through_ray_gives_the_same_parquet_as_local(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    local, ray = tmp_path / "local.parquet", tmp_path / "ray.parquet"
    args = [
        "generate",
        "--apps",
        APPS,
        "--designs",
        str(N),
        "--seed",
        "7",
        "--chunk-size",
        str(BLOCK),
    ]
    subprocess.run(_cli(*args, "--out", str(local)), env=_env(tmp_path), check=True, timeout=300)
    r = subprocess.run(
        _cli(*args, "--out", str(ray), "--executor", "ray", "--jobs", "2"),
        env=_env(tmp_path), capture_output=True, text=True, timeout=600,
        start_new_session=True,  # a local Ray's shutdown signals its process group
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert local.read_bytes() == ray.read_bytes()


def test_oracle_batches_go_through_the_executor_with_the_same_answers() -> None:
    from prime_rs import SPACE
    from prime_rs.oracles import BuiltinOracle

    designs = SPACE.sample(300, seed=4)
    plain = BuiltinOracle(batch_size=40).evaluate(designs, ["mobilenet_v2"])
    seen = []

    class Counting(LocalExecutor):
        def map(self, fn, items):  # type: ignore[no-untyped-def]
            seen.append(len(items))
            return super().map(fn, items)

    o = BuiltinOracle(batch_size=40)
    o.use_executor(Counting(jobs=3))
    fanned = o.evaluate(designs, ["mobilenet_v2"])
    assert seen == [3, 3, 2]  # 8 batches, 3 at a time
    np.testing.assert_array_equal(plain.latency_ms, fanned.latency_ms)
    np.testing.assert_array_equal(plain.area_mm2, fanned.area_mm2)
    assert o.calls == 300
    with pytest.raises(InvalidArgumentError, match="must be an Executor"):
        o.use_executor("ray")


RAY_ORACLE = """
import sys
from pathlib import Path
import numpy as np
from prime_rs import SPACE
from prime_rs.executors import get_executor
from prime_rs.oracles import CommandOracle

toy = Path(sys.argv[1])
designs = SPACE.sample(40, seed=2)
local = CommandOracle([sys.executable, str(toy)], batch_size=10)
on_ray = CommandOracle([sys.executable, str(toy)], batch_size=10)
with get_executor("ray", jobs=2) as ex:
    on_ray.use_executor(ex)
    a = on_ray.evaluate(designs, ["m4"])
b = local.evaluate(designs, ["m4"])
np.testing.assert_array_equal(a.latency_ms, b.latency_ms)
assert on_ray.calls == 40
print("ray oracle ok")
"""


def test_a_command_oracle_runs_on_ray_workers() -> None:
    pytest.importorskip("ray")
    toy = Path(__file__).resolve().parents[1] / "examples/oracles/toy_chip_sim.py"
    # In its own process and session: Ray forks its raylet (unsafe beside a running JAX) and
    # signals its process group when it shuts down.
    r = subprocess.run(
        [sys.executable, "-c", RAY_ORACLE, str(toy)],
        capture_output=True,
        text=True,
        timeout=600,
        start_new_session=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "ray oracle ok" in r.stdout


def test_litter_of_a_dead_writer_is_cleaned_and_a_live_one_is_kept(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "d.parquet"
    stale = tmp_path / f".d.parquet.{dead.pid}.abc123.tmp"
    stale.write_bytes(b"x" * 100)
    live = tmp_path / f".d.parquet.{os.getpid()}.def456.tmp"
    live.write_bytes(b"y")
    other = tmp_path / f".e.parquet.{dead.pid}.abc.tmp"
    other.write_bytes(b"z")
    with atomic_path(out) as tmp:
        tmp.write_bytes(b"new")
    assert out.read_bytes() == b"new"
    assert not stale.exists() and live.exists() and other.exists()
    assert clean_litter(tmp_path / "e.parquet") == [other]


def test_two_processes_writing_one_cached_dataset_never_corrupt_it(tmp_path: Path) -> None:
    out = cache_file("datasets", "shared", ".parquet")
    out.parent.mkdir(parents=True)
    code = (
        "import sys; from prime_rs.data.generation import write_generated; "
        f"write_generated(sys.argv[1], {APPS!r}, {N}, seed=9, chunk_size={BLOCK})"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(out)], env=_env(tmp_path))
        for _ in range(2)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    ref = tmp_path / "ref.parquet"
    write_generated(ref, APPS, N, seed=9, chunk_size=BLOCK)
    assert out.read_bytes() == ref.read_bytes()
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]


def test_dir_lock_refuses_a_second_holder_and_survives_removal(tmp_path: Path) -> None:
    d = tmp_path / "held"
    code = (
        "import sys, time; from prime_rs.fileio import dir_lock\n"
        "with dir_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(d)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputError, match="in use by another prime-rs process"):
            with dir_lock(d, blocking=False):
                pass
    finally:
        holder.kill()
        holder.communicate()
    with dir_lock(d, blocking=False):  # the kernel dropped the dead holder's lock
        pass


def test_a_second_train_into_one_out_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "d.parquet"
    write_generated(data, "mobilenet_v2", 3000, seed=0)
    out = tmp_path / "run"
    with run_lock(out):
        r = subprocess.run(
            _cli("train", "--data", str(data), "--apps", "mobilenet_v2", "--out", str(out),
                 "--steps", "2", "--no-progress"),
            env=_env(tmp_path), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "in use by another prime-rs process" in r.stderr
    assert not out.exists()  # the lock's directory goes when nothing was written


def test_cache_names_never_leave_the_cache(tmp_path: Path) -> None:
    p = cache_file("datasets", "../../escaped-random-2000", ".parquet")
    assert p.parent == tmp_path / "cache" / "datasets"
    assert cache_file("datasets", "/abs/x", ".parquet").parent == p.parent
    assert cache_file("datasets", "a/b", ".p") != cache_file("datasets", "a_b", ".p")


def test_generate_ctrl_c_says_how_to_resume_and_leaves_no_complete_looking_file(
    tmp_path: Path,
) -> None:
    out = tmp_path / "big.parquet"
    p = subprocess.Popen(
        _cli("generate", "--apps", "mobilenet_v2", "--designs", str(40 * BLOCK), "--chunk-size",
             str(BLOCK), "--out", str(out)),
        env=_env(tmp_path), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    parts = parts_dir_for(tmp_path, out)
    _wait_for(lambda: any(parts.glob("shard-*.parquet")), p)
    p.send_signal(2)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert "--resume" in err
    assert sorted(x.name for x in tmp_path.iterdir() if x.name != "cache") == []


def parts_dir_for(tmp_path: Path, out: Path) -> Path:
    os.environ["PRIME_RS_CACHE"] = str(tmp_path / "cache")
    return parts_dir(out)


def _wait_for(cond, proc: subprocess.Popen, timeout: float = 240) -> None:  # type: ignore[type-arg, no-untyped-def]
    t0 = time.monotonic()
    while not cond():
        if proc.poll() is not None:
            pytest.fail(f"the process ended (rc {proc.returncode}) before the condition held")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            pytest.fail("timed out waiting for the process")
        time.sleep(0.05)
