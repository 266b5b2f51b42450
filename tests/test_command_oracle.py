"""The command oracle: the CSV protocol, {in}/{out} substitution, jobs, and every way a command
can fail (exit status, timeout, short or missing output, NaN), each a typed error quoting the
command and its stderr, with nothing cached from the failed batch."""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import prime_rs
from prime_rs.errors import InvalidArgumentError, OracleError
from prime_rs.oracles import BuiltinOracle, CommandOracle, NoOracle, oracle_from_spec
from prime_rs.oracles.command import write_in_csv

APPS = ("mobilenet_v2", "unet")

# A fake simulator: latency = pe_x + (1 for the second application), area = 2 * pe_y + 1,
# infeasible when simd_lanes is 4. MODE changes how it misbehaves.
FAKE = """
import csv, sys, time
mode = {mode!r}
src, dst = sys.argv[-2], sys.argv[-1]
rows = list(csv.DictReader(open(src)))
if mode == "fail":
    print("simulator exploded on row 1", file=sys.stderr)
    sys.exit(3)
if mode == "hang":
    time.sleep(60)
if mode == "short":
    rows = rows[:-1]
with open(dst, "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["application", "latency_ms", "area_mm2", "feasible", "reason"])
    for r in rows:
        lanes = int(r["simd_lanes"])
        lat = int(r["pe_x"]) + (r["application"] == "unet")
        if mode == "nan":
            lat = float("nan")
        w.writerow([r["application"], lat, 2 * int(r["pe_y"]) + 1, "false" if lanes == 4 else "1",
                    "lanes" if lanes == 4 else ""])
"""


def fake(tmp_path: Path, mode: str = "ok") -> str:
    script = tmp_path / f"fake_{mode}.py"
    script.write_text(FAKE.format(mode=mode))
    return f"{sys.executable} {script}"


def designs(n: int, seed: int = 0) -> np.ndarray:
    return prime_rs.SPACE.sample(n, seed=seed)


