"""Negative samples: designs found by optimising the current surrogate.

The conservative term lowers the model's score of exactly the designs an optimiser of the model
would propose, so the sampler should search the way the final optimiser does.

- ``EvolutionSampler`` (default; the paper's choice): a short, warm-started (mu + lambda) run
  per application on the surrogate: the :class:`~prime_rs.search.MuPlusLambda` proposer driven
  by :func:`~prime_rs.search.run_on_surrogate`, breeding with the native kernel. The population
  starts from last refresh's negatives plus the current feasible batch; fitness is the model's
  score, -inf over the area budget (the optimiser's hard constraint); the top survivors are
  the negatives, and the warm start of the next refresh.
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
from prime_rs.search import GeneratorStreams, MuPlusLambda, MuPlusLambdaSettings, run_on_surrogate
from prime_rs.train.scoring import score_batch

__all__ = ["EvolutionSampler", "GradientSampler", "blockwise_softmax"]


def _rows_with_contexts(
    parts: Sequence[np.ndarray], contexts: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Negatives as model inputs: one-hots (n, 77) and each row's context (n, c), float32."""
    from prime_rs import SPACE

    x = SPACE.onehot(np.concatenate(parts))
    c = np.concatenate(
        [np.broadcast_to(ctx, (len(p), ctx.size)) for p, ctx in zip(parts, contexts, strict=True)]
    )
    return np.asarray(x, np.float32), np.asarray(c, np.float32)


class EvolutionSampler:
    """Warm-started (mu + lambda) evolution on the surrogate, one population per application.

    Each refresh runs, per application in order, a fresh :class:`~prime_rs.search.MuPlusLambda`
    whose population (mu) is its starting set (the pool, then the batch's first rows): every
    generation breeds one child per negative and keeps the mu best of parents and children, in
    score order with ties in arrival order, clones allowed. The budget is the score function's
    rule (-inf), not the proposer's filter, so an over-budget child is scored and ranked last
    instead of being dropped. Breeding seeds are drawn from the caller's generator in call order
    (:class:`~prime_rs.search.GeneratorStreams`): the training run's one generator.
    """

    #: The breeding kernel's knobs (tournament, crossover, per-parameter step), fixed since the
    #: sampler was first written; only the mutation rate is a training setting.
    TOURNAMENT_SIZE = 5
    CROSSOVER_PROB = 0.5
    STEP_PROB = 0.5

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
        fit = np.asarray(score_batch(model, x, ctx), dtype=np.float64)
        if self.area_budget is not None:
            fit[area(designs) > self.area_budget] = -np.inf
        return fit

    def _proposer(self, init: np.ndarray, n: int, rng: np.random.Generator) -> MuPlusLambda:
        settings = MuPlusLambdaSettings(
            population=len(init),
            children=n,
            tournament_size=self.TOURNAMENT_SIZE,
            crossover_prob=self.CROSSOVER_PROB,
            mutation_rate=self.mutation_rate,
            step_prob=self.STEP_PROB,
            distinct=False,
        )
        # No area budget on the proposer: the fitness holds it (see the class docstring).
        return MuPlusLambda(settings, init=init, streams=GeneratorStreams(rng))

    def run(
        self,
        model: Surrogate,
        starts: Sequence[np.ndarray],
        contexts: Sequence[np.ndarray],
        rng: np.random.Generator,
    ) -> list[np.ndarray]:
        """Top designs per application ((n_app, 10) uint8 each); updates the warm-start pool."""
        out = []
        for i, (n, start, ctx) in enumerate(zip(self.n_per_app, starts, contexts, strict=True)):
            warm = self.pool[i]
            init = np.asarray(start[:n], dtype=np.uint8)
            if warm is not None:
                init = np.concatenate([warm, init])
            proposer = self._proposer(init, n, rng)
            run_on_surrogate(
                lambda d, ctx=ctx: self._fitness(model, d, ctx),
                proposer,
                self.generations,
                candidates=n,
            )
            # The survivors, not the driver's distinct top-k: negatives may repeat a design,
            # and with no generation they are the starting set in its order.
            top = proposer.population[0][:n]
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
        return _rows_with_contexts(self.run(model, starts, contexts, rng), contexts)


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
        del rng  # deterministic given the starts
        x0, ctx = _rows_with_contexts(starts, contexts)
        x = self.ascend(model, jnp.asarray(x0[: self.n]), jnp.asarray(ctx[: self.n]))
        return np.asarray(x, np.float32), ctx[: self.n]


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
