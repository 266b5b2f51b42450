"""Training throughput: steps per second of the default training loop (transformer surrogate,
batch 256 feasible + 256 infeasible, 256 negatives from the evolutionary sampler every 4 steps),
on MobileNetV2 data from the simulator.

    python -m pytest benches/bench_train.py --benchmark-enable

With benchmarks disabled (the test suite) it runs a few steps once, as a smoke test.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

from prime_rs import SPACE, simulate
from prime_rs.train import TrainConfig, train

APP = "mobilenet_v2"


@pytest.fixture(scope="module")
def data():
    d = SPACE.sample(50_000, seed=0)
    r = simulate(d, APP)
    return types.SimpleNamespace(
        designs=d,
        application=np.full(len(d), APP, dtype=object),
        latency_ms=r.latency_ms,
        area_mm2=r.area_mm2,
        feasible=r.feasible,
    )


def test_train_steps_per_second(benchmark, data) -> None:
    steps = 4 if benchmark.disabled else 40
    # One validation at the end; the compiled step is shared between rounds (same settings).
    cfg = TrainConfig(steps=steps, val_every=steps, warmup_steps=2)
    result = (
        benchmark.pedantic(
            train, args=(data, [APP]), kwargs={"config": cfg}, rounds=3, warmup_rounds=1
        )
        if not benchmark.disabled
        else benchmark(train, data, [APP], config=cfg)
    )
    assert np.isfinite(result.score(data.designs[:8], APP)).all()
    if not benchmark.disabled:
        benchmark.extra_info["steps_per_s"] = steps / benchmark.stats.stats.median
