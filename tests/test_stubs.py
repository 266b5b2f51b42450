"""The hand-written stub of the native module must match the compiled module exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ALLOWLIST = Path(__file__).with_name("stubtest_allowlist.txt")


def test_native_stub_matches_binary() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "prime_rs._native", "--allowlist", str(ALLOWLIST)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