def expected(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    v = prime_rs.SPACE.to_values(d)
    feas = v[:, 2] != 4
    lat = np.stack([v[:, 0], v[:, 0] + 1], axis=1).astype(float)
    return np.where(feas[:, None], lat, np.inf), 2.0 * v[:, 1] + 1, feas


def test_protocol_round_trip(tmp_path: Path) -> None:
    d = designs(60)
    o = CommandOracle(fake(tmp_path))
    res = o.evaluate(d, APPS)
    lat, area, feas = expected(d)
    np.testing.assert_array_equal(res.latency_ms, lat)
    np.testing.assert_array_equal(res.area_mm2, area)
    np.testing.assert_array_equal(res.feasible, np.repeat(feas[:, None], 2, axis=1))
    assert set(res.reason[~res.feasible].ravel()) == {"lanes"}
    assert o.calls == len(np.unique(prime_rs.SPACE.to_ids(d)))
    assert o.world == "external" and "fake_ok.py" in o.name


def test_in_file_format(tmp_path: Path) -> None:
    d = designs(3)
    write_in_csv(tmp_path / "in.csv", d, APPS)
    with open(tmp_path / "in.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["application", *prime_rs.SPACE.names]
    values = prime_rs.SPACE.to_values(d)
    assert [r[0] for r in rows[1:]] == ["mobilenet_v2", "unet"] * 3  # design-major
    assert [int(x) for x in rows[2][1:]] == values[0].tolist()


def test_substitution_of_in_and_out(tmp_path: Path) -> None:
    script = tmp_path / "wrap.py"
    script.write_text(
        "import shutil, subprocess, sys\n"
        "args = dict(a.split('=', 1) for a in sys.argv[1:])\n"
        f"subprocess.run([sys.executable, {str(tmp_path / 'fake_ok.py')!r}, args['--in'], "
        "args['--out']], check=True)\n"
    )
    fake(tmp_path)
    o = CommandOracle(f"{sys.executable} {script} --in={{in}} --out={{out}}")
    d = designs(10)
    np.testing.assert_array_equal(o.evaluate(d, APPS[:1]).latency_ms[:, 0], expected(d)[0][:, 0])


def test_jobs_and_batches_give_the_same_answer(tmp_path: Path) -> None:
    d = designs(40, seed=2)
    a = CommandOracle(fake(tmp_path)).evaluate(d, APPS)
    o = CommandOracle(fake(tmp_path), batch_size=7, jobs=3)
    b = o.evaluate(d, APPS)
    for f in ("latency_ms", "area_mm2", "feasible", "reason"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert o.calls == len(np.unique(prime_rs.SPACE.to_ids(d)))


def test_a_failing_command_quotes_itself_and_its_stderr(tmp_path: Path) -> None:
    o = CommandOracle(fake(tmp_path, "fail"))
    with pytest.raises(OracleError, match=r"fake_fail\.py.*exit status 3(.|\n)*exploded on row 1"):
        o.evaluate(designs(5), APPS)
    assert o.calls == 0  # nothing of the failed batch is kept


def test_a_hanging_command_times_out(tmp_path: Path) -> None:
    o = CommandOracle(fake(tmp_path, "hang"), timeout=0.5)
    t0 = time.perf_counter()
    with pytest.raises(OracleError, match=r"fake_hang\.py.*timed out after 0.5 s"):
        o.evaluate(designs(5), APPS)
    assert time.perf_counter() - t0 < 20
    assert o.calls == 0


def test_too_few_rows(tmp_path: Path) -> None:
    o = CommandOracle(fake(tmp_path, "short"))
    with pytest.raises(OracleError, match=r"wrote 9 result row\(s\) for 10 input row\(s\)"):
        o.evaluate(designs(5), APPS)
    assert o.calls == 0


def test_nan_latency(tmp_path: Path) -> None:
    o = CommandOracle(fake(tmp_path, "nan"))
    with pytest.raises(OracleError, match=r"latency_ms=NaN"):
        o.evaluate(designs(5), APPS)


def test_missing_output_and_rows_out_of_order(tmp_path: Path) -> None:
    silent = tmp_path / "silent.py"
    silent.write_text("import sys\nprint('nothing to say', file=sys.stderr)\n")
    with pytest.raises(OracleError, match=r"did not write its output file(.|\n)*nothing to say"):
        CommandOracle(f"{sys.executable} {silent}").evaluate(designs(2), APPS)
    swapped = tmp_path / "swapped.py"
    swapped.write_text(
        "import csv, sys\n"
        "rows = list(csv.DictReader(open(sys.argv[-2])))[::-1]\n"
        "w = csv.writer(open(sys.argv[-1], 'w', newline=''))\n"
        "w.writerow(['application', 'pe_x', 'latency_ms', 'area_mm2', 'feasible'])\n"
        "for r in rows: w.writerow([r['application'], r['pe_x'], 1.0, 3.0, 1])\n"
    )
    with pytest.raises(OracleError, match="keep the input order"):
        CommandOracle(f"{sys.executable} {swapped}").evaluate(designs(4), APPS)


def test_a_missing_program_is_refused_before_any_work() -> None:
    with pytest.raises(OracleError, match="not found"):
        oracle_from_spec("no-such-simulator-binary --fast")


def test_spec_values() -> None:
    assert isinstance(oracle_from_spec("builtin"), BuiltinOracle)
    none = oracle_from_spec("none")
    assert isinstance(none, NoOracle)
    with pytest.raises(OracleError, match="--oracle none"):
        none.evaluate(designs(2), APPS)
    with pytest.raises(InvalidArgumentError, match="empty"):
        oracle_from_spec("  ")
    with pytest.raises(InvalidArgumentError, match="timeout"):
        CommandOracle("true", timeout=-1)
    with pytest.raises(InvalidArgumentError, match="cannot parse"):
        CommandOracle("python 'unclosed")
