"""The figures of the README's "Running on a Ray cluster" section, measured in one run so
they are ratios on one machine at one moment:

1. ``generate`` through Ray with 2 workers against 1 (same shards, same bytes);
2. a command oracle that takes 0.2 s per design, verification of 16 designs in batches of one
   with ``jobs`` 1 and 4 (local threads), and 4 Ray workers;
3. a small ``compare`` (2 seeds x PRIME, naive MBO and two baselines: 8 cells) through Ray
   with 2 workers against 1 (same results.csv but the wall times);
4. ``optimum`` over a sub-space in 8 id ranges through Ray with 2 workers against 1, one
   native thread per worker (the same result).

Each pair runs once warm (the workers have imported what they need) in the same Ray instance.

    python benches/scale_figures.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from prime_rs import SPACE, ground_truth
from prime_rs.compare import CompareSettings, run_compare
from prime_rs.data.generation import BLOCK, write_generated
from prime_rs.executors import LocalExecutor, RayExecutor
from prime_rs.ground_truth import exhaustive
from prime_rs.oracles import CommandOracle

SLOW = [sys.executable, str(Path(__file__).resolve().parents[1] / "examples/oracles/slow_sim.py")]


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        os.environ.setdefault("PRIME_RS_CACHE", d)
        outs = [Path(d) / f"g{j}.parquet" for j in (1, 2)]
        two = RayExecutor(jobs=2)  # starts a local Ray with 2 CPUs; jobs bounds tasks in flight
        one = RayExecutor(jobs=1)
        gen = dict(apps="mobilenet_v2,resnet50", n_designs=4 * BLOCK, seed=0,
                   chunk_size=BLOCK, threads=1)  # fmt: skip
        write_generated(outs[0], **gen, executor=two)  # warm the workers
        t1 = timed(lambda: write_generated(outs[0], **gen, executor=one))
        t2 = timed(lambda: write_generated(outs[1], **gen, executor=two))
        assert outs[0].read_bytes() == outs[1].read_bytes()
        rows = 8 * BLOCK
        print(f"generate {rows:,} rows, 8 shards, 1 simulator thread per worker:")
        print(f"  ray 1 worker {t1:.2f} s, 2 workers {t2:.2f} s: speed-up {t1 / t2:.2f}x")

        designs = SPACE.sample(16, seed=1)
        walls = {}
        for label, ex in (("jobs 1", LocalExecutor(1)), ("jobs 4", LocalExecutor(4)),
                          ("ray 4 workers", RayExecutor(jobs=4))):  # fmt: skip
            o = CommandOracle(SLOW, batch_size=1)
            o.use_executor(ex)
            walls[label] = timed(lambda o=o: o.evaluate(designs, ["m4"]))
        print("command oracle at 0.2 s/design, 16 designs in batches of 1:")
        for label, w in walls.items():
            print(f"  {label}: {w:.2f} s ({walls['jobs 1'] / w:.2f}x)")

        logged = Path(d) / "logged.parquet"
        write_generated(logged, "mobilenet_v2", 5000, seed=0)
        cmp = CompareSettings(
            apps=["mobilenet_v2"], data=str(logged), seeds=[0, 1], steps=100, candidates=16,
            population=32, generations=4, budgets=[256, 1024],
            methods=["prime", "naive", "random_search", "regularized_evolution"],
        )  # fmt: skip
        run_compare(cmp, Path(d) / "c0", executor=two)  # warm the workers
        t1 = timed(lambda: run_compare(cmp, Path(d) / "c1", executor=one))
        t2 = timed(lambda: run_compare(cmp, Path(d) / "c2", executor=two))
        print("compare, 8 cells (2 seeds x prime, naive, random search, evolution):")
        print(f"  ray 1 worker {t1:.2f} s, 2 workers {t2:.2f} s: speed-up {t1 / t2:.2f}x")

        fixed = {"dram_bandwidth": 25, "pe_x": [4, 8]}
        ask = dict(k=10, fixed=fixed, cache=False, threads=1)
        size = exhaustive(["mobilenet_v2"], **ask).space_size  # type: ignore[arg-type]
        ground_truth.SHARD_ORDINALS = -(-size // 8)
        t1 = timed(lambda: exhaustive(["mobilenet_v2"], **ask, executor=one))  # type: ignore[arg-type]
        t2 = timed(lambda: exhaustive(["mobilenet_v2"], **ask, executor=two))  # type: ignore[arg-type]
        print(f"optimum over {size:,} designs in 8 id ranges, 1 native thread per worker:")
        print(f"  ray 1 worker {t1:.2f} s, 2 workers {t2:.2f} s: speed-up {t1 / t2:.2f}x")
        two.close()


if __name__ == "__main__":
    main()
