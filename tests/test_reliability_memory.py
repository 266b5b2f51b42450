"""Reliability review case 1.10: a large call under an address-space cap is a typed error, not
an interpreter abort (the native kernels ask the allocator before they build their outputs)."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import numpy as np, prime_rs as p
from prime_rs.errors import InvalidArgumentError
designs = np.zeros((50_000_000, 10), np.uint8)
try:
    p.simulate(designs, "mobilenet_v2")
except InvalidArgumentError as e:
    assert "more than this machine can allocate" in str(e), e
else:
    raise AssertionError("no error")
# What fits still runs under the same cap.
assert len(p.simulate(designs[:1000], "mobilenet_v2").latency_ms) == 1000
print("typed")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is Linux's")
def test_simulate_under_a_memory_cap_is_a_typed_error() -> None:
    # The review's cap: 2.2 GB of address space, room for the input but not for the outputs.
    # Set by the shell, not a preexec_fn: forking this process (JAX is loaded) is unsafe.
    r = subprocess.run(
        ["bash", "-c", 'ulimit -v 2200000 && exec "$0" -c "$1"', sys.executable, SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        env={"JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin", "RAYON_NUM_THREADS": "2"},
    )
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert "typed" in r.stdout
