"""The command line's entry points."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "prime_rs", "--help"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "optimize" in out.stdout


def _jax_env(env: dict[str, str]) -> dict[str, str]:
    code = (
        "import os, prime_rs.cli.common as c; c.keep_compiled_programs(); "
        "print(os.environ.get('JAX_COMPILATION_CACHE_DIR'), "
        "os.environ.get('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS'))"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "PRIME_RS_"))}
    out = subprocess.run(
        [sys.executable, "-c", code], env={**keep, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    cache, min_time = out.stdout.split()
    return {"cache": cache, "min_time": min_time}


def test_compiled_programs_are_kept_in_the_cache_unless_told_otherwise(tmp_path: Path) -> None:
    mine = str(tmp_path / "mine")
    assert _jax_env({"PRIME_RS_CACHE": str(tmp_path)}) == {
        "cache": str(tmp_path / "jax"),
        "min_time": "0",
    }
    # The user's own JAX cache wins; PRIME_RS_JAX_CACHE=0 turns it off.
    assert _jax_env({"JAX_COMPILATION_CACHE_DIR": mine})["cache"] == mine
    assert _jax_env({"PRIME_RS_CACHE": str(tmp_path), "PRIME_RS_JAX_CACHE": "0"}) == {
        "cache": "None",
        "min_time": "None",
    }
