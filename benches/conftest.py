from __future__ import annotations

import pytest


@pytest.fixture
def measuring(request: pytest.FixtureRequest) -> bool:
    """True when pytest-benchmark is really timing (``--benchmark-enable``/``--benchmark-only``);
    otherwise benchmarks run once as tests, on small inputs, so the suite stays fast."""
    cfg = request.config
    return bool(cfg.getoption("benchmark_enable") or cfg.getoption("benchmark_only"))
