"""`prime-rs optimize`: the main job, logged data to a verified design."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from prime_rs.cli import common
from prime_rs.cli.config import with_table_flags


@with_table_flags
def optimize(
    apps: Annotated[
        str | None,
        typer.Option(
            "--apps",
            help=common.APPS_HELP,
            show_default=common.field_default("apps"),
        ),
    ] = None,
    area_budget: common.AreaBudgetOpt = None,
    data: common.DataOpt = None,
    data_seed: Annotated[
        int | None,
        common.field_option("--data-seed", field="data_seed", min=0),
    ] = None,
    dataset_designs: Annotated[
        int | None,
        common.field_option("--dataset-designs", field="dataset_designs", min=1),
    ] = None,
    dataset_mode: Annotated[
        Literal["random", "search"] | None,
        common.field_option("--dataset-mode", field="dataset_mode"),
    ] = None,
    seed: common.SeedOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run directory.", show_default="runs/optimize-DATE-TIME"),
    ] = None,
    config: common.ConfigOpt = None,
    naive: Annotated[bool, typer.Option("--naive", help=common.field_help("naive"))] = False,
    zero_shot: Annotated[
        bool, typer.Option("--zero-shot", help=common.field_help("zero_shot"))
    ] = False,
    train_apps: common.TrainAppsOpt = None,
    model_run: common.ModelRunOpt = None,
    overwrite: common.OverwriteOpt = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue an existing run (a larger --steps extends its training).",
        ),
    ] = False,
    rounds: Annotated[
        int | None,
        common.field_option("--rounds", field="rounds", min=1),
    ] = None,
    finetune_steps: Annotated[
        int | None,
        typer.Option(
            "--finetune-steps",
            help=common.field_help("finetune_steps"),
            show_default="steps / 4",
            min=1,
        ),
    ] = None,
    optimum: Annotated[
        bool | None,
        common.field_option("--optimum/--no-optimum", field="optimum"),
    ] = None,
    oracle: common.OracleOpt = None,
    force_oracle: common.ForceOracleOpt = None,
    oracle_timeout: common.OracleTimeoutOpt = None,
    oracle_jobs: common.OracleJobsOpt = None,
    oracle_batch: common.OracleBatchOpt = None,
    area_model: common.AreaModelOpt = None,
    workload: common.WorkloadOpt = None,
    contexts: common.ContextsOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print best.json on stdout instead of a table.")
    ] = False,
    executor: common.ExecutorOpt = "local",
    address: common.AddressOpt = None,
    jobs: common.JobsOpt = None,
    table_flags: dict[str, Any] | None = None,
) -> None:
    """Learn from logged data, optimise offline, verify through an oracle.

    Defaults: MobileNetV2 under 27 mm², the built-in simulator. Every setting is also a key of
    --config FILE.toml (prime-rs config schema); flags override the file. Exit 1 when no
    feasible design is found, 2 on bad input.
    """
    with common.cli_errors():
        flags: dict[str, Any] = {
            "apps": common.split_names(apps),
            "area_budget": area_budget,
            "data": str(data) if data else None,
            "data_seed": data_seed,
            "dataset_designs": dataset_designs,
            "dataset_mode": dataset_mode,
            "seed": seed,
            "train_apps": common.split_names(train_apps, "--train-apps"),
            "model_run": str(model_run) if model_run else None,
            "naive": naive,
            "zero_shot": zero_shot,
            "rounds": rounds,
            "finetune_steps": finetune_steps,
            "optimum": optimum,
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
            **(table_flags or {}),
        }
        if out is None:
            import time

            out = Path("runs") / f"optimize-{time.strftime('%Y%m%d-%H%M%S')}"
        with common.oracle_executor(executor, jobs, address) as ex:
            common.run_optimize_command(
                flags, config, out, as_json, overwrite=overwrite, resume=resume, executor=ex
            )


def register(app: typer.Typer) -> None:
    app.command("optimize")(optimize)
