"""Checkpoints of a training run, written atomically.

Layout inside a run directory::

    checkpoints/step-000200/model.eqx    the surrogate (equinox leaf serialisation)
                           state.eqx    optimiser state, log alpha (for --resume)
                           arrays.npz   negatives and the warm-start pool (for --resume)
                           meta.json    model config, score transform, contexts, step, ...
    checkpoints/latest.json  -> {"dir": "step-000200", "step": 200}
    checkpoints/best.json    -> the step with the best validation rank correlation

A step directory is written under a temporary name and renamed into place; the pointer files
are replaced with ``os.replace``. A crash leaves either the old or the new pointer, never a
half-written checkpoint. Step directories no pointer names are deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import equinox as eqx
import numpy as np

from prime_rs.errors import CheckpointError, OutputError

__all__ = ["FORMAT", "read_pointer", "restore_tree", "save"]

FORMAT = 1
_DIR = "checkpoints"


def _write_json_atomic(path: Path, obj: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(
    run_dir: str | os.PathLike[str],
    step: int,
    model: Any,
    state: Any | None,
    arrays: dict[str, np.ndarray],
    meta: dict[str, Any],
    pointers: tuple[str, ...] = ("latest",),
) -> Path:
    """Write the checkpoint of ``step`` and point ``pointers`` (latest/best) at it."""
    root = Path(run_dir) / _DIR
    try:
        root.mkdir(parents=True, exist_ok=True)
        name = f"step-{step:06d}"
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}."))
        eqx.tree_serialise_leaves(tmp / "model.eqx", model)
        if state is not None:
            eqx.tree_serialise_leaves(tmp / "state.eqx", state)
        np.savez(tmp / "arrays.npz", **arrays)
        (tmp / "meta.json").write_text(json.dumps({**meta, "format": FORMAT, "step": step}))
        final = root / name
        if final.exists():  # the same step saved again (e.g. after --resume): replace it
            shutil.rmtree(final)
        os.rename(tmp, final)
        for p in pointers:
            _write_json_atomic(root / f"{p}.json", {"dir": name, "step": step})
        keep = {
            read_pointer(run_dir, p)[0].name
            for p in ("latest", "best")
            if (root / f"{p}.json").exists()
        }
        for d in root.glob("step-*"):
            if d.name not in keep:
                shutil.rmtree(d, ignore_errors=True)
    except OSError as exc:
        raise OutputError(f"cannot write checkpoint in {root}: {exc}") from exc
    return final


def read_pointer(
    run_dir: str | os.PathLike[str], which: str = "best"
) -> tuple[Path, dict[str, Any]]:
    """The checkpoint directory ``which`` (best/latest) points at, and its meta.json."""
    root = Path(run_dir) / _DIR
    ptr = root / f"{which}.json"
    if not ptr.exists():
        raise CheckpointError(f"no {which!r} checkpoint in {run_dir} (missing {ptr})")
    try:
        target = root / json.loads(ptr.read_text())["dir"]
        meta = json.loads((target / "meta.json").read_text())
    except (OSError, ValueError, KeyError) as exc:
        raise CheckpointError(f"unreadable checkpoint pointer {ptr}: {exc}") from exc
    if meta.get("format") != FORMAT:
        raise CheckpointError(
            f"checkpoint {target} has format {meta.get('format')!r}, expected {FORMAT}"
        )
    return target, meta


def restore_tree(path: Path, like: Any) -> Any:
    """Read leaves saved by ``save`` into a pytree shaped like ``like``."""
    try:
        return eqx.tree_deserialise_leaves(path, like)
    except Exception as exc:  # equinox raises assorted errors on shape/dtype/structure mismatch
        raise CheckpointError(
            f"checkpoint {path} does not match the model configuration it is loaded into: {exc}"
        ) from exc


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"unreadable checkpoint arrays {path}: {exc}") from exc
