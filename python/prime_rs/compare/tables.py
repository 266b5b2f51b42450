"""The comparison's tables: one row per method, seed and budget (:data:`COLUMNS`), written as
results.csv and results.json, and results.md, the medians over seeds with their spread and the
ratios against the EdgeTPU-like design and the best simulator-driven method at K calls."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from prime_rs import runs
from prime_rs.compare import plots
from prime_rs.compare.settings import CompareSettings, is_baseline
from prime_rs.errors import InvalidArgumentError

if TYPE_CHECKING:
    from prime_rs.ground_truth import Exhaustive

__all__ = [
    "COLUMNS",
    "MEASURES",
    "across",
    "load_results",
    "optimum_note",
    "row",
    "summary",
    "summary_markdown",
    "write_results",
]


COLUMNS = [
    "method",
    "seed",
    "task",
    "best_latency_ms",
    "median_latency_ms",
    "area_mm2",
    "simulator_calls",
    "wall_time_s",
    "optimum_ms",
    "regret",
    "gap_closed",
    "quantile",
]

#: The columns measured against the true optimum (built-in world; empty elsewhere): the
#: optimum's latency, ``regret`` (best / optimum - 1), ``gap_closed`` (the share of the gap
#: from D(best) to the optimum the method closed) and ``quantile`` (the share of the feasible
#: in-budget designs at least as fast as its best).
MEASURES = ("optimum_ms", "regret", "gap_closed", "quantile")


def row(
    method: str,
    seed: int,
    task: str,
    best: float | None,
    median: float | None,
    area: float | None,
    calls: int | None,
    wall: float | None,
) -> dict[str, Any]:
    values = [method, seed, task, best, median, area, calls, wall]
    return dict(zip(COLUMNS, values + [None] * len(MEASURES), strict=True))


def write_results(
    out_dir: Path,
    rows: list[dict[str, Any]],
    settings: CompareSettings,
    curves: dict[str, list[tuple[np.ndarray, np.ndarray]]],
    *,
    unit: str = "ms",
    optimum: Exhaustive | None = None,
) -> None:
    """results.csv, results.json, results.md and plots/; ``optimum``: the enumeration the
    rows were measured against (None outside the built-in world or with ``--no-optimum``)."""
    from prime_rs.fileio import atomic_path

    with atomic_path(out_dir / "results.csv") as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
    runs.write_json(out_dir / "results.json", rows)
    runs.write_text(
        out_dir / "results.md", summary_markdown(rows, settings, unit=unit, optimum=optimum)
    )
    plots.write_plots(out_dir, rows, settings, curves)


def _finite(values: list[Any]) -> list[float]:
    return [v for v in values if v is not None and np.isfinite(v)]


def _median_spread(values: list[float]) -> str:
    vals = _finite(values)
    if not vals:
        return "—"
    med = float(np.median(vals))
    if len(vals) == 1 or min(vals) == max(vals):
        return f"{med:.3f}"
    return f"{med:.3f} ({min(vals):.3f}..{max(vals):.3f})"


def _measure_spread(values: list[Any], fmt: str) -> str:
    vals = _finite(values)
    if not vals:
        return "—"
    med = format(float(np.median(vals)), fmt)
    if len(vals) == 1 or min(vals) == max(vals):
        return med
    return f"{med} ({format(min(vals), fmt)}..{format(max(vals), fmt)})"


def summary(
    rows: list[dict[str, Any]],
    settings: CompareSettings,
    *,
    unit: str = "ms",
    optimum: Exhaustive | None = None,
) -> dict[str, Any]:
    """The summary table, whatever renders it (results.md here, a rich table in the CLI):
    ``title``,
    ``columns`` (name, right-aligned?), ``rows`` (one tuple of cell texts per method and
    budget: medians over seeds (min..max)) and a closing ``note``; latency in ``unit``; with
    the ``optimum``, each method's regret, gap closed and quantile too."""
    groups: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for r in rows:
        calls = r["simulator_calls"] if not str(r["method"]).endswith("@match") else "match"
        groups.setdefault((r["method"], calls), []).append(r)

    def med(method: str, key: str, calls: Any = None) -> float | None:
        rs = [
            r
            for (m, c), g in groups.items()
            if m == method and (calls is None or c == calls)
            for r in g
        ]
        vals = [r[key] for r in rs if r[key] is not None]
        return float(np.median(vals)) if vals else None

    ref = med("edgetpu_reference", "best_latency_ms")
    k = settings.candidates
    sim_at_k = [med(m, "best_latency_ms", k) for m in settings.methods if is_baseline(m)]
    best_sim_k = min((v for v in sim_at_k if v is not None), default=None)
    task = rows[0]["task"] if rows else ""
    # Rows measured against the optimum carry it; the Exhaustive itself only adds the note's
    # counts (results.md has it, the CLI's terminal table reads the rows).
    measured = (optimum is not None and optimum.feasible > 0) or any(
        r.get("regret") is not None for r in rows
    )
    table: list[tuple[str, ...]] = []
    for (method, calls), g in groups.items():
        best = [r["best_latency_ms"] for r in g]
        median = [r["median_latency_ms"] for r in g]
        area = [r["area_mm2"] for r in g]
        b = med(method, "best_latency_ms", calls)
        vs_ref = f"{ref / b:.2f}x" if (ref and b) else "—"
        vs_sim = f"{best_sim_k / b:.2f}x" if (best_sim_k and b) else "—"
        if calls == "match":
            ns = [r["simulator_calls"] for r in g]
            reached = [n for n in ns if n is not None]
            calls_txt = (
                f"{int(np.median(reached))} ({min(reached)}..{max(reached)})"
                + (f", {len(ns) - len(reached)} never" if len(reached) < len(ns) else "")
                if reached
                else "not reached"
            )
        else:
            calls_txt = str(calls)
        cells: tuple[str, ...] = ()
        if measured:
            cells = (
                _measure_spread([r["regret"] for r in g], "+.2%"),
                _measure_spread([r["gap_closed"] for r in g], ".1%"),
                _measure_spread([r["quantile"] for r in g], ".3g"),
            )
        table.append(
            (
                method,
                calls_txt,
                _median_spread(best),
                _median_spread(median),
                _median_spread(area),
                vs_ref,
                vs_sim,
                *cells,
            )
        )
    note = f"K = {k} verified candidates; medians over seeds with (min..max)."
    if optimum is not None:
        note += "\n\n" + optimum_note(optimum, unit)
    elif measured:
        opt = next(r["optimum_ms"] for r in rows if r.get("optimum_ms") is not None)
        note += f"\nTrue optimum: {opt:.4g} {unit}. {_MEASURES_NOTE}"
    return {
        "title": f"{task} (area ≤ {settings.area_budget:g} mm², seeds "
        f"{','.join(map(str, settings.seeds))})",
        "columns": [
            ("method", False),
            ("simulator calls", True),
            (f"best latency ({unit})", True),
            (f"median of top-K ({unit})", True),
            ("area (mm²)", True),
            ("vs EdgeTPU-like", True),
            ("vs best simulator-driven @K", True),
            *([("regret", True), ("gap closed", True), ("quantile", True)] if measured else []),
        ],
        "rows": table,
        "note": note,
    }


