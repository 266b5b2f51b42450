"""The `prime-rs` command line: a thin shell over the Python API.

One module per command (``data`` and ``workloads`` are command groups), each registering on
the one typer app; what they share is in ``common``. Heavy imports (jax, pyarrow, the
native module) happen inside the commands, so `prime-rs --help` is instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="prime-rs",
    help="Design hardware accelerators from logged data (PRIME).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _options(
    ctx: typer.Context,
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
    from prime_rs.cli import compare, data, optimize, optimum, propose, report, train, workloads

    # Registration order is the order of `prime-rs --help`.
    for module in (data, train, optimize, propose, compare, report, optimum, workloads):
        module.register(app)


def main() -> None:
    _register()
    app()
