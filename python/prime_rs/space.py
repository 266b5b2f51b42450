"""The PRIME design space (its value table lives in ``rust/prime-core/src/space.rs``).

Ten discrete parameters, 452,760,000 designs. A *design* is a row of ten small integer indices
into the parameters' value lists, in key order (``param_1`` .. ``param_10``); a batch of designs
is an ``(n, 10)`` ``uint8`` array. A design *id* is the mixed-radix number of its index row
(``param_1`` most significant), so ids and rows convert both ways and sorting by id sorts rows
lexicographically. *Values* are the raw physical values (PE counts, bytes, GB/s).

:meth:`DesignSpace.validate` is the one place where user input becomes a design array: it accepts
a single design, lists, any integer dtype and integral floats, and raises
:class:`~prime_rs.errors.InvalidDesignError` naming the row, parameter and offending entry.
Everything else here converts through it, then calls the native kernels with strict dtypes.

Random kernels are seeded and deterministic: row ``i`` of a batch depends only on the seed, the
kernel and ``i``, never on the thread count. The same seed replays the same draws, so iterative
callers (one call per generation) must pass a different seed each time, e.g. ``seed + gen``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from prime_rs import _native
from prime_rs.checks import MAX_ROWS, count, real
from prime_rs.checks import seed as check_seed
from prime_rs.errors import InvalidArgumentError, InvalidDesignError

__all__ = ["SPACE", "DesignDescription", "DesignSpace", "Param", "format_bytes"]

#: Anything :meth:`DesignSpace.validate` accepts: one design ``(10,)`` or a batch ``(n, 10)``.
DesignsLike = npt.ArrayLike


class Param(NamedTuple):
    """One parameter: physical name, published key, unit and allowed raw values (increasing)."""

    name: str
    key: str
    unit: str
    values: tuple[int, ...]


def _asarray(x: Any, what: str, error: type[Exception]) -> np.ndarray:
    try:
        return np.asarray(x)
    except (ValueError, TypeError) as e:  # ragged nesting, unconvertible objects
        raise error(f"{what} must be a rectangular array of numbers: {e}") from None


def format_bytes(n: float) -> str:
    """A byte count in the largest binary unit that keeps it >= 1: ``512 KiB``, ``2 MiB``."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):g} {unit}"
    return f"{n:g} B"


def format_value(unit: str, value: int) -> str:
    """A raw parameter value with its unit, as a person reads it."""
    if unit == "bytes":
        return format_bytes(value)
    if unit == "count":
        return f"{value:,}"
    return f"{value:,} {unit}"


