"""`prime-rs optimize` (the main job) and `prime-rs report RUN`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from prime_rs.cli.common import cli_errors, search_progress, stderr_console


def optimize(
    apps: Annotated[
        str | None,
        typer.Option(
            "--apps", help="Comma-separated applications (built-in names or workload files)."
        ),
    ] = None,
    area_budget: Annotated[
        float | None, typer.Option("--area-budget", help="Chip area budget in mm² (default 27).")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Logged dataset (Parquet). Default: generate and cache one."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed for everything (default 0).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run directory [default: runs/optimize-<date-time>]."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML file of settings; flags override it.")
    ] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Training steps.")] = None,
    candidates: Annotated[
        int | None, typer.Option("--candidates", "-k", help="Designs to verify (default 128).")
    ] = None,
    generations: Annotated[
        int | None, typer.Option("--generations", help="Search generations.")
    ] = None,
    population: Annotated[
        int | None, typer.Option("--population", help="Search population.")
    ] = None,
    dataset_designs: Annotated[
        int | None,
        typer.Option("--dataset-designs", help="Designs per application when generating data."),
    ] = None,
    naive: Annotated[
        bool, typer.Option("--naive", help="Train without the conservative terms (naive MBO).")
    ] = False,
    zero_shot: Annotated[
        bool, typer.Option("--zero-shot", help="Optimise for --apps using a model of --train-apps.")
    ] = False,
    train_apps: Annotated[
        str | None, typer.Option("--train-apps", help="Applications to learn from (zero-shot).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing run.")
    ] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an existing run.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print best.json instead of a table.")
    ] = False,
) -> None:
    """Learn from logged data, optimise offline, verify with the simulator (defaults:
    MobileNetV2 under 27 mm²). Exit 1 when no feasible design is found, 2 on bad input."""
    with cli_errors():
        from prime_rs.pipeline import OptimizeSettings, run_optimize

        flags: dict[str, Any] = {
            "apps": apps,
            "area_budget": area_budget,
            "data": str(data) if data else None,
            "seed": seed,
            "steps": steps,
            "candidates": candidates,
            "generations": generations,
            "population": population,
            "dataset_designs": dataset_designs,
            "train_apps": train_apps,
            "naive": naive or None,
            "zero_shot": zero_shot or None,
        }
        if config is not None:
            settings = OptimizeSettings.from_toml(config, **flags)
        else:
            settings = OptimizeSettings(**{k: v for k, v in flags.items() if v is not None})
        console = stderr_console()
        if out is None:
            import time

            out = Path("runs") / f"optimize-{time.strftime('%Y%m%d-%H%M%S')}"
        outcome = run_optimize(
            settings,
            out,
            overwrite=overwrite,
            resume=resume,
            progress=lambda msg: console.print(f"[dim]•[/dim] {msg}"),
            show_progress=console.is_terminal,
        )
        if as_json:
            print(json.dumps(outcome.best, indent=2))
        else:
            print_summary(outcome.best, outcome.run_dir)


def print_summary(best: dict[str, Any], run_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from prime_rs.report import summary_rows

    table = Table(title=f"{', '.join(best['applications'])} under {best['area_budget_mm2']:g} mm²")
    for col in ("design", "latency (ms)", "area (mm²)", "vs EdgeTPU-like"):
        table.add_column(col, justify="left" if col == "design" else "right")
    for row in summary_rows(best):
        table.add_row(*row)
    console = Console()
    console.print(table)
    if best.get("design"):
        d = best["design"]
        console.print("best design: " + ", ".join(f"{k}={_human(k, v)}" for k, v in d.items()))
    console.print(f"run directory: {run_dir} (report.md, best.json, candidates.parquet, plots/)")


def _human(name: str, value: int) -> str:
    if name.endswith("memory") and name != "instruction_memory":
        return f"{value // 1024}KiB" if value < 1 << 20 else f"{value >> 20}MiB"
    if name == "dram_bandwidth":
        return f"{value}GB/s"
    return str(value)


def report(run: Annotated[Path, typer.Argument(help="A finished run directory.")]) -> None:
    """Re-render report.md and plots/ of a finished run."""
    with cli_errors():
        from prime_rs.report import render

        path = render(run)
        print(path)


def compare(
    apps: Annotated[str, typer.Option("--apps", help="The task's applications (comma-separated).")],
    seeds: Annotated[
        str, typer.Option("--seeds", help="Comma-separated seeds (>= 3 advised).")
    ] = "0,1,2",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "runs/compare"
    ),
    area_budget: Annotated[float, typer.Option("--area-budget", help="Area budget (mm²).")] = 27.0,
    data: Annotated[Path | None, typer.Option("--data", help="Logged dataset (Parquet).")] = None,
    zero_shot: Annotated[bool, typer.Option("--zero-shot", help="Zero-shot task.")] = False,
    train_apps: Annotated[
        str | None, typer.Option("--train-apps", help="Training applications (zero-shot).")
    ] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Training steps.")] = None,
    budgets: Annotated[
        str, typer.Option("--budgets", help="Baseline simulator-call budgets to report.")
    ] = "128,512,2048,8192",
    bo_budget: Annotated[int, typer.Option("--bo-budget", help="Largest BO budget.")] = 1000,
    methods: Annotated[
        str | None, typer.Option("--methods", help="Subset of methods (comma-separated).")
    ] = None,
    dataset_designs: Annotated[
        int, typer.Option("--dataset-designs", help="Designs per application when generating.")
    ] = 100_000,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out.")] = False,
) -> None:
    """Run the comparison protocol (DESIGN.md section 7): D(best), EdgeTPU-like, PRIME, naive MBO
    and simulator-driven baselines over several seeds; writes results.csv/.json/.md and plots."""
    with cli_errors():
        from prime_rs.experiments import CompareSettings, run_compare

        kw: dict[str, Any] = {
            "apps": apps,
            "seeds": seeds,
            "area_budget": area_budget,
            "data": str(data) if data else None,
            "zero_shot": zero_shot,
            "train_apps": train_apps,
            "steps": steps,
            "budgets": budgets,
            "bo_budget": bo_budget,
            "dataset_designs": dataset_designs,
        }
        if methods:
            kw["methods"] = methods
        settings = CompareSettings(**kw)
        console = stderr_console()
        with search_progress(console=console) as bar:
            run_compare(
                settings,
                out,
                overwrite=overwrite,
                progress=lambda m: console.print(f"[dim]•[/dim] {m}"),
                search_progress=bar,
            )
        print((out / "results.md").read_text(encoding="utf-8"))


def register(app: typer.Typer) -> None:
    app.command("optimize")(optimize)
    app.command("compare")(compare)
    app.command("report")(report)
