"""Would a more diverse K close the gap to the optimum (issue 10 item 4)? Measured offline: each
task's first surrogate (300 steps on the logs; a rounds run keeps it as ``model/``, and it is the
model of table 3(a)'s one-shot run of the same seed) is searched once as the one-shot run did,
and its best distinct designs are picked two ways: the plain top K, and greedily in score order
keeping only designs at least ``d`` parameters (Hamming distance over the 10) from every one
already picked, so the K calls are spread over more of the surrogate's top region instead of
spent on near-copies of one design. Both sets are verified with the simulator; the true
optimum is read only after every search (evaluation only). The plain set must reproduce the
one-shot run's regret in docs/compare/specialise, which the script checks.

    python docs/quality/diversity.py [--tag rounds8x16] [docs/quality/runs]
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
from cells import one_shot_regrets, paired_summary, regret_cell

from prime_rs import data, train, workloads
from prime_rs.run import OptimizeSettings
from prime_rs.run.evaluation import task_optimum
from prime_rs.run.logged import dataset_best
from prime_rs.run.optimize import search_designs, surrogate_objective
from prime_rs.task import Task

K = 128
POOL = 8 * K  # the surrogate's best distinct designs the diverse pick chooses from
DISTANCES = (2, 3, 4)
HERE = Path(__file__).resolve().parent


def spread(designs: np.ndarray, d: int, k: int = K) -> np.ndarray:
    """The first ``k`` of ``designs`` (best first) whose Hamming distance to every design picked
    before is at least ``d``; topped up in score order if the pool runs out."""
    picked: list[int] = []
    for i in range(len(designs)):
        if not picked or (designs[picked] != designs[i]).sum(axis=1).min() >= d:
            picked.append(i)
            if len(picked) == k:
                break
    rest = [i for i in range(len(designs)) if i not in set(picked)]
    return designs[(picked + rest)[:k]]


def measure(task: Task, designs: np.ndarray) -> tuple[float | None, float | None, int]:
    """Best and median verified latency (ms) of ``designs``, and how many verify feasible."""
    ev = task.evaluate(designs)
    lat = np.asarray(ev.mean_latency_ms, np.float64)[ev.valid]
    if not len(lat):
        return None, None, 0
    return float(lat.min()), float(np.median(lat)), len(lat)


def study(app: str, runs: list[Path]) -> dict[str, list[tuple[float | None, float | None, int]]]:
    base = OptimizeSettings.from_toml(runs[0] / "config.toml")
    task = Task(base.apps, area_budget=base.area_budget)
    logs = base.data or json.loads((runs[0] / "meta.json").read_text())["dataset"]["path"]
    init = dataset_best(data.load(logs), task)[0].designs
    one_shot = one_shot_regrets(app)
    found: dict[str, list[tuple[float | None, float | None, int]]] = {"plain": []}
    found |= {f"d{d}": [] for d in DISTANCES}
    seeds = []
    for r in runs:
        settings = OptimizeSettings.from_toml(r / "config.toml")
        seeds.append(settings.seed)
        settings = dataclasses.replace(settings, candidates=POOL)
        score = surrogate_objective(train.load(r / "model"), task)
        pool = search_designs(settings, task, score, init, []).designs
        found["plain"].append(measure(task, pool[:K]))
        for d in DISTANCES:
            found[f"d{d}"].append(measure(task, spread(pool, d)))
    optimum = task_optimum(task).optimum_ms  # evaluation only: after every search
    for r, seed, (best, _, _) in zip(runs, seeds, found["plain"], strict=True):
        mine = None if best is None else best / optimum - 1
        held = one_shot.get(seed)
        if mine is None or held is None or abs(mine - held) > 1e-9:
            print(f"warning: {r}: plain top-{K} regret {mine}, one-shot run had {held}")
    return {
        k: [
            (
                None if b is None else b / optimum - 1,
                None if m is None else m / optimum - 1,
                n,
            )
            for b, m, n in v
        ]
        for k, v in found.items()
    }


def cell(rows: list[tuple[float | None, float | None, int]]) -> str:
    meds = [m for _, m, _ in rows if m is not None]
    extra = f"top-K median +{100 * float(np.median(meds)):.2f}%; " if meds else ""
    return regret_cell(
        [b for b, _, _ in rows], extra + "feasible " + ", ".join(str(n) for *_, n in rows)
    )


def main(argv: list[str]) -> int:
    tag = "rounds8x16"
    if "--tag" in argv:
        i = argv.index("--tag")
        tag = argv[i + 1]
        del argv[i : i + 2]
    root = Path(argv[0]) if argv else HERE / "runs"
    head = " | ".join(f"at least {d} apart" for d in DISTANCES)
    print(f"| task | plain top {K} | {head} |")
    print("| --- | ---: | " + " | ".join("---:" for _ in DISTANCES) + " |")
    pairs: dict[int, list[tuple[float | None, float | None]]] = {d: [] for d in DISTANCES}
    for app in workloads.names():
        runs = [root / f"{app}-{tag}-seed{s}" for s in (0, 1, 2)]
        runs = [r for r in runs if (r / "model").is_dir()]
        if not runs:
            continue
        f = study(app, runs)
        cells = " | ".join(cell(f[f"d{d}"]) for d in DISTANCES)
        print(f"| {app} | {cell(f['plain'])} | {cells} |", flush=True)
        for d in DISTANCES:
            pairs[d] += [
                (new, old) for (new, _, _), (old, _, _) in zip(f[f"d{d}"], f["plain"], strict=True)
            ]
    for d, found in pairs.items():
        print(
            f"at least {d} apart against the plain top {K} ({len(found)} runs): "
            + paired_summary(found)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
