"""The surrogate architectures (prime_rs.model)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prime_rs import SPACE
from prime_rs.errors import InvalidArgumentError
from prime_rs.model import (
    ModelConfig,
    apply_batch,
    build_model,
    dropout_mask,
    sinusoidal_positions,
)

BLOCKS = tuple(SPACE.cardinalities)
TINY = {"d_model": 16, "n_heads": 2, "ffn_dim": 32, "head_hidden": (32,), "n_layers": 1}


def _x(n: int, seed: int = 0) -> jnp.ndarray:
    return jnp.asarray(SPACE.onehot(SPACE.sample(n, seed=seed)))


def test_defaults_are_the_papers() -> None:
    c = ModelConfig(block_sizes=BLOCKS)
    assert (c.kind, c.d_model, c.n_layers, c.n_heads, c.ffn_dim, c.dropout) == (
        "transformer",
        64,
        2,
        8,
        256,
        0.1,
    )
    assert c.head_hidden == (256, 256, 256) and c.input_width == 77 == SPACE.onehot_width


@pytest.mark.parametrize(
    "kw",
    [
        {"kind": "cnn"},
        {"d_model": 10, "n_heads": 4},
        {"dropout": 1.0},
        {"n_experts": 1},
        {"head_hidden": (0,)},
        {"block_sizes": ()},
    ],
)
def test_bad_config_is_rejected(kw: dict) -> None:
    with pytest.raises(InvalidArgumentError):
        ModelConfig(**{"block_sizes": BLOCKS, **kw})


def test_config_round_trips_through_json_dict() -> None:
    c = ModelConfig(block_sizes=BLOCKS, n_experts=3, context_dim=5, head_hidden=(8, 8))
    assert ModelConfig.from_dict(c.to_dict()) == c
    with pytest.raises(InvalidArgumentError, match="unknown"):
        ModelConfig.from_dict({**c.to_dict(), "width": 3})


@pytest.mark.parametrize("kind", ["transformer", "mlp"])
@pytest.mark.parametrize("experts", [0, 3])
def test_batched_equals_per_sample_and_is_finite(kind: str, experts: int) -> None:
    m = build_model(
        ModelConfig(block_sizes=BLOCKS, kind=kind, n_experts=experts, **TINY), jax.random.key(0)
    )
    x = _x(6)
    batched = apply_batch(m, x, jnp.zeros((6, 0)))
    assert batched.shape == (6,) and bool(jnp.isfinite(batched).all())
    single = jnp.stack([m(x[i]) for i in range(6)])
    np.testing.assert_allclose(batched, single, rtol=1e-5, atol=1e-6)


def test_relaxed_onehots_are_accepted() -> None:
    m = build_model(ModelConfig(block_sizes=BLOCKS, **TINY), jax.random.key(0))
    soft = jax.random.uniform(jax.random.key(1), (4, 77))
    assert bool(jnp.isfinite(apply_batch(m, soft, jnp.zeros((4, 0)))).all())


def test_embedding_is_per_block() -> None:
    """Changing one parameter's index changes only that parameter's token embedding."""
    m = build_model(ModelConfig(block_sizes=BLOCKS, **TINY), jax.random.key(0))
    d = SPACE.sample(1, seed=3)
    d2 = d.copy()
    d2[0, 4] = (d2[0, 4] + 1) % BLOCKS[4]
    e1 = m.embed(jnp.asarray(SPACE.onehot(d))[0])
    e2 = m.embed(jnp.asarray(SPACE.onehot(d2))[0])
    changed = np.flatnonzero(np.abs(np.asarray(e1 - e2)).sum(axis=1) > 0)
    assert changed.tolist() == [4]


def test_dropout_only_with_a_key() -> None:
    m = build_model(ModelConfig(block_sizes=BLOCKS, **TINY), jax.random.key(0))
    x, c = _x(8), jnp.zeros((8, 0))
    np.testing.assert_array_equal(apply_batch(m, x, c), apply_batch(m, x, c))
    a = apply_batch(m, x, c, jax.random.key(1))
    b = apply_batch(m, x, c, jax.random.key(2))
    assert not np.allclose(a, b)


@pytest.mark.parametrize("keep", [0.9, 0.5, 0.02])
def test_dropout_mask_keeps_each_element_with_the_given_probability(keep: float) -> None:
    n = 400_000
    m = np.asarray(dropout_mask(jax.random.key(7, impl="rbg"), (n,), keep))
    # Binomial(n, keep): 5 standard deviations either side.
    assert abs(m.mean() - keep) < 5 * np.sqrt(keep * (1 - keep) / n)


def test_dropout_mask_is_a_pure_function_of_the_key_and_uncorrelated() -> None:
    shape = (512, 10, 64)
    k1, k2 = jax.random.key(1, impl="rbg"), jax.random.key(2, impl="rbg")
    a, b = np.asarray(dropout_mask(k1, shape, 0.5)), np.asarray(dropout_mask(k2, shape, 0.5))
    np.testing.assert_array_equal(a, np.asarray(dropout_mask(k1, shape, 0.5)))
    assert a.shape == shape and a.dtype == np.bool_
    flat_a, flat_b = a.ravel().astype(float), b.ravel().astype(float)
    tol = 5 / np.sqrt(flat_a.size)
    # Two keys, and neighbouring elements (along every axis) under one key, are uncorrelated,
    # and the masks of two keys are not shifts of each other.
    assert abs(np.corrcoef(flat_a, flat_b)[0, 1]) < tol
    for axis in range(3):
        x, y = np.moveaxis(a, axis, 0)[1:].ravel(), np.moveaxis(a, axis, 0)[:-1].ravel()
        assert abs(np.corrcoef(x.astype(float), y.astype(float))[0, 1]) < 2 * tol
    for shift in (1, 64, 640):
        assert abs(np.corrcoef(flat_a[shift:], flat_b[:-shift])[0, 1]) < 2 * tol


def test_dropout_mask_refuses_a_counter_overflow() -> None:
    with pytest.raises(InvalidArgumentError, match="2\\*\\*32"):
        dropout_mask(jax.random.key(0, impl="rbg"), (2**16, 2**16), 0.9)


def test_contextual_model_depends_on_the_context() -> None:
    cfg = ModelConfig(block_sizes=BLOCKS, context_dim=4, **TINY)
    m = build_model(cfg, jax.random.key(0))
    x = _x(5)
    c1 = jnp.tile(jnp.array([1.0, 0.0, 0.5, 0.2]), (5, 1))
    c2 = jnp.tile(jnp.array([0.0, 1.0, 0.1, 0.9]), (5, 1))
    assert not np.allclose(apply_batch(m, x, c1), apply_batch(m, x, c2))
    with pytest.raises(InvalidArgumentError, match="context"):
        m(x[0])


def test_position_code_shape_and_values() -> None:
    p = sinusoidal_positions(10, 64)
    assert p.shape == (10, 64)
    np.testing.assert_allclose(p[0, 0::2], 0.0)
    np.testing.assert_allclose(p[0, 1::2], 1.0)
    assert len({tuple(r) for r in np.round(p, 6)}) == 10  # every position is distinct


def test_same_key_same_model() -> None:
    cfg = ModelConfig(block_sizes=BLOCKS, **TINY)
    x = _x(3)
    a = apply_batch(build_model(cfg, jax.random.key(7)), x, jnp.zeros((3, 0)))
    b = apply_batch(build_model(cfg, jax.random.key(7)), x, jnp.zeros((3, 0)))
    np.testing.assert_array_equal(a, b)
