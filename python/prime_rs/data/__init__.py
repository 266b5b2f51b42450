"""Logged accelerator simulations: one dataset format for every source.

* :class:`Dataset`, :func:`load`, :func:`from_arrays`, :func:`concat`: the columnar dataset
  (Parquet on disk) with PRIME's splits;
* :func:`generate` / :func:`write_generated`: simulate designs with prime-rs's own simulator
  (uniform random, or the visits of a simulator-driven evolutionary search);
* :func:`import_prime`: the published PRIME TFRecords, parsed natively;
* :func:`import_csv`: users' own CSV/Parquet logs with a column mapping;
* :func:`stats`: the per-application table of the PRIME README;
* :func:`merge`: several logs of one world in one dataset.
"""

from __future__ import annotations

from prime_rs.data.apps import PRIME_FOLDERS
from prime_rs.data.csv_import import ColumnMapping, import_csv
from prime_rs.data.dataset import Dataset, assemble_table, concat, from_arrays, load
from prime_rs.data.generation import (
    GenerateReport,
    GenerationSearchSettings,
    SearchSettings,
    generate,
    write_generated,
)
from prime_rs.data.merge import merge
from prime_rs.data.summary import AppStats, stats
from prime_rs.data.tfrecord import ImportReport, import_prime, write_prime_tfrecords

__all__ = [
    "PRIME_FOLDERS",
    "AppStats",
    "ColumnMapping",
    "Dataset",
    "GenerateReport",
    "GenerationSearchSettings",
    "ImportReport",
    "SearchSettings",
    "assemble_table",
    "concat",
    "from_arrays",
    "generate",
    "import_csv",
    "import_prime",
    "load",
    "merge",
    "stats",
    "write_generated",
    "write_prime_tfrecords",
]
