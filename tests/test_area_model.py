"""The area constraint of a world: the fitted area model reproduces the built-in analytic area
(its basis holds every term the analytic model has), learns a correction where the basis is not
exact, reports held-out errors and refuses a fit too poor to constrain with."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import prime_rs
from prime_rs import data
from prime_rs.area_model import AnalyticAreaModel, CommandAreaModel, FittedAreaModel, basis
from prime_rs.errors import DatasetError
from prime_rs.oracles import CommandOracle, NoOracle
from prime_rs.task import Task

TOY = f"{sys.executable} {Path(__file__).resolve().parents[1] / 'examples/oracles/toy_chip_sim.py'}"


@pytest.fixture(scope="module")
def builtin_logs() -> data.Dataset:
    return data.generate(["mobilenet_v2"], 1500, seed=3)


def test_fitted_to_builtin_logs_it_reproduces_the_analytic_area(builtin_logs) -> None:
    model = FittedAreaModel.fit(builtin_logs.designs, builtin_logs.area_mm2)
    assert model.report.max_relative_error < 0.005
    fresh = prime_rs.SPACE.sample(50_000, seed=99)
    truth = prime_rs.area(fresh)
    assert np.max(np.abs(model(fresh) - truth) / truth) < 0.005
    corner = np.array([[c - 1 for c in prime_rs.SPACE.cardinalities]], dtype=np.uint8)
    np.testing.assert_allclose(model(corner), prime_rs.area(corner), rtol=0.005)


def test_the_correction_learns_what_the_basis_cannot(builtin_logs) -> None:
    # A world whose area has an extra factor per PE-array width: not in the basis's span.
    factor = 1.0 + 0.15 * np.sin(builtin_logs.designs[:, 0].astype(float))
    model = FittedAreaModel.fit(builtin_logs.designs, builtin_logs.area_mm2 * factor)
    r = model.report
    assert r.median_relative_error < r.basis_only_median_relative_error / 5
    assert r.median_relative_error < 0.005


def test_a_poor_fit_is_refused_with_what_to_do_instead(builtin_logs) -> None:
    noise = np.random.default_rng(0).uniform(5, 50, len(builtin_logs))
    model = FittedAreaModel.fit(builtin_logs.designs, noise)
    assert model.report.median_relative_error > 0.02
    with pytest.raises(DatasetError, match=r"median relative error.*--area-model builtin"):
        model.check_quality()


def test_too_few_logged_designs() -> None:
    d = prime_rs.SPACE.sample(20, seed=0)
    with pytest.raises(DatasetError, match="at least 64"):
        FittedAreaModel.fit(d, prime_rs.area(d))


def test_rows_without_an_area_and_repeats_are_ignored(builtin_logs) -> None:
    d = np.concatenate([builtin_logs.designs, builtin_logs.designs[:100]])
    a = np.concatenate([builtin_logs.area_mm2, np.full(100, np.nan)])
    model = FittedAreaModel.fit(d, a)
    assert model.report.designs == len(np.unique(prime_rs.SPACE.to_ids(builtin_logs.designs)))


def test_basis_shape_and_the_task_constraint_keeps_the_margin(builtin_logs) -> None:
    assert basis(builtin_logs.designs[:5]).shape == (5, 16)
    factor = 1.0 + 0.02 * np.cos(builtin_logs.designs[:, 4].astype(float))
    model = FittedAreaModel.fit(builtin_logs.designs, builtin_logs.area_mm2 * factor)
    task = Task("m4", 27.0, oracle=NoOracle(), area_model=model)
    assert task.search_budget == pytest.approx(27.0 * (1 - model.margin))
    d = prime_rs.SPACE.sample(5000, seed=1)
    np.testing.assert_array_equal(task.within_area(d), model(d) <= task.search_budget)
    assert isinstance(Task("unet").area_model, AnalyticAreaModel)
    assert Task("unet").search_budget == 27.0


def test_an_area_command_answers_the_constraint() -> None:
    model = CommandAreaModel(TOY)
    d = prime_rs.SPACE.sample(200, seed=4)
    np.testing.assert_array_equal(model(d), CommandOracle(TOY).evaluate(d, ["m4"]).area_mm2)
    assert model.margin == 0.0 and model.describe()["kind"] == "command"
    task = Task("m4", 27.0, oracle=NoOracle(), area_model=model)
    np.testing.assert_array_equal(task.within_area(d), model(d) <= 27.0)
