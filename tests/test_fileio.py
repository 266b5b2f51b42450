"""Atomic, durable output (prime_rs.fileio)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prime_rs.errors import OutputError
from prime_rs.fileio import atomic_path


def test_atomic_write_fsyncs_the_file_and_its_directory(tmp_path: Path, monkeypatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    out = tmp_path / "a.txt"
    with atomic_path(out) as tmp:
        tmp.write_text("done")
    assert out.read_text() == "done"
    # The temporary file is flushed before the rename, the directory entry after it.
    assert len(synced) == 2
    assert Path(synced[0]).parent == tmp_path and Path(synced[0]).name.startswith(".a.txt.")
    assert Path(synced[1]) == tmp_path


def test_failed_write_leaves_the_old_file_and_no_litter(tmp_path: Path) -> None:
    out = tmp_path / "a.txt"
    out.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_special_file_is_never_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="not a regular file"), atomic_path(fifo):
        pass
    assert fifo.exists() and not fifo.is_file()