def summary_markdown(
    rows: list[dict[str, Any]],
    settings: CompareSettings,
    *,
    unit: str = "ms",
    optimum: Exhaustive | None = None,
) -> str:
    """:func:`summary` as the Markdown of results.md."""
    t = summary(rows, settings, unit=unit, optimum=optimum)
    lines = [
        f"### {t['title']}",
        "",
        "| " + " | ".join(name for name, _ in t["columns"]) + " |",
        "| " + " | ".join("---:" if right else "---" for _, right in t["columns"]) + " |",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in t["rows"]]
    lines += ["", t["note"]]
    return "\n".join(lines) + "\n"


_MEASURES_NOTE = (
    "Regret = best / optimum - 1; gap closed = (D(best) - best) / (D(best) - optimum); "
    "quantile = the share of the feasible designs at least as fast as the best."
)


def optimum_note(ex: Exhaustive, unit: str = "ms") -> str:
    """What the measured columns are measured against."""
    if not ex.feasible:
        return (
            f"No design within the budget is feasible on every application ({ex.in_budget:,} "
            "designs within the budget simulated): no optimum to measure against."
        )
    return (
        f"True optimum: {ex.optimum_ms:.4g} {unit}, the best of the {ex.feasible:,} designs "
        f"feasible on every application among the {ex.in_budget:,} of the space's "
        f'{ex.space_size:,} within the budget (the row "all designs": it simulated every '
        "design within the budget, one simulator call each). "
        f"{_MEASURES_NOTE} The optimum was computed after every method ran, for evaluation only."
    )


