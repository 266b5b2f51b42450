"""The binding's contract: typed errors with fields, bounded arguments (reliability review
1.11-1.15, 5.12, 8.4), Ctrl-C inside a long native call, and the fork guard of the thread
pools."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from _data_support import prime_example, random_prime_rows, write_prime_file

import prime_rs
from prime_rs import SPACE, _native
from prime_rs.data import import_prime
from prime_rs.errors import (
    CorruptRecordError,
    InvalidArgumentError,
    InvalidDesignError,
    UnknownWorkloadError,
)
from prime_rs.search import next_generation

ENV = {**os.environ, "JAX_PLATFORMS": "cpu", "RUST_BACKTRACE": "0"}


# --- errors with fields -----------------------------------------------------------------------


def test_native_invalid_design_carries_row_and_param() -> None:
    bad = np.zeros((4, 10), dtype=np.uint8)
    bad[2, 9] = 200
    with pytest.raises(InvalidDesignError) as err:
        _native.space.validate(bad)
    assert (err.value.row, err.value.param) == (2, SPACE.names[9])
    assert "row 2" in str(err.value)


def test_python_side_invalid_design_carries_row_and_param() -> None:
    bad = np.zeros((3, 10), dtype=np.int64)
    bad[1, 4] = -1
    with pytest.raises(InvalidDesignError) as err:
        SPACE.validate(bad)
    assert (err.value.row, err.value.param) == (1, SPACE.names[4])


def test_whole_array_problems_have_no_row() -> None:
    with pytest.raises(InvalidDesignError) as err:
        _native.space.to_ids(np.zeros((3, 9), dtype=np.uint8))
    assert err.value.row is None and err.value.param is None


def test_corrupt_record_carries_source_and_offset(tmp_path: Path) -> None:
    rows = random_prime_rows(3, seed=1)
    payloads = [
        prime_example(rows["values"][i], rows["runtime"][i], rows["area"][i], 0) for i in range(3)
    ]
    p = tmp_path / "MobilenetV2" / "d.tfrecord"
    offsets = write_prime_file(p, payloads)
    bad = bytearray(p.read_bytes())
    bad[offsets[1] + 20] ^= 0xFF  # the second record's payload: its CRC no longer matches
    p.write_bytes(bytes(bad))
    with pytest.raises(CorruptRecordError) as err:
        import_prime(tmp_path)
    assert err.value.source == str(p) and err.value.offset == offsets[1]
    assert f"byte offset {offsets[1]}" in str(err.value)


def test_errors_with_fields_pickle() -> None:
    import pickle

    e = pickle.loads(pickle.dumps(InvalidDesignError("m", row=3, param="x")))
    assert (str(e), e.row, e.param) == ("m", 3, "x")


# --- bounded arguments ------------------------------------------------------------------------


def _run(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
        check=False,
    )


@pytest.mark.parametrize("n", [10**12, 2**62, 2**64 - 1, 2**64, 2**100])
def test_huge_sample_counts_are_typed_errors(n: int) -> None:
    # Each in a child process: before the fix these aborted the interpreter (exit 134).
    proc = _run(
        f"""
        import prime_rs as p
        from prime_rs.errors import InvalidArgumentError
        try:
            p.SPACE.sample({n})
        except InvalidArgumentError as e:
            print("typed:", e)
        """
    )
    assert proc.returncode == 0 and "typed:" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize("n", [10**12, 2**62, 2**64])
def test_huge_generation_counts_are_typed_errors(n: int) -> None:
    proc = _run(
        f"""
        import prime_rs as p
        from prime_rs.errors import InvalidArgumentError
        from prime_rs.search import next_generation
        try:
            next_generation(p.SPACE.sample(4), [0.0] * 4, {n})
        except InvalidArgumentError as e:
            print("typed:", e)
        """
    )
    assert proc.returncode == 0 and "typed:" in proc.stdout, proc.stdout + proc.stderr


def test_native_counts_reject_negative_and_oversized_ints() -> None:
    with pytest.raises(InvalidArgumentError, match="n must be a non-negative integer"):
        _native.space.sample(-1, 0)
    with pytest.raises(InvalidArgumentError, match=r"n must be at most 2\*\*64-1"):
        _native.space.sample(2**64, 0)
    with pytest.raises(InvalidArgumentError, match="tournament_size"):
        next_generation(SPACE.sample(8), np.zeros(8), 4, tournament_size=2**64)
    with pytest.raises(InvalidArgumentError, match="exceeds the limit"):
        _native.space.sample(2**40, 0)
    assert _native.space.sample(0, 0).shape == (0, 10)


@pytest.mark.parametrize("threads", [0, -1, 2**64, 10**6, prime_rs.simulator.MAX_THREADS + 1, 1.5])
def test_bad_thread_counts_are_typed_errors(threads) -> None:
    t0 = time.perf_counter()
    with pytest.raises(InvalidArgumentError, match="threads"):
        prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, "mobilenet_v2", threads=threads)
    with pytest.raises(InvalidArgumentError, match="threads"):
        prime_rs.area(prime_rs.EDGETPU_REFERENCE, threads=threads)
    assert time.perf_counter() - t0 < 5  # refused, not attempted (10**6 threads used to hang)


def test_native_thread_bound_holds_without_the_python_wrapper() -> None:
    wl = prime_rs.workloads.load("mobilenet_v2")
    d = SPACE.validate(prime_rs.EDGETPU_REFERENCE)
    for bad in (0, 10**6, 2**64):
        with pytest.raises(InvalidArgumentError, match="threads"):
            _native.sim.simulate(d, wl, bad)
    one = _native.sim.simulate(d, wl, 1)
    assert one["latency_ms"][0] == _native.sim.simulate(d, wl, None)["latency_ms"][0]


def test_cli_rejects_absurd_threads_with_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "t.parquet"
    for threads in ("99999999999999999999", "1000000"):
        proc = subprocess.run(
            [sys.executable, "-c", "from prime_rs.cli import main; main()", "generate",
             "--apps", "mobilenet_v2", "--designs", "10", "--threads", threads, "--out", str(out)],
            capture_output=True, text=True, timeout=120, env=ENV, check=False,
        )  # fmt: skip
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "threads" in proc.stdout + proc.stderr and not out.exists()


def test_lone_surrogate_workload_names_are_typed(tmp_path: Path) -> None:
    with pytest.raises(UnknownWorkloadError):
        prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, "\udcff.json")
    # The same name is a real file name on a POSIX file system (bytes b"\xff.json"): it loads.
    raw = os.fsencode(str(tmp_path)) + b"/\xff.json"
    Path(os.fsdecode(raw)).write_text(
        '{"name": "odd", "layers": [{"type": "dense", "in_features": 4, "out_features": 2}]}'
    )
    wl = prime_rs.workloads.load(os.fsdecode(raw))
    assert wl.name == "odd" and wl.macs == 8


@pytest.mark.parametrize("bad", [None, 3, "", "nope", "\0x.json", b"mobilenet_v9"])
def test_workload_arguments_are_typed(bad, tmp_path: Path) -> None:
    with pytest.raises((UnknownWorkloadError, InvalidArgumentError)):
        prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, bad)
    with pytest.raises(UnknownWorkloadError):
        prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, tmp_path)  # a directory


# --- Ctrl-C and fork --------------------------------------------------------------------------

_LONG_SIMULATE = """
import signal, sys, time
import numpy as np
import prime_rs
# A command started in the background by a non-interactive shell inherits SIGINT ignored, and
# Python then keeps it so: restore the handler a terminal's process has.
signal.signal(signal.SIGINT, signal.default_int_handler)
layers = [{"type": "dense", "in_features": 64, "out_features": 64}] * 256
wl = prime_rs.workloads.from_layers("deep", layers)
top = np.array(prime_rs.SPACE.cardinalities, dtype=np.uint8) - 1  # feasible: simulated in full
assert prime_rs.simulate(top, wl).feasible[0]
designs = np.repeat(top[None], 3_000_000, axis=0)
print("start", flush=True)
t0 = time.perf_counter()
try:
    prime_rs.simulate(designs, wl, threads=1)
    print(f"finished {time.perf_counter() - t0:.2f}", flush=True)
