"""Render a finished `prime-rs optimize` run directory as a design-review report: report.md,
a self-contained report.html (one file, plots embedded as PNG) and plots/*.png, from the files
the run wrote (config.toml, meta.json, best.json, candidates.parquet, search.jsonl,
model/metrics.jsonl), so a report can be re-rendered at any time (`prime-rs report RUN`).

Both documents come from one list of blocks (:func:`build`), so they cannot disagree. They name
files by their base name only: a report travels, the machine's paths do not. Where the run's
``best.json`` or ``meta.json`` carries ``optimum_latency_ms`` (the true optimum of the built-in
world, from ``prime-rs optimum``: a number, or a mapping with a ``mean``), the candidate plot
draws it as a line; the report never computes it.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prime_rs import runs
from prime_rs.errors import InvalidArgumentError
from prime_rs.fileio import atomic_path

#: Rows of the top-candidates table.
TOP_CANDIDATES = 10
#: A latency axis is logarithmic when its largest value is this many times its smallest.
LOG_AXIS_RATIO = 20.0
#: One colour per series, the same in every plot (matplotlib's colour-blind-safe cycle).
COLOURS = {
    "prime": "#0072B2",
    "best": "#D55E00",
    "dataset_best": "#009E73",
    "reference": "#CC79A7",
    "optimum": "#000000",
    "infeasible": "#999999",
}
AREA_REASON = "over the area budget"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidArgumentError(
            f"{path.parent.name} is not a finished run: {path.name} is missing"
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidArgumentError(f"{path.name} is not valid JSON: {exc}") from None


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InvalidArgumentError(
                    f"{path.name} line {n} is not valid JSON: {exc}"
                ) from None
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgumentError(f"{path.name} is not valid TOML: {exc}") from None


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
        *(
            [
                row(
                    "true optimum (all designs; evaluation only)",
                    {"mean": best["optimum_latency_ms"]},
                    best.get("optimum_area_mm2"),
                )
            ]
            if isinstance(best.get("optimum_latency_ms"), int | float)
            else []
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


# --- the document, as blocks --------------------------------------------------------------


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    #: Columns aligned right (numbers).
    numeric: set[int] = field(default_factory=set)


@dataclass
class Figure:
    name: str
    title: str
    png: bytes


Block = tuple[str, Any]  # ("h1" | "h2" | "p", str), ("table", Table), ("figure", Figure)


def _plain(value: Any) -> str:
    """A setting as text; a path shows only its file name (no machine paths in a report)."""
    if isinstance(value, str) and (os.path.isabs(value) or os.sep in value):
        return Path(value).name
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) if value else "—"
    if isinstance(value, dict):
        return "; ".join(f"{k} = {_plain(v)}" for k, v in value.items()) if value else "—"
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _settings_rows(config: dict[str, Any]) -> list[list[str]]:
    return [[k, _plain(v)] for k, v in config.items()]


def _environment_rows(meta: dict[str, Any]) -> list[list[str]]:
    env = meta.get("environment") or {}
    versions = env.get("versions") or {}
    rows = [[name, str(v)] for name, v in versions.items()]
    rows += [["python", str(env.get("python", "—"))], ["platform", str(env.get("platform", "—"))]]
    rows.append(["started", str(env.get("started_at", "—"))])
    rows.append(["finished", str(meta.get("finished_at", "—"))])
    return rows


def _design_table(best: dict[str, Any]) -> Table | None:
    from prime_rs.space import SPACE, format_value

    columns = [
        ("PRIME best", best.get("design")),
        ("D(best)", best.get("dataset_best_design")),
        ("EdgeTPU-like", best.get("reference_design")),
    ]
    columns = [(label, d) for label, d in columns if d]
    if not columns:
        return None
    rows = []
    for p in SPACE.params:
        cells = [format_value(p.unit, int(d[p.name])) if p.name in d else "—" for _, d in columns]
        rows.append([p.name, *cells])
    return Table(
        ["parameter", *[label for label, _ in columns]], rows, set(range(1, 1 + len(columns)))
    )


def reason_breakdown(reasons: list[str]) -> list[tuple[str, int, list[str]]]:
    """(reason, candidates failing it, applications) from the ``reason`` column of
    candidates.parquet (e.g. ``"unet:instr_mem; area 31.2 > 27 mm²"``), most frequent first.
    A candidate failing several rules counts under each."""
    counts: dict[str, int] = {}
    apps: dict[str, set[str]] = {}
    for text in reasons:
        seen: set[str] = set()
        for item in filter(None, (part.strip() for part in text.split(";"))):
            if item.startswith("area "):
                name, app = AREA_REASON, None
            else:
                app, _, name = item.rpartition(":")
            if name not in seen:
                counts[name] = counts.get(name, 0) + 1
                seen.add(name)
            if app:
                apps.setdefault(name, set()).add(app)
    order = sorted(counts, key=lambda k: (-counts[k], k))
    return [(k, counts[k], sorted(apps.get(k, ()))) for k in order]


def _rule_docs() -> dict[str, str]:
    from prime_rs import _native

    docs = {name: doc for _code, name, _req, _res, doc in _native.sim.rules()}
    docs[AREA_REASON] = "the chip's area exceeds the budget"
    return docs


def _validation(metrics: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The validation record of the checkpoint the run used (the best validation Spearman)."""
    evals = [m for m in metrics if isinstance(m.get("val_spearman"), int | float)]
    evals = [m for m in evals if math.isfinite(m["val_spearman"])]
    return max(evals, key=lambda m: m["val_spearman"]) if evals else None


