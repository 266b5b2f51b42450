"""The comparison's figures (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from prime_rs.compare.settings import CompareSettings

__all__ = ["colours", "title", "write_plots"]


def title(settings: CompareSettings, what: str) -> str:
    """A figure's title: what it shows, for which task, budget and seeds (a task of many
    applications is named by their count: ten names do not fit a title)."""
    task = settings.task_name if len(settings.apps) <= 3 else f"{len(settings.apps)} applications"
    seeds = ",".join(map(str, settings.seeds))
    return f"{what}\n{task}, area ≤ {settings.area_budget:g} mm², seeds {seeds}"


def colours(methods: list[str]) -> dict[str, str]:
    """One colour per method, the same in every figure of a comparison."""
    return {m: f"C{i % 10}" for i, m in enumerate(dict.fromkeys(methods))}


def write_plots(
    out_dir: Path,
    rows: list[dict[str, Any]],
    settings: CompareSettings,
    curves: dict[str, list[tuple[np.ndarray, np.ndarray]]],
) -> None:
    """plots/best_so_far.png (each baseline's and PRIME-in-the-loop's best-so-far curve
    against PRIME's and naive MBO's verified bests, with the true optimum where known, on log
    axes) and plots/chosen_designs.png (latency against area of each chosen design, with the
    budget)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = out_dir / "plots"
    plots.mkdir(exist_ok=True)
    colour = colours(
        [*curves, "prime", "naive", *(r["method"] for r in rows if "@" not in r["method"])]
    )
    fig, ax = plt.subplots(figsize=(6.5, 4.4))
    for method, runs_ in curves.items():
        for j, (calls, lat) in enumerate(runs_):
            ok = np.isfinite(lat)
            ax.step(
                calls[ok],
                lat[ok],
                where="post",
                alpha=0.7,
                color=colour[method],
                label=method if j == 0 else None,
            )
    for method, marker in (("prime", "*"), ("naive", "x")):
        pts = [
            (r["simulator_calls"], r["best_latency_ms"])
            for r in rows
            if r["method"] == method and r["best_latency_ms"] is not None
        ]
        if pts:
            ax.scatter(
                *zip(*pts, strict=True),
                marker=marker,
                s=80,
                zorder=5,
                color=colour[method],
                label=method,
            )
    for method, style in (("D(best)", ":"), ("edgetpu_reference", "--")):
        vals = [
            r["best_latency_ms"] for r in rows if r["method"] == method and r["best_latency_ms"]
        ]
        if vals:
            ax.axhline(float(np.median(vals)), ls=style, color="grey", label=method)
    optimum = next((r["optimum_ms"] for r in rows if r.get("optimum_ms") is not None), None)
    if optimum is not None:
        ax.axhline(optimum, ls="-", lw=1, color="black", label="true optimum")
    ax.set_xscale("log")
    # Latency spans orders of magnitude between the first random designs and the optimum.
    ax.set_yscale("log")
    ax.set_title(title(settings, "Best verified latency against simulator calls"), fontsize=9)
    _finish(plt, fig, ax, "simulator calls", "best latency so far (ms)", plots / "best_so_far.png")

    fig, ax = plt.subplots(figsize=(6, 4.4))
    seen = set()
    for r in rows:
        if r["best_latency_ms"] is None or r["area_mm2"] is None or "@" in r["method"]:
            continue
        label = r["method"] if r["method"] not in seen else None
        seen.add(r["method"])
        ax.scatter(
            r["area_mm2"],
            r["best_latency_ms"],
            s=18,
            color=colour[r["method"]],
            label=label,
        )
    ax.axvline(settings.area_budget, ls="--", color="grey", lw=1, label="area budget")
    ax.set_yscale("log")
    ax.set_title(title(settings, "Each method's chosen design, per seed"), fontsize=9)
    _finish(
        plt,
        fig,
        ax,
        "area (mm²)",
        "latency of the chosen design (ms)",
        plots / "chosen_designs.png",
    )


def _finish(plt: Any, fig: Any, ax: Any, xlabel: str, ylabel: str, path: Path) -> None:
    from matplotlib.ticker import FuncFormatter

    # Plain numbers on the log latency axis: "1.2", not matplotlib's "1.2 x 10^0".
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
