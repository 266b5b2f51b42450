"""Training the PRIME surrogate (prime_rs.train): objective signs, determinism, checkpoints,
contexts, bad input. Tiny models and few steps; the quality run is benches/quality_train.py."""

from __future__ import annotations

import json
import shutil
import types
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prime_rs import SPACE, area, simulate
from prime_rs.errors import (
    CheckpointError,
    DatasetError,
    OutputError,
    TrainingError,
    UnknownApplicationError,
)
from prime_rs.model import ModelConfig, apply_batch, build_model
from prime_rs.train import ScoreTransform, TrainConfig, load, train
from prime_rs.train import checkpoint as ckpt
from prime_rs.train.negatives import EvolutionSampler, GradientSampler
from prime_rs.train.objective import Hyper, TrainState, make_optimizer, objective, train_step
from prime_rs.train.ranking import kendall, rankdata, spearman

TINY = {"d_model": 16, "n_heads": 2, "ffn_dim": 32, "head_hidden": (32,), "n_layers": 1}
# Most loop tests use the MLP surrogate: the same loop, a fraction of the compile time.
MLP = {"kind": "mlp", "head_hidden": (32,)}
FAST = {
    "steps": 6,
    "val_every": 3,
    "batch_size": 32,
    "infeasible_batch_size": 32,
    "n_negatives": 16,
    "negatives_every": 2,
    "evo_generations": 1,
    "warmup_steps": 2,
    "area_budget": 200.0,
    "val_max_rows": 64,
}
APP = "mobilenet_v2"


def _dataset(apps: tuple[str, ...] = (APP,), n: int = 3000, seed: int = 0):
    parts = []
    for i, app in enumerate(apps):
        d = SPACE.sample(n, seed=seed + i)
        r = simulate(d, app)
        parts.append((d, np.full(n, app, dtype=object), r))
    return types.SimpleNamespace(
        designs=np.concatenate([p[0] for p in parts]),
        application=np.concatenate([p[1] for p in parts]),
        latency_ms=np.concatenate([p[2].latency_ms for p in parts]),
        area_mm2=np.concatenate([p[2].area_mm2 for p in parts]),
        feasible=np.concatenate([p[2].feasible for p in parts]),
    )


@pytest.fixture(scope="module")
def ds():
    return _dataset()


@pytest.fixture(scope="module")
def ds2():
    return _dataset((APP, "resnet50"), n=2000)


def _hyper(**kw) -> Hyper:
    base = {
        "beta": 1.0,
        "ranking_weight": 0.0,
        "tau": 0.5,
        "neg_lo": -50.0,
        "neg_hi": 50.0,
        "inf_lo": -50.0,
        "inf_weight": 1.0,
    }
    base.update(kw)
    return Hyper(**{k: jnp.float32(v) for k, v in base.items()})


# ---------------------------------------------------------------- targets and rank metrics


