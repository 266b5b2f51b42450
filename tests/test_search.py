"""Population kernels: next_generation, and thread-count independence of all random kernels."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prime_rs.errors import InvalidArgumentError, InvalidDesignError
from prime_rs.search import next_generation
from prime_rs.space import SPACE


def _population(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    pop = SPACE.sample(n, seed=seed)
    return pop, -pop.astype(np.float64).sum(axis=1)


def test_deterministic_per_seed() -> None:
    pop, fit = _population(300)
    a = next_generation(pop, fit, 500, seed=4)
    assert a.shape == (500, 10) and a.dtype == np.uint8
    assert np.array_equal(a, next_generation(pop, fit, 500, seed=4))
    assert not np.array_equal(a, next_generation(pop, fit, 500, seed=5))
    # Child i depends only on (seed, i): a long (parallel) batch starts with the short one.
    assert np.array_equal(next_generation(pop, fit, 20_000, seed=4)[:500], a)
    assert next_generation(pop, fit, 0, seed=4).shape == (0, 10)


def test_prefers_fitter_parents() -> None:
    pop, fit = _population(5000, seed=1)
    kids = next_generation(
        pop, fit, 5000, seed=2, tournament_size=32, mutation_rate=0.05, step_prob=1.0
    )
    SPACE.validate(kids)
    # fitness = -index sum: a size-32 tournament picks parents far below the mean sum (~30.5).
    assert kids.astype(int).sum(axis=1).mean() < pop.astype(int).sum(axis=1).mean() - 8
    # A tournament of one is uniform selection: no bias beyond noise.
    flat = next_generation(
        pop, fit, 5000, seed=2, tournament_size=1, crossover_prob=0.0, mutation_rate=0.0
    )
    assert abs(flat.astype(int).sum(axis=1).mean() - pop.astype(int).sum(axis=1).mean()) < 0.5


def test_nan_and_neg_inf_lose() -> None:
    pop = SPACE.from_ids(np.arange(100) * 1000)
    fit = np.where(np.arange(100) < 90, np.nan, 0.0)
    fit[:45] = -np.inf
    # 0.9**300 ~ 2e-14: every tournament draws at least one real score, which must win.
    kids = next_generation(
        pop, fit, 1000, seed=0, tournament_size=300, crossover_prob=0.0, mutation_rate=0.0
    )
    winners = set(SPACE.to_ids(kids).tolist())
    assert winners <= set(SPACE.to_ids(pop[90:]).tolist())


def test_without_mutation_children_are_recombined_parents() -> None:
    pop, fit = _population(50, seed=3)
    kids = next_generation(pop, fit, 400, seed=1, crossover_prob=0.0, mutation_rate=0.0)
    assert set(SPACE.to_ids(kids).tolist()) <= set(SPACE.to_ids(pop).tolist())
    kids = next_generation(pop, fit, 400, seed=1, crossover_prob=1.0, mutation_rate=0.0)
    for k in range(10):
        assert set(kids[:, k].tolist()) <= set(pop[:, k].tolist())


@settings(max_examples=40)
@given(
    st.integers(1, 60),
    st.integers(0, 2**64 - 1),
    st.integers(1, 10),
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_children_are_valid(
    n: int, seed: int, tournament: int, cx: float, rate: float, step: float
) -> None:
    pop, fit = _population(n, seed=seed % 1000)
    kids = next_generation(
        pop,
        fit,
        30,
        seed=seed,
        tournament_size=tournament,
        crossover_prob=cx,
        mutation_rate=rate,
        step_prob=step,
    )
    assert kids.shape == (30, 10)
    SPACE.validate(kids)


@pytest.mark.parametrize(
    ("kwargs", "pattern", "error"),
    [
        (
            {"fitness": np.zeros(9)},
            r"fitness must have shape \(10,\).*got \(9,\)",
            InvalidArgumentError,
        ),
        ({"fitness": np.zeros((10, 1))}, r"got \(10, 1\)", InvalidArgumentError),
        ({"fitness": ["a"] * 10}, "fitness must be a 1-D array of numbers", InvalidArgumentError),
        ({"tournament_size": 0}, "tournament_size must be at least 1", InvalidArgumentError),
        (
            {"tournament_size": -1},
            "tournament_size must be a non-negative integer",
            InvalidArgumentError,
        ),
        (
            {"crossover_prob": 1.5},
            r"crossover_prob must be a probability in \[0, 1\], got 1.5",
            InvalidArgumentError,
        ),
        (
            {"mutation_rate": float("nan")},
            "mutation_rate must be a probability",
            InvalidArgumentError,
        ),
        ({"step_prob": -1.0}, "step_prob must be a probability", InvalidArgumentError),
        ({"n_children": -3}, "n_children must be a non-negative integer", InvalidArgumentError),
        ({"seed": -3}, "seed must be in", InvalidArgumentError),
        ({"population": [[0] * 9] * 10}, r"got \(10, 9\)", InvalidDesignError),
        ({"population": [[0] * 9 + [6]] * 10}, "'dram_bandwidth'.*index 6", InvalidDesignError),
    ],
)
def test_bad_arguments(kwargs: dict, pattern: str, error: type[Exception]) -> None:
    args = {"population": SPACE.sample(10), "fitness": np.zeros(10), "n_children": 5, **kwargs}
    with pytest.raises(error, match=pattern):
        next_generation(**args)


def test_empty_population() -> None:
    empty = np.zeros((0, 10), dtype=np.uint8)
    with pytest.raises(InvalidArgumentError, match="empty population"):
        next_generation(empty, np.zeros(0), 3)
    assert next_generation(empty, np.zeros(0), 0).shape == (0, 10)


# --- thread-count independence -------------------------------------------------------------------

_DIGEST = """
import hashlib, numpy as np
from prime_rs.space import SPACE
from prime_rs.search import next_generation
h = hashlib.sha256()
pop = SPACE.sample(200_000, seed=7)
h.update(pop.tobytes())
h.update(SPACE.mutate(pop, seed=8, rate=0.2).tobytes())
h.update(SPACE.crossover(pop, pop[::-1], seed=9).tobytes())
fit = -pop.astype(np.float64).sum(axis=1)
h.update(next_generation(pop, fit, 200_000, seed=10, tournament_size=3).tobytes())
h.update(SPACE.onehot(pop[:50_000]).tobytes())
h.update(SPACE.to_ids(pop).tobytes())
print(h.hexdigest())
"""


def _digest_with_threads(threads: int) -> str:
    env = {**os.environ, "RAYON_NUM_THREADS": str(threads)}
    out = subprocess.run(
        [sys.executable, "-c", _DIGEST],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return out.stdout.strip()


def test_results_do_not_depend_on_thread_count() -> None:
    one = _digest_with_threads(1)
    assert len(one) == 64
    assert _digest_with_threads(4) == one
    # And in this process, with whatever pool it has.
    ns: dict = {}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(_DIGEST, ns)
    assert buf.getvalue().strip() == one
