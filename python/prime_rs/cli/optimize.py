"""`prime-rs optimize` (the main job) and `prime-rs report RUN`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from prime_rs.cli.common import cli_errors, stderr_console


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
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory.")] = Path(
        "runs/optimize"
    ),
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


def register(app: typer.Typer) -> None:
    app.command("optimize")(optimize)
    app.command("report")(report)
