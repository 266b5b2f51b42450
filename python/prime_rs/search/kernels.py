"""The native breeding kernel every evolutionary proposer uses: one call breeds a generation.

Scoring stays with the caller (simulator or surrogate); this only selects, recombines and
mutates, deterministically for a seed and independently of the thread count.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from prime_rs import _native
from prime_rs.checks import MAX_ROWS, MAX_TOURNAMENT, count, real
from prime_rs.checks import seed as check_seed
from prime_rs.errors import InvalidArgumentError
from prime_rs.space import SPACE, DesignsLike

__all__ = ["next_generation"]


def next_generation(
    population: DesignsLike,
    fitness: npt.ArrayLike,
    n_children: int,
    *,
    seed: int = 0,
    tournament_size: int = 5,
    crossover_prob: float = 0.5,
    mutation_rate: float = 0.1,
    step_prob: float = 0.5,
) -> npt.NDArray[np.uint8]:
    """Breed ``n_children`` designs ``(n_children, 10)`` from a scored population.

    Each child is the winner of a tournament (``tournament_size`` uniform draws with
    replacement; highest ``fitness`` wins, NaN and -inf count as the worst), crossed with
    probability ``crossover_prob`` with a second winner (uniform crossover), then mutated (see
    :meth:`prime_rs.space.DesignSpace.mutate`; ``mutation_rate=0`` disables mutation). Child
    ``i`` depends only on ``seed``, ``i`` and the inputs, so pass a new seed each generation.
    """
    pop = SPACE.validate(population)
    try:
        raw = np.asarray(fitness)
        if raw.dtype.kind not in "biuf" and raw.dtype != object:
            # complex, dates, strings: a cast would drop parts or warn (found by fuzzing).
            raise TypeError
        fit = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise InvalidArgumentError("fitness must be a 1-D array of numbers") from None
    if fit.ndim != 1 or fit.shape[0] != pop.shape[0]:
        raise InvalidArgumentError(
            f"fitness must have shape ({pop.shape[0]},) to match the population, "
            f"got {tuple(fit.shape)}"
        )
    return _native.search.next_generation(
        pop,
        np.ascontiguousarray(fit),
        count(n_children, "n_children", 0, MAX_ROWS),
        check_seed(seed),
        count(tournament_size, "tournament_size", 0, MAX_TOURNAMENT),
        real(crossover_prob, "crossover_prob"),
        real(mutation_rate, "mutation_rate"),
        real(step_prob, "step_prob"),
    )
