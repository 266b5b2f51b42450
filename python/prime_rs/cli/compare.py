"""`prime-rs compare`: the evaluation protocol over methods and seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from prime_rs.cli import common
from prime_rs.task import DEFAULT_AREA_BUDGET


def compare(
    apps: Annotated[str, typer.Option("--apps", help="The task's applications (comma-separated).")],
    seeds: Annotated[
        str, typer.Option("--seeds", help="Comma-separated seeds (>= 3 advised).")
    ] = "0,1,2",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "runs/compare"
    ),
    area_budget: Annotated[
        float, typer.Option("--area-budget", help="Area budget (mm²).")
    ] = DEFAULT_AREA_BUDGET,
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
    oracle: common.OracleOpt = None,
    force_oracle: common.ForceOracleOpt = False,
    oracle_timeout: common.OracleTimeoutOpt = None,
    oracle_jobs: common.OracleJobsOpt = None,
    oracle_batch: common.OracleBatchOpt = None,
    area_model: common.AreaModelOpt = None,
    workload: common.WorkloadOpt = None,
    contexts: common.ContextsOpt = None,
    rounds: Annotated[
        int, typer.Option("--rounds", help="Rounds of the prime_rounds method (K calls each).")
    ] = 4,
    finetune_steps: Annotated[
        int | None,
        typer.Option("--finetune-steps", help="prime_rounds' fine-tuning steps per round."),
    ] = None,
    no_optimum: Annotated[
        bool,
        typer.Option(
            "--no-optimum", help="Skip the true optimum (regret columns, the all-designs row)."
        ),
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out.")] = False,
) -> None:
    """Run the comparison protocol (docs/design.md section 7): D(best), EdgeTPU-like, PRIME, naive MBO
    and simulator-driven baselines over several seeds (add prime_rounds to --methods for PRIME
    inside the loop); in the built-in world, each against the true optimum and the all-designs
    row. Writes results.csv/.json/.md and plots."""
    with common.cli_errors():
        from prime_rs.compare import CompareSettings, run_compare

        kw: dict[str, Any] = {
            "apps": common.split_names(apps),
            "seeds": common.split_integers(seeds, "--seeds"),
            "area_budget": area_budget,
            "data": str(data) if data else None,
            "zero_shot": zero_shot,
            "train_apps": common.split_names(train_apps),
            "steps": steps,
            "budgets": common.split_integers(budgets, "--budgets"),
            "bo_budget": bo_budget,
            "dataset_designs": dataset_designs,
            "rounds": rounds,
            "finetune_steps": finetune_steps,
            "optimum": not no_optimum,
        }
        if methods:
            kw["methods"] = common.split_names(methods)
        world = common.world_flags(
            oracle,
            force_oracle,
            oracle_timeout,
            oracle_jobs,
            oracle_batch,
            area_model,
            workload,
            contexts,
        )
        kw.update({k: v for k, v in world.items() if v is not None})
        settings = CompareSettings(**kw)
        console = common.stderr_console()
        with common.search_progress(console=console) as bar:
            run_compare(
                settings,
                out,
                overwrite=overwrite,
                progress=lambda m: console.print(f"[dim]•[/dim] {m}"),
                search_progress=bar,
            )
        print((out / "results.md").read_text(encoding="utf-8"))


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
