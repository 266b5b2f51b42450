"""What the commands share: typed errors -> message and exit code, the resume hint on Ctrl-C,
progress on stderr (rich bars on a terminal, plain lines off one: the only place the CLI draws),
the end-of-job times, the options of optimize, propose and compare, splitting comma lists for the
typed settings, and the summary table of a run."""

from __future__ import annotations

import json
import logging
import shlex
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from prime_rs import logs

log = logging.getLogger("prime_rs.cli")

#: When the command started (set by the app's callback; the total time at the end).
STARTED = [time.perf_counter()]


#: The stderr console of bars, result lines and (on a terminal) log lines: one, so they never
#: interleave. Made by :func:`setup_output`.
_CONSOLE: list[Any] = []


def _new_console(**kw: Any) -> Any:
    import os

    from rich.console import Console

    return Console(no_color=bool(os.environ.get("NO_COLOR")) or None, **kw)


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


def field_option(*flags: str, field: str, **kw: Any) -> Any:
    """A flag of a top-level setting, its help and default from the config schema."""
    return typer.Option(*flags, help=field_help(field), show_default=field_default(field), **kw)


def table_default(key: str) -> str:
    """The config schema's default of a table setting (``"train.steps"``), as ``--help`` shows
    it: commands that take one table setting as their own flag show the one default."""
    from prime_rs.config import OptimizeConfig

    table, _, name = key.partition(".")
    cls = OptimizeConfig.model_fields[table].annotation
    return str(cls.model_fields[name].default)  # type: ignore[union-attr]


def setup_output(verbosity: int = 0, log_file: Path | None = None) -> None:
    """The app's logging (:func:`prime_rs.logs.configure`): rich's handler on the stderr console
    when it is a terminal (progress lines are left to the bars there), else plain lines, never
    wrapped, no escape codes."""
    from prime_rs.logs import PROGRESS, Plain, StderrHandler, configure

    console = _new_console(stderr=True)
    handler: logging.Handler
    if console.is_terminal:
        from rich.logging import RichHandler

        handler = RichHandler(
            console=console, show_time=False, show_path=False, show_level=False, markup=False
        )
        handler.addFilter(lambda record: not record.name.startswith(PROGRESS))
    else:
        console = _new_console(stderr=True, soft_wrap=True, width=_UNWRAPPED)
        handler = StderrHandler()
    handler.setFormatter(Plain())
    configure(handler, verbosity, log_file)
    _CONSOLE[:] = [console]


def close_output() -> None:
    """Undo :func:`setup_output` when the command ends (it may have run in-process)."""
    logs.reset()
    _CONSOLE.clear()


def stderr_console() -> Any:
    """The stderr console of result lines and bars (the log handler's); silent under ``-q``."""
    if not _CONSOLE:
        _CONSOLE.append(_new_console(stderr=True))
    if not shows_progress():
        return _new_console(stderr=True, quiet=True)
    return _CONSOLE[0]


def is_terminal() -> bool:
    """Whether stderr is a terminal (bars) or not (plain progress lines)."""
    stderr_console()
    return bool(_CONSOLE[0].is_terminal)


def shows_progress() -> bool:
    """Progress is shown unless ``-q`` asked for warnings and errors only."""
    return logs.shows(logging.INFO)


def stdout_console() -> Any:
    """The console of a command's result on stdout: off a terminal its lines are never wrapped
    (a log or a pipe gets whole lines to copy)."""
    console = _new_console()
    return console if console.is_terminal else _new_console(soft_wrap=True, width=_UNWRAPPED)