def _pct(x: Any) -> str:
    return f"{x:+.2%}" if isinstance(x, int | float) and math.isfinite(x) else "—"


def _share(x: Any) -> str:
    return f"{x:.1%}" if isinstance(x, int | float) and math.isfinite(x) else "—"


def _quantile_text(q: Any) -> str:
    """A quantile as "top 0.0123%" (of the feasible in-budget designs)."""
    return f"top {q:.4%}" if isinstance(q, int | float) and math.isfinite(q) else "—"


def regret_text(best: dict[str, Any], meta: dict[str, Any]) -> str:
    """The sentence on regret, gap closed and quantile (empty when best.json has none)."""
    if not isinstance(best.get("regret"), int | float):
        return ""
    parts = [f" Regret {_pct(best['regret'])}"]
    if isinstance(best.get("gap_closed"), int | float):
        parts.append(f"{_share(best['gap_closed'])} of the gap from D(best) to it closed")
    if isinstance(best.get("quantile"), int | float):
        space = meta.get("optimum") or {}
        among = (
            f" of the {space['feasible']:,} feasible designs within the budget"
            if isinstance(space.get("feasible"), int)
            else ""
        )
        parts.append(f"{_quantile_text(best['quantile'])}{among}")
    if isinstance(best.get("median_regret"), int | float):
        parts.append(f"the median verified candidate's regret {_pct(best['median_regret'])}")
    return "; ".join(parts) + ". The optimum is for evaluation only: nothing in the run read it."


def _optimum(best: dict[str, Any], meta: dict[str, Any]) -> float | None:
    for src in (best, meta):
        value = src.get("optimum_latency_ms")
        if isinstance(value, dict):
            value = value.get("mean")
        if isinstance(value, int | float) and math.isfinite(value) and value > 0:
            return float(value)
    return None


# --- plots --------------------------------------------------------------------------------


def _figure(figsize: tuple[float, float]) -> Any:
    """A figure outside pyplot: nothing is shown in a notebook and its backend is untouched."""
    from matplotlib.figure import Figure as MplFigure

    return MplFigure(figsize=figsize)


def _png(fig: Any) -> bytes:
    import io

    buf = io.BytesIO()
    # A fixed date-free PNG: re-rendering the same run writes the same bytes.
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return buf.getvalue()


def _latency_axis(ax: Any, values: list[float]) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator

    finite = [v for v in values if math.isfinite(v) and v > 0]
    if finite and max(finite) / min(finite) >= LOG_AXIS_RATIO:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    # Plain numbers (0.5, 2, 10), never 10^x or an offset: a reader compares them to tables.
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"{y:g}"))


