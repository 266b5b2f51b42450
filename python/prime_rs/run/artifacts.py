"""A run's artefacts and their schemas, in one place: ``best.json`` (the summary every report
and table reads), ``candidates.parquet`` (the verified candidates), ``proposals.*`` (designs
proposed without an oracle) and ``meta.json``; :func:`finish` writes the summary files and
renders the report beside them (:mod:`prime_rs.report`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from prime_rs import runs
from prime_rs.space import SPACE
from prime_rs.task import Evaluation, Task

__all__ = [
    "Proposals",
    "best_index",
    "finish",
    "proposals_best",
    "reasons",
    "verified_best",
    "write_candidates",
    "write_proposals",
]


@dataclass
class Proposals:
    """Designs proposed by the surrogate search, best first, with what is known without an
    oracle: predicted latency per application (in the data's unit), the constraint's area."""

    designs: np.ndarray
    scores: np.ndarray
    predicted_latency: dict[str, np.ndarray]
    constraint_area_mm2: np.ndarray
    latency_unit: str

    def __len__(self) -> int:
        return len(self.designs)


def best_index(ev: Evaluation) -> int | None:
    """The valid design with the lowest geometric-mean latency (None when none is valid)."""
    return int(np.argmax(ev.objective)) if np.isfinite(ev.objective).any() else None


def reasons(ev: Evaluation, task: Task) -> list[str]:
    """Why each design is not valid ("" when it is), e.g. "unet:instr_mem; area 31.2 > 27"."""
    out = []
    for i in range(len(ev)):
        why = [
            f"{app}:{name}"
            for app, name in zip(task.applications, ev.reason[i], strict=True)
            if name
        ]
        if not ev.within_area[i]:
            why.append(f"area {ev.area_mm2[i]:.2f} > {task.area_budget:g} mm²")
        out.append("; ".join(why))
    return out


def proposals_best(
    common: dict[str, Any],
    props: Proposals,
    logged: dict[str, Any] | None,
    surrogate: dict[str, Any],
) -> dict[str, Any]:
    """``best.json`` of a run without an oracle: the top proposal and what is known of it."""
    return {
        **common,
        "verified": False,
        "design": SPACE.as_dicts(props.designs[:1])[0],
        "design_indices": props.designs[0].tolist(),
        "latency_ms": None,
        "area_mm2": None,
        "predicted_latency": {
            **{a: float(v[0]) for a, v in props.predicted_latency.items()},
            "mean": float(
                np.exp(np.mean([np.log(v[0]) for v in props.predicted_latency.values()]))
            ),
        },
        "constraint_area_mm2": float(props.constraint_area_mm2[0]),
        "median_latency_ms": None,
        "feasible_candidates": None,
        "candidates": len(props),
        "simulator_calls": 0,
        **_logged_entries(logged),
        "reference_latency_ms": None,
        "reference_area_mm2": None,
        "reference_design": None,
        "proposals": "proposals.csv",
        "surrogate": surrogate,
    }


def verified_best(
    common: dict[str, Any],
    task: Task,
    verified: Evaluation,
    *,
    calls: int,
    reference: Evaluation,
    reference_calls: int,
    dataset_best: tuple[Evaluation, int] | None,
    logged: dict[str, Any] | None,
    surrogate: dict[str, Any],
) -> dict[str, Any]:
    """``best.json`` of a verified run: the best verified candidate, D(best) (re-evaluated,
    ``dataset_best`` with its simulator calls, or read from the logs, ``logged``) and the
    EdgeTPU-like reference."""
    i = best_index(verified)
    best = {
        **common,
        "verified": True,
        "design": _design(verified, i),
        "design_indices": verified.designs[i].tolist() if i is not None else None,
        "latency_ms": _latency_entry(verified, task, i),
        "area_mm2": float(verified.area_mm2[i]) if i is not None else None,
        "constraint_area_mm2": float(task.area(verified.designs[i : i + 1])[0])
        if i is not None
        else None,
        "median_latency_ms": _median(verified),
        "feasible_candidates": int(verified.valid.sum()),
        "candidates": len(verified),
        "simulator_calls": calls,
    }
    if dataset_best is not None:
        d_best, d_calls = dataset_best
        d_i = best_index(d_best)
        best |= {
            "dataset_best_latency_ms": _latency_entry(d_best, task, d_i),
            "dataset_best_design": _design(d_best, d_i),
            "dataset_best_area_mm2": float(d_best.area_mm2[d_i]) if d_i is not None else None,
            "dataset_best_simulator_calls": d_calls,
        }
    else:
        best |= _logged_entries(logged)
    best |= {
        "reference_latency_ms": _latency_entry(reference, task, 0, require_valid=False),
        "reference_area_mm2": float(reference.area_mm2[0]),
        "reference_design": _design(reference, 0),
        "reference_simulator_calls": reference_calls,
        "surrogate": surrogate,
    }
    return best


def _logged_entries(logged: dict[str, Any] | None) -> dict[str, Any]:
    logged = logged or {}
    return {
        "dataset_best_latency_ms": logged.get("latency"),
        "dataset_best_design": logged.get("design"),
        "dataset_best_area_mm2": logged.get("area_mm2"),
        "dataset_best_median_latency_ms": logged.get("median"),
        "dataset_best_simulator_calls": 0,
    }


def finish(run_dir: Path, best: dict[str, Any], meta: dict[str, Any], timer: Any) -> None:
    """Write ``best.json`` and ``meta.json`` (with the stage timings) and render the report."""
    runs.write_json(run_dir / "best.json", best)
    meta["timings_s"] = timer.seconds
    meta["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    runs.write_json(run_dir / "meta.json", meta)
    from prime_rs import report

    report.render(run_dir)


def _design(ev: Evaluation, i: int | None) -> dict[str, int] | None:
    return None if i is None else SPACE.as_dicts(ev.designs[i : i + 1])[0]


def _latency_entry(
    ev: Evaluation, task: Task, i: int | None, *, require_valid: bool = True
) -> dict[str, float] | None:
    if i is None or (require_valid and not ev.valid[i]):
        return None
    entry = {app: float(ev.latency_ms[i, j]) for j, app in enumerate(task.applications)}
    with np.errstate(divide="ignore"):
        entry["mean"] = float(np.exp(np.mean(np.log(ev.latency_ms[i]))))
    return entry


def _median(ev: Evaluation) -> float | None:
    lat = ev.mean_latency_ms[ev.valid]
    return float(np.median(lat)) if len(lat) else None


def write_candidates(path: Path, ev: Evaluation, task: Task, scores: np.ndarray) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from prime_rs.fileio import atomic_path

    values = SPACE.to_values(ev.designs)
    cols: dict[str, Any] = {"rank": np.arange(len(ev), dtype=np.int64)}
    for j, name in enumerate(SPACE.names):
        cols[name] = values[:, j]
    cols["surrogate_score"] = np.asarray(scores, dtype=np.float64)
    for j, app in enumerate(task.applications):
        cols[f"latency_ms.{app}"] = ev.latency_ms[:, j]
    cols["mean_latency_ms"] = ev.mean_latency_ms
    cols["area_mm2"] = ev.area_mm2
    cols["feasible"] = ev.valid
    cols["reason"] = reasons(ev, task)
    with atomic_path(path) as tmp:
        pq.write_table(pa.table(cols), tmp)


def write_proposals(run_dir: Path, props: Proposals, task: Task) -> None:
    """``proposals.parquet`` and ``.csv`` (rank, the ten parameters, predicted latency per
    application in the data's unit and their geometric mean, constraint area, surrogate score)
    and ``proposals_in.csv`` (the oracle's IN format, to run a simulator on by hand)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    from prime_rs.fileio import atomic_path
    from prime_rs.oracles.command import write_in_csv

    values = SPACE.to_values(props.designs)
    cols: dict[str, Any] = {"rank": np.arange(len(props), dtype=np.int64)}
    for j, name in enumerate(SPACE.names):
        cols[name] = values[:, j]
    unit = props.latency_unit
    for app in task.applications:
        cols[f"predicted_latency_{unit}.{app}"] = props.predicted_latency[app]
    stacked = np.stack([props.predicted_latency[a] for a in task.applications], axis=1)
    cols[f"predicted_mean_latency_{unit}"] = np.exp(np.log(stacked).mean(axis=1))
    cols["constraint_area_mm2"] = props.constraint_area_mm2
    cols["surrogate_score"] = np.asarray(props.scores, dtype=np.float64)
    table = pa.table(cols).replace_schema_metadata({"prime_rs.latency_unit": unit})
    with atomic_path(run_dir / "proposals.parquet") as tmp:
        pq.write_table(table, tmp)
    with atomic_path(run_dir / "proposals.csv") as tmp:
        pcsv.write_csv(table, tmp)
    with atomic_path(run_dir / "proposals_in.csv") as tmp:
        write_in_csv(tmp, props.designs, task.applications)
