"""The simulator fingerprint: it is the native one, it is recorded in generated datasets, and a
changed fingerprint misses the cache of generated data instead of reusing stale logs."""

from __future__ import annotations

from pathlib import Path

import pytest

import prime_rs
from prime_rs import _native, data, simulator
from prime_rs.run import OptimizeSettings, cached_dataset


def test_fingerprint_is_the_native_one_and_stable() -> None:
    assert simulator.FINGERPRINT == _native.sim.fingerprint() == _native.sim.fingerprint()
    assert simulator.FINGERPRINT.startswith("sim-") and len(simulator.FINGERPRINT) == 20


def test_generated_datasets_record_the_fingerprint() -> None:
    ds = data.generate("mobilenet_v2", 50, seed=3)
    assert ds.metadata["prime_rs.simulator_fingerprint"] == simulator.FINGERPRINT
    assert ds.metadata["prime_rs.simulator_version"] == f"prime-rs {prime_rs.__version__}"


def test_a_changed_fingerprint_misses_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIME_RS_CACHE", str(tmp_path))
    settings = OptimizeSettings(apps=["mobilenet_v3_small"], dataset_designs=200, seed=5)
    first = cached_dataset(settings)
    stamp = first.stat().st_mtime_ns
    assert cached_dataset(settings) == first and first.stat().st_mtime_ns == stamp

    monkeypatch.setattr(simulator, "FINGERPRINT", "sim-0123456789abcdef")
    changed = cached_dataset(settings)
    assert changed != first and changed.exists()
    assert data.load(changed).metadata["prime_rs.simulator_fingerprint"] == "sim-0123456789abcdef"
    assert data.load(first).metadata["prime_rs.simulator_fingerprint"] == _native.sim.fingerprint()
