"""Training as a small object (prime_rs.train.Trainer) under a short driver (train): results
unchanged by the refactor, bit for bit; the object's steps, validation and checkpoints; the
progress events; the evolutionary negatives as (mu + lambda) proposer + surrogate driver."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import _train_golden as G
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prime_rs import SPACE, area
from prime_rs.errors import CheckpointError, InvalidArgumentError, TrainingError
from prime_rs.model import ModelConfig, build_model
from prime_rs.progress import TrainProgress
from prime_rs.search import next_generation
from prime_rs.train import TrainConfig, Trainer, load, train
from prime_rs.train.negatives import EvolutionSampler
from prime_rs.train.scoring import score_batch

GOLDEN = json.loads((Path(__file__).parent / "golden" / "train.json").read_text())
APP = "mobilenet_v2"
CFG = TrainConfig(**{**G.BASE, "steps": 6, "val_every": 3, "n_negatives": 16, "seed": 4})


@pytest.fixture(scope="module")
def ds():
    return G._dataset((APP,))


def _leaves(tree) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree.leaves(eqx.filter(tree, eqx.is_array))]


def _assert_same(a, b) -> None:
    la, lb = _leaves(a), _leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb, strict=True):
        np.testing.assert_array_equal(x, y)


# --- results unchanged -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def now() -> dict:
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("the golden runs pin one CPU, which needs os.sched_setaffinity (Linux)")
    return G.compute_pinned()


@pytest.mark.parametrize("case", sorted(G.CASES))
def test_training_reproduces_the_code_before_the_trainer(case, now) -> None:
    if now["jax"] != GOLDEN["jax"]:
        pytest.skip(f"recorded with jax {GOLDEN['jax']}, running {now['jax']}: XLA moves bits")
    assert now[case] == GOLDEN[case]


# --- the object ------------------------------------------------------------------------------


def test_stepping_a_trainer_is_what_train_does(ds, tmp_path: Path) -> None:
    t = Trainer(ds, APP, config=CFG, model_config=G.MLP)
    assert t.step_count == 0
    for _ in range(CFG.steps):
        aux = t.step()
    assert t.step_count == CFG.steps and np.isfinite(float(aux["loss"]))
    train(ds, [APP], out=tmp_path / "run", config=CFG, model_config=G.MLP)
    _assert_same(t.model, load(tmp_path / "run", "latest").model)


def test_save_and_restore_continue_bit_for_bit(ds, tmp_path: Path) -> None:
    a = Trainer(ds, APP, config=CFG, model_config=G.TINY)
    with pytest.raises(TrainingError, match="first step"):
        a.save(tmp_path, 0.0, True)
    for _ in range(3):
        a.step()
    record, improved = a.validate()
    a.save(tmp_path, record["val_spearman"], improved)
    b = Trainer(ds, APP, config=CFG, model_config=G.TINY)
    b.restore(tmp_path)
    assert (b.step_count, b.best, b.bad_vals) == (3, a.best, 0)
    for _ in range(3):
        a.step()
        b.step()
    _assert_same(a.state, b.state)
    assert b.validate()[0] == a.validate()[0]


def test_restore_refuses_another_run(ds, tmp_path: Path) -> None:
    a = Trainer(ds, APP, config=CFG, model_config=G.MLP)
    a.step()
    a.save(tmp_path, 0.0, True)
    other = Trainer(ds, APP, config=TrainConfig(**{**CFG.to_dict(), "seed": 5}), model_config=G.MLP)
    with pytest.raises(CheckpointError, match="seed"):
        other.restore(tmp_path)
    longer = Trainer(
        ds, APP, config=TrainConfig(**{**CFG.to_dict(), "steps": 9}), model_config=G.MLP
    )
    longer.restore(tmp_path)  # extending a run is a resume
    assert longer.step_count == 1


def test_validation_keeps_the_best_model_and_counts_patience(ds) -> None:
    t = Trainer(ds, APP, config=TrainConfig(**{**CFG.to_dict(), "patience": 2}), model_config=G.MLP)
    t.step()
    t.step()
    record, improved = t.validate()
    assert improved and t.best == record["val_spearman"] == record["best_val_spearman"]
    assert t.best_model is t.model
    assert {"train_loss", "train_mse", "val_kendall", "val_mse"} <= set(record)
    assert record["apps"][APP]["n"] == min(CFG.val_max_rows, len(t.prepared.apps[0].val_y))
    # Nothing stepped since: the same score does not improve, and no training terms are left.
    again, improved = t.validate()
    assert not improved and t.bad_vals == 1 and not t.patience_exhausted
    assert not any(k.startswith("train_") for k in again)
    t.validate()
    assert t.patience_exhausted
    assert t.trained_model({"x": 1}).model is t.best_model


def test_a_non_finite_loss_is_a_training_error(ds) -> None:
    t = Trainer(ds, APP, config=CFG, model_config=G.MLP)
    t.step()
    t._sums["loss"] = jnp.float32(jnp.nan)
    with pytest.raises(TrainingError, match="non-finite"):
        t.validate()


# --- progress --------------------------------------------------------------------------------


def test_train_reports_every_step_and_each_validation(ds) -> None:
    events: list[TrainProgress] = []
    train(ds, [APP], config=CFG, model_config=G.MLP, progress=events.append)
    assert [e.position for e in events] == [("train", s, CFG.steps) for s in range(CFG.steps + 1)]
    validated = [e.step for e in events if e.metrics]
    assert validated == [3, 6]
    assert set(events[3].metrics) == {"val_spearman", "best_val_spearman"}
    with pytest.raises(InvalidArgumentError, match="progress"):
        train(ds, [APP], config=CFG, model_config=G.MLP, progress="bar")  # type: ignore[arg-type]


def test_the_cli_bar_keeps_the_last_validation_between_validations() -> None:
    from rich.console import Console

    from prime_rs.cli.common import search_progress

    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with search_progress(console=console) as bar:
        bar(TrainProgress(3, 6, {"val_spearman": 0.5}))
        bar(TrainProgress(4, 6, {}))
        # What is drawn from here on shows the state after both events.
        console.file.truncate(0)
        console.file.seek(0)
    out = console.file.getvalue()
    assert "4/6" in out and "val_spearman 0.5" in out


# --- the negatives: (mu + lambda) + the surrogate driver --------------------------------------


def _old_evolution(sampler, model, starts, contexts, rng, pool):
    """The sampler as it was written before it became a proposer + driver (commit b80760b)."""
    out = []
    for i, (n, start, ctx) in enumerate(zip(sampler.n_per_app, starts, contexts, strict=True)):
        pop = np.asarray(start[:n], dtype=np.uint8)
        if pool[i] is not None:
            pop = np.concatenate([pool[i], pop])
        fit = sampler._fitness(model, pop, ctx)
        mu = len(pop)
        for _ in range(sampler.generations):
            seed = int(rng.integers(0, 2**63 - 1))
            children = next_generation(pop, fit, n, seed=seed, mutation_rate=sampler.mutation_rate)
            pop = np.concatenate([pop, children])
            fit = np.concatenate([fit, sampler._fitness(model, children, ctx)])
            keep = np.argsort(-fit, kind="stable")[:mu]
            pop, fit = pop[keep], fit[keep]
        pool[i] = pop[:n]
        out.append(pop[:n])
    return out


@pytest.mark.parametrize("generations", [0, 1, 3])
def test_evolution_negatives_are_the_old_loop_draw_for_draw(generations) -> None:
    cfg = ModelConfig(
        block_sizes=tuple(SPACE.cardinalities), kind="mlp", context_dim=2, head_hidden=(16,)
    )
    model = build_model(cfg, jax.random.key(1))
    contexts = [np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)]
    # A tight budget: many children over it (scored -inf, ranked last, never dropped); the
    # second application has fewer starting rows than negatives (mu < n).
    budget = float(np.quantile(area(SPACE.sample(2000, seed=3)), 0.3))
    new = EvolutionSampler([24, 20], generations=generations, area_budget=budget)
    pool: list = [None, None]
    rng_new, rng_old = np.random.default_rng(7), np.random.default_rng(7)
    for refresh in range(3):
        starts = [SPACE.sample(30, seed=10 + refresh), SPACE.sample(12, seed=20 + refresh)]
        got = new.run(model, starts, contexts, rng_new)
        expect = _old_evolution(new, model, starts, contexts, rng_old, pool)
        for g, e in zip(got, expect, strict=True):
            np.testing.assert_array_equal(g, e)
        assert rng_new.bit_generator.state == rng_old.bit_generator.state
        assert (area(starts[0]) > budget).any()  # the case the budget rule is about
    x, c = new.sample(model, starts, contexts, np.random.default_rng(0))
    assert x.shape == (44, SPACE.onehot(starts[0][:1]).shape[1]) and c.shape == (44, 2)
    np.testing.assert_array_equal(c[:24], np.broadcast_to(contexts[0], (24, 2)))
    s = np.asarray(score_batch(model, jnp.asarray(x), jnp.asarray(c)))
    assert np.isfinite(s).all()