def _candidates_plot(
    cands: dict[str, list[Any]], best: dict[str, Any], optimum: float | None
) -> Figure:
    import numpy as np

    unit = best.get("latency_unit", "ms")
    lat = np.asarray(cands["mean_latency_ms"], dtype=float)
    area = np.asarray(cands["area_mm2"], dtype=float)
    ok = np.asarray(cands["feasible"], dtype=bool) & np.isfinite(lat)
    fig = _figure(figsize=(10, 4.8))
    ax = fig.subplots()
    ax.scatter(
        area[ok],
        lat[ok],
        s=18,
        color=COLOURS["prime"],
        alpha=0.7,
        label=f"PRIME candidates, feasible ({int(ok.sum())})",
    )
    points = list(lat[ok])
    for key, label, marker in (
        ("dataset_best", "best logged design, D(best)", "^"),
        ("reference", "EdgeTPU-like reference", "s"),
    ):
        lat_k = (best.get(f"{key}_latency_ms") or {}).get("mean")
        area_k = best.get(f"{key}_area_mm2")
        if lat_k is not None and area_k is not None:
            ax.scatter([area_k], [lat_k], marker=marker, s=80, color=COLOURS[key], label=label)
            points.append(lat_k)
    mean = (best.get("latency_ms") or {}).get("mean")
    if mean is not None and best.get("area_mm2") is not None:
        ax.scatter(
            [best["area_mm2"]],
            [mean],
            marker="*",
            s=260,
            color=COLOURS["best"],
            edgecolor="black",
            linewidth=0.6,
            zorder=5,
            label=f"PRIME best ({mean:.3g} {unit})",
        )
    if optimum is not None:
        ax.axhline(optimum, color=COLOURS["optimum"], lw=1, ls=":", label="true optimum")
        points.append(optimum)
    ax.axvline(best["area_budget_mm2"], color="grey", ls="--", lw=1, label="area budget")
    _latency_axis(ax, points)
    bad = ~ok
    if bad.any():
        # Infeasible designs have no latency: a row of grey crosses in a band of headroom
        # above the feasible ones (clear of the frame, so they read as a separate group).
        low, high = ax.get_ylim()
        log = ax.get_yscale() == "log"
        top = high * (high / low) ** 0.12 if log else high + 0.12 * (high - low)
        row = math.sqrt(high * top) if log else (high + top) / 2
        ax.set_ylim(low, top)
        ax.scatter(
            area[bad],
            np.full(int(bad.sum()), row),
            marker="x",
            s=22,
            color=COLOURS["infeasible"],
            label=f"infeasible ({int(bad.sum())}, no latency; drawn at the top)",
        )
    ax.set_title("Verified candidates: latency against area")
    ax.set_xlabel("chip area (mm²)")
    ax.set_ylabel(f"latency ({unit}, geometric mean over applications)")
    ax.grid(True, which="major", alpha=0.3)
    # Beside the axes, never over a candidate.
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    png = _png(fig)
    return Figure("candidates.png", "Verified candidates: latency against area", png)


def _rounds_plot(
    rounds: list[dict[str, Any]], best: dict[str, Any], optimum: float | None
) -> Figure:
    """Best verified latency so far against oracle calls, one point per round."""
    unit = best.get("latency_unit", "ms")
    pts = [(r["simulator_calls"], r["best_so_far_ms"]) for r in rounds if r.get("best_so_far_ms")]
    fig = _figure(figsize=(7.5, 3.8))
    ax = fig.subplots()
    if pts:
        calls, lat = zip(*pts, strict=True)
        ax.step(calls, lat, where="post", color=COLOURS["prime"], marker="o", label="PRIME rounds")
    values = [lat for _, lat in pts]
    d_best = (best.get("dataset_best_latency_ms") or {}).get("mean")
    if d_best is not None:
        ax.axhline(d_best, color=COLOURS["dataset_best"], ls="--", lw=1, label="D(best)")
        values.append(d_best)
    if optimum is not None:
        ax.axhline(optimum, color=COLOURS["optimum"], ls=":", lw=1, label="true optimum")
        values.append(optimum)
    ax.set_yscale("log")
    _latency_axis(ax, values)
    ax.set_title("Rounds: best verified latency so far")
    ax.set_xlabel("oracle calls")
    ax.set_ylabel(f"best latency so far ({unit})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return Figure(
        "rounds.png", "Rounds: best verified latency so far against oracle calls", _png(fig)
    )


def _rounds_table(rounds: list[dict[str, Any]], unit: str) -> Table:
    measured = any(isinstance(r.get("regret"), int | float) for r in rounds)
    header = ["round", "oracle calls", "new designs", "feasible", f"best of round ({unit})"]
    header += [f"best so far ({unit})"] + (["regret", "gap closed", "quantile"] if measured else [])
    rows = []
    for r in rounds:
        row = [
            str(r["round"]),
            str(r["simulator_calls"]),
            str(r["new_designs"]),
            str(r["feasible"]),
            _fmt_ms(r.get("best_latency_ms")),
            _fmt_ms(r.get("best_so_far_ms")),
        ]
        if measured:
            row += [
                _pct(r.get("regret")),
                _share(r.get("gap_closed")),
                _quantile_text(r.get("quantile")),
            ]
        rows.append(row)
    return Table(header, rows, set(range(1, len(header))))


