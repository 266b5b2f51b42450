"""The workload zoo, user workload files and context vectors.

A workload is a list of layers (conv2d, conv_transpose2d, depthwise, dense, lstm, pool, add,
concat, resize, embedding; explicit shapes, int8, batch 1) lowered by the native core to the
ops the simulator consumes. Built-ins come from architecture tables in Rust
(``rust/prime-core/src/workload/zoo``); users add networks as JSON or TOML files::

    {"name": "tiny", "layers": [{"type": "conv2d", "in_h": 32, "in_w": 32, "in_c": 3,
                                 "out_c": 16, "kernel": 3, "stride": 2}]}

A loaded :class:`Workload` is a frozen native handle: it owns the layers, the lowered ops and
the simulator's prepared tables, built once, so :func:`prime_rs.simulate` on it does no
per-call conversion. Its attributes are read-only: ``name``, ``description``, ``source``,
``layers`` (tuple of dicts, the file schema with defaults filled in), ``ops`` (dict of
read-only numpy columns: ``kind`` uint8, 0 GEMM / 1 memory, and int64 ``m, n, k, reps, kh, kw,
cin_g, stride, in_w, in_c, weight_bytes, in_bytes, out_bytes, layer``), ``n_ops``, ``macs``,
``params``, ``published_macs``, ``published_params`` and ``context`` (read-only float64).

Example workload files ship inside the package (:func:`examples`, :func:`example`,
:func:`example_text`): templates to copy and edit, not members of the zoo, so ``--apps`` takes
them as files (``prime-rs workloads example tiny_cnn -o tiny_cnn.toml``).

Counting: MACs are the sum over ops (activations, pooling, adds are free); parameters are
weights + biases with batch-norm excluded.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from prime_rs import _native
from prime_rs.errors import (
    InvalidArgumentError,
    UnknownApplicationError,
    UnknownWorkloadError,
    WorkloadFileError,
)

Workload = _native.workload.Workload

#: Names of the context-vector entries, in order (see ``Workload.context``).
CONTEXT_FEATURES: tuple[str, ...] = _native.workload.CONTEXT_FEATURES

#: Names of the numeric op-table columns, in the core's order (``Workload.ops`` also has
#: ``kind`` and ``layer``).
OP_FIELDS: tuple[str, ...] = _native.workload.OP_FIELDS

#: Op-table kind codes.
OP_GEMM = 0
OP_MEMORY = 1

_BUILTINS: frozenset[str] = frozenset(_native.workload.names())


def names() -> list[str]:
    """Names of the built-in workloads."""
    return list(_native.workload.names())


@functools.cache
def _builtin(name: str) -> Workload:
    return Workload.load(name)


def load(name_or_path: str | os.PathLike[str] | Workload) -> Workload:
    """A built-in name (cached), a ``.json`` / ``.toml`` workload file, or an ``.onnx`` model
    (through :mod:`prime_rs.onnx_import`, the ``onnx`` extra); a ``Workload`` is returned as is. Raises ``UnknownWorkloadError`` for anything else and ``WorkloadFileError``
    for a file that cannot be parsed or describes an impossible layer."""
    if isinstance(name_or_path, Workload):
        return name_or_path
    try:
        key = os.fspath(name_or_path)
    except TypeError:
        raise InvalidArgumentError(
            "a workload is a built-in name, a .json/.toml path or a Workload, "
            f"got {type(name_or_path).__name__}"
        ) from None
    if isinstance(key, bytes):
        key = os.fsdecode(key)
    if key in _BUILTINS:
        return _builtin(key)
    if "\0" in key:
        raise UnknownWorkloadError(f"unknown workload {key!r}: a path cannot contain NUL")
    if key.lower().endswith(".onnx"):
        from prime_rs.onnx_import import load_onnx

        return load_onnx(key)
    return Workload.load(key)


@functools.cache
def _example_files() -> dict[str, importlib.resources.abc.Traversable]:
    folder = importlib.resources.files("prime_rs") / "example_workloads"
    return {
        Path(f.name).stem: f
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if Path(f.name).suffix in (".json", ".toml")
    }


def examples() -> list[str]:
    """Names of the example workload files shipped with the package (``tiny_cnn``, ...)."""
    return list(_example_files())


def _example_file(name: str) -> importlib.resources.abc.Traversable:
    files = _example_files()
    if name not in files:
        raise UnknownWorkloadError(
            f"unknown example workload {name!r}; examples: {', '.join(files)}"
        )
    return files[name]


def example_text(name: str) -> str:
    """The text of an example workload file, to write out and edit."""
    return _example_file(name).read_text(encoding="utf-8")


def example(name: str) -> Workload:
    """An example workload (see :func:`examples`), parsed from the packaged file; its
    ``source`` is ``<example:NAME>``, never a machine path."""
    fmt = Path(_example_file(name).name).suffix[1:]
    return Workload.parse(example_text(name), fmt, f"<example:{name}>")


def from_layers(name: str, layers: Sequence[Mapping[str, Any]], description: str = "") -> Workload:
    """Build a workload from layer dicts (the file schema) through the same parser as files."""
    try:
        text = json.dumps({"name": name, "description": description, "layers": list(layers)})
    except (TypeError, ValueError) as e:
        raise WorkloadFileError(f"bad workload <from_layers:{name}>: {e}") from e
    return Workload.parse(text, "json", f"<from_layers:{name}>")


def from_ops(ops: Mapping[str, Any], name: str = "") -> Workload:
    """A workload from a hand-built op table: a mapping of equal-length 1-D integer columns
    ``kind`` and the fields of ``Workload.ops`` (``layer`` is ignored). Every row must pass the
    core's op rule (non-negative, no zero-size GEMM, every size within 2^53); violations raise
    ``InvalidArgumentError`` naming the row. The result has no layers (see the core's
    ``Workload::from_ops``)."""
    if not isinstance(ops, Mapping):
        raise InvalidArgumentError(f"an op table is a mapping of columns, got {type(ops).__name__}")
    cols: dict[str, np.ndarray] = {}
    for col in ("kind", *OP_FIELDS):
        if col not in ops:
            raise InvalidArgumentError(f"op table is missing column '{col}'")
        try:
            arr = np.asarray(ops[col])
        except (TypeError, ValueError):
            raise InvalidArgumentError(f"op table column '{col}' is not an array") from None
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise InvalidArgumentError(
                f"op table column '{col}' must be a 1-D array of integers, "
                f"got shape {arr.shape} and dtype {arr.dtype}"
            )
        if arr.dtype.kind == "u" and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
            raise InvalidArgumentError(f"op table column '{col}' holds values past 2^63")
        cols[col] = np.ascontiguousarray(arr, dtype=np.int64)
    return Workload.from_ops(cols, str(name))


#: Suffixes of workload files (``--apps net.toml``); any other existing file is tried as one too.
FILE_SUFFIXES = (".json", ".toml", ".onnx")


@dataclass(frozen=True)
class Application:
    """One item of ``--apps``, resolved: ``name`` is what datasets, models and reports call it
    (a file's workload name), ``workload`` the network (None for an application known from
    logged data only), ``source`` what the user gave, ``is_file`` whether it was a workload
    file (prime-rs knows that network only from the file)."""

    name: str
    workload: Workload | None
    source: str
    is_file: bool = False


def application(item: str | os.PathLike[str], *, data_only: bool = False) -> Application:
    """The one reading of an ``--apps`` item, for every command: a built-in name (or a PRIME
    folder spelling of one, e.g. ``MobilenetV2``), a workload file (``.json``/``.toml``/
    ``.onnx``, or any existing file), or, with ``data_only``, a name only logged data knows.
    Anything else raises :class:`~prime_rs.errors.UnknownApplicationError` naming the item; a
    bad file raises the loader's error."""
    source = os.fspath(item)
    if isinstance(source, bytes):
        source = os.fsdecode(source)
    source = source.strip()
    if not source:
        raise InvalidArgumentError("an application name is empty")
    if source in _BUILTINS:
        return Application(source, _builtin(source), source)
    path = Path(source)
    if path.suffix.lower() in FILE_SUFFIXES or path.is_file():
        w = load(source)  # UnknownWorkloadError / WorkloadFileError name the file
        return Application(w.name, w, source, is_file=True)
    # The published data's spellings are the data layer's knowledge (imported only here).
    from prime_rs.data import apps as app_names

    canonical = app_names.canonical(source)
    if canonical in _BUILTINS:
        return Application(canonical, _builtin(canonical), source)
    if data_only:
        return Application(canonical or source, None, source)
    hint = (
        " (a PRIME-only application: logged data exists, no workload)"
        if canonical in app_names.LOGGED_ONLY
        else ""
    )
    raise UnknownApplicationError(
        f"unknown application {source!r}{hint}; built-in workloads: {', '.join(names())}; "
        "or give the path of a .json/.toml/.onnx workload file"
    )


