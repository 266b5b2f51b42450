"""The two figures of the README's "Running on a Ray cluster" section, measured in one run so
they are ratios on one machine at one moment:

1. ``generate`` through Ray with 2 workers against 1 (same shards, same bytes);
2. a command oracle that takes 0.2 s per design, verification of 16 designs in batches of one
   with ``jobs`` 1 and 4 (local threads), and 4 Ray workers.

    python benches/scale_figures.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from prime_rs import SPACE
from prime_rs.data.generation import BLOCK, write_generated
from prime_rs.executors import LocalExecutor, RayExecutor
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
        two.close()


if __name__ == "__main__":
    main()
