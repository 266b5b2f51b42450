"""Throughput of the data layer: the PRIME TFRecord import, stage by stage, and `generate`.

    python -m pytest benches/bench_data.py --benchmark-enable --benchmark-group-by=group \
        --benchmark-columns=mean,stddev,rounds

Import benchmarks read one PRIME-schema folder of 1,000,000 records (written once per run by
the native writer; 20,000 when only testing) and put ``records_per_s`` (records / mean) in
``extra_info``:

* ``native_parse``: the native reader alone (framing, both CRCs, Example decoding and the value
  -> index conversion), drained batch by batch;
* ``to_parquet``: :func:`import_prime_file`, the path of ``prime-rs data import-prime``: parse,
  validate and stream Parquet row groups, with flat memory;
* ``to_dataset_and_parquet``: :func:`import_prime` with an output file (also builds the Dataset);
* ``cli``: the ``prime-rs data import-prime`` process, interpreter start-up included.

Each benchmark checks its answer (row count and the designs of a sample), so a fast wrong path
fails. Ratios between them are in ``docs/performance/import.md``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from prime_rs import SPACE, _native
from prime_rs.data import import_prime, load, write_generated
from prime_rs.data.tfrecord import BATCH_ROWS, FLOAT_FEATURES, INT_FEATURES, import_prime_file

CPUS = os.cpu_count() or 1
_DIRS: dict[int, tuple[Path, np.ndarray]] = {}


@pytest.fixture(scope="session")
def prime_folder(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """`make(n)` -> (release folder with one MobilenetV2 file of n records, their designs)."""

    def make(n: int) -> tuple[Path, np.ndarray]:
        if n not in _DIRS:
            root = tmp_path_factory.mktemp(f"prime{n}")
            designs = SPACE.sample(n, seed=0)
            vals = SPACE.to_values(designs).astype(np.float32)
            rng = np.random.default_rng(0)
            cols = [
                (k, np.ascontiguousarray(vals[:, i])) for i, k in enumerate(FLOAT_FEATURES[:10])
            ]
            cols += [("runtime", rng.lognormal(0, 1, n).astype(np.float32)),
                     ("area", rng.uniform(5, 150, n).astype(np.float32))]  # fmt: skip
            infeasible = (rng.random(n) < 0.7).astype(np.int64)
            (root / "MobilenetV2").mkdir()
            path = root / "MobilenetV2" / "part-00000.tfrecord"
            _native.tfrecord.write(str(path), cols, [("infeasible", infeasible)])
            _DIRS[n] = (root, designs)
        return _DIRS[n]

    return make


def _records(measuring: bool) -> int:
    return 1_000_000 if measuring else 20_000


def _native_parse(root: Path) -> int:
    files = [str(p) for p in sorted(root.rglob("*.tfrecord"))]
    reader = _native.tfrecord.TfrecordReader(
        files, list(FLOAT_FEATURES[10:]), list(INT_FEATURES), False, design=True
    )
    n = 0
    while (batch := reader.next_batch(BATCH_ROWS)) is not None:
        n += len(batch[0])
    return n


def _cli(root: Path, out: Path) -> int:
    """Rows written, as the process reports them (checked against the file after timing)."""
    done = subprocess.run(
        [Path(sys.executable).with_name("prime-rs"), "data", "import-prime", str(root), "--out", str(out), "--json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return int(json.loads(done.stdout)["rows"])


@pytest.mark.parametrize("stage", ["native_parse", "to_parquet", "to_dataset_and_parquet", "cli"])
def test_import_throughput(
    benchmark, measuring: bool, prime_folder, stage: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    n = _records(measuring)
    root, designs = prime_folder(n)
    out = tmp_path / "out.parquet"
    run = {
        "native_parse": lambda: _native_parse(root),
        "to_parquet": lambda: import_prime_file(root, out).rows,
        "to_dataset_and_parquet": lambda: len(import_prime(root, out)[0]),
        "cli": lambda: _cli(root, out),
    }[stage]
    benchmark.group = "import PRIME TFRecords"
    benchmark.extra_info.update(records=n, cpus=CPUS, batch_rows=BATCH_ROWS)
    rows = benchmark.pedantic(run, rounds=3 if measuring else 1, iterations=1)
    assert rows == n
    if stage != "native_parse":
        np.testing.assert_array_equal(load(out).designs[::997], designs[::997])
    if benchmark.stats is not None and benchmark.stats.stats.mean:
        benchmark.extra_info["records_per_s"] = n / benchmark.stats.stats.mean


def test_generate_throughput(benchmark, measuring: bool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`write_generated` streaming simulated rows to Parquet (rows/s in extra_info)."""
    n = 1_000_000 if measuring else 5_000
    out = tmp_path / "g.parquet"
    benchmark.group = "generate"
    benchmark.extra_info.update(rows=n, cpus=CPUS)
    rep = benchmark.pedantic(
        lambda: write_generated(out, "mobilenet_v2", n, seed=0), rounds=1, iterations=1
    )
    assert rep.rows == n == len(load(out))
    if benchmark.stats is not None and benchmark.stats.stats.mean:
        benchmark.extra_info["rows_per_s"] = n / benchmark.stats.stats.mean
