"""The `prime-rs` command line: a thin shell over the Python API.

One module per command (``data`` and ``workloads`` are command groups), each registering on
the one typer app; what they share is in ``common``. Heavy imports (jax, pyarrow, the
native module) happen inside the commands, so `prime-rs --help` is instant.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="prime-rs",
    help="Design hardware accelerators from logged data (PRIME).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from prime_rs.cli import compare, data, optimize, optimum, propose, report, train, workloads

    # Registration order is the order of `prime-rs --help`.
    for module in (data, train, optimize, propose, compare, report, optimum, workloads):
        module.register(app)


def main() -> None:
    _register()
    app()
