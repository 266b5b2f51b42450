"""The example notebook (issue 11.7) runs headless in a Jupyter kernel through nbclient:
it simulates, trains (tiny), optimises and plots, and no cell warns (no ipywidgets warning
from a progress bar) or fails."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "notebook.ipynb"


def test_example_notebook_runs_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel inherits this environment: this interpreter's prime_rs, JAX on the CPU.
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    # Warnings reach a notebook as stream text, or as display data when rich renders them.
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "ipywidgets" not in text and "Warning" not in text, text
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any(h.startswith("<table><caption>OptimizeResult(") for h in html)
    assert any("512 KiB" in h for h in html)  # the reference described with units
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the plot
