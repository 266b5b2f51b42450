"""Training throughput: steps per second of the default training loop (transformer surrogate,
batch 256 feasible + 256 infeasible, 256 negatives from the evolutionary sampler every 4 steps),
on MobileNetV2 data from the simulator: through ``train()`` (set-up and one validation
included) and through ``Trainer.step`` alone (four steps: one negatives refresh, amortised).

    python -m pytest benches/bench_train.py --benchmark-enable

With benchmarks disabled (the test suite) it runs a few steps once, as a smoke test.
"""

from __future__ import annotations

import time
import types

import jax
import numpy as np
import pytest

from prime_rs import SPACE, simulate
from prime_rs.train import TrainConfig, Trainer, train

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


def test_trainer_step_steps_per_second(benchmark, data) -> None:
    trainer = Trainer(data, [APP], config=TrainConfig(warmup_steps=2))

    def four_steps() -> None:
        for _ in range(4):
            aux = trainer.step()
        jax.block_until_ready(aux)

    four_steps()  # compiles the step and the negatives' scorer
    if benchmark.disabled:
        benchmark(four_steps)
        return
    cpu0 = time.process_time()
    benchmark.pedantic(four_steps, rounds=5, warmup_rounds=1)
    benchmark.extra_info["steps_per_s"] = 4 / benchmark.stats.stats.median
    # All threads' CPU time: under a shared machine's load it moves far less than wall time.
    benchmark.extra_info["cpu_ms_per_step"] = (time.process_time() - cpu0) / (6 * 4) * 1e3