def test_score_transform_round_trips_and_orders() -> None:
    lat = np.array([0.5, 1.0, 3.0, 10.0])
    t = ScoreTransform.fit(lat)
    s = t.score(lat)
    assert np.all(np.diff(s) < 0)  # faster is better
    np.testing.assert_allclose(s.mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(s.std(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(t.latency(s), lat, rtol=1e-12)
    assert ScoreTransform.from_dict(t.to_dict()) == t


@pytest.mark.parametrize("bad", [np.nan, np.inf, 0.0, -1.0])
def test_score_transform_rejects_bad_latency(bad: float) -> None:
    with pytest.raises(DatasetError):
        ScoreTransform.fit(np.array([1.0, bad]))


def test_rank_metrics_match_definitions() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, 40).astype(float)  # ties on purpose
    b = a + rng.normal(0, 1.5, 40)
    np.testing.assert_allclose(rankdata([3, 1, 3, 2]), [3.5, 1, 3.5, 2])
    assert spearman(a, a) == pytest.approx(1.0) and spearman(a, -a) == pytest.approx(-1.0)
    # tau-b by brute force
    n = len(a)
    conc = sum(
        np.sign(a[i] - a[j]) * np.sign(b[i] - b[j]) for i in range(n) for j in range(i + 1, n)
    )
    n0 = n * (n - 1) / 2
    t1 = sum(np.sign(a[i] - a[j]) == 0 for i in range(n) for j in range(i + 1, n))
    t2 = sum(np.sign(b[i] - b[j]) == 0 for i in range(n) for j in range(i + 1, n))
    assert kendall(a, b) == pytest.approx(conc / np.sqrt((n0 - t1) * (n0 - t2)))
    assert np.isnan(spearman([1.0], [2.0])) and np.isnan(kendall([1, 1, 1], [1, 2, 3]))


# ---------------------------------------------------------------- the objective


def _setup(seed: int = 0, kind: str = "mlp", context_dim: int = 0):
    cfg = ModelConfig(
        block_sizes=tuple(SPACE.cardinalities), kind=kind, context_dim=context_dim, **TINY
    )
    model = build_model(cfg, jax.random.key(seed))
    rng = np.random.default_rng(seed)

    # Data, negatives and infeasible rows differ in their first parameter, so a few steps can
    # separate them.
    def designs(n: int, s: int, first: int | None) -> jnp.ndarray:
        d = SPACE.sample(n, seed=s)
        if first is not None:
            d[:, 0] = first
        return jnp.asarray(SPACE.onehot(d))

    x = designs(32, seed, 3)
    y = jnp.asarray(rng.normal(size=32), jnp.float32)
    c = jnp.zeros((32, context_dim)) + 0.5
    xn = designs(16, seed + 1, 9)
    xi = designs(16, seed + 2, 0)
    pair = jnp.asarray(rng.permutation(32), jnp.int32)
    batch = (x, y, c, pair, xn, c[:16], xi, c[:16])
    return model, batch


def _gaps(model, batch) -> tuple[float, float]:
    x, _, c, _, xn, cn, xi, ci = batch
    f = apply_batch(model, x, c).mean()
    return float(apply_batch(model, xn, cn).mean() - f), float(
        apply_batch(model, xi, ci).mean() - f
    )


@pytest.mark.parametrize("kind", ["mlp", "transformer"])
def test_a_step_lowers_negatives_and_infeasible_relative_to_data(kind: str) -> None:
    """Conservative steps lower the scores of negatives and infeasible rows relative to the
    data, below where the same steps without the penalties (naive) leave them."""
    model, batch = _setup(kind=kind)
    opt = make_optimizer(1e-2, 100, 1, 1.0, 1.0)
    neg0, inf0 = _gaps(model, batch)
    after = {}
    for name, alpha, beta in (("conservative", 5.0, 5.0), ("naive", 0.0, 0.0)):
        la = jnp.log(jnp.float32(alpha)) if alpha else jnp.float32(-jnp.inf)
        state = TrainState(model, opt.init(_params(model)), la, None)
        for i in range(5):
            state, aux = train_step(state, opt, None, _hyper(beta=beta), batch, jax.random.key(i))
            assert bool(jnp.isfinite(aux["loss"])) and bool(jnp.isfinite(aux["grad_norm"]))
        after[name] = _gaps(state.model, batch)
    (neg_c, inf_c), (neg_n, inf_n) = after["conservative"], after["naive"]
    assert neg_c < neg0 and inf_c < inf0
    assert neg_c < neg_n - 0.05 and inf_c < inf_n - 0.05


def _params(model):
    import equinox as eqx

    return eqx.filter(model, eqx.is_inexact_array)


def test_penalty_gradients_point_down_and_are_finite() -> None:
    """d loss / d f(x_neg) = alpha/n > 0 and d loss / d f(x_inf) = beta/n > 0 inside the clips."""
    import equinox as eqx

    model, batch = _setup(kind="transformer", context_dim=3)
    grad_fn = eqx.filter_jit(
        eqx.filter_grad(
            lambda m: objective(m, jnp.float32(1.0), _hyper(), *batch, jax.random.key(0))[0]
        )
    )
    grads = grad_fn(model)
    leaves = jax.tree.leaves(eqx.filter(grads, eqx.is_array))
    assert leaves and all(bool(jnp.isfinite(g).all()) for g in leaves)
    # Direct check on the scores: replace the model by the identity on a score vector.
    f_neg = jnp.array([0.3, -0.2])
    g = jax.grad(lambda f: 2.0 * jnp.maximum(jnp.mean(jnp.clip(f, -50.0, 50.0)), -50.0))(f_neg)
    assert bool((g > 0).all())


def test_clipping_stops_the_push() -> None:
    """Below the floor the penalties carry no gradient (no drift to -inf)."""
    import equinox as eqx

    model, batch = _setup()
    h = _hyper(neg_lo=1e6, neg_hi=2e6, inf_lo=1e6)  # everything is below the floors

    def only_pen(m):
        with_pen = objective(m, jnp.float32(1.0), h, *batch, None)[0]
        return with_pen - objective(m, jnp.float32(0.0), _hyper(beta=0.0), *batch, None)[0]

    grads = eqx.filter_grad(only_pen)(model)
    assert all(
        float(jnp.abs(g).max()) == 0.0 for g in jax.tree.leaves(eqx.filter(grads, eqx.is_array))
    )


def test_ranking_loss_is_correctly_signed() -> None:
    model, batch = _setup()
    x, y, c, pair, *rest = batch
    h = _hyper(ranking_weight=1.0, beta=0.0)

    # A model whose scores agree with y ranks better (lower loss) than one that disagrees:
    s = jnp.sign(y - y[pair])
    agree = jnp.mean(jax.nn.softplus(-s * (y - y[pair])))
    disagree = jnp.mean(jax.nn.softplus(-s * (-y + y[pair])))
    assert float(agree) < float(disagree)
    # and its gradient is not zero (the released version's sign() made it so).
    import equinox as eqx

    g = eqx.filter_grad(
        lambda m: objective(m, jnp.float32(0.0), h, x, y, c, pair, *rest, None)[1]["rank"]
    )(model)
    assert any(float(jnp.abs(v).max()) > 0 for v in jax.tree.leaves(eqx.filter(g, eqx.is_array)))


def test_dual_alpha_moves_towards_the_target_gap() -> None:
    import optax

    model, batch = _setup()
    opt = make_optimizer(1e-3, 10, 1, 1.0, 1.0)
    aopt = optax.adam(0.1)
    la = jnp.float32(0.0)
    state = TrainState(model, opt.init(_params(model)), la, aopt.init(la))
    # tau far above any gap: alpha must shrink; far below: grow.
    down, _ = train_step(state, opt, aopt, _hyper(tau=100.0), batch, jax.random.key(0))
    up, _ = train_step(state, opt, aopt, _hyper(tau=-100.0), batch, jax.random.key(0))
    assert float(down.log_alpha) < 0.0 < float(up.log_alpha)


# ---------------------------------------------------------------- negative samplers


def test_evolution_sampler_improves_scores_within_budget() -> None:
    cfg = ModelConfig(block_sizes=tuple(SPACE.cardinalities), kind="mlp", **TINY)
    model = build_model(cfg, jax.random.key(0))
    start = SPACE.sample(64, seed=1)
    s = EvolutionSampler([32], generations=4, area_budget=100.0)
    (top,) = s.run(model, [start], [np.zeros(0, np.float32)], np.random.default_rng(0))

    def score(d):
        return np.asarray(apply_batch(model, jnp.asarray(SPACE.onehot(d)), jnp.zeros((len(d), 0))))

    assert top.shape == (32, 10) and (area(top) <= 100.0).all()
    ok = area(start[:32]) <= 100.0
    assert score(top).max() >= score(start[:32])[ok].max()
    assert s.pool[0] is top  # the warm start of the next refresh
    (again,) = s.run(model, [start], [np.zeros(0, np.float32)], np.random.default_rng(0))
    assert score(again).mean() >= score(top).mean() - 1e-6


def test_gradient_sampler_uses_per_sample_gradients() -> None:
    cfg = ModelConfig(
        block_sizes=tuple(SPACE.cardinalities), kind="transformer", dropout=0.0, **TINY
    )
    model = build_model(cfg, jax.random.key(0))
    d = SPACE.sample(8, seed=2)
    x0 = jnp.asarray(SPACE.onehot(d))
    c = jnp.zeros((8, 0))
    g = GradientSampler(8, cfg.block_sizes, steps=10, step_size=0.5, init_logit=2.0)
    soft0 = GradientSampler(8, cfg.block_sizes, steps=0, init_logit=2.0).ascend(model, x0, c)
    soft = g.ascend(model, x0, c)
    assert bool((apply_batch(model, soft, c) > apply_batch(model, soft0, c)).all())
    # Every block is still a distribution.
    np.testing.assert_allclose(np.asarray(soft)[:, :10].sum(1), 1.0, rtol=1e-5)
    # Samples move differently (sample 0's gradient is not applied to everyone).
    delta = np.asarray(soft - soft0)
    assert not np.allclose(delta[0], delta[1], atol=1e-4)


# ---------------------------------------------------------------- training runs


def _train(ds, apps=(APP,), **kw):
    return train(ds, list(apps), model_config=kw.pop("model_config", MLP), **{**FAST, **kw})


def test_train_returns_a_model_predicting_milliseconds(ds, tmp_path: Path) -> None:
    m = _train(ds, out=tmp_path / "run")
    lat, score = m.predict(ds.designs[:20], APP, return_score=True)
    assert lat.shape == (20,) and np.isfinite(lat).all() and (lat > 0).all()
    np.testing.assert_allclose(m.transform.latency(score), lat)
    lines = [json.loads(s) for s in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [3, 6]
    assert all(-1 <= r["val_spearman"] <= 1 and APP in r["apps"] for r in lines)
    assert {"train_gap", "train_mse", "val_kendall", "val_mse", "train_alpha"} <= set(lines[0])


def test_same_seed_same_model_and_checkpoint_round_trip(ds, tmp_path: Path) -> None:
    a = _train(ds, seed=3, model_config=TINY)  # transformer: dropout keys must repeat too
    b = _train(ds, seed=3, out=tmp_path / "r", model_config=TINY)
    c = load(tmp_path / "r")
    d = ds.designs[:50]
    np.testing.assert_array_equal(a.score(d, APP), b.score(d, APP))
    np.testing.assert_array_equal(b.score(d, APP), c.score(d, APP))
    other = _train(ds, seed=4, model_config=TINY)
    assert not np.array_equal(a.score(d, APP), other.score(d, APP))


def test_resume_continues_the_same_run(ds, tmp_path: Path, monkeypatch) -> None:
    full = _train(ds, out=tmp_path / "full", steps=8, val_every=4)
    real_save = ckpt.save
    calls = {"n": 0}

    def interrupted_save(*args, **kw):
        out = real_save(*args, **kw)
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt
        return out

    monkeypatch.setattr(ckpt, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        _train(ds, out=tmp_path / "part", steps=8, val_every=4)
    monkeypatch.setattr(ckpt, "save", real_save)
    with pytest.raises(OutputError, match="resume"):
        _train(ds, out=tmp_path / "part", steps=8, val_every=4)
    resumed = _train(ds, out=tmp_path / "part", steps=8, val_every=4, resume=True)
    d = ds.designs[:50]
    np.testing.assert_array_equal(
        load(tmp_path / "full", "latest").score(d, APP),
        load(tmp_path / "part", "latest").score(d, APP),
    )
    assert resumed.apps == full.apps
    steps = [
        json.loads(s)["step"]
        for s in (tmp_path / "part" / "metrics.jsonl").read_text().splitlines()
    ]
    assert steps == [4, 8]


def test_resume_with_another_config_is_refused(ds, tmp_path: Path) -> None:
    _train(ds, out=tmp_path / "r")
    with pytest.raises(CheckpointError, match="model config"):
        _train(ds, out=tmp_path / "r", resume=True, model_config={**MLP, "head_hidden": (8,)})
    with pytest.raises(CheckpointError, match="settings"):
        _train(ds, out=tmp_path / "r", resume=True, alpha=0.5)


def test_checkpoint_from_another_model_config_is_a_clear_error(ds, tmp_path: Path) -> None:
    _train(ds, out=tmp_path / "a")
    _train(ds, out=tmp_path / "b", model_config={**MLP, "head_hidden": (8,)})
    ta, _ = ckpt.read_pointer(tmp_path / "a")
    tb, _ = ckpt.read_pointer(tmp_path / "b")
    shutil.copy(tb / "model.eqx", ta / "model.eqx")
    with pytest.raises(CheckpointError, match="does not match"):
        load(tmp_path / "a")
    with pytest.raises(CheckpointError, match="no 'best' checkpoint"):
        load(tmp_path / "nothing")


def test_naive_mode_is_plain_regression() -> None:
    cfg = TrainConfig().as_naive()
    assert cfg.naive and cfg.alpha == cfg.beta == 0.0 and not TrainConfig().naive


def test_gradient_negatives_and_dual_alpha_train(ds) -> None:
    m = _train(ds, negatives="gradient", alpha_dual=True, ranking_weight=0.5, grad_steps=3)
    assert np.isfinite(m.score(ds.designs[:10], APP)).all()


def test_transformer_with_mixture_head_trains(ds) -> None:
    m = _train(ds, model_config={**TINY, "n_experts": 2}, steps=3, val_every=3)
    assert np.isfinite(m.score(ds.designs[:10], APP)).all()


# ---------------------------------------------------------------- contextual model


def test_contextual_model_per_application(ds2, tmp_path: Path) -> None:
    m = _train(ds2, (APP, "resnet50"), out=tmp_path / "ctx", model_config=TINY)
    assert m.config.contextual
    d = ds2.designs[:30]
    assert not np.allclose(m.score(d, APP), m.score(d, "resnet50"))
    rec = json.loads((tmp_path / "ctx" / "metrics.jsonl").read_text().splitlines()[-1])
    assert set(rec["apps"]) == {APP, "resnet50"}
    # Zero-shot: an unseen built-in application gets its context from the zoo.
    assert np.isfinite(m.score(d, "unet")).all()
    np.testing.assert_array_equal(
        load(tmp_path / "ctx").score(d, "resnet50"), m.score(d, "resnet50")
    )


def test_non_builtin_application_needs_a_context(ds2) -> None:
    renamed = types.SimpleNamespace(**vars(ds2))
    renamed.application = np.where(ds2.application == "resnet50", "m4", ds2.application)
    with pytest.raises(UnknownApplicationError, match="m4"):
        _train(renamed, (APP, "m4"))
    from prime_rs import workloads

    ctx = workloads.load("resnet50").context
    m = _train(renamed, (APP, "m4"), contexts={"m4": ctx}, steps=2, val_every=2)
    assert np.isfinite(m.score(ds2.designs[:5], "m4")).all()


def test_plain_model_refuses_other_applications(ds) -> None:
    m = _train(ds, steps=2, val_every=2)
    with pytest.raises(UnknownApplicationError):
        m.predict(ds.designs[:3], "unet")


# ---------------------------------------------------------------- bad input


def test_no_feasible_rows(ds) -> None:
    bad = types.SimpleNamespace(**vars(ds))
    bad.feasible = np.zeros_like(ds.feasible)
    with pytest.raises(TrainingError, match="feasible"):
        _train(bad)


def test_application_missing_from_the_data(ds) -> None:
    with pytest.raises(UnknownApplicationError, match="unet"):
        _train(ds, ("unet",))


def test_nan_latencies_are_reported(ds) -> None:
    bad = types.SimpleNamespace(**vars(ds))
    bad.latency_ms = ds.latency_ms.copy()
    bad.latency_ms[np.flatnonzero(ds.feasible)[:3]] = np.nan
    with pytest.raises(DatasetError, match="3 feasible row"):
        _train(bad)


def test_bad_settings_are_rejected(ds) -> None:
    from prime_rs.errors import InvalidArgumentError

    for kw in ({"steps": 0}, {"alpha": -1.0}, {"negatives": "random"}, {"beta": float("nan")}):
        with pytest.raises(InvalidArgumentError):
            _train(ds, **kw)


# ---------------------------------------------------------------- command line


def test_cli_train_writes_metrics_and_a_loadable_checkpoint(ds, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from prime_rs import data
    from prime_rs.cli import _register, app

    _register()
    path = tmp_path / "d.parquet"
    data.from_arrays(ds.designs, ds.application, ds.latency_ms, ds.area_mm2, ds.feasible).save(path)
    run = tmp_path / "run"
    args = [
        "train",
        "--data",
        str(path),
        "--apps",
        APP,
        "--out",
        str(run),
        "--steps",
        "2",
        "--val-every",
        "2",
        "--model",
        "mlp",
        "--area-budget",
        "200",
        "--json",
    ]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["best_step"] == 2 and summary["apps"] == [APP]
    rec = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert rec["step"] == 2 and "val_spearman" in rec
    assert np.isfinite(load(run).predict(ds.designs[:4], APP)).all()
    # Bad input: exit code 2 and a message, no traceback.
    res = CliRunner().invoke(app, [*args[:4], "unet", *args[5:6], str(tmp_path / "r2")])
    assert res.exit_code == 2 and "unet" in res.stderr
    res = CliRunner().invoke(app, args)  # the run exists and --resume was not given
    assert res.exit_code == 2 and "--resume" in res.stderr
