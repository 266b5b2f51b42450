"""The design-review report (issue 11.6): report.md and a self-contained report.html written by
`optimize` and re-rendered by `prime-rs report RUN`, with the settings, versions, dataset hash,
the best design against D(best) and the reference, the top candidates, the surrogate's
validation quality, the infeasibility breakdown, and no machine paths."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import matplotlib
import pytest
from typer.testing import CliRunner

from prime_rs import data, report
from prime_rs.cli import _register, app
from prime_rs.errors import InvalidArgumentError
from prime_rs.run import OptimizeSettings, run_optimize

matplotlib.use("Agg")

FAST = {
    "steps": 40,
    "population": 64,
    "generations": 5,
    "candidates": 24,
    "train": {"val_every": 10},
}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs") / "logs.parquet"
    data.write_generated(path, ["mobilenet_v2", "mobilenet_v3_small"], 4000, seed=2)
    return path


@pytest.fixture(scope="module")
def run(logs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "r"
    settings = OptimizeSettings(apps=["mobilenet_v2", "mobilenet_v3_small"], data=str(logs), **FAST)
    return run_optimize(settings, out, raise_if_none_feasible=False).run_dir


def test_report_files_carry_every_section(run: Path, logs: Path) -> None:
    md = (run / "report.md").read_text()
    for heading in (
        "## Result",
        "## Best design against D(best) and the reference",
        "## Why candidates were infeasible",
        "## Surrogate",
        "## Plots",
        "## Run",
    ):
        assert heading in md, heading
    assert re.search(r"## Top \d+ verified candidates", md)
    # Memories in binary units, bandwidth with its unit (the reference: 512 KiB PE memory).
    assert "512 KiB" in md and "25 GB/s" in md
    # Seed, versions, date and the dataset's content hash.
    meta = json.loads((run / "meta.json").read_text())
    assert meta["dataset"]["sha256"] == data.load(logs).content_hash()
    assert f"sha256:{meta['dataset']['sha256']}" in md
    assert "prime_rs" in md and "jax" in md and meta["finished_at"] in md
    assert "| seed | 0 |" in md
    # The surrogate's validation quality, from the model's metrics.
    assert "Validation quality of the checkpoint used" in md
    assert re.search(r"\| all \(mean\) \| -?\d\.\d{3} \|", md)


def test_html_is_one_self_contained_file(run: Path) -> None:
    page = (run / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    images = re.findall(r'src="([^"]+)"', page)
    assert len(images) == 3  # candidates, search, training
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG")
    assert "<link" not in page and "<script" not in page and "http" not in page


def test_no_machine_paths(run: Path, logs: Path) -> None:
    for name in ("report.md", "report.html"):
        text = (run / name).read_text()
        for path in (run.resolve(), logs.resolve().parent, Path.home()):
            assert str(path) not in text, (name, path)
    assert "logs.parquet" in (run / "report.md").read_text()


def test_infeasibility_breakdown_counts_each_reason() -> None:
    rows = report.reason_breakdown(
        [
            "unet:instr_mem",
            "unet:instr_mem; mobilenet_v2:instr_mem",
            "unet:pe_mem; area 31.20 > 27 mm²",
            "mobilenet_v2:act_mem",
        ]
    )
    assert rows == [
        ("instr_mem", 2, ["mobilenet_v2", "unet"]),
        ("act_mem", 1, ["mobilenet_v2"]),
        ("over the area budget", 1, []),
        ("pe_mem", 1, ["unet"]),
    ]


def test_breakdown_in_the_report_matches_the_candidates(run: Path) -> None:
    import pyarrow.parquet as pq

    reasons = pq.read_table(run / "candidates.parquet").column("reason").to_pylist()
    md = (run / "report.md").read_text()
    section = md.split("## Why candidates were infeasible")[1].split("## ")[0]
    for name, count, _apps in report.reason_breakdown([r for r in reasons if r]):
        assert f"| {name} | {count} (" in section
    if not any(reasons):
        assert "are feasible" in section


def test_rerender_is_identical_and_the_cli_rewrites_both(run: Path) -> None:
    before = {n: (run / n).read_bytes() for n in ("report.md", "report.html")}
    (run / "report.html").unlink()
    _register()
    res = CliRunner().invoke(app, ["report", str(run)])
    assert res.exit_code == 0, res.output
    assert {n: (run / n).read_bytes() for n in before} == before
    assert (run / "plots" / "candidates.png").read_bytes()[:4] == b"\x89PNG"


def test_known_optimum_is_drawn_and_stated(run: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    best = json.loads((copy / "best.json").read_text())
    if best["latency_ms"] is None:
        pytest.skip("no feasible candidate in this tiny run")
    plain = (copy / "plots" / "candidates.png").read_bytes()
    best["optimum_latency_ms"] = {"mean": best["latency_ms"]["mean"] * 0.8}
    (copy / "best.json").write_text(json.dumps(best))
    report.render(copy)
    md = (copy / "report.md").read_text()
    assert "True optimum:" in md and "1.250x of it" in md
    assert (copy / "plots" / "candidates.png").read_bytes() != plain


def test_latency_axis_is_logarithmic_only_when_the_range_is_wide() -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    report._latency_axis(ax, [1.0, 2.0, 3.0])
    assert ax.get_yscale() == "linear"
    report._latency_axis(ax, [0.5, 100.0, float("inf")])
    assert ax.get_yscale() == "log"
    plt.close(fig)


def test_bad_run_directories_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="no run directory"):
        report.render(tmp_path / "missing")
    (tmp_path / "half").mkdir()
    with pytest.raises(InvalidArgumentError, match=r"best\.json is missing"):
        report.render(tmp_path / "half")
    (tmp_path / "half" / "best.json").write_text("{not json")
    with pytest.raises(InvalidArgumentError, match=r"best\.json is not valid JSON"):
        report.render(tmp_path / "half")
