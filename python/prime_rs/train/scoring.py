"""The one jitted scorer of a surrogate on encoded designs (inference mode, no dropout): what
the negative sampler, validation and ``TrainedModel`` all call."""

from __future__ import annotations

import equinox as eqx
import jax

from prime_rs.model import Surrogate, apply_batch

__all__ = ["score_batch"]


@eqx.filter_jit
def score_batch(model: Surrogate, x: jax.Array, ctx: jax.Array) -> jax.Array:
    """Scores of one-hot rows ``x`` (n, 77) under contexts ``ctx`` (n, c)."""
    return apply_batch(model, x, ctx, None)
