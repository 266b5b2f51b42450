"""Hostile arrays across the native boundary: arbitrary dtypes, shapes, strides, byte orders,
read-only and huge arrays into SPACE.*, simulate, area and next_generation. Whatever goes in,
the answer is a result or a PrimeError, never a panic (a BaseException), an abort or another
exception type."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import prime_rs
from prime_rs import SPACE
from prime_rs.errors import PrimeError
from prime_rs.search import next_generation

DTYPES = st.one_of(
    hnp.integer_dtypes(endianness="="),
    hnp.integer_dtypes(endianness="<"),
    hnp.integer_dtypes(endianness=">"),
    hnp.unsigned_integer_dtypes(endianness="?"),
    hnp.floating_dtypes(endianness="?"),
    hnp.complex_number_dtypes(),
    hnp.boolean_dtypes(),
    hnp.datetime64_dtypes(),
    hnp.timedelta64_dtypes(),
    hnp.byte_string_dtypes(max_len=3),
    hnp.unicode_string_dtypes(max_len=3),
)
SHAPES = st.one_of(
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=12),
    st.tuples(st.integers(0, 30), st.sampled_from([9, 10, 11])),
)


@st.composite
def hostile_arrays(draw: st.DrawFn) -> np.ndarray:
    """Arrays of any dtype and shape, then viewed through odd layouts."""
    dtype = draw(DTYPES)
    shape = draw(SHAPES)
    if draw(st.booleans()) and dtype.kind in "iu":
        # Mostly valid indices, so the kernels get past validation and see the layout.
        a = draw(hnp.arrays(dtype, shape, elements=st.integers(0, 2)))
    else:
        a = draw(hnp.arrays(dtype, shape))
    layout = draw(st.sampled_from(["c", "fortran", "reversed", "strided", "broadcast", "readonly"]))
    if layout == "fortran":
        a = np.asfortranarray(a)
    elif layout == "reversed" and a.ndim:
        a = a[::-1]
    elif layout == "strided" and a.ndim:
        a = np.repeat(a, 2, axis=0)[::2]
    elif layout == "broadcast" and a.ndim == 2 and a.shape[0]:
        a = np.broadcast_to(a[:1], (5, a.shape[1]))
    elif layout == "readonly":
        a = a.copy()
        a.setflags(write=False)
    return a


def _only_typed(fn, *args, **kw) -> None:  # type: ignore[no-untyped-def]
    try:
        fn(*args, **kw)
    except PrimeError:
        pass
    # Anything else (PanicException is a BaseException) fails the test with its traceback.


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(hostile_arrays())
def test_simulate_and_area_raise_only_typed_errors(a: np.ndarray) -> None:
    _only_typed(prime_rs.simulate, a, "mobilenet_v2", threads=1)
    _only_typed(prime_rs.area, a, threads=1)


@FUZZ
@given(hostile_arrays())
def test_space_methods_raise_only_typed_errors(a: np.ndarray) -> None:
    for fn in (SPACE.validate, SPACE.to_ids, SPACE.onehot, SPACE.unique, SPACE.to_values):
        _only_typed(fn, a)
    _only_typed(SPACE.from_ids, a)
    _only_typed(SPACE.from_values, a)
    _only_typed(SPACE.from_onehot, a)
    _only_typed(SPACE.mutate, a, seed=1)
    _only_typed(SPACE.crossover, a, a, seed=1)


@FUZZ
@given(hostile_arrays(), hostile_arrays(), st.integers(-3, 2**70), st.integers(-3, 2**70))
def test_next_generation_raises_only_typed_errors(
    pop: np.ndarray, fit: np.ndarray, n: int, tournament: int
) -> None:
    _only_typed(next_generation, pop, fit, min(n, 10**12), tournament_size=tournament, seed=0)
    _only_typed(next_generation, SPACE.sample(6, seed=1), fit, 3, tournament_size=2)


@pytest.mark.parametrize("n", [10**9 + 1, 10**12, 2**62, 2**64 - 1, 2**64, 2**100])
def test_huge_counts_are_refused_not_allocated(n: int) -> None:
    with pytest.raises(PrimeError):
        SPACE.sample(n)
    with pytest.raises(PrimeError):
        next_generation(SPACE.sample(4), np.zeros(4), n)


def test_a_huge_readonly_broadcast_array_is_handled_without_a_copy_blowup() -> None:
    # 10^8 rows that occupy 10 bytes of memory: the kernels read through the broadcast view.
    a = np.broadcast_to(np.asarray(prime_rs.EDGETPU_REFERENCE, np.uint8), (10**8, 10))
    assert not a.flags.writeable
    with pytest.raises(PrimeError):
        SPACE.validate(np.broadcast_to(np.uint8(200), (10**8, 10)))
    assert SPACE.validate(a[:1000]).shape == (1000, 10)
