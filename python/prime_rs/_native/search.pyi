"""`prime_rs._native.search` (rust/prime-py/src/search.rs)."""

import numpy as np
import numpy.typing as npt

def next_generation(
    population: npt.NDArray[np.uint8],
    fitness: npt.NDArray[np.float64],
    n_children: int,
    seed: int,
    tournament_size: int,
    crossover_prob: float,
    mutation_rate: float,
    step_prob: float,
) -> npt.NDArray[np.uint8]: ...
