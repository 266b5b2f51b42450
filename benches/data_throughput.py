"""Throughput and memory of the data layer (a script, not a test: it writes ~300 MB).

    python benches/data_throughput.py import [--records 1000000]
    python benches/data_throughput.py generate [--rows 1000000] [--app mobilenet_v2] [--mode random]

`import` writes PRIME-schema TFRecords with the native writer, then times the native reader alone
and the full `import_prime` (validation + Parquet write). `generate` streams `write_generated`
to a file and reports rows/s and the peak RSS of this process, next to the size the same rows
would take as Python objects (one dict per row, measured on a sample and scaled).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def python_object_mib(ds, rows: int) -> float:  # type: ignore[no-untyped-def]
    """MiB that `rows` rows would take as a list of per-row dicts (sampled on 20,000 rows)."""
    sample = min(len(ds), 20_000)
    part = ds.table.slice(0, sample)
    tracemalloc.start()
    objs = part.to_pylist()
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del objs
    return size / sample * rows / 2**20


def bench_import(records: int, files: int) -> dict:
    from prime_rs import SPACE, _native
    from prime_rs.data import import_prime

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "prime" / "MobilenetV2"
        root.mkdir(parents=True)
        rng = np.random.default_rng(0)
        designs = SPACE.sample(records, seed=0)
        vals = SPACE.to_values(designs).astype(np.float32)
        per = records // files
        t = time.perf_counter()
        paths = []
        for f in range(files):
            s = slice(f * per, (f + 1) * per)
            cols = [(f"param_{k + 1}", np.ascontiguousarray(vals[s, k])) for k in range(10)]
            cols += [("runtime", rng.lognormal(6, 1, per).astype(np.float32)),
                     ("area", rng.uniform(5, 150, per).astype(np.float32))]  # fmt: skip
            p = root / f"part-{f:03d}.tfrecord"
            _native.tfrecord.write(
                str(p), cols, [("infeasible", (rng.random(per) < 0.7).astype(np.int64))]
            )
            paths.append(str(p))
        write_s = time.perf_counter() - t
        size = sum(Path(p).stat().st_size for p in paths)
        feats = [f"param_{k}" for k in range(1, 11)] + ["runtime", "area"]
        best_native = min(
            _timed(lambda: _native.tfrecord.read(paths, feats, ["infeasible"])) for _ in range(3)
        )
        t = time.perf_counter()
        ds, _ = import_prime(root.parent, Path(tmp) / "out.parquet")
        full = time.perf_counter() - t
        return {
            "records": per * files,
            "files": files,
            "tfrecord_mb": round(size / 1e6, 1),
            "write_s": round(write_s, 2),
            "native_read_s": round(best_native, 3),
            "native_records_per_s": round(per * files / best_native),
            "import_prime_to_parquet_s": round(full, 3),
            "import_prime_records_per_s": round(len(ds) / full),
        }


def _timed(f) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def bench_generate(rows: int, app: str, mode: str) -> dict:
    from prime_rs.data import load, write_generated

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "g.parquet"
        before = peak_rss_mib()
        rep = write_generated(out, app, rows, seed=0, mode=mode)  # type: ignore[arg-type]
        peak = peak_rss_mib()
        size = out.stat().st_size
        ds = load(out)
        return {
            "rows": rep.rows,
            "application": app,
            "mode": mode,
            "seconds": round(rep.seconds, 2),
            "rows_per_s": round(rep.rows_per_second),
            "feasible_fraction": round(rep.feasible / rep.rows, 3),
            "peak_rss_before_mib": round(before),
            "peak_rss_mib": round(peak),
            "parquet_mb": round(size / 1e6, 1),
            "as_python_objects_mib": round(python_object_mib(ds, rows)),
            "as_numpy_arrays_mib": round(ds.table.nbytes / 2**20),
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["import", "generate"])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=1)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--app", default="mobilenet_v2")
    ap.add_argument("--mode", default="random")
    a = ap.parse_args()
    out = (
        bench_import(a.records, a.files)
        if a.what == "import"
        else bench_generate(a.rows, a.app, a.mode)
    )
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
