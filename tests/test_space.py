"""The design space: shape, round trips, seeded kernels and input validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prime_rs.errors import InvalidArgumentError, InvalidDesignError, PrimeError
from prime_rs.space import SPACE, DesignSpace

CARDS = (10, 10, 7, 10, 7, 11, 7, 4, 5, 6)
NAMES = (
    "pe_x",
    "pe_y",
    "simd_lanes",
    "cores_per_pe",
    "pe_memory",
    "core_memory",
    "instruction_memory",
    "parameter_memory",
    "activation_memory",
    "dram_bandwidth",
)

designs_st = st.tuples(*(st.integers(0, c - 1) for c in CARDS)).map(list)
batches_st = st.lists(designs_st, min_size=1, max_size=40)
seeds_st = st.integers(0, 2**64 - 1)


# --- shape of the space -------------------------------------------------------------------


def test_shape_of_the_space() -> None:
    assert isinstance(SPACE, DesignSpace)
    assert SPACE.size == math.prod(SPACE.cardinalities) == 452_760_000
    assert SPACE.cardinalities == CARDS
    assert SPACE.names == NAMES
    assert SPACE.keys == tuple(f"param_{k}" for k in range(1, 11))
    assert SPACE.onehot_width == 77 == sum(CARDS)
    assert SPACE.onehot_offsets == (0, 10, 20, 27, 37, 44, 55, 62, 66, 71)
    assert len(SPACE) == SPACE.size


def test_values_by_name_or_key() -> None:
    assert SPACE.values("pe_x") == SPACE.values("param_1") == (1, 2, 4, 6, 8, 10, 12, 14, 16, 32)
    assert SPACE.values("simd_lanes") == (4, 8, 16, 32, 64, 128, 256)
    assert SPACE.values("pe_memory") == tuple(2**k * 256 * 1024 for k in range(7))
    assert SPACE.values("core_memory") == tuple(2**k * 4096 for k in range(11))
    assert SPACE.values("instruction_memory") == (256, 512, 1024, 2048, 4096, 8192, 16384)
    assert SPACE.values("param_8") == (8192, 16384, 32768, 65536)
    assert SPACE.values("activation_memory") == (2048, 4096, 8192, 16384, 32768)
    assert SPACE.values("param_10") == (5, 10, 16, 20, 25, 30)
    with pytest.raises(InvalidArgumentError, match="unknown parameter 'nope'"):
        SPACE.values("nope")


def test_first_and_last_ids() -> None:
    last = [c - 1 for c in CARDS]
    assert SPACE.from_ids([0, SPACE.size - 1]).tolist() == [[0] * 10, last]
    assert SPACE.to_ids([[0] * 10, last]).tolist() == [0, SPACE.size - 1]
    assert SPACE.from_ids(1).tolist() == [[0] * 9 + [1]]
    assert SPACE.to_ids([1] + [0] * 9).dtype == np.uint64


# --- round trips -----------------------------------------------------------------------------


@given(batches_st)
def test_id_round_trip_and_order(rows: list[list[int]]) -> None:
    ids = SPACE.to_ids(rows)
    assert ids.shape == (len(rows),)
    assert (ids < SPACE.size).all()
    assert SPACE.from_ids(ids).tolist() == rows
    # param_1 most significant: ids sort like the rows.
    assert sorted(range(len(rows)), key=lambda i: (rows[i], i)) == sorted(
        range(len(rows)), key=lambda i: (int(ids[i]), i)
    )


@given(st.lists(st.integers(0, 452_760_000 - 1), min_size=1, max_size=40))
def test_ids_round_trip(ids: list[int]) -> None:
    assert SPACE.to_ids(SPACE.from_ids(ids)).tolist() == ids


@given(batches_st)
def test_values_round_trip(rows: list[list[int]]) -> None:
    values = SPACE.to_values(rows)
    assert values.dtype == np.int64
    for row, vals in zip(rows, values.tolist(), strict=True):
        assert vals == [SPACE.params[k].values[i] for k, i in enumerate(row)]
    assert SPACE.from_values(values).tolist() == rows
    # The published data stores raw values as floats (float32 in the TFRecords).
    assert SPACE.from_values(values.astype(np.float32)).tolist() == rows
    assert SPACE.from_values(values.tolist()).tolist() == rows


@given(batches_st)
def test_onehot_round_trip(rows: list[list[int]]) -> None:
    oh = SPACE.onehot(rows)
    assert oh.dtype == np.float32 and oh.shape == (len(rows), 77)
    assert set(np.unique(oh).tolist()) <= {0.0, 1.0}
    offsets = (*SPACE.onehot_offsets, 77)
    for k in range(10):
        block = oh[:, offsets[k] : offsets[k + 1]]
        assert (block.sum(axis=1) == 1).all()
        assert block.argmax(axis=1).tolist() == [r[k] for r in rows]
    assert SPACE.from_onehot(oh).tolist() == rows


@given(designs_st, st.booleans())
def test_dict_round_trip(row: list[int], by_key: bool) -> None:
    (d,) = SPACE.as_dicts(row)
    assert list(d) == list(NAMES)
    if by_key:
        d = {SPACE.keys[SPACE.index(name)]: float(v) for name, v in d.items()}
    out = SPACE.from_dict(d)
    assert out.dtype == np.uint8 and out.tolist() == row


def test_from_onehot_relaxed_scores() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(100, 77))
    rows = SPACE.from_onehot(scores)
    offsets = (*SPACE.onehot_offsets, 77)
    for k in range(10):
        assert (rows[:, k] == scores[:, offsets[k] : offsets[k + 1]].argmax(axis=1)).all()
    with pytest.raises(InvalidArgumentError, match=r"\(n, 77\), got \(2, 76\)"):
        SPACE.from_onehot(np.zeros((2, 76)))
    bad = np.zeros((3, 77), dtype=np.float32)
    bad[2, 5] = np.nan
    with pytest.raises(InvalidArgumentError, match="row 2, column 5 is NaN"):
        SPACE.from_onehot(bad)


# --- sampling --------------------------------------------------------------------------------


def test_sampling_is_seeded() -> None:
    a = SPACE.sample(1000, seed=3)
    assert a.dtype == np.uint8 and a.shape == (1000, 10) and a.flags.c_contiguous
    assert np.array_equal(a, SPACE.sample(1000, seed=3))
    assert not np.array_equal(a, SPACE.sample(1000, seed=4))
    # Row i depends only on (seed, i): a prefix of a long (parallel) batch is the short batch.
    assert np.array_equal(SPACE.sample(50_000, seed=3)[:1000], a)
    assert SPACE.sample(0).shape == (0, 10)
    SPACE.validate(SPACE.sample(10_000, seed=2**64 - 1))


def _chi2(counts: np.ndarray) -> float:
    expected = counts.sum() / counts.size
    return float(((counts - expected) ** 2 / expected).sum())


def test_sampling_is_roughly_uniform() -> None:
    n = 100_000
    rows = SPACE.sample(n, seed=11).astype(np.int64)
    for k, c in enumerate(CARDS):
        counts = np.bincount(rows[:, k], minlength=c)
        # chi-square with c-1 dof: mean c-1, sd sqrt(2(c-1)); 6 sd is a loose, seed-fixed bound.
        assert _chi2(counts) < (c - 1) + 6 * math.sqrt(2 * (c - 1)), SPACE.names[k]
    # Pairs are independent too (100 cells of pe_x x pe_y, 30 of bandwidth x activation memory).
    pair = np.bincount(rows[:, 0] * 10 + rows[:, 1], minlength=100)
    assert _chi2(pair) < 99 + 6 * math.sqrt(2 * 99)
    pair = np.bincount(rows[:, 9] * 5 + rows[:, 8], minlength=30)
    assert _chi2(pair) < 29 + 6 * math.sqrt(2 * 29)
    # Ids cover the whole range evenly.
    ids = SPACE.to_ids(rows)
    assert _chi2(
        np.bincount((ids * 20 // SPACE.size).astype(np.int64), minlength=20)
    ) < 19 + 6 * math.sqrt(38)


# --- mutation and crossover --------------------------------------------------------------------


@settings(max_examples=60)
@given(batches_st, seeds_st, st.floats(1e-4, 1.0), st.floats(0.0, 1.0))
def test_mutation_stays_inside_and_changes(
    rows: list[list[int]], seed: int, rate: float, step_prob: float
) -> None:
    parents = np.array(rows, dtype=np.uint8)
    kids = SPACE.mutate(parents, seed=seed, rate=rate, step_prob=step_prob)
    assert kids.shape == parents.shape and kids.dtype == np.uint8
    SPACE.validate(kids)
    assert ((kids != parents).sum(axis=1) >= 1).all()
    assert np.array_equal(kids, SPACE.mutate(parents, seed=seed, rate=rate, step_prob=step_prob))
    # Pure steps move each gene by at most one index.
    steps = SPACE.mutate(parents, seed=seed, rate=rate, step_prob=1.0)
    assert (np.abs(steps.astype(int) - parents.astype(int)) <= 1).all()


def test_mutation_rate_controls_changes() -> None:
    parents = SPACE.sample(20_000, seed=1)
    assert np.array_equal(SPACE.mutate(parents, seed=1, rate=0.0), parents)
    changed = (SPACE.mutate(parents, seed=1, rate=0.3) != parents).mean()
    # rate 0.3 per gene plus the forced gene when none was picked (0.7^10 of the rows).
    assert abs(changed - (0.3 + 0.7**10 / 10)) < 0.01
    everything = SPACE.mutate(parents, seed=1, rate=1.0, step_prob=0.0)
    assert (everything != parents).all()


@given(batches_st, seeds_st)
def test_crossover_genes_come_from_a_parent(rows: list[list[int]], seed: int) -> None:
    a = np.array(rows, dtype=np.uint8)
    b = SPACE.sample(len(rows), seed=seed)
    c = SPACE.crossover(a, b, seed=seed)
    assert ((c == a) | (c == b)).all()
    assert np.array_equal(c, SPACE.crossover(a, b, seed=seed))


def test_crossover_mixes_evenly() -> None:
    a = np.zeros((20_000, 10), dtype=np.uint8)
    b = np.ones((20_000, 10), dtype=np.uint8)
    c = SPACE.crossover(a, b, seed=5)
    assert abs(c.mean() - 0.5) < 0.01
    with pytest.raises(InvalidArgumentError, match="same number of rows, got 20000 and 3"):
        SPACE.crossover(a, b[:3])


def test_unique_keeps_first_occurrences() -> None:
    rows = SPACE.sample(5, seed=0)
    dup = np.concatenate([rows, rows[::-1], rows[:2]])
    out, idx = SPACE.unique(dup, return_index=True)
    assert np.array_equal(out, rows) and idx.tolist() == [0, 1, 2, 3, 4]
    assert len(SPACE.unique(SPACE.sample(10_000, seed=1))) == len(
        set(map(tuple, SPACE.sample(10_000, seed=1).tolist()))
    )


# --- validation: the one conversion point -------------------------------------------------------


@pytest.mark.parametrize(
    "designs",
    [
        [3, 1, 4, 1, 5, 9, 2, 3, 4, 5],
        [[3, 1, 4, 1, 5, 9, 2, 3, 4, 5]],
        np.array([3, 1, 4, 1, 5, 9, 2, 3, 4, 5], dtype=np.int64),
        np.array([[3, 1, 4, 1, 5, 9, 2, 3, 4, 5]], dtype=np.int16),
        np.array([[3, 1, 4, 1, 5, 9, 2, 3, 4, 5]], dtype=np.uint32),
        np.array([[3.0, 1, 4, 1, 5, 9, 2, 3, 4, 5]]),
        np.asfortranarray(np.array([[3, 1, 4, 1, 5, 9, 2, 3, 4, 5]] * 3, dtype=np.uint8))[1:2],
        np.array([[3, 1, 4, 1, 5, 9, 2, 3, 4, 5, 0]], dtype=np.uint8)[:, :10],
        [[3, 1, 4, 1, 5, 9, 2, 3, 4, 5.0]],
    ],
)
def test_validate_accepts_forgiving_inputs(designs: object) -> None:
    out = SPACE.validate(designs)
    assert out.dtype == np.uint8 and out.flags.c_contiguous
    assert out.tolist() == [[3, 1, 4, 1, 5, 9, 2, 3, 4, 5]]


def test_validate_accepts_empty_batch() -> None:
    assert SPACE.validate(np.zeros((0, 10), dtype=np.int64)).shape == (0, 10)


@pytest.mark.parametrize(
    ("designs", "pattern"),
    [
        ([0] * 9, r"shape \(n, 10\) or \(10,\), got \(9,\)"),
        (np.zeros((2, 11), dtype=np.uint8), r"got \(2, 11\)"),
        (np.zeros((2, 5, 10)), r"got \(2, 5, 10\)"),
        (5, r"got \(\)"),
        ([[0] * 10, [0] * 9], "rectangular"),
        (
            [10, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            r"row 0: parameter 'pe_x' \(param_1\) has index 10, allowed 0..=9",
        ),
        (
            np.array([[0] * 10, [0, 0, 7, 0, 0, 0, 0, 0, 0, 0]], dtype=np.uint8),
            r"row 1: parameter 'simd_lanes'.*index 7, allowed 0..=6",
        ),
        (
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 6],
            r"'dram_bandwidth' \(param_10\) has index 6, allowed 0..=5",
        ),
        ([-1, 0, 0, 0, 0, 0, 0, 0, 0, 0], "'pe_x'.*has index -1"),
        ([0, 300, 0, 0, 0, 0, 0, 0, 0, 0], "'pe_y'.*has index 300"),
        ([1.5, 0, 0, 0, 0, 0, 0, 0, 0, 0], "'pe_x'.*non-integer index 1.5"),
        ([0, np.nan, 0, 0, 0, 0, 0, 0, 0, 0], "'pe_y'.*index nan, which is not a finite number"),
        ([0, 0, np.inf, 0, 0, 0, 0, 0, 0, 0], "'simd_lanes'.*not a finite number"),
        (np.array([[True] * 10]), "dtype bool"),
        ([["a"] * 10], "dtype <U1"),
        ([[None] * 10], "non-numeric|not a finite"),
    ],
)
def test_validate_rejects_bad_designs(designs: object, pattern: str) -> None:
    with pytest.raises(InvalidDesignError, match=pattern):
        SPACE.validate(designs)


def test_errors_are_typed() -> None:
    with pytest.raises(PrimeError):
        SPACE.to_ids([[10] * 10])
    with pytest.raises(ValueError):  # InvalidDesignError is also a ValueError
        SPACE.onehot([[0] * 11])
    assert InvalidDesignError.exit_code == 2


def test_every_entry_point_validates() -> None:
    bad = [[0, 0, 0, 0, 0, 0, 0, 4, 0, 0]]
    for call in (
        SPACE.to_ids,
        SPACE.to_values,
        SPACE.onehot,
        SPACE.as_dicts,
        SPACE.unique,
        lambda d: SPACE.mutate(d, seed=0),
        lambda d: SPACE.crossover(d, d, seed=0),
    ):
        with pytest.raises(InvalidDesignError, match=r"'parameter_memory'.*index 4, allowed 0..=3"):
            call(bad)


def test_native_layer_rejects_wrong_shapes_itself() -> None:
    from prime_rs import _native

    with pytest.raises(
        InvalidDesignError, match=r"designs must have shape \(n, 10\), got \(3, 9\)"
    ):
        _native.space.to_ids(np.zeros((3, 9), dtype=np.uint8))
    with pytest.raises(InvalidDesignError, match="row 0: parameter 'pe_x'"):
        _native.space.validate(np.full((1, 10), 200, dtype=np.uint8))


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        (
            [3, 1, 4, 1, 262144, 4096, 256, 8192, 2048, 5],
            r"row 0: parameter 'pe_x' \(param_1\) has value 3, not one of the allowed values 1, 2, 4, 6, 8, 10, 12, 14, 16, 32",
        ),
        (
            [1, 1, 4, 1, 262144, 4096, 256, 8192, 2048, 7.5],
            "'dram_bandwidth'.*value 7.5.*5, 10, 16, 20, 25, 30",
        ),
        (
            [1, 1, 4, 1, 262144, 4096, 256, 8192, np.nan, 5],
            "'activation_memory'.*NaN, which is not a finite number",
        ),
        ([1, 1, 4, 1, -262144, 4096, 256, 8192, 2048, 5], "'pe_memory'.*value -262144"),
        ([1, 1, 4, 1, 262144, 4096, 256, 8192, 2048], r"shape \(n, 10\) or \(10,\), got \(9,\)"),
        (
            [
                [1, 1, 4, 1, 262144, 4096, 256, 8192, 2048, 5],
                [1, 2.000001, 4, 1, 262144, 4096, 256, 8192, 2048, 5],
            ],
            "row 1: parameter 'pe_y'.*value 2.000001",
        ),
        ([["x"] * 10], "dtype <U1"),
    ],
)
def test_from_values_rejects_bad_values(values: object, pattern: str) -> None:
    with pytest.raises(InvalidDesignError, match=pattern):
        SPACE.from_values(values)


def test_from_values_tolerates_float_noise() -> None:
    row = [2 + 1e-12, 1, 4, 1, 262144 * (1 + 1e-13), 4096, 256, 8192, 2048, 5]
    assert SPACE.from_values(row).tolist() == [[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]]


def test_from_dict_errors() -> None:
    d = SPACE.as_dicts([0] * 10)[0]
    with pytest.raises(InvalidDesignError, match="missing parameters: dram_bandwidth"):
        SPACE.from_dict({k: v for k, v in d.items() if k != "dram_bandwidth"})
    with pytest.raises(InvalidDesignError, match="unknown parameter 'pe_z'"):
        SPACE.from_dict({**d, "pe_z": 1})
    with pytest.raises(InvalidDesignError, match=r"'pe_x' \(param_1\) is given twice"):
        SPACE.from_dict({**d, "param_1": 1})
    with pytest.raises(InvalidDesignError, match=r"'pe_x'.*value 3"):
        SPACE.from_dict({**d, "pe_x": 3})


def test_from_ids_rejects_bad_ids() -> None:
    with pytest.raises(InvalidDesignError, match="design id 452760000 at position 1 is outside"):
        SPACE.from_ids([0, SPACE.size])
    with pytest.raises(InvalidDesignError, match="design id -1 at position 0"):
        SPACE.from_ids([-1])
    with pytest.raises(InvalidDesignError, match=r"design id 1\.5"):
        SPACE.from_ids([1.5])
    with pytest.raises(InvalidDesignError, match="1-D"):
        SPACE.from_ids([[1, 2]])
    assert SPACE.from_ids([7.0]).tolist() == SPACE.from_ids([7]).tolist()


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: SPACE.sample(-1), "n must be a non-negative integer, got -1"),
        (lambda: SPACE.sample(2.5), "n must be a non-negative integer"),
        (lambda: SPACE.sample(3, seed=-1), r"seed must be in 0..2\*\*64-1, got -1"),
        (lambda: SPACE.sample(3, seed=2**64), "seed must be in"),
        (lambda: SPACE.sample(3, seed=1.0), "seed must be an integer"),
        (
            lambda: SPACE.mutate([0] * 10, rate=1.5),
            r"rate must be a probability in \[0, 1\], got 1.5",
        ),
        (lambda: SPACE.mutate([0] * 10, rate=float("nan")), "rate must be a probability"),
        (lambda: SPACE.mutate([0] * 10, step_prob=-0.1), "step_prob must be a probability"),
        (lambda: SPACE.mutate([0] * 10, rate="high"), "rate must be a number"),
    ],
)
def test_bad_arguments(call: object, pattern: str) -> None:
    with pytest.raises(InvalidArgumentError, match=pattern):
        call()  # type: ignore[operator]


@pytest.mark.parametrize("noise", [0.0, 1e-12, -1e-12, 1e-6, 0.5])
def test_importers_use_the_same_value_rule_as_from_values(noise: float) -> None:
    """One value -> index rule: the importers' column map (data/_space.py) accepts exactly what
    SPACE.from_values accepts, float noise included."""
    from prime_rs.data import _space

    designs = SPACE.sample(64, seed=21)
    values = SPACE.to_values(designs).astype(np.float64)
    values[5, 3] += noise * values[5, 3]
    got, bad = _space.index_columns([values[:, k] for k in range(SPACE.n_params)])
    try:
        expected = SPACE.from_values(values)
    except InvalidDesignError:
        assert bad[5] and not np.delete(bad, 5).any()
        with pytest.raises(InvalidDesignError, match="row 5"):
            _space.designs_of([values[:, k] for k in range(SPACE.n_params)])
    else:
        assert not bad.any()
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(got, designs)


def test_published_float32_values_are_matched_exactly() -> None:
    """Every allowed value survives float32 (the published TFRecords) and its float32
    neighbours are rejected: the tolerance never merges two float32 values."""
    for k, p in enumerate(SPACE.params):
        exact = np.array(p.values, dtype=np.float32)
        assert np.array_equal(exact.astype(np.int64), p.values)
        up = np.nextafter(exact, np.float32(np.inf))
        down = np.nextafter(exact, np.float32(0))
        for col in (exact, up, down):
            row = np.zeros((len(col), SPACE.n_params))
            row[:] = SPACE.to_values(np.zeros(SPACE.n_params, np.uint8))[0]
            row[:, k] = col
            if col is exact:
                assert SPACE.from_values(row)[:, k].tolist() == list(range(len(col)))
            else:
                for r in row:
                    with pytest.raises(InvalidDesignError, match=p.name):
                        SPACE.from_values(r)