#: The width of plain output: wide enough that rich never wraps or truncates a line.
_UNWRAPPED = 100_000


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C's KeyboardInterrupt would be, so that every cleanup a
    Ctrl-C runs (temporary files removed, finished work kept) runs for it too."""

    exit_code = 143  # 128 + SIGTERM, what a shell reports for a process it terminated


def stop_on_sigterm() -> None:
    """Make SIGTERM (``kill``, ``timeout``, a service stop) stop the command as Ctrl-C does.
    Installed by the ``prime-rs`` entry point only: a library never takes over signals. A
    second SIGTERM during the cleanup kills at once (the next write of the same file removes
    what that leaves, see :func:`prime_rs.fileio.clean_litter`)."""
    import signal

    def handler(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated

    signal.signal(signal.SIGTERM, handler)


def keep_compiled_programs() -> None:
    """Let XLA keep the programs it compiles on disk, under ``$PRIME_RS_CACHE/jax``: a run
    after the first skips the ~10 s of CPU that compiling the model and its training step
    takes (docs/performance/training.md). A cached program is the one XLA would compile, so
    results do not change. Installed by the ``prime-rs`` entry point only, before JAX is
    imported: it is a process-wide setting, and a library does not take those over. A
    ``JAX_COMPILATION_CACHE_DIR`` of the user's wins; ``PRIME_RS_JAX_CACHE=0`` turns it off.
    JAX creates the folder, and runs without the cache if it cannot."""
    import os

    if (
        os.environ.get("PRIME_RS_JAX_CACHE", "1") == "0"
        or "JAX_COMPILATION_CACHE_DIR" in os.environ
    ):
        return
    from prime_rs.runs import cache_dir

    os.environ["JAX_COMPILATION_CACHE_DIR"] = str(cache_dir() / "jax")
    # JAX's default keeps only programs that took over a second to compile; the model's
    # dozens of small eager programs cost as much in total as the training step.
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")


@contextmanager
def cli_errors(resume_out: Path | None = None, kept_in: Path | None = None) -> Iterator[None]:
    """PrimeError -> `error: <message>` on stderr and its exit code (2 for input errors);
    Ctrl-C -> exit 130 (SIGTERM -> 143), saying what is kept for ``resume_out`` and the exact
    command that continues it (when the command has ``--resume``). ``kept_in`` is where the
    finished work lies when it is not ``resume_out`` itself (generate keeps its shards in the
    cache)."""
    from prime_rs.errors import PrimeError

    try:
        yield
    except PrimeError as exc:
        _tell(logging.ERROR, str(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:
        if resume_out is not None:
            _tell(logging.WARNING, interrupted_message(resume_out, kept_in))
        raise typer.Exit(getattr(exc, "exit_code", 130)) from None


def _tell(level: int, message: str) -> None:
    """An error or warning the user must see: through the configured log (and its file), or
    straight to stderr where a command runs without the app's set-up (a test's own app)."""
    if logs.configured():
        log.log(level, message)
    else:
        import sys

        print(f"{logging.getLevelName(level).lower()}: {message}", file=sys.stderr)


def interrupted_message(out: Path, kept_in: Path | None = None) -> str:
    """What Ctrl-C leaves for ``out`` (in ``kept_in``, default ``out``) and how to go on: the
    command as given, with ``--resume``."""
    where = kept_in if kept_in is not None else out
    if not where.exists():
        return "interrupted before anything was written"
    ctx = _click("globals").get_current_context(silent=True)
    if ctx is None or not any(p.name == "resume" for p in ctx.command.params):
        return f"interrupted: partial results are in {where}; rerun with --overwrite to start again"
    return (
        f"interrupted: the finished work is kept in {where}; continue it with:\n  "
        + resume_command(ctx, out)
    )


def resume_command(ctx: Any, out: Path) -> str:
    """The command line of ``ctx`` as the user gave it (global options included), with ``--out
    OUT --resume`` and without ``--overwrite``: the command that continues the run."""
    given = (_click("core").ParameterSource.COMMANDLINE, _click("core").ParameterSource.ENVIRONMENT)
    chain = []
    c = ctx
    while c is not None:
        chain.append(c)
        c = c.parent
    words = ["prime-rs"]
    for c in reversed(chain):
        if c.parent is not None:
            words.append(c.info_name)
        for param in c.command.params:
            if param.name in ("out", "resume", "overwrite"):
                continue
            if c.get_parameter_source(param.name) not in given:
                continue
            words += _given(param, c.params.get(param.name))
    words += ["--out", str(out), "--resume"]
    return shlex.join(words)


def _given(param: Any, value: Any) -> list[str]:
    """A parameter's value as command-line words."""
    if param.param_type_name == "argument":
        values = value if isinstance(value, list | tuple) else [value]
        return [str(v) for v in values]
    name = next((o for o in param.opts if o.startswith("--")), param.opts[0])
    if param.is_flag and param.is_bool_flag:
        if value:
            return [name]
        return [param.secondary_opts[0]] if param.secondary_opts else []
    if param.multiple:
        return [w for v in value or () for w in (name, str(v))]
    return [name, str(value)]


def _click(module: str) -> Any:
    """A module of the click that typer runs on: click itself, or the copy newer typers carry
    (``typer._click``), whose context stack is the one a command runs in."""
    import importlib

    package = typer.Context.__mro__[1].__module__.rpartition(".")[0]
    return importlib.import_module(f"{package}.{module}")


def report_times(timings: Mapping[str, float], total: float | None = None) -> None:
    """The total and per-stage wall times at the end of a job, on stderr."""
    total = time.perf_counter() - STARTED[0] if total is None else total
    stages = ", ".join(f"{name} {_seconds(s)}" for name, s in timings.items())
    log.info(f"done in {_seconds(total)}" + (f" ({stages})" if stages else ""))


