"""`prime-rs propose`: the offline half of optimize (train and search), no oracle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from prime_rs.cli import common


def propose(
    data: Annotated[Path, typer.Option("--data", help="Logged dataset (Parquet).")],
    apps: Annotated[
        str, typer.Option("--apps", help="Comma-separated applications to design for.")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output directory (proposals.csv, ...).")
    ],
    area_budget: Annotated[
        float | None, typer.Option("--area-budget", help="Chip area budget in mm² (default 27).")
    ] = None,
    candidates: Annotated[
        int | None, typer.Option("--candidates", "-k", help="Designs to propose (default 128).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for everything.")] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Training steps.")] = None,
    generations: Annotated[
        int | None, typer.Option("--generations", help="Search generations.")
    ] = None,
    population: Annotated[
        int | None, typer.Option("--population", help="Search population.")
    ] = None,
    naive: Annotated[bool, typer.Option("--naive", help="Naive MBO (alpha = beta = 0).")] = False,
    zero_shot: Annotated[
        bool, typer.Option("--zero-shot", help="Propose for --apps using a model of --train-apps.")
    ] = False,
    train_apps: Annotated[
        str | None, typer.Option("--train-apps", help="Applications to learn from (zero-shot).")
    ] = None,
    area_model: common.AreaModelOpt = None,
    workload: common.WorkloadOpt = None,
    contexts: common.ContextsOpt = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML file of settings; flags override it.")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print best.json instead of a table.")
    ] = False,
) -> None:
    """Train and search without any oracle: write DIR/proposals.csv and .parquet (predicted
    latency in the data's unit, constraint area, surrogate score) and DIR/proposals_in.csv (the
    oracle IN format) for your own simulator."""
    with common.cli_errors():
        flags: dict[str, Any] = {
            "apps": common.split_names(apps),
            "data": str(data),
            "area_budget": area_budget,
            "candidates": candidates,
            "seed": seed,
            "steps": steps,
            "generations": generations,
            "population": population,
            "naive": naive or None,
            "zero_shot": zero_shot or None,
            "train_apps": common.split_names(train_apps),
            "area_model": area_model,
            "contexts": common.contexts_option(workload, contexts),
        }
        common.run_optimize_command(
            flags, config, out, as_json, overwrite=overwrite, propose_only=True
        )


def register(app: typer.Typer) -> None:
    app.command("propose")(propose)
