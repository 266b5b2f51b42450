"""Per-call cost of ``simulate`` on a loaded workload, for the batch sizes of one-at-a-time
search (BO proposes a single design) and of a small population (128).

    python -m pytest benches/bench_call_overhead.py --benchmark-enable \
        --benchmark-group-by=group --benchmark-columns=min,median,mean,rounds

At these sizes the kernel itself is a few microseconds, so the figures are the fixed cost of a
call: argument checks, workload resolution and (before the native handle) the per-call
rebuild of the op table and the prepared workload. ``by_name`` resolves the built-in name on
every call, as ``simulate(designs, "mobilenet_v2")`` does.
"""

from __future__ import annotations

import numpy as np
import pytest

import prime_rs
from prime_rs import SPACE
from prime_rs.reference import simulate_numpy

WORKLOADS = ["mobilenet_v2", "resnet50"]


@pytest.mark.parametrize("batch", [1, 128])
@pytest.mark.parametrize("name", WORKLOADS)
@pytest.mark.parametrize("how", ["handle", "by_name"])
def test_simulate_call_overhead(benchmark, measuring: bool, how: str, name: str, batch: int):
    designs = SPACE.sample(batch, seed=11)
    wl = prime_rs.workloads.load(name)
    target = wl if how == "handle" else name
    benchmark.group = f"simulate {name}, batch {batch}"
    benchmark.extra_info.update(designs=batch, how=how)
    rounds = 2000 if measuring else 3
    result = benchmark.pedantic(
        prime_rs.simulate, args=(designs, target), rounds=rounds, iterations=1, warmup_rounds=20
    )
    assert len(result) == batch
    expect = simulate_numpy(designs, name)
    np.testing.assert_array_equal(result.reason, expect.reason)
