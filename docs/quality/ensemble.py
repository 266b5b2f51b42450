"""Would an ensemble of surrogates close the gap to the optimum (issue 10 item 4)? Measured
offline from finished `compare` runs (docs/compare/paper.sh): each task's three PRIME runs
trained three surrogates on the same logs, differing only in their seed (initialisation,
batches, dropout). This searches their combined score with the settings of the runs (their config.toml: for
paper.sh population 512, 80 generations, K = 128; warm start from the logged best; search
seeds 0-2),
verifies the K proposals with the simulator and only then reads the true optimum (evaluation
only). The ensemble costs three trainings for the same 128 oracle calls.

    python docs/quality/ensemble.py docs/compare/specialise/unet [more compare dirs...]

Scores: ``mean`` = the mean of the three models' scores; ``pessimistic`` = the mean less their
standard deviation (a design the models disagree on counts less).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
from cells import regret_cell

from prime_rs import data, train
from prime_rs.run import OptimizeSettings
from prime_rs.run.evaluation import task_optimum
from prime_rs.run.logged import dataset_best
from prime_rs.run.optimize import search_designs, surrogate_objective
from prime_rs.task import Task

SEEDS = (0, 1, 2)


def ensemble(compare_dir: Path) -> dict[str, list[float | None]]:
    runs = sorted((compare_dir / "runs").glob("prime-seed*"))
    # Each run's config.toml holds its search settings and the logged data it trained on.
    base = OptimizeSettings.from_toml(runs[0] / "config.toml")
    task = Task(base.apps, area_budget=base.area_budget)
    scores = [surrogate_objective(train.load(r / "model"), task) for r in runs]
    init = dataset_best(data.load(base.data), task)[0].designs

    def mean(d: np.ndarray) -> np.ndarray:
        return np.mean([s(d) for s in scores], axis=0)

    def pessimistic(d: np.ndarray) -> np.ndarray:
        s = np.array([f(d) for f in scores])
        return s.mean(axis=0) - s.std(axis=0)

    out: dict[str, list[float | None]] = {}
    for name, score in (("mean", mean), ("pessimistic", pessimistic)):
        out[name] = []
        for seed in SEEDS:
            settings = dataclasses.replace(base, seed=seed)
            res = search_designs(settings, task, score, init, [])
            ev = task.evaluate(res.designs)
            lat = np.asarray(ev.mean_latency_ms, np.float64)[ev.valid]
            out[name].append(float(lat.min()) if len(lat) else None)
    optimum = task_optimum(task).optimum_ms  # evaluation only: after every search
    singles = []
    for r in runs:
        b = json.loads((r / "best.json").read_text())
        singles.append(b["latency_ms"]["mean"] if b.get("verified") else None)
    out["single"] = singles
    return {k: [None if v is None else v / optimum - 1 for v in vs] for k, vs in out.items()}


def main(argv: list[str]) -> int:
    print("| task | single model (3 runs) | ensemble mean | ensemble mean - std |")
    print("| --- | ---: | ---: | ---: |")
    for d in argv:
        r = ensemble(Path(d))
        print(
            f"| {Path(d).name} | {regret_cell(r['single'])} | {regret_cell(r['mean'])} | "
            f"{regret_cell(r['pessimistic'])} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
