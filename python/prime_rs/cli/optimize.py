"""`prime-rs optimize` (the main job), `prime-rs propose` (its offline half, no oracle),
`prime-rs compare` and `prime-rs report RUN`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from prime_rs.cli.common import cli_errors, search_progress, stderr_console
from prime_rs.objective import DEFAULT_AREA_BUDGET

# Options shared by optimize, propose and compare (the Python API is the one home of their
# defaults: None means "not given").
OracleOpt = Annotated[
    str | None,
    typer.Option(
        "--oracle",
        help="What verifies the designs: 'builtin', 'none' (propose only) or a command line, run "
        "as CMD ARGS IN OUT (or with {in} and {out} substituted). Default: builtin on data of "
        "the built-in simulator, none on any other data.",
    ),
]
ForceOracleOpt = Annotated[
    bool,
    typer.Option(
        "--force-oracle", help="Allow --oracle builtin on data from another world (simulator)."
    ),
]
OracleTimeoutOpt = Annotated[
    float | None,
    typer.Option("--oracle-timeout", help="Seconds one oracle command may run (default: none)."),
]
OracleJobsOpt = Annotated[
    int | None, typer.Option("--oracle-jobs", help="Oracle batches run at once (default 1).")
]
OracleBatchOpt = Annotated[
    int | None,
    typer.Option("--oracle-batch", help="Designs per oracle batch (default: all at once)."),
]
AreaModelOpt = Annotated[
    str | None,
    typer.Option(
        "--area-model",
        help="Area constraint: auto (the data's world), builtin (analytic), fitted (to the "
        "logged areas) or an area command line (the oracle protocol, area_mm2 only).",
    ),
]
WorkloadOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--workload",
        help="APP=WORKLOAD_FILE: the network (context vector) of an application known from "
        "data only, e.g. m4=m4.toml (repeatable).",
    ),
]
ContextsOpt = Annotated[
    Path | None,
    typer.Option(
        "--contexts",
        help='TOML table of APP = [context vector] or APP = "workload file".',
    ),
]


def _contexts(workload: list[str] | None, contexts: Path | None) -> dict[str, Any] | None:
    from prime_rs.pipeline import load_contexts, parse_workload_flags

    out: dict[str, Any] = load_contexts(contexts) if contexts else {}
    out.update(parse_workload_flags(workload or []))
    return out or None


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
    oracle: OracleOpt = None,
    force_oracle: ForceOracleOpt = False,
    oracle_timeout: OracleTimeoutOpt = None,
    oracle_jobs: OracleJobsOpt = None,
    oracle_batch: OracleBatchOpt = None,
    area_model: AreaModelOpt = None,
    workload: WorkloadOpt = None,
    contexts: ContextsOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print best.json instead of a table.")
    ] = False,
) -> None:
    """Learn from logged data, optimise offline, verify through an oracle (defaults:
    MobileNetV2 under 27 mm², the built-in simulator). Exit 1 when no feasible design is
    found, 2 on bad input."""
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
            "oracle": oracle,
            "force_oracle": force_oracle or None,
            "oracle_timeout": oracle_timeout,
            "oracle_jobs": oracle_jobs,
            "oracle_batch": oracle_batch,
            "area_model": area_model,
            "contexts": _contexts(workload, contexts),
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
    area_model: AreaModelOpt = None,
    workload: WorkloadOpt = None,
    contexts: ContextsOpt = None,
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
    with cli_errors():
        from prime_rs.pipeline import OptimizeSettings, run_optimize

        flags: dict[str, Any] = {
            "apps": apps,
            "data": str(data),
            "area_budget": area_budget,
            "candidates": candidates,
            "seed": seed,
            "steps": steps,
            "generations": generations,
            "population": population,
            "naive": naive or None,
            "zero_shot": zero_shot or None,
            "train_apps": train_apps,
            "area_model": area_model,
            "contexts": _contexts(workload, contexts),
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
            progress=lambda msg: console.print(f"[dim]•[/dim] {msg}"),
            show_progress=console.is_terminal,
            propose_only=True,
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
    unit = best.get("latency_unit", "ms")
    for col in ("design", f"latency ({unit})", "area (mm²)", "vs EdgeTPU-like"):
        table.add_column(col, justify="left" if col == "design" else "right")
    for row in summary_rows(best):
        table.add_row(*row)
    console = Console()
    console.print(table)
    if best.get("design"):
        d = best["design"]
        console.print("best design: " + ", ".join(f"{k}={_human(k, v)}" for k, v in d.items()))
    if best.get("verified") is False:
        console.print(
            f"not verified (no oracle): {best['candidates']} proposals in "
            f"{run_dir / 'proposals.csv'}; run your simulator on {run_dir / 'proposals_in.csv'}"
        )
    else:
        console.print(
            f"run directory: {run_dir} (report.md, best.json, candidates.parquet, plots/)"
        )


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
    oracle: OracleOpt = None,
    force_oracle: ForceOracleOpt = False,
    oracle_timeout: OracleTimeoutOpt = None,
    oracle_jobs: OracleJobsOpt = None,
    oracle_batch: OracleBatchOpt = None,
    area_model: AreaModelOpt = None,
    workload: WorkloadOpt = None,
    contexts: ContextsOpt = None,
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
        optional = {
            "oracle": oracle,
            "force_oracle": force_oracle or None,
            "oracle_timeout": oracle_timeout,
            "oracle_jobs": oracle_jobs,
            "oracle_batch": oracle_batch,
            "area_model": area_model,
            "contexts": _contexts(workload, contexts),
        }
        kw.update({k: v for k, v in optional.items() if v is not None})
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
    app.command("propose")(propose)
    app.command("compare")(compare)
    app.command("report")(report)
