"""Quality check of the PRIME surrogate on generated MobileNetV2 data (run by hand; numbers in
the README).

    python benches/quality_train.py [--rows 200000] [--steps N] [--seed 0] [--out DIR]

1. Simulates ``rows`` uniformly random designs on MobileNetV2 (seed ``seed``) and trains the
   default conservative model and the naive one (alpha = beta = 0) with the same seed.
2. Spearman/Kendall on an independent held-out sample (another 100k random designs, feasible
   within the area budget): the acceptance bar is Spearman >= 0.9.
3. Over-estimation: each model is optimised by an evolutionary search on its own scores (from
   its top training designs, area budget as a hard constraint); the mean predicted score of its
   top-K designs is compared with their simulated score. The conservative model should rate its
   own optima lower (and closer to the truth) than the naive model does.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
import types
from pathlib import Path

import numpy as np

APP = "mobilenet_v2"


def dataset(rows: int, seed: int) -> types.SimpleNamespace:
    from prime_rs import SPACE, simulate

    d = SPACE.sample(rows, seed=seed)
    r = simulate(d, APP)
    return types.SimpleNamespace(
        designs=d,
        application=np.full(rows, APP, dtype=object),
        latency_ms=r.latency_ms,
        area_mm2=r.area_mm2,
        feasible=r.feasible,
    )


def optimise(model, start: np.ndarray, budget: float, generations: int, seed: int) -> np.ndarray:
    """(mu + lambda) evolution on the model's score; returns the final population, best first."""
    from prime_rs import area
    from prime_rs.search import next_generation

    def fitness(d: np.ndarray) -> np.ndarray:
        f = model.score(d, APP)
        f[area(d) > budget] = -np.inf
        return f

    pop, fit = start, fitness(start)
    for g in range(generations):
        kids = next_generation(pop, fit, len(pop), seed=seed * 1000 + g)
        pop = np.concatenate([pop, kids])
        fit = np.concatenate([fit, fitness(kids)])
        keep = np.argsort(-fit, kind="stable")[: len(start)]
        pop, fit = pop[keep], fit[keep]
    return pop


def evaluate(model, ds, test, budget: float, k: int, seed: int) -> dict:
    from prime_rs import SPACE, simulate
    from prime_rs.train.ranking import kendall, spearman

    ok = test.feasible & (test.area_mm2 <= budget)
    pred = model.score(test.designs[ok], APP)
    truth = model.transform.score(test.latency_ms[ok])
    reg = ds.feasible & (ds.area_mm2 <= budget)
    top = np.argsort(ds.latency_ms[reg], kind="stable")[:512]
    start = SPACE.validate(ds.designs[reg][top])
    best = optimise(model, start, budget, generations=30, seed=seed)
    cand = SPACE.unique(best)[:k]
    pred_opt = model.score(cand, APP)
    sim = simulate(cand, APP)
    feas = sim.feasible
    true_opt = model.transform.score(sim.latency_ms[feas])
    return {
        "test_rows": int(ok.sum()),
        "test_spearman": spearman(pred, truth),
        "test_kendall": kendall(pred[:2000], truth[:2000]),
        "opt_pred_score_mean": float(pred_opt.mean()),
        "opt_true_score_mean_feasible": float(true_opt.mean()) if feas.any() else None,
        "opt_feasible_fraction": float(feas.mean()),
        "opt_overestimate_mean": float((pred_opt[feas] - true_opt).mean()) if feas.any() else None,
        "opt_best_latency_ms": float(sim.latency_ms[feas].min()) if feas.any() else None,
        "data_best_latency_ms": float(ds.latency_ms[reg].min()),
        "train_info": {k2: v for k2, v in model.info.items() if k2 != "run_dir"},
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, default=128)
    p.add_argument("--out", type=Path, default=Path("runs/quality"))
    args = p.parse_args()

    from prime_rs.train import TrainConfig, train

    ds = dataset(args.rows, args.seed)
    test = dataset(100_000, args.seed + 1)
    base = TrainConfig(seed=args.seed)
    if args.steps:
        base = TrainConfig(seed=args.seed, steps=args.steps)
    report: dict = {"rows": args.rows, "seed": args.seed, "steps": base.steps}
    for name, cfg in (("conservative", base), ("naive", base.as_naive())):
        t = time.perf_counter()
        out = args.out / name
        model = train(ds, [APP], out=out, config=cfg, progress=True, resume=out.exists())
        wall = time.perf_counter() - t
        report[name] = {
            "wall_s": wall,
            **evaluate(model, ds, test, base.area_budget, args.k, args.seed),
        }
    c, n = report["conservative"], report["naive"]
    report["gap_pred_score_naive_minus_conservative"] = (
        n["opt_pred_score_mean"] - c["opt_pred_score_mean"]
    )
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
