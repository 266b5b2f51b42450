"""The evaluation protocol of docs/design.md section 7 (`prime-rs compare`): the run of every
method and seed; the settings are in :mod:`prime_rs.compare.settings`, the tables in
:mod:`~prime_rs.compare.tables`, the figures in :mod:`~prime_rs.compare.plots`.

For one task (applications, area budget, logged dataset) and several seeds it runs:

* D(best), the best logged design, and the EdgeTPU-like reference design;
* PRIME (the conservative surrogate) and naive MBO (the same surrogate trained with
  alpha = beta = 0), each verifying K candidates with the simulator (K simulator calls);
* simulator-driven baselines: by default random search, regularised evolution and Bayesian
  optimisation (Optuna TPE); any method of :data:`prime_rs.search.PROPOSERS` can be named, with
  its knobs in ``CompareSettings.baselines``. Each runs once per seed at its largest budget
  (``budget`` among its knobs, else the method's own cap, else the largest of ``budgets``);
  because none of them depends on its budget, the result at a smaller budget N is exactly the
  first N calls of that run, so every budget in ``budgets`` is read off one run. ``<method>@match`` rows give the calls each needed
  to reach PRIME's best verified latency of the same seed (empty when it never did);
* ``prime_rounds``: PRIME inside the loop (``rounds`` rounds of K verifications, fine-tuning
  between them), a row per round; with it the baselines are also read at K, 2K, ... RK calls.

In the built-in world, after every cell has run, the rows are measured against the true
optimum (:func:`prime_rs.compare.regret.measure_rows`: regret, share of the D(best) gap closed,
quantile) and an "all designs" row is added; nothing a method decides reads the optimum.

Every simulator call goes through the task's oracle (``--oracle``): the built-in simulator on
its own data, or the user's command on data of another world, where D(best) is read from the
logs (no call) and the area constraint is the world's (:mod:`prime_rs.area_model`).

Per method and seed it reports the best and the median latency of the K best verified designs
(for the baselines: of the K best designs among the calls made), the best design's area, the
simulator calls and the wall time. Outputs: results.csv, results.json, results.md (medians over
seeds with min-max spread, ratios against the EdgeTPU-like design and against the best
simulator-driven method at PRIME's number of calls) and plots/.

Each (method, seed) is a cell (:mod:`prime_rs.compare.cells`): the cells are independent, run
on an executor (``--executor local|ray``, ``--jobs``), and each is kept under ``OUT/cells/`` as
soon as it finishes, so ``--resume`` after a crash runs only the missing ones. The tables are
assembled from the cells in one fixed order (:func:`assemble_rows`), so they are the same
whatever the executor, the number of jobs or the order the cells finished in.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from prime_rs import baselines, runs
from prime_rs.compare.cells import (
    Cell,
    CellJob,
    at_budget,
    baseline_trace,
    cell_order,
    load_cell,
    run_cell,
    save_cell,
)
from prime_rs.compare.regret import measure_rows
from prime_rs.compare.settings import OFFLINE, CompareSettings
from prime_rs.compare.tables import row, write_results
from prime_rs.errors import InvalidArgumentError
from prime_rs.progress import ProgressCallback, Say, log_stages
from prime_rs.run import (
    best_index,
    cached_dataset,
    dataset_best,
    logged_best,
    prepare,
)
from prime_rs.run.evaluation import optimum_applies
from prime_rs.simulator import EDGETPU_REFERENCE
from prime_rs.task import Task

__all__ = ["assemble_rows", "run_compare"]

_CELLS = "cells"
_MANIFEST = "manifest.json"


def _open_out(
    out: str | os.PathLike[str], settings: CompareSettings, *, overwrite: bool, resume: bool
) -> Path:
    """The output directory: new, emptied (``overwrite``) or continued (``resume``). A resumed
    comparison must have the same settings, checked before anything in it changes."""
    key = json.loads(json.dumps(dataclasses.asdict(settings)))
    manifest = Path(out) / _CELLS / _MANIFEST
    if resume and Path(out).is_dir() and any(Path(out).iterdir()):
        try:
            have = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InvalidArgumentError(
                f"cannot resume {out}: it is not an unfinished comparison (no readable "
                f"{_CELLS}/{_MANIFEST}); rerun without --resume, with --overwrite to replace it"
            ) from None
        if have != key:
            diff = sorted(k for k in set(key) | set(have) if key.get(k) != have.get(k))
            raise InvalidArgumentError(
                f"cannot resume {out}: it was started with other settings ({', '.join(diff)}); "
                "rerun without --resume, with --overwrite to start over"
            )
        return Path(out)
    out_dir = runs.prepare_run_dir(out, overwrite=overwrite)
    runs.write_toml(out_dir / "config.toml", dataclasses.asdict(settings))
    runs.write_json(manifest, key)
    return out_dir


@runs.removes_created_dir("out")
def run_compare(
    settings: CompareSettings,
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    resume: bool = False,
    progress: Say | None = None,
    search_progress: ProgressCallback | None = None,
    executor: Any = None,
    jobs: int | None = None,
    address: str | None = None,
) -> list[dict[str, Any]]:
    """Run the protocol into ``out`` and return its rows; ``progress`` receives a line per
    step, and ``search_progress`` the progress events of every simulator-driven run made in
    this process. ``executor`` (an :class:`~prime_rs.executors.Executor` or a name for
    :func:`~prime_rs.executors.get_executor` with ``jobs``, default 1, and ``address``) runs
    the cells; ``resume`` keeps the finished cells of an interrupted run of the same settings."""
    from prime_rs.executors import Executor, LocalExecutor, get_executor

    say = progress or log_stages(__name__)
    ex = get_executor(executor, jobs=1 if jobs is None else jobs, address=address)
    owned = not isinstance(executor, Executor)
    try:
        # The logged data is the same for every seed: the seeds vary training and search.
        first = settings.optimize_settings(0)
        setup = prepare(first, say=say)  # every input is checked before the output exists
        if not setup.verifies:
            raise InvalidArgumentError(
                f"compare verifies every method through an oracle, and the data comes from "
                f"{setup.world.describe()}, where there is none by default: give "
                '--oracle "YOUR_SIMULATOR ARGS"'
            )
        out_dir = _open_out(out, settings, overwrite=overwrite, resume=resume)
        task = setup.task
        data_path = setup.data_path or cached_dataset(first, say)
        fixed = _fixed_rows(settings, setup, data_path)
        cells_dir = out_dir / _CELLS
        cells = cell_order(settings)
        done = {c: load_cell(cells_dir, c) for c in cells} if resume else {}
        todo = [c for c in cells if done.get(c) is None]
        if resume and len(todo) < len(cells):
            say(f"resuming: {len(cells) - len(todo)} of {len(cells)} cells already finished")
        # In this process the cells share one oracle (its cache spares the simulator repeated
        # designs; each method still counts its own calls) and report search progress.
        here = isinstance(ex, LocalExecutor)
        job_list = [
            CellJob(
                settings,
                c,
                str(data_path),
                str(out_dir),
                task,
                search_progress if here else None,
            )
            for c in todo
        ]
        say(f"{len(todo)} cells to run ({ex.name} executor, {ex.jobs} at a time)")

        def keep(i: int, result: dict[str, Any]) -> None:
            save_cell(cells_dir, result)
            done[todo[i]] = result
            c = todo[i]
            say(f"{settings.task_name}: seed {c.seed}: {c.method}{_budget_note(settings, c)} done")

        ex.map(run_cell, job_list, on_result=keep)
    finally:
        if owned:
            ex.close()
    measured = settings.optimum and optimum_applies(task, setup.builtin)
    rows, curves, optimum = assemble_rows(
        settings, fixed, [done[c] for c in cells], task=task if measured else None, say=say
    )
    write_results(out_dir, rows, settings, curves, unit=setup.world.latency_unit, optimum=optimum)
    return rows


def _budget_note(settings: CompareSettings, cell: Cell) -> str:
    if cell.method in OFFLINE:
        return ""
    return f" ({settings.baseline_run(cell.method)[0]} simulator calls)"


def _fixed_rows(settings: CompareSettings, setup: Any, data_path: Path) -> dict[str, Any]:
    """D(best) and the EdgeTPU-like reference: the same for every seed, computed once."""
    from prime_rs import data

    task = setup.task
    ds = setup.ds if setup.ds is not None else data.load(data_path)
    if setup.builtin:
        d_best, d_calls = dataset_best(ds, task, settings.candidates)
        i = best_index(d_best)
        d_valid = np.sort(d_best.mean_latency_ms[d_best.valid])[: settings.candidates]
        d_lat = float(d_best.mean_latency_ms[i]) if i is not None else None
        d_median = float(np.median(d_valid)) if len(d_valid) else None
        d_area = float(d_best.area_mm2[i]) if i is not None else None
    else:
        # Another world: D(best) is read from the logs, in their unit, with no oracle call.
        logged = logged_best(ds, task, settings.candidates)
        d_lat = (logged["latency"] or {}).get("mean")
        d_median, d_area, d_calls = logged["median"], logged["area_mm2"], 0
    ref = task.evaluate(EDGETPU_REFERENCE)
    return {
        "D(best)": (d_lat, d_median, d_area, d_calls),
        "edgetpu_reference": (
            float(np.exp(np.mean(np.log(ref.latency_ms[0])))),
            None,
            float(ref.area_mm2[0]),
            0,
        ),
    }


def assemble_rows(
    settings: CompareSettings,
    fixed: dict[str, Any],
    cells: list[dict[str, Any]],
    *,
    task: Task | None = None,
    say: Say | None = None,
) -> tuple[list[dict[str, Any]], dict[str, list[tuple[np.ndarray, np.ndarray]]], Any]:
    """The comparison's rows, each simulator-driven (and ``prime_rounds``) method's curves by
    seed, and the true optimum (``Exhaustive``, or None), from the fixed rows (D(best), the
    reference) and every cell's result in :func:`cell_order`. The one place rows are ordered
    and derived: per seed, the fixed rows, then each cell's rows, each simulator-driven method
    followed by its ``@match`` row (the calls it needed to reach PRIME's best verified latency
    of that seed, when PRIME found one). With ``task`` (built-in world), the evaluation stage
    last, once: the "all designs" rows and every row's measures against the optimum
    (:func:`~prime_rs.compare.regret.measure_rows`; no cell read the optimum)."""
    name = settings.task_name
    by_seed: dict[int, list[dict[str, Any]]] = {}
    for result in cells:
        by_seed.setdefault(int(result["cell"]["seed"]), []).append(result)
    rows: list[dict[str, Any]] = []
    curves: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for seed in settings.seeds:
        for method, (best, median, area, calls) in fixed.items():
            rows.append(row(method, seed, name, best, median, area, calls, 0.0))
        target = None
        for result in by_seed.get(seed, []):
            method = result["cell"]["method"]
            rows += result["rows"]
            if method == "prime":
                target = result["rows"][0]["best_latency_ms"]
            if "rounds_curve" in result:
                calls, lat = result["rounds_curve"]
                curves.setdefault(method, []).append(
                    (np.asarray(calls, dtype=np.int64), np.asarray(lat, dtype=np.float64))
                )
            if "trace" not in result:
                continue
            res = baseline_trace(result, settings)
            curves.setdefault(method, []).append((res.curve.calls, res.curve.latency_ms))
            if target is not None:
                need = baselines.calls_to_match(res, target)
                best, median, area = (
                    at_budget(res, need, settings.candidates) if need else (None, None, None)
                )
                rows.append(row(f"{method}@match", seed, name, best, median, area, need, None))
    optimum = None
    if task is not None:
        # Evaluation only, after every cell ran: nothing above read the optimum.
        d_best_ms = fixed["D(best)"][0]
        optimum = measure_rows(rows, task, settings, d_best_ms, say or log_stages(__name__))
    return rows, curves, optimum
