"""What a source distribution carries: enough to build, test and read the project."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("maturin") is None, reason="maturin is a test extra")
def test_the_sdist_carries_license_tests_examples_and_docs(tmp_path: Path) -> None:
    subprocess.run(
        ["maturin", "sdist", "--out", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (archive,) = tmp_path.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for member in (
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "tests/test_packaging.py",
        "python/prime_rs/example_workloads/tiny_cnn.toml",
        "docs/design.md",
        "rust/prime-core/Cargo.toml",
        "python/prime_rs/py.typed",
    ):
        assert member in names, member


def test_license_metadata_is_spdx() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    assert "LICENSE" in project["license-files"]
    assert (ROOT / "LICENSE").read_text().lstrip().startswith("Apache License")