except KeyboardInterrupt:
    print(f"interrupted {time.perf_counter() - t0:.2f}", flush=True)
    sys.exit(3)
"""


def test_ctrl_c_interrupts_a_long_simulate_promptly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _LONG_SIMULATE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "start"
        time.sleep(0.5)
        sent = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        waited = time.perf_counter() - sent
    finally:
        proc.kill()
    # The whole batch is ~8e8 design x op evaluations on one thread: tens of seconds.
    assert proc.returncode == 3 and out.startswith("interrupted"), out + err
    assert waited < 3.0, f"KeyboardInterrupt took {waited:.2f} s after SIGINT"


_FORK = """
import multiprocessing as mp
import numpy as np
import prime_rs

def work(seed):
    d = prime_rs.SPACE.sample(3000, seed=seed)
    lat = prime_rs.simulate(d, "mobilenet_v2").latency_ms
    two = prime_rs.simulate(d, "mobilenet_v2", threads=2).latency_ms
    assert np.array_equal(lat, two, equal_nan=True)
    return float(np.nansum(np.where(np.isfinite(lat), lat, 0.0)))

if __name__ == "__main__":
    d = prime_rs.SPACE.sample(20000, seed=0)
    prime_rs.simulate(d, "mobilenet_v2")             # starts rayon's global pool
    prime_rs.simulate(d, "mobilenet_v2", threads=2)  # and a cached dedicated pool
    with mp.get_context("fork").Pool(2) as pool:
        got = pool.map(work, [1, 2, 3])
    assert got == [work(1), work(2), work(3)], got
    print("ok")
"""


def test_forked_children_can_use_the_native_pools() -> None:
    # Without the guard the children inherit the parent's dead pools and wait forever.
    proc = _run(_FORK, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stdout + proc.stderr
