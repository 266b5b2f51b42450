"""What every command shares: typed errors -> message and exit code, progress on stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

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
    """A rich bar per simulator-driven search on stderr, fed the library's progress events
    (:class:`prime_rs.search.Progress`); a run that starts over (next seed) resets its bar.
    Pass the ``console`` the command prints through, so lines and bars do not interleave."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    console = console or stderr_console()
    with RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best {task.fields[best]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not (enabled and console.is_terminal),
        transient=True,
    ) as bar:
        jobs: dict[str, Any] = {}
        last: dict[str, int] = {}

        def update(p: Any) -> None:
            job = jobs.get(p.method)
            if job is None:
                job = jobs[p.method] = bar.add_task(p.method, total=p.budget, best="-")
            elif p.simulator_calls < last[p.method]:
                bar.reset(job, total=p.budget, best="-")
            last[p.method] = p.simulator_calls
            best = f"{p.best_mean_latency_ms:.4g} ms" if p.best_objective > -float("inf") else "-"
            bar.update(job, completed=p.simulator_calls, best=best)

        yield update