class DesignDescription(NamedTuple):
    """One design, readable: ``(name, key, raw value, formatted value)`` per parameter.

    ``str()`` gives one aligned line per parameter; in a notebook it renders as a table.
    """

    rows: tuple[tuple[str, str, int, str], ...]

    def as_dict(self) -> dict[str, str]:
        """``{physical name: formatted value}``."""
        return {name: text for name, _key, _value, text in self.rows}

    def __str__(self) -> str:
        width = max(len(name) for name, *_ in self.rows)
        return "\n".join(f"{name:<{width}}  {text}" for name, _key, _value, text in self.rows)

    def __repr__(self) -> str:
        return "Design(" + ", ".join(f"{k}={v}" for k, v in self.as_dict().items()) + ")"

    def _repr_html_(self) -> str:
        from html import escape

        body = "".join(
            f"<tr><td>{escape(name)}</td><td>{escape(key)}</td>"
            f"<td style='text-align:right'>{escape(text)}</td></tr>"
            for name, key, _value, text in self.rows
        )
        return (
            "<table><thead><tr><th>parameter</th><th>key</th><th>value</th></tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )


class DesignSpace:
    """The PRIME design space. Use the singleton :data:`SPACE`."""

    def __init__(self) -> None:
        self._params = tuple(
            Param(name, key, unit, tuple(int(v) for v in values))
            for name, key, unit, values in _native.space.params()
        )
        self._position = {p.name: k for k, p in enumerate(self._params)}
        self._position.update({p.key: k for k, p in enumerate(self._params)})
        self._cards = np.array([len(p.values) for p in self._params], dtype=np.int64)
        self._values = [np.array(p.values, dtype=np.int64) for p in self._params]

    # --- description ------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of designs (452,760,000)."""
        return int(_native.space.SIZE)

    @property
    def n_params(self) -> int:
        return len(self._params)

    @property
    def params(self) -> tuple[Param, ...]:
        return self._params

    @property
    def names(self) -> tuple[str, ...]:
        """Physical parameter names in key order."""
        return tuple(p.name for p in self._params)

    @property
    def keys(self) -> tuple[str, ...]:
        """Published keys ``param_1`` .. ``param_10``."""
        return tuple(p.key for p in self._params)

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(p.unit for p in self._params)

    @property
    def cardinalities(self) -> tuple[int, ...]:
        """Number of allowed values of each parameter, in key order."""
        return tuple(len(p.values) for p in self._params)

    @property
    def onehot_width(self) -> int:
        """Width of the one-hot encoding (77)."""
        return int(_native.space.ONEHOT_WIDTH)

    @property
    def onehot_offsets(self) -> tuple[int, ...]:
        """Column where each parameter's one-hot block starts."""
        return tuple(int(o) for o in np.concatenate([[0], np.cumsum(self._cards)[:-1]]))

    def index(self, name_or_key: str) -> int:
        """Position (0-based, key order) of a parameter given by physical name or ``param_k``."""
        try:
            return self._position[name_or_key]
        except (KeyError, TypeError):
            raise InvalidArgumentError(
                f"unknown parameter {name_or_key!r}: expected one of {', '.join(self.names)} "
                f"or param_1..param_{self.n_params}"
            ) from None

    def values(self, name_or_key: str) -> tuple[int, ...]:
        """Allowed raw values of a parameter, increasing."""
        return self._params[self.index(name_or_key)].values

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"DesignSpace({self.n_params} params, {self.size:,} designs)"

    def describe(self, design: DesignsLike) -> DesignDescription:
        """One design (a ``(10,)`` index row, a batch of one, or a ``{name: value}`` mapping)
        with units: memories in KiB/MiB, bandwidth in GB/s, instruction memory in entries."""
        if isinstance(design, Mapping):
            design = self.from_dict(design)
        rows = self.validate(design)
        if len(rows) != 1:
            raise InvalidDesignError(f"describe takes one design, got {len(rows)}")
        values = self.to_values(rows)[0].tolist()
        return DesignDescription(
            tuple(
                (p.name, p.key, int(v), format_value(p.unit, int(v)))
                for p, v in zip(self._params, values, strict=True)
            )
        )

    # --- conversion -------------------------------------------------------------------------

    def _entry_error(self, row: int, col: int, detail: str) -> InvalidDesignError:
        p = self._params[col]
        return InvalidDesignError(
            f"invalid design at row {row}: parameter '{p.name}' ({p.key}) {detail}",
            row=row,
            param=p.name,
        )

    def _first(self, mask: np.ndarray) -> tuple[int, int]:
        flat = int(np.flatnonzero(mask.ravel())[0])
        return divmod(flat, self.n_params)

    def _rows(self, x: Any, what: str, error: type[Exception]) -> np.ndarray:
        """``x`` as a 2-D array of rows of ten (a single row becomes a batch of one)."""
        arr = _asarray(x, what, error)
        if arr.ndim == 1 and arr.shape[0] == self.n_params:
            arr = arr.reshape(1, self.n_params)
        if arr.ndim != 2 or arr.shape[1] != self.n_params:
            raise error(
                f"{what} must have shape (n, {self.n_params}) or ({self.n_params},), "
                f"got {tuple(arr.shape)}"
            )
        return arr

    def validate(self, designs: DesignsLike) -> npt.NDArray[np.uint8]:
        """Check designs and return them as a C-contiguous ``(n, 10)`` uint8 array.

        Accepts one design ``(10,)`` or a batch ``(n, 10)``: numpy arrays of any integer dtype,
        integral floats, nested lists. Raises :class:`InvalidDesignError` naming the first bad
        row, its parameter and the offending index (and the allowed range).
        """
        arr = self._rows(designs, "designs", InvalidDesignError)
        if arr.dtype == np.uint8:
            out = np.ascontiguousarray(arr)
        else:
            if arr.dtype.kind == "O":
                try:
                    arr = arr.astype(np.float64)
                except (TypeError, ValueError):
                    raise InvalidDesignError(
                        "designs must hold integer indices, got non-numeric entries"
                    ) from None
            kind = arr.dtype.kind
            if kind in "iu":
                bad = (arr < 0) | (arr > 255)
            elif kind == "f":
                with np.errstate(invalid="ignore"):
                    bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < 0) | (arr > 255)
            else:
                raise InvalidDesignError(
                    f"designs must hold integer indices, got dtype {arr.dtype}"
                )
            if bad.any():
                r, c = self._first(bad)
                v = arr[r, c]
                card = int(self._cards[c])
                if kind == "f" and not np.isfinite(v):
                    detail = f"has index {v}, which is not a finite number"
                elif kind == "f" and v != np.round(v):
                    detail = f"has non-integer index {v}"
                else:
                    v = int(v)
                    detail = f"has index {v}, allowed 0..={card - 1} ({card} values)"
                raise self._entry_error(r, c, detail)
            out = np.ascontiguousarray(arr, dtype=np.uint8)
        _native.space.validate(out)
        return out

    def to_ids(self, designs: DesignsLike) -> npt.NDArray[np.uint64]:
        """Mixed-radix ids (``param_1`` most significant), shape ``(n,)``."""
        return _native.space.to_ids(self.validate(designs))

    def from_ids(self, ids: npt.ArrayLike) -> npt.NDArray[np.uint8]:
        """Designs ``(n, 10)`` of ids in ``0 .. size-1`` (a scalar id gives one row)."""
        arr = np.atleast_1d(_asarray(ids, "ids", InvalidDesignError))
        if arr.ndim != 1:
            raise InvalidDesignError(f"ids must be a scalar or a 1-D array, got shape {arr.shape}")
        if arr.dtype.kind == "O":
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError):
                raise InvalidDesignError("ids must be integers, got non-numeric entries") from None
        kind = arr.dtype.kind
        if kind == "f":
            # float16 cannot hold the space's size: compare in float64 (found by fuzzing).
            arr = arr.astype(np.float64)
            with np.errstate(invalid="ignore"):
                bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < 0) | (arr >= self.size)
        elif kind in "iu":
            bad = (arr < 0) | (arr >= self.size)
        else:
            raise InvalidDesignError(f"ids must be integers, got dtype {arr.dtype}")
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidDesignError(
                f"design id {arr[i]} at position {i} is outside the space: "
                f"ids run from 0 to {self.size - 1}"
            )
        return _native.space.from_ids(np.ascontiguousarray(arr, dtype=np.uint64))

    def to_values(self, designs: DesignsLike) -> npt.NDArray[np.int64]:
        """Raw physical values ``(n, 10)`` int64."""
        return _native.space.to_values(self.validate(designs))

    def from_values(self, values: npt.ArrayLike) -> npt.NDArray[np.uint8]:
        """Designs of raw values (one row ``(10,)`` or ``(n, 10)``; ints or floats).

        Only allowed values are accepted (floats within 1e-9 relative of one count as it: exact
        for the float32 values of the published data); this is the package's one value -> index
        rule, which every importer uses too. The error names the row, the parameter, the value
        and the allowed values.
        """
        arr = self._rows(values, "values", InvalidDesignError)
        if arr.dtype.kind not in "iufO":
            raise InvalidDesignError(f"values must be numbers, got dtype {arr.dtype}")
        try:
            f = np.ascontiguousarray(arr, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidDesignError("values must be numbers, got non-numeric entries") from None
        return _native.space.from_values(f)

    def onehot(self, designs: DesignsLike) -> npt.NDArray[np.float32]:
        """One-hot encoding ``(n, 77)`` float32: one block per parameter, in key order."""
        return _native.space.onehot(self.validate(designs))

    def from_onehot(self, scores: npt.ArrayLike) -> npt.NDArray[np.uint8]:
        """Designs from (relaxed) one-hot scores ``(n, 77)``: the argmax of each block."""
        arr = _asarray(scores, "one-hot scores", InvalidArgumentError)
        if arr.ndim == 1 and arr.shape[0] == self.onehot_width:
            arr = arr.reshape(1, -1)
        if arr.ndim != 2 or arr.shape[1] != self.onehot_width:
            raise InvalidArgumentError(
                f"one-hot scores must have shape (n, {self.onehot_width}), got {tuple(arr.shape)}"
            )
        if arr.dtype.kind not in "iuf":
            raise InvalidArgumentError(f"one-hot scores must be numbers, got dtype {arr.dtype}")
        return _native.space.from_onehot(np.ascontiguousarray(arr, dtype=np.float32))

    def as_dicts(self, designs: DesignsLike) -> list[dict[str, int]]:
        """Each design as ``{physical name: raw value}``."""
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self.to_values(designs).tolist()]

    def from_dict(self, d: Mapping[str, float]) -> npt.NDArray[np.uint8]:
        """One design ``(10,)`` from raw values keyed by physical names or ``param_k`` keys."""
        if not isinstance(d, Mapping):
            raise InvalidDesignError(
                f"expected a mapping of parameter to value, got {type(d).__name__}"
            )
        row: list[Any] = [None] * self.n_params
        for key, value in d.items():
            k = self._position.get(key) if isinstance(key, str) else None
            if k is None:
                raise InvalidDesignError(
                    f"unknown parameter {key!r}: expected one of {', '.join(self.names)} "
                    f"or param_1..param_{self.n_params}"
                )
            if row[k] is not None:
                p = self._params[k]
                raise InvalidDesignError(f"parameter '{p.name}' ({p.key}) is given twice")
            row[k] = value
        missing = [p.name for p, v in zip(self._params, row, strict=True) if v is None]
        if missing:
            raise InvalidDesignError(f"design is missing parameters: {', '.join(missing)}")
        return self.from_values([row])[0]

    # --- random kernels ---------------------------------------------------------------------

    def sample(self, n: int, seed: int = 0) -> npt.NDArray[np.uint8]:
        """``n`` designs drawn uniformly with replacement; deterministic for a seed."""
        return _native.space.sample(count(n, "n", 0, MAX_ROWS), check_seed(seed))

    def mutate(
        self,
        designs: DesignsLike,
        seed: int = 0,
        rate: float = 0.1,
        step_prob: float = 0.5,
    ) -> npt.NDArray[np.uint8]:
        """Mutated copies: each gene mutates with probability ``rate`` (at least one gene always
        does when ``rate > 0``); a mutated gene steps to a neighbouring value with probability
        ``step_prob`` (reflected at the ends), otherwise it is redrawn as a different value."""
        return _native.space.mutate(
            self.validate(designs),
            check_seed(seed),
            real(rate, "rate"),
            real(step_prob, "step_prob"),
        )

    def crossover(self, a: DesignsLike, b: DesignsLike, seed: int = 0) -> npt.NDArray[np.uint8]:
        """Row-wise uniform crossover: each gene from ``a`` or ``b`` with probability 1/2."""
        return _native.space.crossover(self.validate(a), self.validate(b), check_seed(seed))

    def unique(
        self, designs: DesignsLike, return_index: bool = False
    ) -> npt.NDArray[np.uint8] | tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
        """Distinct designs in order of first occurrence (and their first indices)."""
        rows = self.validate(designs)
        idx = _native.space.unique(rows)
        return (rows[idx], idx) if return_index else rows[idx]


#: The design space of PRIME (the only one prime-rs uses).
SPACE = DesignSpace()
