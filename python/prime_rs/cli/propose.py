"""`prime-rs propose`: the offline half of optimize (train and search), no oracle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from prime_rs.cli import common
from prime_rs.cli.config import with_table_flags


@with_table_flags
def propose(
    data: Annotated[Path, typer.Option("--data", "-d", help="Logged dataset (Parquet or CSV).")],
    apps: Annotated[
        str,
        typer.Option(
            "--apps",
            help=common.APPS_HELP,
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output directory (proposals.csv, ...).")
    ],
    area_budget: common.AreaBudgetOpt = None,
    seed: common.SeedOpt = None,
    naive: Annotated[bool, typer.Option("--naive", help=common.field_help("naive"))] = False,
    zero_shot: Annotated[
        bool, typer.Option("--zero-shot", help="Propose for --apps using a model of --train-apps.")
    ] = False,
    train_apps: common.TrainAppsOpt = None,
    model_run: common.ModelRunOpt = None,
    area_model: common.AreaModelOpt = None,
    workload: common.WorkloadOpt = None,
    contexts: common.ContextsOpt = None,
    config: common.ConfigOpt = None,
    overwrite: common.OverwriteOpt = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print best.json on stdout instead of a table.")
    ] = False,
    table_flags: dict[str, Any] | None = None,
) -> None:
    """Train and search without any oracle, for your own simulator.

    Writes DIR/proposals.csv and .parquet (predicted latency in the data's unit, constraint
    area, surrogate score) and DIR/proposals_in.csv (the oracle IN format).
    """
    with common.cli_errors():
        flags: dict[str, Any] = {
            "apps": common.split_names(apps),
            "data": str(data),
            "area_budget": area_budget,
            "seed": seed,
            "naive": naive or None,
            "zero_shot": zero_shot or None,
            "train_apps": common.split_names(train_apps, "--train-apps"),
            "model_run": str(model_run) if model_run else None,
            "area_model": area_model,
            "contexts": common.contexts_option(workload, contexts),
            **(table_flags or {}),
        }
        common.run_optimize_command(
            flags, config, out, as_json, overwrite=overwrite, propose_only=True
        )


def register(app: typer.Typer) -> None:
    app.command("propose")(propose)
