"""The paired offline study behind feasibility.py and trust_region.py: repeat every finished
PRIME run of a `compare` directory (docs/compare/paper.sh) with its own surrogate, settings and
search seed, once as it ran and once per variant of its score, verify each search's K proposals
with the simulator, and only then read the true optimum (evaluation only). The plain repeat is
checked against the run's best.json, so each variant is compared with the run it changes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cells import regret_cell

from prime_rs import data, train
from prime_rs.data import Dataset
from prime_rs.run import OptimizeSettings
from prime_rs.run.evaluation import task_optimum
from prime_rs.run.logged import dataset_best
from prime_rs.run.optimize import search_designs, surrogate_objective
from prime_rs.task import Task

ScoreFn = Callable[[np.ndarray], np.ndarray]
#: A variant: from the run's surrogate score to the score the repeated search uses.
Variant = Callable[[ScoreFn], ScoreFn]
#: Per variant, per run (seed order): (regret of the best verified design or None, the share of
#: the K proposals that verify feasible).
Found = dict[str, list[tuple[float | None, float]]]


@dataclass
class Study:
    runs: list[Path]
    task: Task
    logged: Dataset  # the logged data every run trained on


def load(compare_dir: Path) -> Study:
    runs = sorted((compare_dir / "runs").glob("prime-seed*"))
    if not runs:
        raise SystemExit(f"{compare_dir}: no runs/prime-seed* (a finished `compare` directory?)")
    base = OptimizeSettings.from_toml(runs[0] / "config.toml")
    return Study(runs, Task(base.apps, area_budget=base.area_budget), data.load(base.data))


def repeat(study: Study, variants: dict[str, Variant]) -> Found:
    task = study.task
    init = dataset_best(study.logged, task)[0].designs
    found: dict[str, list[tuple[float | None, float]]] = {"single": []}
    found |= {name: [] for name in variants}
    for r in study.runs:
        settings = OptimizeSettings.from_toml(r / "config.toml")
        surrogate = surrogate_objective(train.load(r / "model"), task)
        scores = {"single": surrogate} | {n: v(surrogate) for n, v in variants.items()}
        for name, score in scores.items():
            res = search_designs(dataclasses.replace(settings), task, score, init, [])
            ev = task.evaluate(res.designs)
            lat = np.asarray(ev.mean_latency_ms, np.float64)[ev.valid]
            found[name].append((float(lat.min()) if len(lat) else None, float(ev.valid.mean())))
        b = json.loads((r / "best.json").read_text())
        held = b["latency_ms"]["mean"] if b.get("verified") else None
        if found["single"][-1][0] != held:
            print(f"warning: {r} repeated search gives {found['single'][-1][0]}, run had {held}")
    optimum = task_optimum(task).optimum_ms  # evaluation only: after every search
    return {
        k: [(None if v is None else v / optimum - 1, share) for v, share in vs]
        for k, vs in found.items()
    }


def cell(rows: list[tuple[float | None, float]]) -> str:
    shares = ", ".join(f"{round(128 * s)}" for _, s in rows)
    return regret_cell([r for r, _ in rows], f"feasible {shares}")