def _search_plot(search: list[dict[str, Any]]) -> Figure | None:
    pts = [(h["generation"], h["best_score"]) for h in search if h.get("best_score") is not None]
    if len(pts) < 2:
        return None
    fig = _figure(figsize=(7.5, 3.4))
    ax = fig.subplots()
    ax.plot([g for g, _ in pts], [s for _, s in pts], color=COLOURS["prime"], marker=".")
    ax.set_title("Surrogate search: best score per generation")
    ax.set_xlabel("generation")
    ax.set_ylabel("best surrogate score (higher is better)")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    png = _png(fig)
    return Figure("search.png", "Surrogate search: best score per generation", png)


def _training_plot(metrics: list[dict[str, Any]], chosen: dict[str, Any] | None) -> Figure | None:
    evals = [m for m in metrics if isinstance(m.get("val_spearman"), int | float)]
    if len(evals) < 2:  # one validation is a number (in the table), not a curve
        return None
    fig = _figure(figsize=(9, 3.6))
    left, right = fig.subplots(1, 2)
    steps = [m["step"] for m in evals]
    left.plot(
        steps,
        [m["val_spearman"] for m in evals],
        marker="o",
        color=COLOURS["prime"],
        label="Spearman",
    )
    if all(isinstance(m.get("val_kendall"), int | float) for m in evals):
        left.plot(
            steps,
            [m["val_kendall"] for m in evals],
            marker=".",
            ls="--",
            color=COLOURS["dataset_best"],
            label="Kendall",
        )
    if chosen is not None:
        left.axvline(
            chosen["step"],
            color=COLOURS["best"],
            lw=1.2,
            label=f"checkpoint used (step {chosen['step']})",
        )
    left.set_title("Validation rank correlation")
    left.set_xlabel("training step")
    left.set_ylabel("rank correlation")
    left.grid(True, alpha=0.3)
    left.legend(fontsize=8)
    losses = [k for k in ("train_loss", "train_mse") if all(k in m for m in evals)]
    for k, colour in zip(losses, (COLOURS["prime"], COLOURS["reference"]), strict=False):
        right.plot(steps, [m[k] for m in evals], marker=".", color=colour, label=k[6:])
    if "val_mse" in evals[0]:
        right.plot(
            steps,
            [m["val_mse"] for m in evals],
            marker=".",
            ls="--",
            color=COLOURS["dataset_best"],
            label="validation mse",
        )
    right.set_title("Losses")
    right.set_xlabel("training step")
    right.set_ylabel("loss (standardised score units)")
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8)
    fig.tight_layout()
    png = _png(fig)
    return Figure("training.png", "Surrogate training: validation quality and losses", png)


# --- building and rendering ---------------------------------------------------------------


