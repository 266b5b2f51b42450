"""`compare.tables.across`: one table over several finished comparisons (the paper's tables)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prime_rs.compare.tables import across, row
from prime_rs.errors import InvalidArgumentError


def _comparison(path: Path, ref: float, ref_area: float, prime: list[tuple[float, float]]) -> Path:
    rows = [row("edgetpu_reference", 0, "t", ref, None, ref_area, 0, 0.0),
            row("D(best)", 0, "t", 1.5 * ref, None, 10.0, 0, 0.0)]  # fmt: skip
    for seed, (ms, area) in enumerate(prime):
        r = row("prime", seed, "t", ms, ms, area, 128, 1.0)
        r.update(optimum_ms=ref / 4, regret=ms / (ref / 4) - 1, gap_closed=0.5, quantile=1e-5)
        rows.append(r)
    path.mkdir()
    (path / "results.json").write_text(json.dumps(rows))
    return path


def test_across_gives_per_comparison_ratios_and_their_geometric_mean(tmp_path: Path) -> None:
    a = _comparison(tmp_path / "a", 2.0, 20.0, [(1.0, 10.0), (0.5, 20.0), (2.0, 40.0)])
    b = _comparison(tmp_path / "b", 1.0, 10.0, [(0.125, 5.0)])
    rows = json.loads((b / "results.json").read_text())
    rows.append({**rows[-1], "seed": 1, "best_latency_ms": None, "median_latency_ms": None,
                 "area_mm2": None, "regret": None, "gap_closed": None})  # fmt: skip
    (b / "results.json").write_text(json.dumps(rows))
    lines = across([("first", a), ("second", b)], label="application").splitlines()
    assert lines[0].startswith("| application | EdgeTPU-like (ms) |")
    first, second, geo = lines[2:]
    # Speed-ups 2, 4, 1 (median 2) and area ratios 2, 1, 0.5 (median 1), with their spread.
    assert "| 2.00x (1.00..4.00) | 1.00x (0.50..2.00) |" in first
    assert "| +100.00% (+0.00%..+300.00%) | +100.00% (+0.00%..+300.00%) | 50.0% |" in first
    assert "| 8.00x | 2.00x |" in second
    assert "| 0.125; no feasible design on 1 of 2 seeds |" in second
    # Geometric means of the medians: sqrt(2 * 8) = 4 and sqrt(1 * 2) = 1.41.
    assert geo.startswith("| geometric mean |") and "| 4.00x | 1.41x |" in geo


def test_across_names_a_comparison_without_the_method(tmp_path: Path) -> None:
    a = _comparison(tmp_path / "a", 2.0, 20.0, [(1.0, 10.0)])
    with pytest.raises(InvalidArgumentError, match="no 'naive' rows"):
        across([("a", a)], method="naive")


def test_figures_have_titles_and_one_colour_per_method() -> None:
    from prime_rs.compare import CompareSettings
    from prime_rs.compare.plots import colours, title

    ten = CompareSettings(apps=["mobilenet_v2", "unet", "resnet50", "rnnt_encoder"], seeds=[0, 1])
    assert title(ten, "What") == "What\n4 applications, area ≤ 27 mm², seeds 0,1"
    one = CompareSettings(apps=["mobilenet_v2"], area_budget=100.0, seeds=[3])
    assert title(one, "What").endswith("mobilenet_v2, area ≤ 100 mm², seeds 3")
    methods = ["random_search", "prime", "naive", "D(best)", "edgetpu_reference", "all designs",
               "regularized_evolution", "bayesian_optimization", "prime", "random_search"]  # fmt: skip
    c = colours(methods)
    assert list(c) == list(dict.fromkeys(methods)) and len(set(c.values())) == len(c)
