"""What a run reads from the logged data: the cached dataset generated when the user gives
none, and D(best), the best logged designs (re-evaluated by the built-in simulator, or read
from the logs alone in another world)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import prime_rs
from prime_rs import runs
from prime_rs.run.settings import OptimizeSettings
from prime_rs.space import SPACE
from prime_rs.task import Evaluation, Task

__all__ = ["cached_dataset", "dataset_best", "logged_best", "logged_top"]


def cached_dataset(
    settings: OptimizeSettings, progress: Callable[[str], None] | None = None
) -> Path:
    """Generate (once) and cache the logged dataset used when the user gives none. The cache is
    keyed on what the data depends on: each workload's content (an edited workload file
    regenerates its logs; a renamed one does not), the mode, size and data seed, and the
    simulator's fingerprint (a changed model never reuses another world's logs)."""
    from prime_rs import data, workloads
    from prime_rs.worlds import builtin_fingerprint

    apps = workloads.applications(settings.learn_apps)
    model = hashlib.sha256(builtin_fingerprint().encode()).hexdigest()[:10]
    content = hashlib.sha256(
        "\n".join(sorted(workloads.content_hash(a.workload) for a in apps if a.workload)).encode()
    ).hexdigest()[:12]
    key = "-".join(
        [
            "_".join(sorted(a.name for a in apps)),
            settings.dataset_mode,
            str(settings.dataset_designs),
            f"seed{settings.data_seed}",
            f"v{prime_rs.__version__}",
            f"sim{model}",
            f"wl{content}",
        ]
    )
    path = runs.cache_file("datasets", key, ".parquet")
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    if progress:
        progress(
            f"generating {settings.dataset_designs:,} logged designs per application -> {path}"
        )
    data.write_generated(
        path,
        settings.learn_apps,
        settings.dataset_designs,
        seed=settings.data_seed,
        mode=settings.dataset_mode,  # type: ignore[arg-type]
    )
    return path


def _app_name(app: str) -> str:
    """The name an application has in datasets and reports (a file's workload name)."""
    from prime_rs import workloads

    return workloads.application(app, data_only=True).name


def _in_data(app: str, ds: Any) -> bool:
    from prime_rs.data import apps as app_names

    return app in ds.applications or app_names.canonical(app) in ds.applications


def dataset_best(ds: Any, task: Task, k: int = 128) -> tuple[Evaluation, int]:
    """D(best) candidates: the top-k logged feasible in-budget designs of each application of the
    task that has logs (of every logged application when none has: zero-shot), re-evaluated on
    the whole task. For one logged application that only re-reads what the log says, so no
    simulator calls are charged; otherwise the returned count is the simulator calls it took."""
    sources = [a for a in task.applications if a in ds.applications] or list(ds.applications)
    cand = logged_top(ds, sources, task.area_budget, k)
    own_log = task.n_applications == 1 and sources == list(task.applications)
    return task.evaluate(cand), 0 if own_log else len(cand)


def logged_top(ds: Any, apps: list[str], area_budget: float, k: int) -> np.ndarray:
    """The top-k logged feasible designs within the budget (logged area) of each application,
    distinct, in order of application then latency."""
    tops = []
    for app in apps:
        sub = ds.filter(apps=app, area_budget=area_budget, feasible=True)
        if len(sub):
            tops.append(sub.designs[np.argsort(sub.latency_ms, kind="stable")[:k]])
    cand = np.concatenate(tops) if tops else np.zeros((0, SPACE.n_params), np.uint8)
    return SPACE.unique(cand)


def logged_best(ds: Any, task: Task, k: int = 128) -> dict[str, Any]:
    """D(best) read from the logs alone (no oracle call), in the logs' own latency unit: the
    logged designs feasible on every application of the task with a logged area within the
    budget, ranked by the geometric mean of their logged latencies. Empty when the logs hold no
    such design (e.g. zero-shot: the target applications have no logs)."""
    none: dict[str, Any] = {"latency": None, "design": None, "area_mm2": None, "median": None}
    if not all(_in_data(a, ds) for a in task.applications):
        return none
    ids_common: np.ndarray | None = None
    per_app: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for app in task.applications:
        sub = ds.filter(apps=app, feasible=True)
        ids = SPACE.to_ids(sub.designs)
        order = np.lexsort((sub.latency_ms, ids))  # per design, its fastest logged row first
        ids, first = np.unique(ids[order], return_index=True)
        rows = order[first]
        per_app.append((ids, sub.latency_ms[rows], sub.area_mm2[rows], sub.designs[rows]))
        ids_common = ids if ids_common is None else np.intersect1d(ids_common, ids)
    assert ids_common is not None
    lat = np.empty((len(ids_common), task.n_applications))
    for j, (ids, l_app, _, _) in enumerate(per_app):
        lat[:, j] = l_app[np.searchsorted(ids, ids_common)]
    ids0, _, area0, designs0 = per_app[0]
    pos = np.searchsorted(ids0, ids_common)
    area, designs = area0[pos], designs0[pos]
    ok = area <= task.area_budget
    if not ok.any():
        return none
    mean = np.exp(np.log(lat[ok]).mean(axis=1))
    order = np.argsort(mean, kind="stable")
    i = np.flatnonzero(ok)[order[0]]
    entry = {app: float(lat[i, j]) for j, app in enumerate(task.applications)}
    entry["mean"] = float(mean[order[0]])
    return {
        "latency": entry,
        "design": SPACE.as_dicts(designs[i : i + 1])[0],
        "area_mm2": float(area[i]),
        "median": float(np.median(mean[order[:k]])),
    }
