"""`prime-rs compare`, split by job: :mod:`~prime_rs.compare.settings` (what a comparison is),
:mod:`~prime_rs.compare.protocol` (running every method and seed),
:mod:`~prime_rs.compare.cells` (one method on one seed, run on an executor and kept on disk),
:mod:`~prime_rs.compare.tables` (results.csv/.json/.md) and :mod:`~prime_rs.compare.plots`."""

from __future__ import annotations

from prime_rs.compare.plots import write_plots
from prime_rs.compare.protocol import run_compare
from prime_rs.compare.settings import BASELINES, CompareSettings, is_baseline
from prime_rs.compare.tables import (
    COLUMNS,
    load_results,
    summary,
    summary_markdown,
    write_results,
)

__all__ = [
    "BASELINES",
    "COLUMNS",
    "CompareSettings",
    "is_baseline",
    "load_results",
    "run_compare",
    "summary",
    "summary_markdown",
    "write_plots",
    "write_results",
]
