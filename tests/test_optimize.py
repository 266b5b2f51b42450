"""The offline optimiser over a score function: hard area budget, determinism, warm start,
errors. (End-to-end runs with a trained surrogate are in tests/test_pipeline.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import prime_rs
from prime_rs import SPACE, errors
from prime_rs.optimize import SurrogateSearchConfig, sample_within_area, surrogate_search
from prime_rs.task import min_area_mm2

SMALL = SurrogateSearchConfig(population=128, generations=15, candidates=32)


def oracle(app: str = "mobilenet_v2"):
    def score(designs: np.ndarray) -> np.ndarray:
        return -np.log(prime_rs.simulate(designs, app).latency_ms)

    return score


@pytest.mark.parametrize("budget", [8.0, 27.0, 100.0])
def test_no_proposed_design_breaks_the_area_budget(budget: float) -> None:
    res = surrogate_search(oracle(), budget, seed=1, config=SMALL)
    assert len(res.designs) == SMALL.candidates
    assert np.all(prime_rs.area(res.designs) <= budget)


def test_candidates_are_distinct_and_sorted_by_score() -> None:
    res = surrogate_search(oracle(), 27.0, seed=2, config=SMALL)
    assert len(np.unique(SPACE.to_ids(res.designs))) == len(res.designs)
    assert np.all(np.diff(res.scores) <= 0)
    assert np.all(np.diff(res.best_per_generation) >= 0)


def test_same_seed_same_result_and_different_seed_differs() -> None:
    a = surrogate_search(oracle(), 27.0, seed=3, config=SMALL)
    b = surrogate_search(oracle(), 27.0, seed=3, config=SMALL)
    c = surrogate_search(oracle(), 27.0, seed=4, config=SMALL)
    np.testing.assert_array_equal(a.designs, b.designs)
    np.testing.assert_array_equal(a.scores, b.scores)
    assert not np.array_equal(a.designs, c.designs)


def test_search_improves_on_random_designs_and_the_reference() -> None:
    res = surrogate_search(
        oracle(), 27.0, seed=5, config=SurrogateSearchConfig(population=256, generations=40)
    )
    best_ms = float(np.exp(-res.scores[0]))
    ref_ms = float(prime_rs.simulate(prime_rs.EDGETPU_REFERENCE, "mobilenet_v2").latency_ms[0])
    random = sample_within_area(256, 27.0, seed=5)
    random_best = float(np.nanmin(prime_rs.simulate(random, "mobilenet_v2").latency_ms))
    assert best_ms < ref_ms and best_ms < random_best


def test_warm_start_designs_are_used() -> None:
    init = np.repeat(prime_rs.EDGETPU_REFERENCE[None, :], 3, axis=0)
    res = surrogate_search(
        oracle(),
        27.0,
        seed=0,
        init=init,
        config=SurrogateSearchConfig(population=16, generations=0),
    )
    assert any(np.array_equal(d, prime_rs.EDGETPU_REFERENCE) for d in res.designs)


def test_sampling_within_area() -> None:
    d = sample_within_area(500, 10.0, seed=0)
    assert len(d) == 500 and np.all(prime_rs.area(d) <= 10.0)


@pytest.mark.parametrize("budget", [0.0, -3.0, float("nan"), float("inf")])
def test_bad_area_budgets(budget: float) -> None:
    with pytest.raises(errors.InvalidArgumentError, match="area budget"):
        surrogate_search(oracle(), budget, config=SMALL)


def test_an_impossible_budget_names_the_smallest_chip() -> None:
    smallest = min_area_mm2()
    with pytest.raises(errors.InvalidArgumentError, match=f"{smallest:.4f}"):
        surrogate_search(oracle(), smallest * 0.5, config=SMALL)


def test_bad_search_config() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="population"):
        SurrogateSearchConfig(population=0)
    with pytest.raises(errors.InvalidArgumentError, match="mutation_rate"):
        SurrogateSearchConfig(mutation_rate=1.5)
