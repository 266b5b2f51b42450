"""Merging datasets (``prime-rs data merge``): the rows of several logs in one file, which closes
the propose -> run your simulator -> import -> merge loop. Worlds do not mix unless asked."""

from __future__ import annotations

import os
from collections.abc import Sequence

from prime_rs.data.dataset import Dataset, concat, load
from prime_rs.errors import DatasetError, InvalidArgumentError
from prime_rs.worlds import EXTERNAL, World, data_only_metadata

__all__ = ["merge", "merge_files"]


def merge(
    parts: Sequence[Dataset],
    *,
    names: Sequence[str] | None = None,
    allow_mixed_worlds: bool = False,
) -> Dataset:
    """The rows of every part, in order. All parts must come from the same world (same simulator
    fingerprint, or the same external source) unless `allow_mixed_worlds`, which records the
    result as an external "mixed" world; latency units must agree in any case."""
    if len(parts) < 2:
        raise InvalidArgumentError("a merge needs at least two datasets")
    labels = list(names) if names is not None else [f"dataset {i}" for i in range(len(parts))]
    worlds = [p.world for p in parts]
    units = {w.latency_unit for w in worlds}
    if len(units) > 1:
        listing = ", ".join(f"{n}: {w.latency_unit}" for n, w in zip(labels, worlds, strict=True))
        raise DatasetError(
            f"the datasets log latency in different units ({listing}); convert them to one unit "
            "(import with --latency-unit) before merging"
        )
    first = worlds[0]
    mixed = [(n, w) for n, w in zip(labels, worlds, strict=True) if not w.same_as(first)]
    if mixed and not allow_mixed_worlds:
        listing = "; ".join(f"{n}: {w.describe()}" for n, w in zip(labels, worlds, strict=True))
        raise DatasetError(
            f"the datasets come from different worlds ({listing}); their latencies and areas "
            "are not comparable, so the merge refuses to mix them (pass --allow-mixed-worlds "
            "to merge anyway, as an external 'mixed' world)"
        )
    if mixed:
        sources = "; ".join(dict.fromkeys(w.describe() for w in worlds))
        world = World(EXTERNAL, f"mixed: {sources}", None, first.latency_unit)
    else:
        world = first
    meta = {k: v for k, v in parts[0].metadata.items() if k == "prime_rs.space_fingerprint"}
    meta |= {"prime_rs.source": "merge", "prime_rs.merged_from": "; ".join(labels)}
    meta |= world.to_metadata()
    apps = sorted({a for p in parts for a in p.applications})
    meta |= data_only_metadata(apps)
    return concat(list(parts), metadata=meta)


def merge_files(
    paths: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    allow_mixed_worlds: bool = False,
) -> Dataset:
    """Merge dataset files into `out` (written atomically; nothing is written on refusal)."""
    from prime_rs.fileio import check_writable

    check_writable(out)
    parts = [load(p) for p in paths]
    ds = merge(parts, names=[os.fspath(p) for p in paths], allow_mixed_worlds=allow_mixed_worlds)
    ds.save(out)
    return ds
