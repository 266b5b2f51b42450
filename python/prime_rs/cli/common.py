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


def escape(text: str) -> str:
    """Help text as rich shows it verbatim: square brackets (``[train]``, ``[default: x]``) are
    markup to rich, which would silently drop them."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def field_help(name: str) -> str:
    """The config schema's description of a top-level setting: the one text of its flag."""
    from prime_rs.config import OptimizeConfig

    return escape(OptimizeConfig.model_fields[name].description or "")


def field_default(name: str) -> str:
    """The config schema's default of a top-level setting, as ``--help`` shows it."""
    from prime_rs.config import OptimizeConfig

    value = OptimizeConfig.model_fields[name].get_default(call_default_factory=True)
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def table_default(key: str) -> str:
    """The config schema's default of a table setting (``"train.steps"``), as ``--help`` shows
    it: commands that take one table setting as their own flag show the one default."""
    from prime_rs.config import OptimizeConfig

    table, _, name = key.partition(".")
    cls = OptimizeConfig.model_fields[table].annotation
    return str(cls.model_fields[name].default)  # type: ignore[union-attr]


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
            # An event with nothing to say (training between validations) keeps the last words.
            said = p.describe()
            bar.update(job, completed=done, **({"info": said} if said else {}))

        yield update


# Options shared by optimize, propose and compare (the Python API is the one home of their
# defaults: None means "not given").
OracleOpt = Annotated[
    str | None,
    typer.Option("--oracle", help=field_help("oracle"), show_default="builtin on built-in data"),
]
ForceOracleOpt = Annotated[
    bool | None,
    typer.Option(
        "--force-oracle/--no-force-oracle",
        help=field_help("force_oracle"),
        show_default="no-force-oracle",
    ),
]
OracleTimeoutOpt = Annotated[
    float | None,
    typer.Option("--oracle-timeout", help=field_help("oracle_timeout"), show_default="no limit"),
]
OracleJobsOpt = Annotated[
    int | None,
    typer.Option(
        "--oracle-jobs",
        help=field_help("oracle_jobs"),
        show_default=field_default("oracle_jobs"),
        min=1,
    ),
]
OracleBatchOpt = Annotated[
    int | None,
    typer.Option(
        "--oracle-batch", help=field_help("oracle_batch"), show_default="all at once", min=1
    ),
]
AreaModelOpt = Annotated[
    str | None,
    typer.Option(
        "--area-model", help=field_help("area_model"), show_default=field_default("area_model")
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
        help=escape('TOML table of APP = [context vector] or APP = "workload file".'),
    ),
]


#: The one help text of ``--apps``: every command reads it through the same function
#: (:func:`prime_rs.workloads.application`).
APPS_HELP = (
    "Comma-separated applications: built-in names, workload files (.json, .toml, .onnx) or "
    "names known from the data only."
)

# The seed's range (0 .. 2**64-1) is checked by prime_rs.checks.seed, its one home.
SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed",
        help="Seed of the model and the search (initialisation, batches, negatives), 0 to 2**64-1.",
        show_default="0",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="TOML file of settings (schema: prime-rs config schema); flags override it.",
        show_default=False,
    ),
]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace an existing --out.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
ThreadsOpt = Annotated[
    int | None,
    typer.Option(
        "--threads",
        help="Worker threads (results do not depend on it).",
        show_default="all cores",
        min=1,
    ),
]


def split_names(value: str | None, option: str = "--apps") -> list[str] | None:
    """``--apps a,b`` as the list the settings take (None: not given). An empty list or an
    empty item (``--apps ,``, ``--apps a,,b``) is an input error naming the option."""
    from prime_rs.errors import InvalidArgumentError

    if value is None:
        return None
    items = [a.strip() for a in value.split(",")]
    if not any(items):
        raise InvalidArgumentError(f"{option} takes a comma-separated list, got {value!r}")
    if not all(items):
        raise InvalidArgumentError(f"{option} has an empty item in {value!r}")
    return items


def split_integers(value: str, option: str, minimum: int | None = None) -> list[int]:
    """``--seeds 0,1,2`` as a list of integers (each >= ``minimum`` when given); anything else
    is an input error naming the option and the bad item."""
    from prime_rs.errors import InvalidArgumentError

    out = []
    for item in split_names(value, option) or []:
        try:
            n = int(item)
        except ValueError:
            raise InvalidArgumentError(
                f"{option} takes comma-separated integers, got {item!r} in {value!r}"
            ) from None
        if minimum is not None and n < minimum:
            raise InvalidArgumentError(f"{option} items must be >= {minimum}, got {n}")
        out.append(n)
    return out


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
    force_oracle: bool | None,
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
        "force_oracle": force_oracle,
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
    overrides the file; keys are the config schema's, dotted for tables: ``train.alpha``),
    the run with stage lines and progress on stderr, and its summary."""
    from prime_rs import config as schema
    from prime_rs.run import run_optimize

    settings = schema.resolve(config, flags).to_settings()
    console = stderr_console()
    with search_progress(enabled=console.is_terminal, console=console) as bar:
        outcome = run_optimize(
            settings,
            out,
            progress=lambda msg: console.print(f"[dim]•[/dim] {msg}"),
            show_progress=bar if console.is_terminal else False,
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
