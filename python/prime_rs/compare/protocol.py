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
  to reach PRIME's best verified latency of the same seed (empty when it never did).

Every simulator call goes through the task's oracle (``--oracle``): the built-in simulator on
its own data, or the user's command on data of another world, where D(best) is read from the
logs (no call) and the area constraint is the world's (:mod:`prime_rs.area_model`).

Per method and seed it reports the best and the median latency of the K best verified designs
(for the baselines: of the K best designs among the calls made), the best design's area, the
simulator calls and the wall time. Outputs: results.csv, results.json, results.md (medians over
seeds with min-max spread, ratios against the EdgeTPU-like design and against the best
simulator-driven method at PRIME's number of calls) and plots/.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

import numpy as np

from prime_rs import baselines, runs
from prime_rs.compare.regret import measure_rows, rounds_curve, rounds_rows
from prime_rs.compare.settings import OFFLINE, CompareSettings
from prime_rs.compare.tables import row, write_results
from prime_rs.errors import InvalidArgumentError
from prime_rs.progress import ProgressCallback, Say, silent
from prime_rs.run import (
    best_index,
    cached_dataset,
    dataset_best,
    logged_best,
    prepare,
    run_optimize,
)
from prime_rs.run.evaluation import optimum_applies
from prime_rs.simulator import EDGETPU_REFERENCE

__all__ = ["run_compare"]


def _at_budget(
    res: baselines.BaselineResult, n: int, k: int
) -> tuple[float | None, float | None, float | None]:
    """Best latency, median of the top-k and the best's area among the first n calls."""
    top = res.top_k(k, calls=n)
    if not len(top["objective"]):
        return None, None, None
    lat = np.exp(-top["objective"])
    return float(lat[0]), float(np.median(lat)), float(top["area_mm2"][0])


def run_compare(
    settings: CompareSettings,
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    progress: Say | None = None,
    search_progress: ProgressCallback | None = None,
) -> list[dict[str, Any]]:
    """Run the protocol into ``out``; ``progress`` receives a line per step, and
    ``search_progress`` the progress events of every simulator-driven run."""
    say = progress or silent
    out_dir = runs.prepare_run_dir(out, overwrite=overwrite)
    runs.write_toml(out_dir / "config.toml", dataclasses.asdict(settings))
    name = settings.task_name
    # The logged data is the same for every seed: the seeds vary training and search.
    first = settings.optimize_settings(0)
    setup = prepare(first, say=say)
    if not setup.verifies:
        raise InvalidArgumentError(
            f"compare verifies every method through an oracle, and the data comes from "
            f"{setup.world.describe()}, where there is none by default: give "
            '--oracle "YOUR_SIMULATOR ARGS"'
        )
    # One oracle for the baselines and the reference: its cache spares the simulator repeated
    # designs, while each method still counts its own calls.
    task = setup.task
    data_path = setup.data_path or cached_dataset(first, say)
    from prime_rs import data

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
    rows: list[dict[str, Any]] = []
    curves: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    prime_best: dict[int, float] = {}
    for seed in settings.seeds:
        rows.append(row("D(best)", seed, name, d_lat, d_median, d_area, d_calls, 0.0))
        rows.append(
            row(
                "edgetpu_reference",
                seed,
                name,
                float(np.exp(np.mean(np.log(ref.latency_ms[0])))),
                None,
                float(ref.area_mm2[0]),
                0,
                0.0,
            )
        )
        for method in OFFLINE:
            if method not in settings.methods:
                continue
            say(f"{name}: seed {seed}: {method}")
            t0 = time.perf_counter()
            outcome = run_optimize(
                settings.method_settings(method, seed, str(data_path)),
                out_dir / "runs" / f"{method}-seed{seed}",
                overwrite=True,
                raise_if_none_feasible=False,
            )
            if method == "prime_rounds":
                wall = round(time.perf_counter() - t0, 2)
                rows += rounds_rows(outcome.rounds, seed, name, wall)
                curves.setdefault(method, []).append(rounds_curve(outcome.rounds))
                continue
            b = outcome.best
            lat = (b.get("latency_ms") or {}).get("mean")
            if method == "prime" and lat is not None:
                prime_best[seed] = lat
            rows.append(
                row(
                    method,
                    seed,
                    name,
                    lat,
                    b.get("median_latency_ms"),
                    b.get("area_mm2"),
                    b["simulator_calls"],
                    round(time.perf_counter() - t0, 2),
                )
            )
        for method in settings.methods:
            if method in OFFLINE:
                continue
            budget, knobs = settings.baseline_run(method)
            say(f"{name}: seed {seed}: {method} ({budget} simulator calls)")
            res = baselines.run_baseline(
                method, task, budget, seed, progress=search_progress, **knobs
            )
            curves.setdefault(method, []).append((res.curve.calls, res.curve.latency_ms))
            for n in sorted({min(b, res.simulator_calls) for b in settings.reported_budgets}):
                best, median, area = _at_budget(res, n, settings.candidates)
                frac = n / max(res.simulator_calls, 1)
                rows.append(
                    row(method, seed, name, best, median, area, n, round(res.wall_time_s * frac, 2))
                )
            target = prime_best.get(seed)
            if target is not None:
                need = baselines.calls_to_match(res, target)
                best, median, area = (
                    _at_budget(res, need, settings.candidates) if need else (None, None, None)
                )
                rows.append(row(f"{method}@match", seed, name, best, median, area, need, None))
    optimum = None
    if settings.optimum and optimum_applies(task, setup.builtin):
        # Evaluation only, after every method ran: nothing above read the optimum.
        optimum = measure_rows(rows, task, settings, d_lat, say)
    write_results(out_dir, rows, settings, curves, unit=setup.world.latency_unit, optimum=optimum)
    return rows