def load_results(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    return json.loads((Path(path) / "results.json").read_text(encoding="utf-8"))


def across(
    comparisons: list[tuple[str, str | os.PathLike[str]]],
    *,
    method: str = "prime",
    label: str = "task",
    unit: str = "ms",
) -> str:
    """One Markdown table over several finished comparisons (a sweep of applications,
    training sets or data regimes): per comparison, ``method``'s best latency and its ratios
    to the EdgeTPU-like design in latency (reference / method) and area (reference area /
    method area), with D(best) and, where measured, the optimum, regret, the regret of the
    verified top-K's median and gap closed;
    medians over seeds with (min..max) (over the seeds that verified a feasible design, the
    others counted in the method's cell), then the geometric mean of the medians' ratios.
    ``comparisons`` are (label, compare output directory) pairs."""
    head = [label, f"EdgeTPU-like ({unit})", f"D(best) ({unit})", f"{method} ({unit})",
            "latency vs EdgeTPU-like", "area vs EdgeTPU-like", f"optimum ({unit})", "regret",
            "top-K median regret", "gap closed"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    speedups, area_ratios = [], []
    for name, path in comparisons:
        rows = load_results(path)
        by = {m: [r for r in rows if r["method"] == m] for m in {r["method"] for r in rows}}
        if method not in by:
            raise InvalidArgumentError(f"{path}: no {method!r} rows (methods: {sorted(by)})")
        ref = by.get("edgetpu_reference", [])
        ref_ms = _finite_median([r["best_latency_ms"] for r in ref])
        ref_area = _finite_median([r["area_mm2"] for r in ref])
        ours = by[method]
        speed = [ref_ms / r["best_latency_ms"] for r in ours if ref_ms and r["best_latency_ms"]]
        area = [ref_area / r["area_mm2"] for r in ours if ref_area and r["area_mm2"]]
        top_k = [
            r["median_latency_ms"] / r["optimum_ms"] - 1
            for r in ours
            if r["median_latency_ms"] and r["optimum_ms"]
        ]
        if speed:
            speedups.append(float(np.median(speed)))
        if area:
            area_ratios.append(float(np.median(area)))
        lines.append(
            "| "
            + " | ".join(
                [
                    name,
                    _median_spread([r["best_latency_ms"] for r in ref]),
                    _median_spread([r["best_latency_ms"] for r in by.get("D(best)", [])]),
                    _median_spread([r["best_latency_ms"] for r in ours]) + _none_note(ours),
                    _ratio_spread(speed),
                    _ratio_spread(area),
                    _median_spread([r["optimum_ms"] for r in ours]),
                    _measure_spread([r["regret"] for r in ours], "+.2%"),
                    _measure_spread(top_k, "+.2%"),
                    _measure_spread([r["gap_closed"] for r in ours], ".1%"),
                ]
            )
            + " |"
        )
    geo = [_geomean(speedups), _geomean(area_ratios)]
    lines.append("| geometric mean | | | | " + " | ".join(geo) + " | | | | |")
    return "\n".join(lines) + "\n"


def _none_note(rows: list[dict[str, Any]]) -> str:
    """Seeds that verified no feasible design: the medians are over the others."""
    none = sum(1 for r in rows if r["best_latency_ms"] is None)
    return f"; no feasible design on {none} of {len(rows)} seeds" if none else ""


def _ratio_spread(values: list[float]) -> str:
    text = _measure_spread(values, ".2f")
    return text if text == "—" else text.replace(" ", "x ", 1) if " " in text else text + "x"


def _finite_median(values: list[Any]) -> float | None:
    vals = _finite(values)
    return float(np.median(vals)) if vals else None


def _geomean(values: list[float]) -> str:
    return f"{float(np.exp(np.mean(np.log(values)))):.2f}x" if values else "—"
