"""The independent cells of a comparison: one (method, seed) run of the task, which an executor
runs anywhere and the driver keeps as one file under ``OUT/cells/`` as soon as it finishes.

A cell's result is plain JSON: the rows it contributes (:func:`prime_rs.compare.tables.row`)
and, for a simulator-driven method, what the rows computed after every cell is in still need:
the best-so-far curve (the figure, and the calls to match PRIME's best) and the objective and
area of every call (the ``@match`` row's top-K among the first calls); for ``prime_rounds``, a
row per round and its best-so-far curve (``rounds_curve``). Floats are written as
``repr`` does, so a cell read back gives the numbers the run computed, bit for bit.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from prime_rs.compare.settings import OFFLINE, CompareSettings
from prime_rs.compare.tables import row
from prime_rs.errors import InvalidArgumentError
from prime_rs.progress import ProgressCallback

__all__ = ["Cell", "CellJob", "baseline_trace", "cell_order", "load_cell", "run_cell", "save_cell"]

#: Version of a cell file's layout: a cell of another layout is run again, never misread.
CELL_FORMAT = 1


@dataclass(frozen=True)
class Cell:
    """One method on one seed of the comparison's task."""

    method: str
    seed: int

    @property
    def name(self) -> str:
        return f"{self.method}-seed{self.seed}"


def cell_order(settings: CompareSettings) -> list[Cell]:
    """Every cell, in the order the comparison's rows list them: by seed, PRIME, naive MBO and
    PRIME inside the loop first, then the simulator-driven methods in the order they were
    named."""
    cells = []
    for seed in settings.seeds:
        cells += [Cell(m, seed) for m in OFFLINE if m in settings.methods]
        cells += [Cell(m, seed) for m in settings.methods if m not in OFFLINE]
    return cells


@dataclass
class CellJob:
    """Everything a worker needs to run one cell (it pickles: Ray and spawned processes take
    it). ``task`` evaluates the simulator-driven methods' designs; ``progress`` is given only
    where the cell runs in the driver's process."""

    settings: CompareSettings
    cell: Cell
    data_path: str
    out_dir: str
    task: Any
    progress: ProgressCallback | None = None


def run_cell(job: CellJob) -> dict[str, Any]:
    """Run one cell and return its JSON-ready result."""
    from prime_rs.run import run_optimize

    s, cell = job.settings, job.cell
    name = s.task_name
    t0 = time.perf_counter()
    if cell.method in OFFLINE:
        outcome = run_optimize(
            s.method_settings(cell.method, cell.seed, job.data_path),
            Path(job.out_dir) / "runs" / cell.name,
            overwrite=True,
            raise_if_none_feasible=False,
        )
        if cell.method == "prime_rounds":
            from prime_rs.compare.regret import rounds_curve, rounds_rows

            wall = round(time.perf_counter() - t0, 2)
            calls, lat = rounds_curve(outcome.rounds)
            return {
                "format": CELL_FORMAT,
                "cell": dataclasses.asdict(cell),
                "rows": rounds_rows(outcome.rounds, cell.seed, name, wall),
                "rounds_curve": [calls.tolist(), lat.tolist()],
            }
        b = outcome.best
        lat = (b.get("latency_ms") or {}).get("mean")
        r = row(
            cell.method,
            cell.seed,
            name,
            lat,
            b.get("median_latency_ms"),
            b.get("area_mm2"),
            b["simulator_calls"],
            round(time.perf_counter() - t0, 2),
        )
        return {"format": CELL_FORMAT, "cell": dataclasses.asdict(cell), "rows": [r]}
    from prime_rs import baselines

    budget, knobs = s.baseline_run(cell.method)
    res = baselines.run_baseline(
        cell.method, job.task, budget, cell.seed, progress=job.progress, **knobs
    )
    rows = []
    for n in sorted({min(b, res.simulator_calls) for b in s.reported_budgets}):
        best, median, area = at_budget(res, n, s.candidates)
        frac = n / max(res.simulator_calls, 1)
        wall = round(res.wall_time_s * frac, 2)
        rows.append(row(cell.method, cell.seed, name, best, median, area, n, wall))
    ev = res.evaluated
    trace = {
        "simulator_calls": res.simulator_calls,
        "curve_calls": res.curve.calls.tolist(),
        "curve_objective": res.curve.objective.tolist(),
        "curve_latency_ms": res.curve.latency_ms.tolist(),
        "objective": ev["objective"].tolist(),
        "area_mm2": ev["area_mm2"].tolist(),
    }
    return {"format": CELL_FORMAT, "cell": dataclasses.asdict(cell), "rows": rows, "trace": trace}


def at_budget(res: Any, n: int, k: int) -> tuple[float | None, float | None, float | None]:
    """Best latency, median of the top-k and the best's area among the first n calls."""
    top = res.top_k(k, calls=n)
    if not len(top["objective"]):
        return None, None, None
    lat = np.exp(-top["objective"])
    return float(lat[0]), float(np.median(lat)), float(top["area_mm2"][0])


def baseline_trace(result: dict[str, Any], settings: CompareSettings) -> Any:
    """A simulator-driven cell's run as a :class:`prime_rs.search.BaselineResult` holding what
    its rows read: the curve, and the objective and area of every call (no designs)."""
    from prime_rs.search import BaselineResult, Curve

    cell, tr = Cell(**result["cell"]), result["trace"]
    f64 = np.float64
    curve = Curve(
        calls=np.asarray(tr["curve_calls"], dtype=np.int64),
        objective=np.asarray(tr["curve_objective"], dtype=f64),
        latency_ms=np.asarray(tr["curve_latency_ms"], dtype=f64),
    )
    budget, _ = settings.baseline_run(cell.method)
    return BaselineResult(
        method=cell.method,
        seed=cell.seed,
        budget=budget,
        applications=tuple(settings.apps),
        area_budget=settings.area_budget,
        simulator_calls=int(tr["simulator_calls"]),
        best_design=None,
        best_latency_ms={},
        best_mean_latency_ms=math.inf,
        best_objective=-math.inf,
        best_area_mm2=math.inf,
        curve=curve,
        evaluated={
            "objective": np.asarray(tr["objective"], dtype=f64),
            "area_mm2": np.asarray(tr["area_mm2"], dtype=f64),
        },
        area_rejected=0,
        wall_time_s=0.0,
    )


def cell_path(cells_dir: Path, cell: Cell) -> Path:
    return cells_dir / f"{cell.name}.json"


def save_cell(cells_dir: Path, result: dict[str, Any]) -> None:
    """Write a finished cell atomically and durably (a killed run leaves whole cells or none)."""
    from prime_rs.runs import write_text

    # allow_nan: a curve is -inf before its first feasible design; json writes it as
    # -Infinity and reads it back as -inf.
    write_text(cell_path(cells_dir, Cell(**result["cell"])), json.dumps(result) + "\n")


def load_cell(cells_dir: Path, cell: Cell) -> dict[str, Any] | None:
    """A finished cell's result, or None when it is absent, torn or of another layout (then it
    runs again)."""
    try:
        doc = json.loads(cell_path(cells_dir, cell).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != CELL_FORMAT:
        return None
    if doc.get("cell") != dataclasses.asdict(cell):
        raise InvalidArgumentError(
            f"{cell_path(cells_dir, cell)} holds another cell ({doc.get('cell')}); "
            "rerun without --resume to start over"
        )
    return doc