def method_times(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Wall time per method of a comparison, summed over seeds (a method's rows at several
    budgets share one run: its longest row is the run)."""
    runs: dict[tuple[str, Any], float] = {}
    for r in rows:
        wall = r.get("wall_time_s")
        if wall:
            key = (r["method"], r["seed"])
            runs[key] = max(runs.get(key, 0.0), float(wall))
    out: dict[str, float] = {}
    for (method, _seed), wall in runs.items():
        out[method] = out.get(method, 0.0) + wall
    return out


def _seconds(s: float) -> str:
    if s >= 120:
        return f"{int(s // 60)} min {s % 60:.0f} s"
    return f"{s:.1f} s"


@contextmanager
def progress_bar(
    total: int, description: str, enabled: bool = True, unit: str = "designs"
) -> Iterator[Callable[[int], None]]:
    """Counted progress on stderr: a rich bar on a terminal, plain lines off one."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from prime_rs.progress import Count, ProgressLines

    enabled = enabled and shows_progress()
    if not is_terminal():
        lines = ProgressLines()
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            if enabled:
                lines(Count(description, done[0], total, unit))

        yield advance
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr_console(),
        disable=not enabled,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


@contextmanager
def search_progress(enabled: bool = True, console: Any = None) -> Iterator[Callable[[Any], None]]:
    """A rich bar per job on stderr, fed the library's progress events (any event of
    :mod:`prime_rs.progress`: its ``position`` and ``describe()``); a job that
    starts over (the next seed) resets its bar. Pass the ``console`` the command prints
    through, so lines and bars do not interleave. Off a terminal: plain progress lines."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    from prime_rs.progress import ProgressLines

    console = console or stderr_console()
    if not console.is_terminal:
        lines = ProgressLines()
        yield lines if enabled and shows_progress() else (lambda _p: None)
        return
    with RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not enabled,
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


def train_progress() -> Any:
    """What training reports to: its own rich bar on a terminal (True), plain progress lines
    off one, nothing under ``-q``."""
    from prime_rs.progress import ProgressLines

    if not shows_progress():
        return False
    return True if is_terminal() else ProgressLines()


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
StepsOpt = Annotated[
    int | None,
    typer.Option(
        "--steps", help="Training steps.", show_default=table_default("train.steps"), min=1
    ),
]
AreaBudgetOpt = Annotated[float | None, field_option("--area-budget", field="area_budget")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace an existing --out.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
#: --train-apps of the commands with a zero-shot task (optimize, propose, compare).
TrainAppsOpt = Annotated[
    str | None,
    typer.Option("--train-apps", help="Comma-separated applications to learn from (zero-shot)."),
]
#: --model-run of the commands that can reuse a `prime-rs train` result (optimize, propose).
ModelRunOpt = Annotated[
    Path | None,
    typer.Option("--model-run", help=field_help("model_run"), show_default=False),
]
#: --data of the commands that generate logged data when it is absent (optimize, compare).
DataOpt = Annotated[
    Path | None,
    typer.Option("--data", "-d", help=field_help("data"), show_default=False),
]
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
    with cli_errors(resume_out=out), search_progress() as bar:
        outcome = run_optimize(settings, out, show_progress=bar, **kw)
    report_times(outcome.timings)
    if as_json:
        print(json.dumps(outcome.best, indent=2))
    else:
        print_summary(outcome.best, outcome.run_dir)


def print_summary(best: dict[str, Any], run_dir: Path) -> None:
    from rich.table import Table

    from prime_rs.report import summary_rows

    table = Table(title=f"{', '.join(best['applications'])} under {best['area_budget_mm2']:g} mm²")
    unit = best.get("latency_unit", "ms")
    for col in ("design", f"latency ({unit})", "area (mm²)", "vs EdgeTPU-like"):
        table.add_column(col, justify="left" if col == "design" else "right")
    for row in summary_rows(best):
        table.add_row(*row)
    console = stdout_console()
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


# --- fan-out (`--executor`, `--address`, `--jobs`) for the commands that run on executors ---

ExecutorOpt = Annotated[str, typer.Option("--executor", help="Where the work runs: local or ray.")]
AddressOpt = Annotated[
    str | None,
    typer.Option("--address", help="Ray cluster address (default: start a local Ray)."),
]
JobsOpt = Annotated[
    int | None, typer.Option("--jobs", "-j", help="Pieces of work run at once (default 1).")
]


@contextmanager
def oracle_executor(name: str, jobs: int | None, address: str | None) -> Iterator[Any]:
    """The executor for a run's oracle batches: None (the oracle's own ``--oracle-jobs``
    threads) unless ``--executor ray`` or ``--jobs`` asks for one; closed at the end."""
    from prime_rs.executors import get_executor

    if name == "local" and jobs is None and address is None:
        yield None
        return
    ex = get_executor(name, jobs=1 if jobs is None else jobs, address=address)
    try:
        yield ex
    finally:
        ex.close()
