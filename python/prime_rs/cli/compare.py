"""`prime-rs compare`: the evaluation protocol over methods and seeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from prime_rs.cli import common
from prime_rs.task import DEFAULT_AREA_BUDGET


def compare(
    apps: Annotated[str, typer.Option("--apps", help=common.APPS_HELP)],
    seeds: Annotated[
        str, typer.Option("--seeds", help="Comma-separated seeds (>= 3 advised).")
    ] = "0,1,2",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "runs/compare"
    ),
    area_budget: Annotated[
        float, typer.Option("--area-budget", help="Area budget (mm²).")
    ] = DEFAULT_AREA_BUDGET,
    data: common.DataOpt = None,
    data_seed: Annotated[
        int | None,
        typer.Option(
            "--data-seed",
            help="Seed of the generated dataset (absent --data), the same for every seed.",
            show_default=common.field_default("data_seed"),
            min=0,
        ),
    ] = None,
    zero_shot: Annotated[bool, typer.Option("--zero-shot", help="Zero-shot task.")] = False,
    train_apps: common.TrainAppsOpt = None,
    steps: common.StepsOpt = None,
    candidates: Annotated[
        int | None,
        typer.Option("--candidates", help="K: candidates verified.", show_default="128", min=1),
    ] = None,
    population: Annotated[
        int | None,
        typer.Option("--population", help="Search population.", show_default="512", min=1),
    ] = None,
    generations: Annotated[
        int | None,
        typer.Option("--generations", help="Search generations.", show_default="80", min=1),
    ] = None,
    budgets: Annotated[
        str, typer.Option("--budgets", help="Baseline simulator-call budgets to report.")
    ] = "128,512,2048,8192",
    bo_budget: Annotated[int, typer.Option("--bo-budget", help="Largest BO budget.", min=1)] = 1000,
    methods: Annotated[
        str | None,
        typer.Option(
            "--methods",
            help="Comma-separated subset of methods: prime, naive and the simulator-driven "
            "ones (random_search, regularized_evolution, bayesian_optimization, ...).",
            show_default="all",
        ),
    ] = None,
    dataset_designs: Annotated[
        int,
        typer.Option("--dataset-designs", help=common.field_help("dataset_designs"), min=1),
    ] = 100_000,
    oracle: common.OracleOpt = None,
    force_oracle: common.ForceOracleOpt = None,
    oracle_timeout: common.OracleTimeoutOpt = None,
    oracle_jobs: common.OracleJobsOpt = None,
    oracle_batch: common.OracleBatchOpt = None,
    area_model: common.AreaModelOpt = None,
    workload: common.WorkloadOpt = None,
    contexts: common.ContextsOpt = None,
    rounds: Annotated[
        int,
        typer.Option("--rounds", help="Rounds of the prime_rounds method (K calls each).", min=1),
    ] = 4,
    finetune_steps: Annotated[
        int | None,
        typer.Option(
            "--finetune-steps",
            help="prime_rounds' fine-tuning steps per later round.",
            show_default="steps / 4",
            min=1,
        ),
    ] = None,
    no_optimum: Annotated[
        bool,
        typer.Option(
            "--no-optimum", help="Skip the true optimum (regret columns, the all-designs row)."
        ),
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out.")] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Keep the finished cells of an interrupted comparison in --out."
        ),
    ] = False,
    executor: common.ExecutorOpt = "local",
    address: common.AddressOpt = None,
    jobs: common.JobsOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result rows as JSON on stdout.")
    ] = False,
) -> None:
    """Compare PRIME with the baselines over several seeds.

    D(best), the EdgeTPU-like design, PRIME, naive MBO and the simulator-driven baselines, on
    one logged dataset (--data, or one generated with --data-seed); add prime_rounds to
    --methods for PRIME inside the loop. In the built-in world every method is measured
    against the true optimum, with an all-designs row. Writes results.csv/.json/.md and plots.
    """
    with common.cli_errors():
        from prime_rs.compare import CompareSettings, run_compare

        kw: dict[str, Any] = {
            "apps": common.split_names(apps),
            "seeds": common.split_integers(seeds, "--seeds", minimum=0),
            "area_budget": area_budget,
            "data": str(data) if data else None,
            "zero_shot": zero_shot,
            "train_apps": common.split_names(train_apps, "--train-apps"),
            "steps": steps,
            "budgets": common.split_integers(budgets, "--budgets", minimum=1),
            "bo_budget": bo_budget,
            "dataset_designs": dataset_designs,
            "rounds": rounds,
            "finetune_steps": finetune_steps,
            "optimum": not no_optimum,
        }
        if methods is not None:
            kw["methods"] = common.split_names(methods, "--methods")
        if data_seed is not None:
            kw["data_seed"] = data_seed
        for name, value in (
            ("candidates", candidates),
            ("population", population),
            ("generations", generations),
        ):
            if value is not None:
                kw[name] = value
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
        with common.cli_errors(resume_out=out), common.search_progress() as bar:
            rows = run_compare(
                settings,
                out,
                overwrite=overwrite,
                resume=resume,
                search_progress=bar,
                executor=executor,
                jobs=jobs,
                address=address,
            )
        common.report_times(common.method_times(rows))
    if as_json:
        print(json.dumps(rows, indent=2, allow_nan=False))
        return
    from rich.console import Console

    stdout = Console()
    if stdout.is_terminal:
        with common.cli_errors():
            from prime_rs import data

            unit = data.load(settings.data).world.latency_unit if settings.data else "ms"
        stdout.print(summary_table(rows, settings, unit=unit))
        stdout.print(f"results in {out} (results.csv, results.json, results.md, plots/)")
    else:
        print((out / "results.md").read_text(encoding="utf-8"))


def summary_table(rows: list[dict[str, Any]], settings: Any, *, unit: str = "ms") -> Any:
    """The comparison's summary (:func:`prime_rs.compare.summary`) as a rich Table."""
    from rich.table import Table

    from prime_rs.compare import summary

    t = summary(rows, settings, unit=unit)
    table = Table(title=t["title"], caption=t["note"])
    for name, right in t["columns"]:
        table.add_column(name, justify="right" if right else "left")
    for cells in t["rows"]:
        table.add_row(*cells)
    return table


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
