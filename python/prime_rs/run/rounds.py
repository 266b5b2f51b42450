"""`optimize --rounds R`: PRIME inside the loop (docs/design.md section 7).

Round 1 is the offline run, unchanged. Each later round adds every design verified so far to
the logged data (rows of the same world: the oracle that verified them is the data's), fine-tunes
the surrogate from the previous round's model for a fraction of the steps, searches it again
warm-started from the best verified designs, and verifies the best K designs not verified
before (a design is never proposed twice, so every round's K calls are new simulations).

Each finished round is a checkpoint under ``rounds/round-<r>/`` (``verified.parquet``: its rows
in the dataset layout; ``candidates.parquet``; ``search.jsonl``; ``model/``), and
``rounds.jsonl`` in the run directory is the best-so-far curve against oracle calls, one record
per round, rewritten after each round: it is the commit point, so ``--resume`` reads the rounds
it lists and carries on from the next (an interrupted fine-tuning resumes from its checkpoint).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from prime_rs import runs
from prime_rs.errors import InvalidArgumentError
from prime_rs.progress import Say, silent
from prime_rs.run import artifacts
from prime_rs.run.settings import OptimizeSettings
from prime_rs.space import SPACE
from prime_rs.task import Evaluation, Task, objective_from_latency

__all__ = [
    "ROUNDS_FILE",
    "Round",
    "concat_evaluations",
    "evaluation_rows",
    "read_rounds",
    "round_record",
    "round_seed",
    "run_rounds",
]

#: The best-so-far curve of a run, one JSON record per finished round.
ROUNDS_FILE = "rounds.jsonl"


@dataclass
class Round:
    """One round's verified designs (in verification order) and what it was charged."""

    number: int
    verified: Evaluation
    scores: np.ndarray
    calls: int


def round_seed(seed: int, number: int) -> int:
    """The seed of round ``number``: the run's own for round 1 (so ``--rounds 1`` is the
    offline run exactly), otherwise drawn from the run's seed and the round."""
    if number == 1:
        return seed
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0] & 0x7FFFFFFF)


def concat_evaluations(parts: list[Evaluation]) -> Evaluation:
    return Evaluation(
        *(
            np.concatenate([getattr(p, f.name) for p in parts])
            for f in dataclasses.fields(Evaluation)
        )
    )


def evaluation_rows(ev: Evaluation, task: Task, metadata: dict[str, str]) -> Any:
    """Verified designs as dataset rows (one per design and application, design-major), in
    the world of ``metadata`` (the logged data's)."""
    from prime_rs import data

    m = task.n_applications
    reason = np.asarray(ev.reason, dtype=object).reshape(-1)
    return data.from_arrays(
        np.repeat(ev.designs, m, axis=0),
        np.tile(np.asarray(task.applications, dtype=object), len(ev)),
        ev.latency_ms.reshape(-1),
        np.repeat(ev.area_mm2, m),
        reason == "",
        reason=np.where(reason == "", "", reason.astype(str)),
        metadata=metadata,
    )


def _evaluation_of(ds: Any, task: Task) -> Evaluation:
    """The Evaluation that :func:`evaluation_rows` wrote (a finished round read back)."""
    m = task.n_applications
    n = len(ds) // m
    apps = np.asarray(ds.application, dtype=object).reshape(n, m)
    if len(ds) != n * m or not (apps == np.asarray(task.applications, dtype=object)).all():
        raise InvalidArgumentError(
            "a finished round's verified.parquet does not hold this task's applications: the "
            "run directory belongs to another run (start afresh with --overwrite)"
        )
    lat = ds.latency_ms.reshape(n, m).astype(np.float64)
    feasible_app = ds.feasible.reshape(n, m)
    reason = np.asarray(ds.reason, dtype=object).reshape(n, m)
    designs = ds.designs[::m]
    area = ds.area_mm2[::m].astype(np.float64)
    feasible = feasible_app.all(axis=1)
    within = area <= task.area_budget
    objective = objective_from_latency(lat)
    objective[~(feasible & within)] = -np.inf
    return Evaluation(designs, lat, reason, feasible, area, within, objective)


def round_record(r: Round, history: list[Round]) -> dict[str, Any]:
    """rounds.jsonl's record of round ``r``, the last of ``history``."""
    calls = sum(h.calls for h in history)
    union = concat_evaluations([h.verified for h in history])
    best = _best_ms(union)
    i = artifacts.best_index(union)
    return {
        "round": r.number,
        "new_designs": len(r.verified),
        "oracle_calls": r.calls,
        "simulator_calls": calls,
        "feasible": int(r.verified.valid.sum()),
        "best_latency_ms": _best_ms(r.verified),
        "best_so_far_ms": best,
        "best_so_far_area_mm2": None if i is None else float(union.area_mm2[i]),
        "median_top_k_so_far_ms": _median_top(union, len(history[0].verified)),
    }


def _best_ms(ev: Evaluation) -> float | None:
    i = artifacts.best_index(ev)
    return None if i is None else float(ev.mean_latency_ms[i])


def _median_top(ev: Evaluation, k: int) -> float | None:
    lat = np.sort(ev.mean_latency_ms[ev.valid])[: max(k, 1)]
    return float(np.median(lat)) if len(lat) else None