def build(run_dir: str | os.PathLike[str]) -> tuple[str, list[Block]]:
    """The report of a run as (title, blocks), read from its files."""
    import numpy as np
    import pyarrow.parquet as pq

    from prime_rs.space import SPACE, format_value

    run = Path(run_dir)
    if not run.is_dir():
        raise InvalidArgumentError(f"no run directory at {run}")
    best = _read_json(run / "best.json")
    meta = _read_json(run / "meta.json")
    config = _read_toml(run / "config.toml")
    cand_path = run / "candidates.parquet"
    cands = pq.read_table(cand_path).to_pydict() if cand_path.exists() else {}
    search = _read_jsonl(run / "search.jsonl")
    metrics = _read_jsonl(run / "model" / "metrics.jsonl")
    unit = best.get("latency_unit", "ms")
    apps = best["applications"]
    title = f"prime-rs optimize: {', '.join(apps)} under {best['area_budget_mm2']:g} mm²"
    blocks: list[Block] = []

    blocks.append(("h2", "Result"))
    blocks.append(
        (
            "table",
            Table(
                ["design", f"latency ({unit})", "area (mm²)", "vs EdgeTPU-like"],
                [list(r) for r in summary_rows(best)],
                {1, 2, 3},
            ),
        )
    )
    if best.get("verified") is False:
        blocks.append(
            (
                "p",
                f"Not verified (oracle: none): {best['candidates']} proposals in proposals.csv, "
                "proposals_in.csv in the oracle's IN format; predicted latency and the area "
                "model's area only.",
            )
        )
    else:
        blocks.append(
            (
                "p",
                f"Verified candidates: {best['feasible_candidates']} of {best['candidates']} "
                f"feasible within the budget; simulator calls: {best['simulator_calls']}.",
            )
        )
    optimum = _optimum(best, meta)
    mean = (best.get("latency_ms") or {}).get("mean")
    if optimum is not None and mean is not None:
        blocks.append(
            (
                "p",
                f"True optimum: {optimum:.4g} {unit}; PRIME's best is {mean / optimum:.3f}x of it."
                + regret_text(best, meta),
            )
        )
    if "world" in best:
        blocks.append(
            (
                "p",
                f"World: {best['world']}; oracle: {best.get('oracle')}; latency unit: {unit}; "
                f"area constraint: {_area_model_text(best)}.",
            )
        )
    if best.get("latency_ms") and len(apps) > 1:
        rows = [
            [
                app,
                _fmt_ms(best["latency_ms"].get(app)),
                _fmt_ms((best.get("dataset_best_latency_ms") or {}).get(app)),
                _fmt_ms((best.get("reference_latency_ms") or {}).get(app)),
            ]
            for app in apps
        ]
        blocks.append(("p", f"Per application ({unit}):"))
        blocks.append(
            ("table", Table(["application", "PRIME", "D(best)", "EdgeTPU-like"], rows, {1, 2, 3}))
        )

    rounds = best.get("rounds") or []
    if len(rounds) > 1:
        blocks.append(("h2", "Rounds"))
        steps = (best.get("surrogate") or {}).get("finetune_steps")
        blocks.append(
            (
                "p",
                f"{len(rounds)} rounds of {rounds[0]['new_designs']} verifications: "
                "after each, the verified designs joined the data, the surrogate was fine-tuned "
                f"from the last round's model ({steps} steps) and proposed designs not verified "
                "before (rounds.jsonl).",
            )
        )
        blocks.append(("table", _rounds_table(rounds, unit)))

    design = _design_table(best)
    if design is not None:
        blocks.append(("h2", "Best design against D(best) and the reference"))
        blocks.append(("table", design))

    if cands:
        lat = np.asarray(cands["mean_latency_ms"], dtype=float)
        ok = np.asarray(cands["feasible"], dtype=bool) & np.isfinite(lat)
        order = [int(i) for i in np.argsort(np.where(ok, lat, np.inf), kind="stable") if ok[i]]
        top = order[:TOP_CANDIDATES]
        if top:
            header = ["#", f"latency ({unit})", "area (mm²)", "score", *SPACE.names]
            rows = []
            for k, i in enumerate(top, 1):
                rows.append(
                    [
                        str(k),
                        f"{lat[i]:.4g}",
                        f"{cands['area_mm2'][i]:.2f}",
                        f"{cands['surrogate_score'][i]:.3f}",
                        *[format_value(p.unit, int(cands[p.name][i])) for p in SPACE.params],
                    ]
                )
            blocks.append(("h2", f"Top {len(top)} verified candidates"))
            blocks.append(("table", Table(header, rows, set(range(len(header))))))
        breakdown = reason_breakdown([r for r in cands.get("reason", []) if r])
        blocks.append(("h2", "Why candidates were infeasible"))
        if breakdown:
            docs = _rule_docs()
            n = len(lat)
            rows = [
                [name, f"{count} ({count / n:.0%})", ", ".join(on) or "—", docs.get(name, "")]
                for name, count, on in breakdown
            ]
            blocks.append(
                (
                    "table",
                    Table(["reason", "candidates", "applications", "the rule"], rows, {1}),
                )
            )
            blocks.append(("p", "A candidate failing several rules counts under each."))
        else:
            blocks.append(("p", f"All {len(lat)} verified candidates are feasible."))

    chosen = _validation(metrics)
    blocks.append(("h2", "Surrogate"))
    surrogate = best.get("surrogate") or {}
    kind = "naive (alpha = beta = 0)" if surrogate.get("naive") else "conservative (PRIME)"
    text = f"{kind}, trained on {', '.join(surrogate.get('trained_on', apps))}"
    if surrogate.get("zero_shot"):
        text += " (zero-shot: the target applications were held out)"
    blocks.append(("p", text + "."))
    if chosen is not None:
        rows = [
            [
                "all (mean)",
                f"{chosen['val_spearman']:.3f}",
                _num(chosen.get("val_kendall")),
                _num(chosen.get("val_mse")),
                "—",
            ]
        ]
        for app, m in (chosen.get("apps") or {}).items():
            rows.append(
                [
                    app,
                    _num(m.get("spearman")),
                    _num(m.get("kendall")),
                    _num(m.get("mse")),
                    str(m.get("n", "—")),
                ]
            )
        blocks.append(
            (
                "p",
                f"Validation quality of the checkpoint used (step {chosen['step']}, "
                "the best validation Spearman):",
            )
        )
        blocks.append(
            (
                "table",
                Table(["application", "Spearman", "Kendall", "mse", "rows"], rows, {1, 2, 3, 4}),
            )
        )
    else:
        blocks.append(("p", "No validation metrics were recorded (model/metrics.jsonl)."))

    figures = []
    if cands:
        figures.append(_candidates_plot(cands, best, optimum))
    if len(rounds) > 1:
        figures.append(_rounds_plot(rounds, best, optimum))
    for fig in (_search_plot(search), _training_plot(metrics, chosen)):
        if fig is not None:
            figures.append(fig)
    if figures:
        blocks.append(("h2", "Plots"))
        blocks += [("figure", f) for f in figures]

    blocks.append(("h2", "Run"))
    ds = meta.get("dataset") or {}
    if ds:
        text = f"Logged data: {_plain(ds.get('path', '—'))}, {ds.get('rows', 0):,} rows"
        if ds.get("sha256"):
            text += f", content hash sha256:{ds['sha256']}"
        blocks.append(("p", text + "."))
    timings = meta.get("timings_s") or {}
    if timings:
        total = sum(timings.values())
        blocks.append(
            (
                "p",
                "Timings (s): "
                + ", ".join(f"{k} {v:.1f}" for k, v in timings.items())
                + f"; total {total:.1f}.",
            )
        )
    if config:
        blocks.append(("p", "Settings (config.toml):"))
        blocks.append(("table", Table(["setting", "value"], _settings_rows(config))))
    blocks.append(("p", "Environment:"))
    blocks.append(("table", Table(["", "version"], _environment_rows(meta))))
    return title, blocks