def applications(
    items: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, data_only: bool = False
) -> list[Application]:
    """:func:`application` of each item (one item, or a sequence); an empty list or an
    application named twice is an InvalidArgumentError."""
    given = [items] if isinstance(items, str | os.PathLike) else list(items)
    out = [application(a, data_only=data_only) for a in given]
    if not out:
        raise InvalidArgumentError("no applications given")
    seen = [a.name for a in out]
    dup = sorted({n for n in seen if seen.count(n) > 1})
    if dup:
        raise InvalidArgumentError(f"application(s) listed twice: {', '.join(dup)}")
    return out


def content_hash(workload: Workload) -> str:
    """SHA-256 of what a workload means to the simulator and the surrogate: its name (the
    application's name in the data), its op table and its context vector. An edited workload
    file changes it; renaming the file does not."""
    h = hashlib.sha256(workload.name.encode("utf-8", "surrogateescape") + b"\0")
    ops = workload.ops
    for col in sorted(ops):
        arr = np.ascontiguousarray(ops[col], dtype=np.int64)
        h.update(col.encode() + b"\0" + arr.tobytes())
    h.update(np.ascontiguousarray(workload.context, dtype=np.float64).tobytes())
    return h.hexdigest()


__all__ = [
    "CONTEXT_FEATURES",
    "FILE_SUFFIXES",
    "OP_FIELDS",
    "OP_GEMM",
    "OP_MEMORY",
    "Application",
    "Workload",
    "application",
    "applications",
    "content_hash",
    "example",
    "example_text",
    "examples",
    "from_layers",
    "from_ops",
    "load",
    "names",
]
