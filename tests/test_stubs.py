"""The hand-written stub of the native module must match the compiled module exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ALLOWLIST = Path(__file__).with_name("stubtest_allowlist.txt")
# stubtest checks these too: they are stub modules of the `prime_rs._native/` stub package.
SUBMODULES = ["space", "search", "workload", "sim", "tfrecord"]


def test_native_stub_matches_binary() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            "prime_rs._native",
            "--allowlist",
            str(ALLOWLIST),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_submodules_are_importable_and_attributes() -> None:
    import importlib

    from prime_rs import _native

    for name in SUBMODULES:
        mod = importlib.import_module(f"prime_rs._native.{name}")
        assert getattr(_native, name) is mod
        assert mod.__name__ == f"prime_rs._native.{name}"
