"""`prime-rs compare`: the evaluation protocol over methods and seeds."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
    candidates: Annotated[
        int | None, typer.Option("--candidates", help="K: candidates verified (default 128).")
    ] = None,
    population: Annotated[
        int | None, typer.Option("--population", help="Search population (default 512).")
    ] = None,
    generations: Annotated[
        int | None, typer.Option("--generations", help="Search generations (default 80).")
    ] = None,
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
    """Run the comparison protocol (docs/design.md section 7): D(best), EdgeTPU-like, PRIME, naive MBO
    and simulator-driven baselines over several seeds; writes results.csv/.json/.md and plots."""
    with common.cli_errors(), _resume_hint():
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
        }
        if methods:
            kw["methods"] = common.split_names(methods)
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
        console = common.stderr_console()
        with common.search_progress(console=console) as bar:
            rows = run_compare(
                settings,
                out,
                overwrite=overwrite,
                resume=resume,
                progress=lambda m: console.print(f"[dim]•[/dim] {m}"),
                search_progress=bar,
                executor=executor,
                jobs=jobs,
                address=address,
            )
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


@contextmanager
def _resume_hint() -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        print(
            "interrupted: finished cells are kept in --out; rerun the same `prime-rs compare` "
            "command with --resume to continue",
            file=sys.stderr,
        )
        raise typer.Exit(130) from None


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