def read_rounds(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / ROUNDS_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                # A torn last line is a round that did not finish: it runs again.
                break
    return out


def _write_rounds(run_dir: Path, records: list[dict[str, Any]]) -> None:
    runs.write_text(run_dir / ROUNDS_FILE, "".join(json.dumps(r) + "\n" for r in records))


def _distinct_first(designs: np.ndarray) -> np.ndarray:
    """The rows of ``designs`` without repeats, in order of first appearance."""
    _, first = np.unique(SPACE.to_ids(designs), return_index=True)
    return designs[np.sort(first)]


@dataclass
class RoundInputs:
    """What every round after the first needs from the run (built by run_optimize)."""

    settings: OptimizeSettings
    task: Task
    ds: Any
    learn: list[str]
    #: The first round's warm start of the search (e.g. D(best)).
    init: np.ndarray
    #: train(...) of one round: (data, model directory, previous model, seed, steps) -> model.
    fine_tune: Callable[[Any, Path, Any, int, int], Any]
    #: The surrogate search of one round: (settings, model, warm start, history) -> its
    #: SearchResult (``history`` receives search.jsonl's records).
    search: Callable[[OptimizeSettings, Any, np.ndarray, list[dict[str, Any]]], Any]
    #: Oracle calls charged for verifying these designs: (designs) -> (Evaluation, calls).
    verify: Callable[[np.ndarray], tuple[Evaluation, int]]


def run_rounds(
    inputs: RoundInputs,
    run_dir: Path,
    first: Round,
    first_model: Any,
    *,
    resume: bool = False,
    say: Say = silent,
) -> list[Round]:
    """Rounds 2..R after ``first`` (see the module docstring); returns every round, first
    included, and writes rounds.jsonl. ``resume`` reads back the rounds rounds.jsonl lists, as
    long as each one's record is what this run recomputes (a run that would now differ from the
    interrupted one runs its rounds again)."""
    from prime_rs import data

    s, task = inputs.settings, inputs.task
    k = s.candidates
    history = [first]
    records = [round_record(first, history)]
    done = {r.get("round"): r for r in read_rounds(run_dir)} if resume else {}
    trusted = done.get(1) == records[0]
    if not trusted:
        # The curve of a run in progress, from its first round (a resumed run's file already
        # lists what it is about to read back).
        _write_rounds(run_dir, records)
    model = first_model
    for number in range(2, s.rounds + 1):
        here = run_dir / "rounds" / f"round-{number}"
        seen = concat_evaluations([h.verified for h in history])
        if trusted and number in done and (here / "verified.parquet").exists():
            ev = _evaluation_of(data.load(here / "verified.parquet"), task)
            scores = _scores_of(here / "candidates.parquet", len(ev))
            r = Round(number, ev, scores, int(done[number].get("oracle_calls", -1)))
            record = round_record(r, [*history, r])
            if record == done[number]:
                history.append(r)
                records.append(record)
                model = None  # the next round to run loads this one's model from disk
                continue
            trusted = False
        if model is None:
            from prime_rs import train

            model = train.load(run_dir / "rounds" / f"round-{number - 1}" / "model")
        parts = [
            inputs.ds,
            *(evaluation_rows(h.verified, task, inputs.ds.metadata) for h in history),
        ]
        grown = data.concat(parts, metadata=inputs.ds.metadata)
        seed = round_seed(s.seed, number)
        steps = s.round_finetune_steps
        say(
            f"round {number}/{s.rounds}: fine-tuning the surrogate for {steps} steps on "
            f"{len(grown):,} rows ({len(seen)} verified designs added)"
        )
        model = inputs.fine_tune(grown, here / "model", model, seed, steps)
        order = np.argsort(-seen.objective, kind="stable")
        init = _distinct_first(np.concatenate([seen.designs[order], inputs.init]))
        searched: list[dict[str, Any]] = []
        # K more than were verified: the verified ones are dropped from the search's best.
        asked = dataclasses.replace(s, seed=seed, candidates=k + len(seen))
        result = inputs.search(asked, model, init, searched)
        fresh = ~np.isin(SPACE.to_ids(result.designs), SPACE.to_ids(seen.designs))
        designs, scores = result.designs[fresh][:k], result.scores[fresh][:k]
        if not len(designs):
            say(f"round {number}: the search proposed no design not verified before; stopping")
            break
        say(f"round {number}/{s.rounds}: verifying {len(designs)} new candidates")
        ev, calls = inputs.verify(designs)
        here.mkdir(parents=True, exist_ok=True)
        evaluation_rows(ev, task, inputs.ds.metadata).save(here / "verified.parquet")
        artifacts.write_candidates(here / "candidates.parquet", ev, task, scores)
        runs.write_text(here / "search.jsonl", "".join(json.dumps(h) + "\n" for h in searched))
        r = Round(number, ev, np.asarray(scores, dtype=np.float64), calls)
        history.append(r)
        records.append(round_record(r, history))
        _write_rounds(run_dir, records)
    _write_rounds(run_dir, records)
    return history


def _scores_of(path: Path, n: int) -> np.ndarray:
    import pyarrow.parquet as pq

    scores = np.asarray(pq.read_table(path, columns=["surrogate_score"]).column(0), np.float64)
    if len(scores) != n:
        raise InvalidArgumentError(f"{path} does not match its round's verified.parquet")
    return scores
