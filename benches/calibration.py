"""The simulator's calibration table (run by hand; the table in the README, "The simulator").

    python benches/calibration.py [--designs 100000] [--seed 0]

For each built-in application: MACs, the share of uniformly random designs that are feasible,
the EdgeTPU-like reference design's latency, the share of that latency taken by the fixed costs
(per-op synchronisation and instruction issue), and the spread (max/min) of feasible latencies.
The calibration targets themselves are tests (tests/test_simulator.py); this prints the numbers.
"""

from __future__ import annotations

import argparse

import numpy as np

import prime_rs
from prime_rs import EDGETPU_REFERENCE, SPACE, workloads
from prime_rs.reference import breakdown, python_sim


def _macs(m: float) -> str:
    return f"{m / 1e9:.3g} G" if m >= 1e9 else f"{m / 1e6:.0f} M"


def _ms(x: float) -> str:
    return f"{x:#.3g}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--designs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    designs = SPACE.sample(args.designs, seed=args.seed)
    print(f"model: {prime_rs.simulator.FINGERPRINT}")
    print(
        "| application | MACs | feasible | reference design (ms) | fixed costs | spread (max/min) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in workloads.names():
        wl = workloads.load(name)
        r = prime_rs.simulate(designs, wl)
        lat = r.latency_ms[r.feasible]
        ref_ms = float(prime_rs.simulate(EDGETPU_REFERENCE, wl).latency_ms[0])
        rows = breakdown(EDGETPU_REFERENCE, wl)
        fixed_ms = python_sim.fixed_cost_ns(len(rows), sum(x.instr_entries for x in rows)) * 1e-6
        print(
            f"| {name} | {_macs(wl.macs)} | {r.feasible.mean():.1%} | {_ms(ref_ms)} | "
            f"{fixed_ms / ref_ms:.0%} | {np.max(lat) / np.min(lat):.0f}x |"
        )


if __name__ == "__main__":
    main()
