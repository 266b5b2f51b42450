"""The `prime-rs` command line: a thin shell over the Python API.

One module per command (``data``, ``workloads`` and ``config`` are command groups), each
registering on the one typer app; what they share is in ``common``. Heavy imports (jax,
pyarrow) happen inside the commands, so `prime-rs --help` is instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup


def _click_errors() -> tuple[type[Exception], type[Exception]]:
    """click's BadParameter and ClickException, wherever this typer keeps click (vendored
    as typer._click since typer 0.29, the click package before)."""
    bad = typer.BadParameter
    base = next(c for c in bad.__mro__ if c.__name__ == "ClickException")
    return bad, base


class _Group(TyperGroup):
    """The root command: a bad option value (a number out of range, an unknown choice, text
    for a number) reads like every other input error, ``error: ...`` with exit 2, naming the
    option and what it takes; other usage errors keep typer's own display."""

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **kw: Any,
    ) -> Any:
        run = (args, prog_name, complete_var)
        if not standalone_mode:
            return super().main(*run, standalone_mode=False, **kw)
        bad, click_error = _click_errors()
        try:
            code = super().main(*run, standalone_mode=False, **kw)
        except bad as exc:
            print(f"error: {bad_value(exc)}", file=sys.stderr)
            sys.exit(2)
        except click_error as exc:
            from typer import rich_utils

            rich_utils.rich_format_error(exc)  # type: ignore[arg-type]
            sys.exit(getattr(exc, "exit_code", 2))
        except typer.Abort:
            print("Aborted!", file=sys.stderr)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def bad_value(exc: Any) -> str:
    """A bad option value as one line: the option, the values it takes, what was given."""
    param = getattr(exc, "param", None)
    message = str(getattr(exc, "message", exc)).removeprefix("Value error, ")
    if param is None:
        return message
    longs = [o for o in getattr(param, "opts", []) if o.startswith("--")]
    name = longs[0] if longs else param.human_readable_name
    given = ""
    cause = exc.__cause__
    if cause is not None and hasattr(cause, "errors"):
        given = f", got {cause.errors()[0].get('input')!r}"
    kind = getattr(param, "type", None)
    choices = getattr(getattr(param, "type_descriptor", None), "choices", None) or getattr(
        kind, "choices", None
    )
    if choices:
        return f"{name} must be one of {', '.join(map(str, choices))}{given}"
    low = getattr(param, "min", getattr(kind, "min", None))
    high = getattr(param, "max", getattr(kind, "max", None))
    bounds = []
    if low is not None:
        positive = low == 1 and isinstance(low, int)
        bounds.append(f"at least {low}" + (" (a positive integer)" if positive else ""))
    if high is not None:
        bounds.append(f"at most {high}")
    if bounds and ("greater" in message or "less" in message):
        return f"{name} must be {' and '.join(bounds)}{given}"
    return f"{name}: {message}{given}"


app = typer.Typer(
    name="prime-rs",
    cls=_Group,
    help="Design hardware accelerators from logged data (PRIME).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from prime_rs import __version__

        print(f"prime-rs {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_version,
            is_eager=True,
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only warnings and errors on stderr.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Debug messages on stderr too.")
    ] = False,
    log_file: Annotated[
        Path | None,
        typer.Option(
            "--log-file",
            help="Also write every message, with times, to this file (appended).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Design hardware accelerators from logged data (PRIME). The options here come before
    the command: prime-rs -q optimize ..."""
    import time

    from prime_rs.cli import common

    common.STARTED[0] = time.perf_counter()
    with common.cli_errors():
        if quiet and verbose:
            from prime_rs.errors import InvalidArgumentError

            raise InvalidArgumentError("--quiet and --verbose contradict each other: give one")
        common.setup_output(-1 if quiet else 1 if verbose else 0, log_file)
    ctx.call_on_close(common.close_output)


def _register() -> None:
    from prime_rs.cli import (
        compare,
        config,
        data,
        optimize,
        optimum,
        propose,
        report,
        train,
        workloads,
    )

    # Registration order is the order of `prime-rs --help`.
    for module in (data, train, optimize, propose, compare, report, optimum, workloads, config):
        module.register(app)


def main() -> None:
    from prime_rs.cli.common import keep_compiled_programs, stop_on_sigterm

    keep_compiled_programs()  # before any command imports JAX
    _register()
    stop_on_sigterm()
    app()
