"""The PRIME objective and the jitted training step.

loss = MSE(f(x), y) over feasible in-budget rows
     + alpha * mean(clip(f(x_neg), lo, hi))   (floored at lo)   negatives: the model's own optima
     + beta  * mean(f(x_inf))                 (floored at lo)   simulator-infeasible + over-budget
     + gamma * mean softplus(-sign(y_i - y_j) * (f_i - f_j))     optional pairwise ranking loss

Minimising the alpha and beta terms pushes the scores of negatives and infeasible designs down;
the MSE term holds the scores of logged designs at their targets, so the net effect is a gap
between the model's optima and the data (conservatism). Without a floor the penalties would push
scores to -inf; the floor (a clip, whose gradient is 0 beyond it) stops the push once a design
scores below every logged design (the released code's clips at -4000 / -1000 on raw -runtime play
the same role). ``Clipping.from_scores`` restates them on the standardised score scale.

All rows go through the network in the same (training, dropout) mode: scoring the penalty rows
in inference mode lets the network learn to lower inference-mode scores across the board while
keeping its dropout-mode fit (observed: a -14 offset at evaluation).

COMs-style dual update (optional): alpha = exp(log_alpha), and log_alpha takes an Adam step on
alpha * (tau - gap), gap = mean f(x_neg) - mean f(x_data): alpha grows while the model rates its
own optima more than tau above the data and shrinks otherwise.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from prime_rs.model import Surrogate, apply_batch

__all__ = [
    "Clipping",
    "Hyper",
    "TrainState",
    "make_alpha_optimizer",
    "make_optimizer",
    "objective",
    "train_step",
]


@dataclasses.dataclass(frozen=True)
class Clipping:
    """Bounds on the penalty terms, in standardised score units."""

    neg_lo: float
    neg_hi: float
    inf_lo: float

    @classmethod
    def from_scores(cls, y_min: float, y_max: float, margin: float = 1.0) -> Clipping:
        """Negatives and infeasible designs are pushed down to ``margin`` standard deviations
        below the worst logged design, no further; a negative's score counts at most ``margin``
        above the best logged design, so one wild over-estimate cannot dominate the mean."""
        return cls(neg_lo=y_min - margin, neg_hi=y_max + margin, inf_lo=y_min - margin)

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


class Hyper(eqx.Module):
    """Per-step scalars (traced, so changing them does not recompile)."""

    beta: jax.Array
    ranking_weight: jax.Array
    tau: jax.Array
    neg_lo: jax.Array
    neg_hi: jax.Array
    inf_lo: jax.Array
    inf_weight: jax.Array


class TrainState(eqx.Module):
    model: Surrogate
    opt_state: Any
    log_alpha: jax.Array
    alpha_opt_state: Any


@functools.cache
def make_optimizer(
    learning_rate: float, steps: int, warmup_steps: int, grad_clip: float, min_lr_ratio: float
) -> optax.GradientTransformation:
    """Adam with linear warm-up and cosine decay, after global-norm gradient clipping.

    Cached: the optimiser is a static argument of the jitted step, so runs with the same
    settings (a naive and a conservative run, tests) share one compiled step."""
    schedule = optax.warmup_cosine_decay_schedule(
        init_value=0.0,
        peak_value=learning_rate,
        warmup_steps=max(1, min(warmup_steps, steps - 1)),
        decay_steps=max(2, steps),
        end_value=learning_rate * min_lr_ratio,
    )
    return optax.chain(optax.clip_by_global_norm(grad_clip), optax.adam(schedule))


@functools.cache
def make_alpha_optimizer(learning_rate: float) -> optax.GradientTransformation:
    """Adam on log alpha for the dual update (cached like ``make_optimizer``)."""
    return optax.adam(learning_rate)


def objective(
    model: Surrogate,
    alpha: jax.Array,
    hyper: Hyper,
    x: jax.Array,
    y: jax.Array,
    ctx: jax.Array,
    pair: jax.Array,
    x_neg: jax.Array,
    ctx_neg: jax.Array,
    x_inf: jax.Array,
    ctx_inf: jax.Array,
    key: jax.Array | None,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """The loss and its parts (see the module docstring)."""
    # One pass, one mode: were the penalty rows scored without dropout and the data with it,
    # the network could learn to tell the two modes apart and lower every inference-mode score.
    f_all = apply_batch(
        model,
        jnp.concatenate([x, x_neg, x_inf]),
        jnp.concatenate([ctx, ctx_neg, ctx_inf]),
        key,
    )
    n, n_neg = x.shape[0], x_neg.shape[0]
    f, f_neg, f_inf = f_all[:n], f_all[n : n + n_neg], f_all[n + n_neg :]
    mse = jnp.mean((f - y) ** 2)
    neg_term = jnp.maximum(jnp.mean(jnp.clip(f_neg, hyper.neg_lo, hyper.neg_hi)), hyper.neg_lo)
    inf_term = jnp.maximum(jnp.mean(f_inf), hyper.inf_lo)
    # Pairwise logistic ranking loss: for y_i > y_j it is softplus(-(f_i - f_j)), which falls as
    # f_i rises above f_j. Tied pairs carry no order and are left out.
    s = jnp.sign(y - y[pair])
    rank_terms = jax.nn.softplus(-s * (f - f[pair]))
    n_pairs = jnp.maximum(jnp.sum(jnp.abs(s)), 1.0)
    rank = jnp.sum(jnp.abs(s) * rank_terms) / n_pairs
    loss = (
        mse
        + alpha * neg_term
        + hyper.beta * hyper.inf_weight * inf_term
        + hyper.ranking_weight * rank
    )
    aux = {
        "loss": loss,
        "mse": mse,
        "rank": rank,
        "data_mean": jnp.mean(f),
        "neg_mean": jnp.mean(f_neg),
        "inf_mean": jnp.mean(f_inf),
        "gap": jnp.mean(f_neg) - jnp.mean(f),
    }
    return loss, aux


@eqx.filter_jit
def train_step(
    state: TrainState,
    optimizer: optax.GradientTransformation,
    alpha_optimizer: optax.GradientTransformation | None,
    hyper: Hyper,
    batch: tuple[jax.Array, ...],
    key: jax.Array,
) -> tuple[TrainState, dict[str, jax.Array]]:
    """One optimiser step on ``batch`` = (x, y, ctx, pair, x_neg, ctx_neg, x_inf, ctx_inf)."""
    alpha = jnp.exp(state.log_alpha)

    def loss_of(model: Surrogate) -> tuple[jax.Array, dict[str, jax.Array]]:
        return objective(model, alpha, hyper, *batch, key)

    (_, aux), grads = eqx.filter_value_and_grad(loss_of, has_aux=True)(state.model)
    params = eqx.filter(state.model, eqx.is_inexact_array)
    updates, opt_state = optimizer.update(grads, state.opt_state, params)
    model = eqx.apply_updates(state.model, updates)
    log_alpha, alpha_opt_state = state.log_alpha, state.alpha_opt_state
    if alpha_optimizer is not None:
        # d/d(log alpha) of alpha * (tau - gap) is alpha * (tau - gap).
        g = alpha * (hyper.tau - jax.lax.stop_gradient(aux["gap"]))
        upd, alpha_opt_state = alpha_optimizer.update(g, alpha_opt_state, log_alpha)
        log_alpha = optax.apply_updates(log_alpha, upd)
    aux["alpha"] = alpha
    aux["grad_norm"] = optax.tree.norm(grads)
    return TrainState(model, opt_state, log_alpha, alpha_opt_state), aux
