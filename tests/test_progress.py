"""The library's one progress protocol (prime_rs.progress): every event renders through the same
text fallback and the same CLI bar, whichever job sent it."""

from __future__ import annotations

import io
import math

from prime_rs.progress import Progress, TrainProgress, resolve_progress


def test_every_event_has_a_position_and_a_description() -> None:
    search = Progress("random_search", 30, 120, -math.log(2.0), 2.0)
    train = TrainProgress(50, 200, {"loss": 0.25})
    assert search.position == ("random_search", 30, 120)
    assert train.position == ("train", 50, 200)
    assert search.describe() == "best 2 ms"
    assert Progress("x", 0, 1, -math.inf, math.inf).describe() == "best -"
    assert train.describe() == "loss 0.25"


def test_text_progress_prints_each_tenth_of_any_job(capsys) -> None:
    report = resolve_progress(True)
    assert report is not None
    for step in range(0, 101):
        report(TrainProgress(step, 100, {}))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("train: 0/100 steps")
    assert lines[-1].startswith("train: 100/100 steps")
    assert len(lines) == 11


def test_the_cli_bar_draws_training_and_search_events_alike() -> None:
    from rich.console import Console

    from prime_rs.cli.common import search_progress

    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with search_progress(console=console) as bar:
        bar(TrainProgress(10, 20, {"loss": 1.5}))
        bar(Progress("simulated_annealing", 5, 10, -math.log(3.0), 3.0))
    out = console.file.getvalue()
    assert "train" in out and "simulated_annealing" in out
