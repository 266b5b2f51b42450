"""`prime-rs optimize`: the main job, logged data to a verified design."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from prime_rs.cli import common


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
    rounds: Annotated[
        int | None,
        typer.Option(
            "--rounds",
            help="Rounds of verify -> add to the data -> fine-tune -> propose (default 1).",
        ),
    ] = None,
    finetune_steps: Annotated[
        int | None,
        typer.Option(
            "--finetune-steps", help="Fine-tuning steps per later round (default: steps / 4)."
        ),
    ] = None,
    no_optimum: Annotated[
        bool,
        typer.Option(
            "--no-optimum",
            help="Skip the true optimum (regret, gap closed, quantile) after verification.",
        ),
    ] = False,
    oracle: common.OracleOpt = None,
    force_oracle: common.ForceOracleOpt = False,
    oracle_timeout: common.OracleTimeoutOpt = None,
    oracle_jobs: common.OracleJobsOpt = None,
    oracle_batch: common.OracleBatchOpt = None,
    area_model: common.AreaModelOpt = None,
    workload: common.WorkloadOpt = None,
    contexts: common.ContextsOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print best.json instead of a table.")
    ] = False,
) -> None:
    """Learn from logged data, optimise offline, verify through an oracle (defaults:
    MobileNetV2 under 27 mm², the built-in simulator). Exit 1 when no feasible design is
    found, 2 on bad input."""
    with common.cli_errors():
        flags: dict[str, Any] = {
            "apps": common.split_names(apps),
            "area_budget": area_budget,
            "data": str(data) if data else None,
            "seed": seed,
            "steps": steps,
            "candidates": candidates,
            "generations": generations,
            "population": population,
            "dataset_designs": dataset_designs,
            "train_apps": common.split_names(train_apps),
            "naive": naive or None,
            "zero_shot": zero_shot or None,
            "rounds": rounds,
            "finetune_steps": finetune_steps,
            "optimum": False if no_optimum else None,
            **common.world_flags(
                oracle,
                force_oracle,
                oracle_timeout,
                oracle_jobs,
                oracle_batch,
                area_model,
                workload,
                contexts,
            ),
        }
        if out is None:
            import time

            out = Path("runs") / f"optimize-{time.strftime('%Y%m%d-%H%M%S')}"
        common.run_optimize_command(flags, config, out, as_json, overwrite=overwrite, resume=resume)


def register(app: typer.Typer) -> None:
    app.command("optimize")(optimize)
