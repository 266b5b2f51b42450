"""BO's encoding of the design space, ordered against categorical (run by hand; numbers in the
README, "Simulator-driven baselines").

    python benches/quality_bo.py [--budget 200] [--seeds 5]

Runs `bayesian_optimization` (TPE) on MobileNetV2 under 27 mm² for each seed, once with the
parameters as ordered integers over their value index (the shipped encoding) and once as
categoricals, and prints the median best latency, the per-seed bests and the wall time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from prime_rs import baselines
from prime_rs.objective import Task
from prime_rs.search import _optuna
from prime_rs.space import SPACE


def categorical(optuna):
    return {
        name: optuna.distributions.CategoricalDistribution(list(range(card)))
        for name, card in zip(SPACE.names, SPACE.cardinalities, strict=True)
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    task = Task(["mobilenet_v2"])
    ordered = _optuna.distributions
    try:
        for label, encoding in (("ordered", ordered), ("categorical", categorical)):
            _optuna.distributions = encoding
            t0 = time.perf_counter()
            best = [
                baselines.bayesian_optimization(task, args.budget, seed=s).best_mean_latency_ms
                for s in range(args.seeds)
            ]
            print(
                f"{label}: median best {np.median(best):.4g} ms, per seed "
                f"{[round(b, 4) for b in best]}, {time.perf_counter() - t0:.1f} s"
            )
    finally:
        _optuna.distributions = ordered


if __name__ == "__main__":
    main()
