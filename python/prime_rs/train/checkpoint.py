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
half-written checkpoint. Step directories no pointer names are deleted, and so are the
temporary ``.step-*`` folders a killed or failed save left (one training writes a run
directory at a time: the CLI locks it). Every file is fsynced before the rename. A write that
fails (a full disk) removes its temporary folder and raises :class:`OutputError`.

What is read back is checked before use: a meta.json with a field of the wrong type or a
foreign RNG state is a :class:`CheckpointError`, never a raw ``TypeError``.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import equinox as eqx
import numpy as np

from prime_rs.errors import CheckpointError, OutputError
from prime_rs.fileio import atomic_path, fsync_path

__all__ = ["FORMAT", "read_pointer", "restore_tree", "save"]

FORMAT = 1
_DIR = "checkpoints"


def write_json_atomic(path: Path, obj: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1, sort_keys=True))


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
    name = f"step-{step:06d}"
    tmp: Path | None = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        for litter in root.glob(".step-*"):
            shutil.rmtree(litter, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}."))
        try:
            eqx.tree_serialise_leaves(tmp / "model.eqx", model)
            if state is not None:
                eqx.tree_serialise_leaves(tmp / "state.eqx", state)
        except Exception as exc:
            # equinox wraps the OSError of a full disk in its own TreePathError, whose text
            # only names the leaf; the innermost cause says what went wrong.
            cause: BaseException = exc
            while cause.__cause__ is not None:
                cause = cause.__cause__
            if isinstance(cause, OSError) and cause.errno is not None:
                raise OSError(cause.errno, cause.strerror) from exc
            raise OSError(str(cause)) from exc
        np.savez(tmp / "arrays.npz", **arrays)
        (tmp / "meta.json").write_text(json.dumps({**meta, "format": FORMAT, "step": step}))
        for f in tmp.iterdir():
            fsync_path(f)
        fsync_path(tmp)
        final = root / name
        if final.exists():  # the same step saved again (e.g. after --resume): replace it
            shutil.rmtree(final)
        os.rename(tmp, final)
        tmp = None
        fsync_path(root)
        for p in pointers:
            write_json_atomic(root / f"{p}.json", {"dir": name, "step": step})
        keep = {
            read_pointer(run_dir, p)[0].name
            for p in ("latest", "best")
            if (root / f"{p}.json").exists()
        }
        for d in root.glob("step-*"):
            if d.name not in keep:
                shutil.rmtree(d, ignore_errors=True)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(
            f"cannot write checkpoint in {root}: {exc}{_free_space(exc, root)}"
        ) from exc
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _free_space(exc: OSError, root: Path) -> str:
    """The free space of ``root``'s disk, for a write that ran out of it: numpy reports a
    full disk as a short write ("16384 requested and 12000 written"), with no errno."""
    if exc.errno not in (None, errno.ENOSPC):
        return ""
    try:
        free = shutil.disk_usage(root if root.exists() else root.parent).free
    except OSError:
        return ""
    return f" (the disk has {free:,} bytes free)"


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
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"unreadable checkpoint pointer {ptr}: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else meta
        raise CheckpointError(f"checkpoint {target} has format {got!r}, expected {FORMAT}")
    _check_meta(target, meta)
    return target, meta


def _check_meta(target: Path, meta: dict[str, Any]) -> None:
    """The fields training reads back, of the types it wrote (a tampered or foreign meta.json
    is refused here, not deep inside a resume)."""

    def bad(field: str, want: str) -> CheckpointError:
        return CheckpointError(
            f"checkpoint {target}/meta.json: field {field!r} must be {want}, "
            f"got {meta.get(field)!r}"
        )

    step = meta.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise bad("step", "a non-negative integer")
    if "bad_vals" in meta:
        v = meta["bad_vals"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise bad("bad_vals", "a non-negative integer")
    if "best" in meta:
        v = meta["best"]
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise bad("best", "a number")
    if "rng_state" in meta:
        try:
            np.random.PCG64().state = meta["rng_state"]
        except (TypeError, ValueError, KeyError) as exc:
            raise CheckpointError(
                f"checkpoint {target}/meta.json: 'rng_state' is not a PCG64 state: {exc}"
            ) from None


def truncate_metrics(path: Path, step: int) -> None:
    """Keep the metrics records up to ``step`` (those after the resumed checkpoint are
    recomputed). A torn last line, what a crash or a full disk leaves mid-append, is dropped;
    an unreadable line before it is a :class:`CheckpointError`. Rewritten atomically."""
    if not path.exists():
        return
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from exc
    keep = []
    for i, ln in enumerate(lines):
        try:
            rec = json.loads(ln)
            rec_step = rec["step"]
            if isinstance(rec_step, bool) or not isinstance(rec_step, int):
                raise TypeError("step is not an integer")
        except (ValueError, KeyError, TypeError) as exc:
            if i == len(lines) - 1:
                break
            raise CheckpointError(f"{path} line {i + 1} is not a metrics record: {exc}") from None
        if rec_step <= step:
            keep.append(ln)
    with atomic_path(path) as tmp:
        tmp.write_text("".join(ln + "\n" for ln in keep), encoding="utf-8")


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
