"""Outputs of the search code for fixed seeds, through public APIs only.

``tests/golden/search.json`` holds what this produced on the code *before* search became
proposers + drivers (commit 5891054); ``tests/test_proposers.py`` checks that the current code
produces exactly the same. Regenerate only for a deliberate, reported change of results:
``python tests/_search_golden.py > tests/golden/search.json``. The BO cases were re-recorded
when BO's parameters became ordered (``IntDistribution`` over the value index, issue 11.10),
and every case from the current code when the simulator's model revision became 2 (issue 13:
the ``builtin`` and ``generate`` cases moved with the simulated numbers; the others did not).

The toy oracle and toy score keep most cases independent of the simulator's numbers, so the
record pins the search logic; the ``builtin`` cases pin the whole path on MobileNetV2.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

import prime_rs
from prime_rs import baselines as B
from prime_rs.oracles import CallableOracle
from prime_rs.space import SPACE
from prime_rs.task import Task


def toy_oracle(designs: np.ndarray, applications: tuple[str, ...]) -> dict[str, np.ndarray]:
    """A smooth landscape with holes: best near index 2 everywhere, every 7th id infeasible."""
    d = designs.astype(np.float64)
    ids = SPACE.to_ids(designs)
    base = 1.0 + ((d - 2.0) ** 2 * np.linspace(0.1, 1.0, SPACE.n_params)).sum(axis=1)
    lat = np.stack([base * (1.0 + 0.25 * j) for j in range(len(applications))], axis=1)
    feas = np.repeat((ids % 7 != 0)[:, None], len(applications), axis=1)
    return {"latency_ms": lat, "area_mm2": prime_rs.area(designs), "feasible": feas}


def toy_score(designs: np.ndarray) -> np.ndarray:
    d = designs.astype(np.float64)
    return -(((d - 3.0) ** 2) * np.arange(1, SPACE.n_params + 1)).sum(axis=1) + 0.01 * (
        SPACE.to_ids(designs) % 97
    )


def _floats(a: np.ndarray) -> list[float | str]:
    return [float(x) if np.isfinite(x) else repr(float(x)) for x in np.asarray(a, np.float64)]


def _baseline(res: B.BaselineResult) -> dict[str, Any]:
    return {
        "method": res.method,
        "ids": res.evaluated["id"].tolist(),
        "curve": _floats(res.curve.objective),
        "calls": res.simulator_calls,
        "area_rejected": res.area_rejected,
        "params": res.params,
    }


def toy_task(apps: tuple[str, ...] = ("a", "b"), area_budget: float = 27.0) -> Task:
    wl = prime_rs.workloads.load("mobilenet_v2")
    oracle = CallableOracle(toy_oracle, name="toy")
    # Task needs workloads to name the applications; the toy oracle ignores them.
    return Task([_Named(wl.ops, a) for a in apps], area_budget, oracle=oracle)


class _Named:
    def __init__(self, ops: Any, name: str) -> None:
        self.ops, self.name = ops, name


def baseline_cases() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for seed in (0, 1):
        t = toy_task()
        out[f"toy/random/{seed}"] = _baseline(B.random_search(t, 60, seed, batch_size=16))
        t = toy_task()
        out[f"toy/evolution/{seed}"] = _baseline(
            B.regularized_evolution(t, 150, seed, population=16, children=8, tournament=4)
        )
        t = toy_task()
        out[f"toy/bo/{seed}"] = _baseline(B.bayesian_optimization(t, 25, seed))
    t = toy_task(("a",), area_budget=12.0)
    out["toy/evolution/tight-area"] = _baseline(B.regularized_evolution(t, 80, 5, population=8))
    mob = Task("mobilenet_v2")
    out["builtin/random"] = _baseline(B.random_search(mob, 40, 2))
    out["builtin/evolution"] = _baseline(B.regularized_evolution(mob, 120, 2, population=16))
    out["builtin/bo"] = _baseline(B.bayesian_optimization(mob, 15, 2))
    return out


def surrogate_cases() -> dict[str, dict[str, Any]]:
    from prime_rs.optimize import SurrogateSearchConfig, sample_within_area, surrogate_search

    out: dict[str, dict[str, Any]] = {}
    cfg = SurrogateSearchConfig(population=32, generations=6, candidates=8)
    init = SPACE.sample(12, seed=99)
    for name, kw in {
        "cold": {"seed": 0},
        "warm": {"seed": 1, "init": init},
        "tight": {"seed": 2, "area_budget": 9.0},
    }.items():
        kw = {"area_budget": 27.0, **kw}
        res = surrogate_search(toy_score, config=cfg, **kw)  # type: ignore[arg-type]
        out[f"surrogate/{name}"] = {
            "ids": SPACE.to_ids(res.designs).tolist(),
            "scores": _floats(res.scores),
            "best_per_generation": _floats(res.best_per_generation),
            "evaluations": res.evaluations,
        }
    out["surrogate/sample_within_area"] = {
        "ids": SPACE.to_ids(sample_within_area(50, 10.0, seed=3)).tolist()
    }
    return out


def generation_cases() -> dict[str, dict[str, Any]]:
    from prime_rs.data import GenerationSearchSettings, generate

    out: dict[str, dict[str, Any]] = {}
    for name, (apps, n, seed, s) in {
        "default": ("mobilenet_v2", 1500, 0, GenerationSearchSettings()),
        "small-pop": (
            ["mobilenet_v2", "resnet50"],
            700,
            4,
            GenerationSearchSettings(population=48, batch=40),
        ),
        "no-budget": (
            "mobilenet_v2",
            500,
            1,
            GenerationSearchSettings(area_budget=None, population=32),
        ),
    }.items():
        ds = generate(apps, n, seed, "search", settings=s)
        out[f"generate/{name}"] = {
            "ids": SPACE.to_ids(ds.designs).tolist(),
            "latency_ms": _floats(ds.latency_ms),
            "applications": [str(a) for a in ds.application.tolist()],
        }
    ds = generate(["mobilenet_v2", "unet"], 300, 2, "random")
    out["generate/random"] = {
        "ids": SPACE.to_ids(ds.designs).tolist(),
        "applications": [str(a) for a in ds.application.tolist()],
    }
    return out


def compute() -> dict[str, dict[str, Any]]:
    return {**baseline_cases(), **surrogate_cases(), **generation_cases()}


if __name__ == "__main__":
    json.dump(compute(), sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
