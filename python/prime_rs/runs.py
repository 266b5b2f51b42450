"""Run directories: every job writes one folder a user can open (config.toml, meta.json,
metrics, parquet, json, markdown, png). Files are written atomically (temp file + rename), so a
crash never leaves a truncated file that looks complete, and an existing run is never clobbered
unless asked. A job that fails on bad input removes the directory it created
(:func:`removes_created_dir`), so the corrected command can run into the same place."""

from __future__ import annotations

import functools
import inspect
import json
import logging
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from prime_rs.errors import OutputError, PrimeError
from prime_rs.fileio import atomic_path, dir_lock

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def write_text(path: str | os.PathLike[str], text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_jsonable) + "\n")


def write_toml(path: str | os.PathLike[str], obj: dict[str, Any]) -> None:
    import tomli_w

    write_text(path, tomli_w.dumps(_drop_none(obj)))


def as_saved(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as :func:`write_toml` writes it and ``tomllib`` reads it back (no None values,
    lists for tuples): the form to compare settings with a run's config.toml."""
    import tomllib

    import tomli_w

    return tomllib.loads(tomli_w.dumps(_drop_none(obj)))


def _drop_none(obj: Any) -> Any:
    # TOML has no null: absent keys mean "default".
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [_drop_none(v) for v in obj]
    return obj


def _jsonable(x: Any) -> Any:
    import numpy as np

    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def prepare_run_dir(
    path: str | os.PathLike[str], *, overwrite: bool = False, resume: bool = False
) -> Path:
    """Create (or reuse with ``resume``, or empty with ``overwrite``) a run directory."""
    run = Path(path)
    if run.exists() and not run.is_dir():
        raise OutputError(f"{run} exists and is not a directory")
    if run.exists() and any(run.iterdir()):
        if resume:
            return run
        if not overwrite:
            raise OutputError(
                f"output directory {run} already exists and is not empty; "
                "pass --overwrite to replace it or --resume to continue it"
            )
        shutil.rmtree(run)
    try:
        run.mkdir(parents=True, exist_ok=True)
        probe = run / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write to {run}: {exc.strerror or exc}") from None
    return run


def empty_dir(path: str | os.PathLike[str]) -> None:
    """Remove everything inside directory ``path``, keeping the directory (and a lock held on
    it: :func:`run_lock` locks the directory itself)."""
    for child in Path(path).iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def holds_work(run: Path) -> bool:
    """Whether a run directory holds finished work a ``--resume`` continues (a training
    checkpoint, its own or a nested run's)."""
    return any(run.glob("**/checkpoints/latest.json"))


@contextmanager
def removed_on_input_error(
    path: str | os.PathLike[str], keep: Callable[[Path], bool] = holds_work
) -> Iterator[None]:
    """Around a job that writes the run directory ``path``: when the job fails on an input
    error (a :class:`PrimeError` with exit code 2) and the directory did not exist when the
    block began, it is removed again, so the corrected command can use it. A directory that
    existed is never touched; one that ``keep`` says holds work to resume is kept, with a
    warning saying so. Ctrl-C keeps everything (the run can be resumed)."""
    run = Path(path)
    existed = run.exists() or run.is_symlink()
    try:
        yield
    except PrimeError as exc:
        if exc.exit_code == 2 and not existed and run.is_dir():
            if keep(run):
                log.warning(
                    f"{run} is kept: it holds a trained model; once the problem is fixed, "
                    "the same command with --resume continues it"
                )
            else:
                shutil.rmtree(run, ignore_errors=True)
        raise


def removes_created_dir(
    param: str = "out", keep: Callable[[Path], bool] = holds_work
) -> Callable[[F], F]:
    """:func:`removed_on_input_error` around every call of the decorated job, for the run
    directory named by its argument ``param``."""

    def wrap(fn: F) -> F:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def job(*args: Any, **kwargs: Any) -> Any:
            run = signature.bind(*args, **kwargs).arguments[param]
            with removed_on_input_error(run, keep):
                return fn(*args, **kwargs)

        return job  # type: ignore[return-value]

    return wrap


def environment_meta() -> dict[str, Any]:
    """Versions and machine facts recorded in every run's meta.json."""
    import numpy as np

    import prime_rs

    versions = {"prime_rs": prime_rs.__version__, "numpy": np.__version__}
    for mod in ("jax", "equinox", "optax", "pyarrow", "optuna"):
        m = sys.modules.get(mod)
        if m is not None:
            versions[mod] = getattr(m, "__version__", "?")
    return {
        "versions": versions,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "rayon_threads": os.environ.get("RAYON_NUM_THREADS"),
        "argv": sys.argv,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


class Timer:
    """Named wall-clock timings, for meta.json."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - t0, 3)


def cache_dir() -> Path:
    """Where generated datasets are cached (``$PRIME_RS_CACHE`` or the XDG cache)."""
    root = os.environ.get("PRIME_RS_CACHE")
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "prime-rs"


@contextmanager
def run_lock(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the run directory ``path`` for one process: another process asking for it while
    it is held gets :class:`OutputError` at once. The directory is created if missing, and
    removed again if the holder leaves it empty (a run refused on bad input leaves nothing)."""
    run = Path(path)
    if run.exists() and not run.is_dir():
        raise OutputError(f"{run} exists and is not a directory")
    existed = run.exists()
    try:
        with dir_lock(run, blocking=False, what=f"run directory {run}"):
            yield run
    finally:
        if not existed:
            with suppress(OSError):
                run.rmdir()  # only succeeds when empty


def cache_file(kind: str, key: str, suffix: str) -> Path:
    """A cache file for ``key`` under ``cache_dir()/kind``. The key may hold user text (a
    workload's name): it is reduced to safe characters plus a digest of the whole key, so it
    can never name a path outside the cache (reliability 8.11) and distinct keys stay
    distinct."""
    import hashlib
    import re

    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9_.+-]", "_", key).lstrip(".")[:120] or "item"
    return cache_dir() / kind / f"{safe}-{digest}{suffix}"
