"""Atomic, durable file output: write to a temporary file in the destination directory, fsync it,
rename it over the destination and fsync the directory, so neither a crash, an error nor a power
cut leaves a truncated file that looks complete (the rename is only durable once the directory
entry is on disk).

A temporary file's name carries the writer's process id (``.NAME.PID.RANDOM.tmp``), so a later
writer of the same file can tell litter left by a killed process (its pid no longer runs) from
the temporary file of a live writer, and removes only the former. :func:`file_lock` serialises
writers of one path across processes."""

from __future__ import annotations

import errno
import fcntl
import os
import re
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
    clean_litter(final)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{final.name}.{os.getpid()}.", suffix=".tmp", dir=final.parent
        )
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def clean_litter(path: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary files and folders that killed writers of ``path`` left beside it
    (``.NAME.PID.*.tmp`` / ``.NAME.PID.*.tmpdir`` whose PID no longer runs); returns them."""
    final = Path(path)
    pattern = re.compile(rf"^\.{re.escape(final.name)}\.(\d+)\..*\.tmp(dir)?$")
    removed = []
    try:
        entries = list(final.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = pattern.match(entry.name)
        if m is None or _pid_alive(int(m.group(1))):
            continue
        with suppress(OSError):
            if entry.is_dir() and not entry.is_symlink():
                import shutil

                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed


@contextmanager
def file_lock(
    path: str | os.PathLike[str], *, blocking: bool = True, what: str | None = None
) -> Iterator[Path]:
    """Hold an exclusive advisory lock on ``path`` (created if missing) for the block. With
    ``blocking=False`` a lock held by another process raises :class:`OutputError` naming
    ``what`` instead of waiting. The kernel drops the lock when its holder dies (SIGKILL
    included), so a crashed process never leaves a stale lock."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise OutputError(f"cannot create lock file {p}: {e.strerror or e}") from e
    try:
        _flock(fd, p, blocking, what)
        yield p
    finally:
        os.close(fd)


@contextmanager
def dir_lock(
    path: str | os.PathLike[str], *, blocking: bool = True, what: str | None = None
) -> Iterator[Path]:
    """Create directory ``path`` if needed and hold an exclusive lock on it for the block.

    The lock lives on the directory itself, so nothing is left behind, and the holder may
    delete the directory when done: a waiter that then gets the lock of the deleted directory
    notices (the path no longer names the inode it locked) and starts over. With
    ``blocking=False`` a held lock raises :class:`OutputError` naming ``what``.
    """
    p = Path(path)
    while True:
        try:
            p.mkdir(parents=True, exist_ok=True)
            fd = os.open(p, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            continue  # removed by its holder between mkdir and open
        except OSError as e:
            raise OutputError(f"cannot create {p}: {e.strerror or e}") from e
        try:
            _flock(fd, p, blocking, what)
            try:
                same = os.stat(p).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                yield p
                return
        finally:
            os.close(fd)


def _flock(fd: int, path: Path, blocking: bool, what: str | None) -> None:
    """Take the exclusive lock on an open file or directory; a lock held elsewhere is an
    OutputError naming ``what`` when not ``blocking``."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except OSError as e:
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise OutputError(
                f"{what or path} is in use by another prime-rs process; wait for it to finish "
                "or choose another output"
            ) from None
        raise OutputError(f"cannot lock {path}: {e.strerror or e}") from e
