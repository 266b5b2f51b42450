"""The workload zoo, user workload files and context vectors.

A workload is a list of layers (conv2d, conv_transpose2d, depthwise, dense, lstm, pool, add,
concat, resize, embedding; explicit shapes, int8, batch 1) lowered by the native core to the
op table the simulator consumes. Built-ins come from architecture tables in Rust
(``rust/prime-core/src/workload/zoo``); users add networks as JSON or TOML files::

    {"name": "tiny", "layers": [{"type": "conv2d", "in_h": 32, "in_w": 32, "in_c": 3,
                                 "out_c": 16, "kernel": 3, "stride": 2}]}

Counting: MACs are the sum over ops (activations, pooling, adds are free); parameters are
weights + biases with batch-norm excluded.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from prime_rs import _native

#: Names of the context-vector entries, in order (see ``Workload.context``).
CONTEXT_FEATURES: tuple[str, ...] = tuple(_native.workload_context_features())

#: Op-table kind codes.
OP_GEMM = 0
OP_MEMORY = 1


@dataclass(frozen=True, eq=False)
class Workload:
    """A lowered workload. ``ops`` maps column name to a numpy array (one entry per op):
    ``kind`` (uint8: 0 GEMM, 1 memory) and int64 ``m, n, k, reps, kh, kw, cin_g, stride, in_w,
    in_c, weight_bytes, in_bytes, out_bytes, layer`` (index of the source layer)."""

    name: str
    description: str
    source: str
    layers: tuple[dict[str, Any], ...]
    ops: Mapping[str, npt.NDArray[Any]]
    macs: int
    params: int
    published_macs: int | None
    published_params: int | None
    context: npt.NDArray[np.float64]

    @property
    def n_ops(self) -> int:
        return len(self.ops["kind"])

    def __repr__(self) -> str:
        return (
            f"Workload({self.name!r}, {len(self.layers)} layers, {self.n_ops} ops, "
            f"{self.macs / 1e6:.1f} M MACs, {self.params / 1e6:.2f} M params)"
        )


def _from_native(d: dict[str, Any]) -> Workload:
    ops = dict(d["ops"])
    for col in ops.values():
        col.setflags(write=False)
    context = np.asarray(d["context"], dtype=np.float64)
    context.setflags(write=False)
    return Workload(
        name=d["name"],
        description=d["description"],
        source=d["source"],
        layers=tuple(d["layers"]),
        ops=ops,
        macs=int(d["macs"]),
        params=int(d["params"]),
        published_macs=d["published_macs"],
        published_params=d["published_params"],
        context=context,
    )


def names() -> list[str]:
    """Names of the built-in workloads."""
    return list(_native.workload_names())


@functools.cache
def _builtin(name: str) -> Workload:
    return _from_native(_native.workload_load(name))


def load(name_or_path: str | os.PathLike[str] | Workload) -> Workload:
    """A built-in name (cached), or a ``.json`` / ``.toml`` workload file; a ``Workload`` is
    returned as is. Raises ``UnknownWorkloadError`` for anything else and ``WorkloadFileError``
    for a file that cannot be parsed or describes an impossible layer."""
    if isinstance(name_or_path, Workload):
        return name_or_path
    key = os.fspath(name_or_path)
    if key in _native.workload_names():
        return _builtin(key)
    return _from_native(_native.workload_load(key))


def from_layers(name: str, layers: Sequence[Mapping[str, Any]], description: str = "") -> Workload:
    """Build a workload from layer dicts (the file schema) through the same parser as files."""
    try:
        text = json.dumps({"name": name, "description": description, "layers": list(layers)})
    except (TypeError, ValueError) as e:
        from prime_rs.errors import WorkloadFileError

        raise WorkloadFileError(f"bad workload <from_layers:{name}>: {e}") from e
    return _from_native(_native.workload_parse(text, "json", f"<from_layers:{name}>"))


__all__ = ["CONTEXT_FEATURES", "OP_GEMM", "OP_MEMORY", "Workload", "from_layers", "load", "names"]