def _num(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, int | float) and math.isfinite(x) else "—"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(title: str, blocks: list[Block]) -> str:
    lines = [f"# {title}", ""]
    for kind, body in blocks:
        if kind == "h2":
            lines += [f"## {body}", ""]
        elif kind == "p":
            lines += [body, ""]
        elif kind == "table":
            lines.append("| " + " | ".join(_md_cell(h) for h in body.header) + " |")
            lines.append(
                "| "
                + " | ".join(
                    "---:" if j in body.numeric else "---" for j in range(len(body.header))
                )
                + " |"
            )
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in body.rows]
            lines.append("")
        elif kind == "figure":
            lines += [f"![{body.title}](plots/{body.name})", ""]
    return "\n".join(lines)


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; border-bottom: 2px solid #0072B2; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; color: #0072B2; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; }
th { background: #f2f5f8; text-align: left; vertical-align: bottom; }
.scroll { overflow-x: auto; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
figure { margin: 1em 0 2em; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: .9em; color: #555; }
"""


def to_html(title: str, blocks: list[Block]) -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    for kind, body in blocks:
        if kind == "h2":
            parts.append(f"<h2>{esc(body)}</h2>")
        elif kind == "p":
            parts.append(f"<p>{esc(body)}</p>")
        elif kind == "table":
            # Parameter names wrap at their underscores, so wide tables fit the page.
            head = "".join(f"<th>{esc(h).replace('_', '_<wbr>')}</th>" for h in body.header)
            rows = "".join(
                "<tr>"
                + "".join(
                    f'<td class="num">{esc(c)}</td>' if j in body.numeric else f"<td>{esc(c)}</td>"
                    for j, c in enumerate(row)
                )
                + "</tr>"
                for row in body.rows
            )
            parts.append(
                '<div class="scroll"><table><thead>'
                f"<tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
            )
        elif kind == "figure":
            data = base64.b64encode(body.png).decode("ascii")
            parts.append(
                f'<figure><img alt="{esc(body.title)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{esc(body.title)}</figcaption></figure>"
            )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render(run_dir: str | os.PathLike[str]) -> Path:
    """Write report.md, report.html and plots/*.png for a run directory; returns report.md's
    path."""
    run = Path(run_dir)
    title, blocks = build(run)
    plots = run / "plots"
    plots.mkdir(exist_ok=True)
    for kind, body in blocks:
        if kind == "figure":
            with atomic_path(plots / body.name) as tmp:
                Path(tmp).write_bytes(body.png)
    runs.write_text(run / "report.html", to_html(title, blocks))
    path = run / "report.md"
    runs.write_text(path, to_markdown(title, blocks) + "\n")
    return path
