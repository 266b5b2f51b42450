"""`prime-rs report RUN`: re-render the report of a finished run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prime_rs.cli.common import cli_errors


def report(
    run: Annotated[Path, typer.Argument(help="A finished run directory.", metavar="RUN")],
) -> None:
    """Re-render report.md and plots/ of a finished run."""
    with cli_errors():
        from prime_rs.report import render

        path = render(run)
        print(path)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
