"""Render a finished `prime-rs optimize` run directory: report.md and plots/, from the files the
run wrote (best.json, candidates.parquet, search.jsonl, model/metrics.jsonl, meta.json), so a
report can be re-rendered at any time (`prime-rs report RUN`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from prime_rs import runs
from prime_rs.errors import InvalidArgumentError


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidArgumentError(
            f"{path.parent} is not a finished run: {path.name} is missing"
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidArgumentError(f"{path} is not valid JSON: {exc}") from None


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _fmt_ms(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def summary_rows(best: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, mean latency ms, area mm², vs reference) rows of the headline table."""
    ref = (best.get("reference_latency_ms") or {}).get("mean")

    def row(
        what: str, lat: dict[str, float] | None, area: float | None
    ) -> tuple[str, str, str, str]:
        mean = None if lat is None else lat.get("mean")
        speed = f"{ref / mean:.2f}x" if (ref and mean) else "—"
        return what, _fmt_ms(mean), "—" if area is None else f"{area:.2f}", speed

    if best.get("verified") is False:
        head = [
            row(
                "PRIME (best proposal, predicted; not verified)",
                best.get("predicted_latency"),
                best.get("constraint_area_mm2"),
            )
        ]
    else:
        head = [row("PRIME (best verified)", best.get("latency_ms"), best.get("area_mm2"))]
    return [
        *head,
        row(
            "PRIME (median of verified)",
            {"mean": best["median_latency_ms"]} if best.get("median_latency_ms") else None,
            None,
        ),
        row(
            "best logged design, D(best)",
            best.get("dataset_best_latency_ms"),
            best.get("dataset_best_area_mm2"),
        ),
        row(
            "EdgeTPU-like reference",
            best.get("reference_latency_ms"),
            best.get("reference_area_mm2"),
        ),
    ]


def _area_model_text(best: dict[str, Any]) -> str:
    am = best.get("area_model") or {}
    if am.get("kind") != "fitted":
        return "the analytic area model"
    return (
        f"area model fitted to the logs (held-out relative error median "
        f"{am['median_relative_error']:.3%}, max {am['max_relative_error']:.3%}; searched under "
        f"{best.get('search_area_budget_mm2', best['area_budget_mm2']):.4g} mm²)"
    )


def render(run_dir: str | os.PathLike[str]) -> Path:
    """Write report.md and plots/*.png for a run directory; returns the report's path."""
    import numpy as np
    import pyarrow.parquet as pq

    run = Path(run_dir)
    if not run.is_dir():
        raise InvalidArgumentError(f"no run directory at {run}")
    best = _read_json(run / "best.json")
    meta = _read_json(run / "meta.json")
    cand_path = run / "candidates.parquet"
    cands = pq.read_table(cand_path).to_pydict() if cand_path.exists() else {}
    search = _read_jsonl(run / "search.jsonl")
    metrics = _read_jsonl(run / "model" / "metrics.jsonl")
    plots = run / "plots"
    plots.mkdir(exist_ok=True)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures: list[str] = []
    if cands:
        lat = np.asarray(cands["mean_latency_ms"], dtype=float)
        area = np.asarray(cands["area_mm2"], dtype=float)
        ok = np.asarray(cands["feasible"], dtype=bool) & np.isfinite(lat)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.scatter(area[ok], lat[ok], s=12, label="PRIME candidates (verified)")
        for key, label, marker in (
            ("reference", "EdgeTPU-like reference", "s"),
            ("dataset_best", "best logged design", "^"),
        ):
            lat_k = (best.get(f"{key}_latency_ms") or {}).get("mean")
            if lat_k is not None:
                ax.scatter([best[f"{key}_area_mm2"]], [lat_k], marker=marker, s=60, label=label)
        ax.axvline(best["area_budget_mm2"], color="grey", ls="--", lw=1, label="area budget")
        ax.set_xlabel("area (mm²)")
        ax.set_ylabel("latency (ms, geometric mean over applications)")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(plots / "candidates.png", dpi=120)
        plt.close(fig)
        figures.append("candidates.png")
    if search:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot([h["generation"] for h in search], [h["best_score"] for h in search])
        ax.set_xlabel("generation")
        ax.set_ylabel("best surrogate score")
        fig.tight_layout()
        fig.savefig(plots / "search.png", dpi=120)
        plt.close(fig)
        figures.append("search.png")
    if metrics:
        steps = [m["step"] for m in metrics if "val_spearman" in m]
        rho = [m["val_spearman"] for m in metrics if "val_spearman" in m]
        if steps:
            fig, ax = plt.subplots(figsize=(6, 3.5))
            ax.plot(steps, rho, marker="o")
            ax.set_xlabel("training step")
            ax.set_ylabel("validation Spearman")
            fig.tight_layout()
            fig.savefig(plots / "training.png", dpi=120)
            plt.close(fig)
            figures.append("training.png")

    unit = best.get("latency_unit", "ms")
    lines = [
        f"# prime-rs optimize: {', '.join(best['applications'])} under {best['area_budget_mm2']:g} mm²",
        "",
        f"| design | latency ({unit}) | area (mm²) | vs EdgeTPU-like |",
        "| --- | ---: | ---: | ---: |",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in summary_rows(best)],
        "",
    ]
    if best.get("verified") is False:
        lines += [
            f"Not verified (oracle: none): {best['candidates']} proposals in proposals.csv, "
            "proposals_in.csv in the oracle's IN format; predicted latency and the area "
            "model's area only.",
            "",
        ]
    else:
        lines += [
            f"Verified candidates: {best['feasible_candidates']} of {best['candidates']} "
            f"feasible within the budget; simulator calls: {best['simulator_calls']}.",
            "",
        ]
    if "world" in best:
        lines += [
            f"World: {best['world']}; oracle: {best.get('oracle')}; latency unit: {unit}; "
            f"area constraint: {_area_model_text(best)}.",
            "",
        ]
    if best.get("latency_ms") and len(best["applications"]) > 1:
        lines += [
            f"Per application ({unit}):",
            "",
            "| application | PRIME | D(best) | EdgeTPU-like |",
            "| --- | ---: | ---: | ---: |",
        ]
        for app in best["applications"]:
            lines.append(
                f"| {app} | {_fmt_ms(best['latency_ms'].get(app))} | "
                f"{_fmt_ms((best.get('dataset_best_latency_ms') or {}).get(app))} | "
                f"{_fmt_ms((best.get('reference_latency_ms') or {}).get(app))} |"
            )
        lines.append("")
    if best.get("design"):
        lines += ["Best design:", "", "| parameter | value |", "| --- | ---: |"]
        lines += [f"| {k} | {v} |" for k, v in best["design"].items()]
        lines.append("")
    timings = meta.get("timings_s", {})
    if timings:
        lines += ["Timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()), ""]
    ds = meta.get("dataset", {})
    if ds:
        lines += [f"Logged data: {ds.get('path')} ({ds.get('rows', 0):,} rows).", ""]
    lines += [f"![{f}](plots/{f})" for f in figures]
    path = run / "report.md"
    runs.write_text(path, "\n".join(lines) + "\n")
    return path
