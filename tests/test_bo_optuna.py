"""Optuna as a dependency that pays its way (issue 11.10): ordered parameters are ordered
(`IntDistribution` over the value index), and with `storage` a BO run and PRIME's verified
candidates land in an Optuna study that optuna-dashboard opens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from prime_rs.errors import InvalidArgumentError
from prime_rs.objective import Task
from prime_rs.search import BayesianOptimization, BOSettings
from prime_rs.search._optuna import export_candidates
from prime_rs.space import SPACE

optuna = pytest.importorskip("optuna")


def _run(proposer: BayesianOptimization, task: Task, trials: int) -> np.ndarray:
    seen = []
    for _ in range(trials):
        d = proposer.ask()
        proposer.tell(d, task.evaluate(d).objective)
        seen.append(d[0])
    return np.array(seen)


def _storage(tmp_path: Path, name: str = "bo.db") -> str:
    return f"sqlite:///{tmp_path / name}"


def test_parameters_are_ordered_integers(tmp_path: Path) -> None:
    task = Task(["mobilenet_v2"])
    bo = BayesianOptimization(BOSettings(n_startup_trials=3, storage=_storage(tmp_path)), seed=1)
    _run(bo, task, 5)
    study = optuna.load_study(study_name="bo-tpe-seed1", storage=_storage(tmp_path))
    trial = study.trials[0]
    for name, card in zip(SPACE.names, SPACE.cardinalities, strict=True):
        dist = trial.distributions[name]
        assert isinstance(dist, optuna.distributions.IntDistribution)
        assert (dist.low, dist.high, dist.step) == (0, card - 1, 1)


def test_storage_does_not_change_the_run(tmp_path: Path) -> None:
    task = Task(["mobilenet_v2"])
    plain = _run(BayesianOptimization(BOSettings(n_startup_trials=4), seed=3), task, 12)
    stored_bo = BayesianOptimization(
        BOSettings(n_startup_trials=4, storage=_storage(tmp_path), study_name="mine"), seed=3
    )
    stored = _run(stored_bo, task, 12)
    np.testing.assert_array_equal(plain, stored)
    study = optuna.load_study(study_name="mine", storage=_storage(tmp_path))
    assert len(study.trials) == 12
    assert [[t.params[p] for p in SPACE.names] for t in study.trials] == plain.tolist()


def test_restore_rebuilds_the_stored_study(tmp_path: Path) -> None:
    task = Task(["mobilenet_v2"])
    settings = BOSettings(n_startup_trials=3, storage=_storage(tmp_path))
    bo = BayesianOptimization(settings, seed=0)
    _run(bo, task, 4)
    state = bo.state()
    again = BayesianOptimization(settings, seed=0)
    again.restore(state)
    _run(again, task, 2)
    study = optuna.load_study(study_name="bo-tpe-seed0", storage=_storage(tmp_path))
    assert len(study.trials) == 6


def test_an_existing_study_is_never_overwritten(tmp_path: Path) -> None:
    task = Task(["mobilenet_v2"])
    settings = BOSettings(storage=_storage(tmp_path))
    _run(BayesianOptimization(settings, seed=0), task, 1)
    with pytest.raises(InvalidArgumentError, match="already exists"):
        BayesianOptimization(settings, seed=0).ask()
    with pytest.raises(InvalidArgumentError, match="storage must be a non-empty string"):
        BOSettings(storage="")


def test_bad_storage_url_is_an_input_error() -> None:
    bo = BayesianOptimization(BOSettings(storage="nosuchdb://x"), seed=0)
    with pytest.raises(InvalidArgumentError, match="cannot open Optuna storage"):
        bo.ask()


def test_verified_candidates_export_as_a_study(tmp_path: Path) -> None:
    designs = SPACE.sample(6, seed=2)
    r = Task(["mobilenet_v2"]).evaluate(designs)
    n = export_candidates(
        designs, r.mean_latency_ms, r.valid, _storage(tmp_path, "prime.db"), "prime"
    )
    assert n == 6
    study = optuna.load_study(study_name="prime", storage=_storage(tmp_path, "prime.db"))
    states = [t.state for t in study.trials]
    assert states.count(optuna.trial.TrialState.COMPLETE) == int(r.valid.sum())
    for t, ok, lat in zip(study.trials, r.valid, r.mean_latency_ms, strict=True):
        assert [t.params[p] for p in SPACE.names] == designs[t.number].tolist()
        if ok:
            assert t.value == pytest.approx(-np.log(lat))
    with pytest.raises(InvalidArgumentError, match="differ in length"):
        export_candidates(designs, r.mean_latency_ms[:2], r.valid, _storage(tmp_path), "x")
