"""What the commands share: typed errors -> message and exit code, progress on stderr (the only
place rich draws), the options of optimize, propose and compare, splitting comma lists for the
typed settings, and the summary table of a run."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")) or None)


@contextmanager
def cli_errors() -> Iterator[None]:
    """PrimeError -> `error: <message>` on stderr and its exit code (2 for input errors)."""
    from prime_rs.errors import PrimeError

    try:
        yield
    except PrimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(exc.exit_code) from None


@contextmanager
def progress_bar(
    total: int, description: str, enabled: bool = True
) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (silent when stderr is not a terminal)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = stderr_console()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not (enabled and console.is_terminal),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


@contextmanager
def search_progress(enabled: bool = True, console: Any = None) -> Iterator[Callable[[Any], None]]:
    """A rich bar per job on stderr, fed the library's progress events (any event of
    :mod:`prime_rs.progress`: its ``position`` and ``describe()``); a job that
    starts over (the next seed) resets its bar. Pass the ``console`` the command prints
    through, so lines and bars do not interleave."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    console = console or stderr_console()
    with RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not (enabled and console.is_terminal),
        transient=True,
    ) as bar:
        jobs: dict[str, Any] = {}
        last: dict[str, int] = {}

        def update(p: Any) -> None:
            name, done, total = p.position
            job = jobs.get(name)
            if job is None:
                job = jobs[name] = bar.add_task(name, total=total, info="")
            elif done < last[name]:
                bar.reset(job, total=total, info="")
            last[name] = done
            bar.update(job, completed=done, info=p.describe())

        yield update


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


def split_names(value: str | None) -> list[str] | None:
    """``--apps a,b`` as the list the settings take (None: not given)."""
    if value is None:
        return None
    return [a.strip() for a in value.split(",") if a.strip()]


def split_integers(value: str, option: str) -> list[int]:
    """``--seeds 0,1,2`` as a list of integers."""
    from prime_rs.errors import InvalidArgumentError

    try:
        return [int(s) for s in value.split(",") if s.strip()]
    except ValueError:
        raise InvalidArgumentError(
            f"{option} takes comma-separated integers, got {value!r}"
        ) from None


def parse_workload_flags(items: list[str]) -> dict[str, str]:
    """``APP=WORKLOAD_FILE`` flags (``--workload m4=m4.toml``) as a contexts mapping."""
    from prime_rs.errors import InvalidArgumentError

    out = {}
    for item in items:
        app, sep, path = item.partition("=")
        if not sep or not app.strip() or not path.strip():
            raise InvalidArgumentError(f"--workload takes APP=WORKLOAD_FILE, got {item!r}")
        out[app.strip()] = path.strip()
    return out


def contexts_option(workload: list[str] | None, contexts: Path | None) -> dict[str, Any] | None:
    """``--contexts FILE`` and ``--workload APP=FILE`` together (the flags win)."""
    from prime_rs.run import load_contexts

    out: dict[str, Any] = load_contexts(contexts) if contexts else {}
    out.update(parse_workload_flags(workload or []))
    return out or None


def world_flags(
    oracle: str | None,
    force_oracle: bool,
    oracle_timeout: float | None,
    oracle_jobs: int | None,
    oracle_batch: int | None,
    area_model: str | None,
    workload: list[str] | None,
    contexts: Path | None,
) -> dict[str, Any]:
    """The settings of the oracle and area-model options (optimize and compare), None where
    not given so the settings' own defaults apply."""
    return {
        "oracle": oracle,
        "force_oracle": force_oracle or None,
        "oracle_timeout": oracle_timeout,
        "oracle_jobs": oracle_jobs,
        "oracle_batch": oracle_batch,
        "area_model": area_model,
        "contexts": contexts_option(workload, contexts),
    }


def run_optimize_command(
    flags: dict[str, Any], config: Path | None, out: Path, as_json: bool, **kw: Any
) -> None:
    """What optimize and propose share: settings from ``--config`` and the flags (a flag given
    overrides the file), the run with stage lines and progress on stderr, and its summary."""
    from prime_rs.run import OptimizeSettings, run_optimize

    if config is not None:
        settings = OptimizeSettings.from_toml(config, **flags)
    else:
        settings = OptimizeSettings(**{k: v for k, v in flags.items() if v is not None})
    console = stderr_console()
    outcome = run_optimize(
        settings,
        out,
        progress=lambda msg: console.print(f"[dim]•[/dim] {msg}"),
        show_progress=console.is_terminal,
        **kw,
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
    if best.get("regret") is not None:
        from prime_rs.report import regret_text

        console.print(regret_text(best, {}).strip())
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
