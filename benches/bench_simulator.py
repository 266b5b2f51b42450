"""Simulator throughput: native (all threads, one thread) next to the numpy-vectorised and the
pure-Python references, on MobileNetV2 and U-Net, on uniformly random designs and on all-feasible
batches (only feasible designs reach the latency path), in one run:

    python -m pytest benches/bench_simulator.py --benchmark-enable --benchmark-group-by=group \
        --benchmark-columns=median,min,rounds --benchmark-json=simulator.json

The run ends with two tables, with the ratios between implementations measured in that run:
designs/s by the wall clock (``n / median round``), and designs per CPU-second (the process's
CPU time, all threads, median round). On a shared machine the wall clock also counts the time
other processes hold the cores, so the first is what this run saw and the second what the code
costs; ratios between single-threaded methods in CPU time hardly move with the load. The same
figures are in each benchmark's ``extra_info`` and under ``rates`` in the JSON. Each benchmark also checks its answer against a reference
(native and pure Python against numpy, numpy against pure Python), so a fast wrong kernel fails.
"""

from __future__ import annotations

import functools
import os
import statistics
import time

import numpy as np
import pytest

import prime_rs
from prime_rs import SPACE
from prime_rs.reference import simulate_numpy, simulate_python

WORKLOADS = ["mobilenet_v2", "unet"]
BATCHES = ["random", "feasible"]
CPUS = os.cpu_count() or 1
WALL = "simulate, wall clock"
CPU = "simulate, CPU time (all threads)"

# (method, designs when measuring, designs when only testing)
METHODS = {
    "native_all_threads": (1_000_000, 2_000),
    "native_one_thread": (1_000_000, 2_000),
    "numpy": (100_000, 2_000),
    "python": (300, 20),
}
CHECKED = 2_000  # designs compared against the reference (all of the pure-Python batch)


@functools.cache
def _random(n: int) -> np.ndarray:
    return SPACE.sample(n, seed=2024)


@functools.cache
def _feasible(name: str, n: int) -> np.ndarray:
    """The first ``n`` feasible designs of a seeded uniform stream, found by the simulator."""
    found, have, seed = [], 0, 0
    while have < n:
        batch = SPACE.sample(max(4 * n, 10_000), seed=seed)
        keep = batch[prime_rs.simulate(batch, name).feasible]
        found.append(keep)
        have += len(keep)
        seed += 1
    return np.concatenate(found)[:n]


def _batch(kind: str, name: str, n: int, measuring: bool) -> np.ndarray:
    """A prefix of the one batch of this kind that every method measures."""
    largest = max(m[0 if measuring else 1] for m in METHODS.values())
    batch = _random(largest) if kind == "random" else _feasible(name, largest)
    return batch[:n]


def _run(method: str, designs: np.ndarray, name: str) -> prime_rs.SimResult:
    if method == "native_all_threads":
        return prime_rs.simulate(designs, name)
    if method == "native_one_thread":
        return prime_rs.simulate(designs, name, threads=1)
    if method == "numpy":
        return simulate_numpy(designs, name)
    return simulate_python(designs, name)


def _timed(method: str, designs: np.ndarray, name: str, cpu: list[float]) -> prime_rs.SimResult:
    start = time.process_time()
    out = _run(method, designs, name)
    cpu.append(time.process_time() - start)
    return out


def _agree(result: prime_rs.SimResult, expect: prime_rs.SimResult) -> None:
    np.testing.assert_array_equal(result.feasible, expect.feasible)
    np.testing.assert_array_equal(result.reason, expect.reason)
    ok = expect.feasible
    np.testing.assert_allclose(result.latency_ms[ok], expect.latency_ms[ok], rtol=1e-9)
    np.testing.assert_allclose(result.energy_mj[ok], expect.energy_mj[ok], rtol=1e-9)
    np.testing.assert_allclose(result.area_mm2, expect.area_mm2, rtol=1e-9)


@pytest.fixture(scope="module", autouse=True)
def _declare(rates) -> None:
    rates.table(
        WALL,
        "designs/s",
        [
            ("native 1 thread / pure Python", "native_one_thread", "python"),
            ("native all threads / numpy", "native_all_threads", "numpy"),
            ("all threads / 1 thread", "native_all_threads", "native_one_thread"),
        ],
    )
    rates.table(
        CPU,
        "designs per CPU-second",
        [
            ("native 1 thread / pure Python", "native_one_thread", "python"),
            ("native 1 thread / numpy", "native_one_thread", "numpy"),
        ],
    )


@pytest.mark.parametrize("name", WORKLOADS)
@pytest.mark.parametrize("kind", BATCHES)
@pytest.mark.parametrize("method", list(METHODS))
def test_simulate_throughput(
    benchmark, measuring: bool, rates, method: str, kind: str, name: str
) -> None:
    n = METHODS[method][0 if measuring else 1]
    designs = _batch(kind, name, n, measuring)
    assert len(designs) == n
    prime_rs.workloads.load(name)  # resolve and cache outside the timed region
    benchmark.group = f"simulate {name}, {kind} designs"
    benchmark.extra_info.update(workload=name, batch=kind, method=method, designs=n, cpus=CPUS)
    rounds = 3 if method == "python" else 5
    cpu: list[float] = []
    result = benchmark.pedantic(
        _timed, args=(method, designs, name, cpu), rounds=rounds, iterations=1
    )

    if method == "numpy":
        _agree(_prefix(result, 50), simulate_python(designs[:50], name))
    else:
        _agree(_prefix(result, CHECKED), simulate_numpy(designs[:CHECKED], name))
    if kind == "feasible":
        assert result.feasible.all()

    if benchmark.stats is not None:
        per_s = n / benchmark.stats.stats.median
        per_cpu_s = n / statistics.median(cpu)
        benchmark.extra_info.update(
            designs_per_s=per_s, designs_per_cpu_s=per_cpu_s, load_average=os.getloadavg()[0]
        )
        rates.record(WALL, f"{name}, {kind}", method, per_s)
        rates.record(CPU, f"{name}, {kind}", method, per_cpu_s)


def _prefix(result: prime_rs.SimResult, n: int) -> prime_rs.SimResult:
    return prime_rs.SimResult(
        latency_ms=result.latency_ms[:n],
        area_mm2=result.area_mm2[:n],
        feasible=result.feasible[:n],
        reason=result.reason[:n],
        energy_mj=result.energy_mj[:n],
    )


@pytest.mark.parametrize("method", ["native", "numpy"])
def test_area_throughput(benchmark, measuring: bool, method: str) -> None:
    n = 1_000_000 if measuring else 2_000
    designs = SPACE.sample(n, seed=1)
    benchmark.group = "area"
    benchmark.extra_info.update(designs=n)
    fn = prime_rs.area if method == "native" else prime_rs.reference.area_numpy
    out = benchmark(fn, designs)
    np.testing.assert_allclose(out[:1000], prime_rs.reference.area_numpy(designs[:1000]), rtol=1e-9)
