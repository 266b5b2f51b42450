"""Negative samples: designs found by optimising the current surrogate.

The conservative term lowers the model's score of exactly the designs an optimiser of the model
would propose, so the sampler should search the way the final optimiser does.

- ``EvolutionSampler`` (default; the paper's choice): a short, warm-started evolutionary run per
  application on the surrogate, with the native batch selection/crossover/mutation kernel
  (``prime_rs.search.next_generation``). The population starts from last refresh's negatives
  plus the current feasible batch; fitness is the model's score, -inf over the area budget (the
  optimiser's hard constraint); (mu + lambda) survival; the top designs are the negatives.
- ``GradientSampler``: gradient ascent on relaxed one-hots (a softmax per block over logits that
  start at the feasible batch), with a per-sample gradient (the released code applied sample 0's
  gradient to every sample). Its negatives are the soft one-hots themselves, as in the release.
"""

from __future__ import annotations

from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from prime_rs.model import Surrogate, apply_batch
from prime_rs.objective import DEFAULT_AREA_BUDGET

__all__ = ["EvolutionSampler", "GradientSampler", "blockwise_softmax"]


@eqx.filter_jit
def _score(model: Surrogate, x: jax.Array, ctx: jax.Array) -> jax.Array:
    return apply_batch(model, x, ctx, None)


def _derive_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**63 - 1))


class EvolutionSampler:
    """Warm-started (mu + lambda) evolution on the surrogate, one population per application."""

    def __init__(
        self,
        n_per_app: Sequence[int],
        generations: int = 3,
        area_budget: float | None = DEFAULT_AREA_BUDGET,
        mutation_rate: float = 0.1,
    ):
        self.n_per_app = [int(n) for n in n_per_app]
        self.generations = int(generations)
        self.area_budget = area_budget
        self.mutation_rate = float(mutation_rate)
        self.pool: list[np.ndarray | None] = [None] * len(self.n_per_app)

    def _fitness(self, model: Surrogate, designs: np.ndarray, context: np.ndarray) -> np.ndarray:
        from prime_rs import SPACE, area

        x = jnp.asarray(SPACE.onehot(designs))
        ctx = jnp.asarray(np.broadcast_to(context, (len(designs), context.size)))
        fit = np.asarray(_score(model, x, ctx), dtype=np.float64)
        if self.area_budget is not None:
            fit[area(designs) > self.area_budget] = -np.inf
        return fit

    def run(
        self,
        model: Surrogate,
        starts: Sequence[np.ndarray],
        contexts: Sequence[np.ndarray],
        rng: np.random.Generator,
    ) -> list[np.ndarray]:
        """Top designs per application ((n_app, 10) uint8 each); updates the warm-start pool."""
        from prime_rs.search import next_generation

        out = []
        for i, (n, start, ctx) in enumerate(zip(self.n_per_app, starts, contexts, strict=True)):
            warm = self.pool[i]
            pop = np.asarray(start[:n], dtype=np.uint8)
            if warm is not None:
                pop = np.concatenate([warm, pop])
            fit = self._fitness(model, pop, ctx)
            mu = len(pop)
            for _ in range(self.generations):
                children = next_generation(
                    pop, fit, n, seed=_derive_seed(rng), mutation_rate=self.mutation_rate
                )
                cfit = self._fitness(model, children, ctx)
                pop = np.concatenate([pop, children])
                fit = np.concatenate([fit, cfit])
                keep = np.argsort(-fit, kind="stable")[:mu]
                pop, fit = pop[keep], fit[keep]
            top = pop[:n]
            self.pool[i] = top
            out.append(top)
        return out

    def sample(
        self,
        model: Surrogate,
        starts: Sequence[np.ndarray],
        contexts: Sequence[np.ndarray],
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Negatives as model inputs: (one-hot (n,77) float32, context (n,c) float32)."""
        from prime_rs import SPACE

        tops = self.run(model, starts, contexts, rng)
        x = SPACE.onehot(np.concatenate(tops))
        c = np.concatenate(
            [
                np.broadcast_to(ctx, (len(t), ctx.size))
                for t, ctx in zip(tops, contexts, strict=True)
            ]
        )
        return np.asarray(x, np.float32), np.asarray(c, np.float32)


def blockwise_softmax(z: jax.Array, block_sizes: Sequence[int]) -> jax.Array:
    """Softmax over each one-hot block of the last axis (a relaxed one-hot)."""
    parts, start = [], 0
    for size in block_sizes:
        parts.append(jax.nn.softmax(z[..., start : start + size], axis=-1))
        start += size
    return jnp.concatenate(parts, axis=-1)


class GradientSampler:
    """Per-sample gradient ascent on relaxed one-hots, started from the feasible batch."""

    def __init__(
        self,
        n: int,
        block_sizes: Sequence[int],
        steps: int = 20,
        step_size: float = 0.5,
        init_logit: float = 4.0,
    ):
        self.n = int(n)
        self.block_sizes = tuple(block_sizes)
        self.steps = int(steps)
        self.step_size = float(step_size)
        self.init_logit = float(init_logit)

    def ascend(self, model: Surrogate, x0: jax.Array, ctx: jax.Array) -> jax.Array:
        return _ascend(
            model, x0, ctx, self.block_sizes, self.steps, self.step_size, self.init_logit
        )

    def sample(
        self,
        model: Surrogate,
        starts: Sequence[np.ndarray],
        contexts: Sequence[np.ndarray],
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        from prime_rs import SPACE

        del rng  # deterministic given the starts
        designs = np.concatenate(starts)[: self.n]
        ctx = np.concatenate(
            [np.broadcast_to(c, (len(s), c.size)) for s, c in zip(starts, contexts, strict=True)]
        )[: self.n]
        x = self.ascend(model, jnp.asarray(SPACE.onehot(designs)), jnp.asarray(ctx, jnp.float32))
        return np.asarray(x, np.float32), np.asarray(ctx, np.float32)


@eqx.filter_jit
def _ascend(
    model: Surrogate,
    x0: jax.Array,
    ctx: jax.Array,
    block_sizes: tuple[int, ...],
    steps: int,
    step_size: float,
    init_logit: float,
) -> jax.Array:
    def score_one(z: jax.Array, c: jax.Array) -> jax.Array:
        x = blockwise_softmax(z, block_sizes)
        return apply_batch(model, x[None], c[None], None)[0]

    # vmap(grad): every sample follows its own gradient.
    grad = jax.vmap(jax.grad(score_one))

    def body(_: int, z: jax.Array) -> jax.Array:
        return z + step_size * grad(z, ctx)

    z = jax.lax.fori_loop(0, steps, body, x0 * init_logit)
    return blockwise_softmax(z, block_sizes)
