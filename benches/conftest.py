from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import pytest


@pytest.fixture
def measuring(request: pytest.FixtureRequest) -> bool:
    """True when pytest-benchmark is really timing (``--benchmark-enable``/``--benchmark-only``);
    otherwise benchmarks run once as tests, on small inputs, so the suite stays fast."""
    cfg = request.config
    return bool(cfg.getoption("benchmark_enable") or cfg.getoption("benchmark_only"))


class Rates:
    """Throughputs measured in this run, laid out as tables (a row per case, a column per
    implementation) with ratios between columns. They are printed at the end of the run and
    written into pytest-benchmark's JSON (``--benchmark-json``), so every ratio comes from one
    run on one machine state."""

    def __init__(self) -> None:
        self.units: dict[str, str] = {}
        self.values: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
        self.ratio_defs: dict[str, list[tuple[str, str, str]]] = {}
        self.load: list[float] = []

    def table(self, name: str, unit: str, ratios: list[tuple[str, str, str]]) -> None:
        """Declare a table: its unit and its ratios as (label, numerator, denominator) columns."""
        self.units[name] = unit
        self.ratio_defs[name] = ratios

    def record(self, table: str, row: str, column: str, per_s: float) -> None:
        self.values[table][row][column] = per_s
        self.load.append(os.getloadavg()[0])

    def ratios(self, table: str, row: str) -> dict[str, float]:
        cells = self.values[table][row]
        return {
            label: cells[num] / cells[den]
            for label, num, den in self.ratio_defs.get(table, [])
            if num in cells and den in cells
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "load_average_1min": {"min": min(self.load), "max": max(self.load)},
            "cpus": os.cpu_count(),
            "tables": {
                t: {
                    "unit": self.units.get(t, "per s"),
                    "rows": {
                        r: {"rates": dict(cells), "ratios": self.ratios(t, r)}
                        for r, cells in rows.items()
                    },
                }
                for t, rows in self.values.items()
            },
        }

    def lines(self) -> list[str]:
        out = []
        for t, rows in self.values.items():
            columns = list(dict.fromkeys(c for cells in rows.values() for c in cells))
            out.append(f"{t} ({self.units.get(t, 'per s')})")
            for r, cells in rows.items():
                rates = "  ".join(f"{c} {cells[c]:,.0f}" for c in columns if c in cells)
                ratios = "  ".join(f"{k} {v:.1f}x" for k, v in self.ratios(t, r).items())
                out.append(f"  {r}: {rates}" + (f"  |  {ratios}" if ratios else ""))
        return out


RATES = Rates()


@pytest.fixture(scope="session")
def rates() -> Rates:
    return RATES


def pytest_benchmark_update_json(config: pytest.Config, benchmarks: Any, output_json: dict) -> None:
    if RATES.values:
        output_json["rates"] = RATES.as_json()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RATES.values:
        load = f"load average {min(RATES.load):.1f}-{max(RATES.load):.1f} on {os.cpu_count()} CPUs"
        terminalreporter.section(f"throughput and ratios, this run ({load})")
        for line in RATES.lines():
            terminalreporter.write_line(line)
