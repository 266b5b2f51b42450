"""benches/fidelity/analyze.py on the committed peer results, with the installed prime-rs.

The peers themselves are not needed (nor installed here): their results are cached JSON. These
tests check that the analysis produces docs/fidelity.md's tables for this model, that they read
prime-rs's numbers correctly, and that bad input is refused without touching the document.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy", reason="analyze.py ranks layers with scipy.stats.spearmanr")

from prime_rs import EDGETPU_REFERENCE, simulate, workloads

ROOT = Path(__file__).resolve().parents[1]
FIDELITY = ROOT / "benches" / "fidelity"
RESULTS = FIDELITY / "results"
DOC = ROOT / "docs" / "fidelity.md"


@pytest.fixture(scope="module")
def analyze_main() -> Iterator[Callable[..., int]]:
    """analyze.py's ``main``, imported in this process (a subprocess would spend seconds on
    imports); it imports its sibling ``study`` from its own folder."""
    spec = importlib.util.spec_from_file_location("fidelity_analyze", FIDELITY / "analyze.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    sys.path.insert(0, str(FIDELITY))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(FIDELITY))
    yield lambda *args: module.main([str(a) for a in args])
    del sys.modules[spec.name]


def block(text: str, name: str) -> str:
    m = re.search(f"<!-- fidelity:start {name} -->(.*?)<!-- fidelity:end {name} -->", text, re.S)
    assert m, f"no {name} block"
    return m.group(1)


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "fidelity.md"
    shutil.copy(DOC, path)
    return path


def test_committed_doc_holds_the_before_tables() -> None:
    before = block(DOC.read_text(), "before")
    assert "#### Targets (before)" in before
    assert (RESULTS / "prime-before.json").exists()


def test_analyze_writes_the_tables_of_this_model(
    analyze_main: Callable[..., int], doc: Path, tmp_path: Path
) -> None:
    summaries = tmp_path / "summaries"
    summaries.mkdir()
    shutil.copy(RESULTS / "prime-before.json", summaries)
    original = doc.read_text()
    assert analyze_main("--label", "after", "--doc", doc, "--summary-dir", summaries) == 0
    text = doc.read_text()
    # Only the "after" block and the side-by-side summary change.
    assert block(text, "before") == block(original, "before")
    assert (
        text.split("<!-- fidelity:start summary -->")[0]
        == original.split("<!-- fidelity:start summary -->")[0]
    )
    after = block(text, "after")
    for heading in (
        "#### Targets (after)",
        "#### Per-layer agreement",
        "#### Distance from the MAC bound",
        "#### Network sums",
        "#### Sweeps",
    ):
        assert heading in after
    # One row per GEMM layer in each network's listing.
    for net in ("mobilenet_v2", "resnet50"):
        w = workloads.load(net)
        names = [
            w.layers[int(w.ops["layer"][i])]["name"] for i in np.flatnonzero(w.ops["kind"] == 0)
        ]
        listing = after.split(f"<summary>{net}: every GEMM layer")[1].split("</details>")[0]
        assert [line.split(" | ")[0][2:] for line in listing.splitlines() if line.startswith("| ")][
            2:
        ] == names
    # The network latency row is prime-rs's own number for the reference design.
    sums = after.split("#### Network sums")[1].split("####")[0]
    row = next(line for line in sums.splitlines() if line.startswith("| prime-rs network latency"))
    for net in ("mobilenet_v2", "resnet50"):
        ms = float(simulate(EDGETPU_REFERENCE[None, :], net).latency_ms[0])
        assert f"{ms:.3f} (100%)" in row
    # Both models' verdicts side by side, target by target.
    summary = block(text, "summary")
    rows = [line for line in summary.splitlines() if line.startswith("| ")][2:]
    before = json.loads((summaries / "prime-before.json").read_text())
    after_json = json.loads((summaries / "prime-after.json").read_text())
    before_keys = [t["key"] for t in before["targets"]]
    after_keys = [t["key"] for t in after_json["targets"]]
    # Every target of the first model is judged again, in the same order; targets added since
    # (the resident-activation comparisons) were never run on it, and say so.
    assert [k for k in after_keys if k in before_keys] == before_keys
    assert len(rows) == len(after_keys) > len(before_keys)
    verdict = r"(pass|\*\*fail\*\*|not judged)"
    for line, key in zip(rows, after_keys, strict=True):
        if key in before_keys:
            assert re.search(rf"{verdict} \| .*{verdict} \|$", line), line
        else:
            assert "resident" in key and re.search(rf"\| not run \| .*{verdict} \|$", line), line
    # Rerunning gives the same document.
    assert analyze_main("--label", "after", "--doc", doc, "--summary-dir", summaries) == 0
    assert doc.read_text() == text


def test_a_peer_result_out_of_order_is_refused(
    analyze_main: Callable[..., int], doc: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    shutil.copytree(RESULTS, results)
    path = results / "zigzag-resnet50-4096-25gbps-stock.json"
    data = json.loads(path.read_text())
    data["layers"][0], data["layers"][1] = data["layers"][1], data["layers"][0]
    path.write_text(json.dumps(data))
    original = doc.read_text()
    verdicts = results / "prime-after.json"
    before = verdicts.read_bytes() if verdicts.exists() else None
    assert analyze_main("--label", "after", "--doc", doc, "--results", results) == 2
    assert "not the GEMM ops of resnet50 in order" in capsys.readouterr().err
    assert doc.read_text() == original
    assert (verdicts.read_bytes() if verdicts.exists() else None) == before


def test_a_label_made_by_another_model_is_kept(
    analyze_main: Callable[..., int], doc: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summaries = tmp_path / "summaries"
    summaries.mkdir()
    stale = {"label": "before", "fingerprint": "0" * 64, "prime_rs": "0", "targets": []}
    (summaries / "prime-before.json").write_text(json.dumps(stale))
    original = doc.read_text()
    assert analyze_main("--label", "before", "--doc", doc, "--summary-dir", summaries) == 2
    assert "was made by model 0000000000000000" in capsys.readouterr().err
    assert doc.read_text() == original
    assert json.loads((summaries / "prime-before.json").read_text()) == stale


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["run"].update(activations="dram"), "holds run"),
        (lambda d: d["layers"][3].update(ideal_temporal_cycle=1.0), "moved with activation"),
    ],
    ids=["another-placement", "array-use-moved"],
)
def test_a_resident_run_that_does_not_match_is_refused(
    analyze_main: Callable[..., int],
    doc: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[dict], None],
    message: str,
) -> None:
    """The resident-activation runs must be what their names say and must differ from the
    DRAM-flow runs in the memory terms only."""
    results = tmp_path / "results"
    shutil.copytree(RESULTS, results)
    path = results / "zigzag-mobilenet_v2-4096-25gbps-dw-res.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    original = doc.read_text()
    assert analyze_main("--label", "after", "--doc", doc, "--results", results) == 2
    assert message in capsys.readouterr().err
    assert doc.read_text() == original
