"""Simulator throughput: native (all threads, one thread) next to the numpy-vectorised and the
pure-Python references, on MobileNetV2 and U-Net, in one run.

    python -m pytest benches/bench_simulator.py --benchmark-enable --benchmark-group-by=group \
        --benchmark-columns=mean,stddev,rounds

Each benchmark also checks its answer against the numpy reference, so a fast wrong kernel fails.
The designs/s figure is ``n / mean`` (n is in each benchmark's ``extra_info``).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import prime_rs
from prime_rs import SPACE
from prime_rs.reference import simulate_numpy, simulate_python

WORKLOADS = ["mobilenet_v2", "unet"]
CPUS = os.cpu_count() or 1

# (method, designs when measuring, designs when only testing)
METHODS = {
    "native_all_threads": (1_000_000, 2_000),
    "native_one_thread": (200_000, 2_000),
    "numpy": (100_000, 2_000),
    "python": (300, 20),
}


def _run(method: str, designs: np.ndarray, name: str) -> prime_rs.SimResult:
    if method == "native_all_threads":
        return prime_rs.simulate(designs, name)
    if method == "native_one_thread":
        return prime_rs.simulate(designs, name, threads=1)
    if method == "numpy":
        return simulate_numpy(designs, name)
    return simulate_python(designs, name)


@pytest.mark.parametrize("name", WORKLOADS)
@pytest.mark.parametrize("method", list(METHODS))
def test_simulate_throughput(benchmark, measuring: bool, method: str, name: str) -> None:
    n = METHODS[method][0 if measuring else 1]
    designs = SPACE.sample(n, seed=2024)
    prime_rs.workloads.load(name)  # resolve and cache outside the timed region
    benchmark.group = f"simulate {name}"
    benchmark.extra_info.update(designs=n, cpus=CPUS)
    rounds = 3 if method == "python" else 5
    result = benchmark.pedantic(_run, args=(method, designs, name), rounds=rounds, iterations=1)
    check = slice(0, min(n, 2_000))
    expect = simulate_numpy(designs[check], name)
    np.testing.assert_array_equal(result.feasible[check], expect.feasible)
    ok = expect.feasible
    np.testing.assert_allclose(result.latency_ms[check][ok], expect.latency_ms[ok], rtol=1e-9)
    if benchmark.stats is not None and benchmark.stats.stats.mean:
        benchmark.extra_info["designs_per_s"] = n / benchmark.stats.stats.mean


@pytest.mark.parametrize("method", ["native", "numpy"])
def test_area_throughput(benchmark, measuring: bool, method: str) -> None:
    n = 1_000_000 if measuring else 2_000
    designs = SPACE.sample(n, seed=1)
    benchmark.group = "area"
    benchmark.extra_info.update(designs=n)
    fn = prime_rs.area if method == "native" else prime_rs.reference.area_numpy
    out = benchmark(fn, designs)
    np.testing.assert_allclose(out[:1000], prime_rs.reference.area_numpy(designs[:1000]), rtol=1e-9)
