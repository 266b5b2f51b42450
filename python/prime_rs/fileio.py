"""Atomic, durable file output: write to a temporary file in the destination directory, fsync it,
rename it over the destination and fsync the directory, so neither a crash, an error nor a power
cut leaves a truncated file that looks complete (the rename is only durable once the directory
entry is on disk)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from prime_rs.errors import OutputError


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail early (before any work) when `path` cannot be created or replaced."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"cannot write {p}: it is a directory")
    if p.exists() and not p.is_file():
        # A device node or FIFO would be replaced by the rename (as root) or block the writer.
        raise OutputError(f"cannot write {p}: it exists and is not a regular file")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {p}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {p}: directory {parent} is not writable")
    return p


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on normal exit it replaces `path`, on any
    exception (KeyboardInterrupt included) it is removed and `path` is left untouched."""
    final = check_writable(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    except OSError as e:
        raise OutputError(f"cannot write {final}: {e.strerror or e}") from e
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates 0600; give the result the permissions an ordinary file would get.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        fsync_path(tmp)
        os.replace(tmp, final)
        fsync_path(final.parent)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise


def fsync_path(path: str | os.PathLike[str]) -> None:
    """Flush a file's or a directory's data and metadata to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from e
    finally:
        os.close(fd)
