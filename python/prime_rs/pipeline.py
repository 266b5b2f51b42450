"""`prime-rs optimize` end to end: logged data -> conservative surrogate -> offline search ->
verification with the simulator -> a run directory (config.toml, meta.json, model/,
search.jsonl, candidates.parquet, best.json, report.md, plots/).

Only the final verification calls the simulator (one call per verified design, all
applications together, the same unit the simulator-driven baselines are charged in). Generating
a dataset when none is given stands in for logs a user already has; its simulations are the
*logged data*, not calls of the optimiser, and are cached between runs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import prime_rs
from prime_rs import runs
from prime_rs.errors import InvalidArgumentError, NoFeasibleDesignError
from prime_rs.objective import Evaluation, Task, check_area_budget
from prime_rs.optimize import SearchConfig, surrogate_search
from prime_rs.space import SPACE

#: Dataset size generated per application when the user gives no data (cached).
DEFAULT_DATASET_DESIGNS = 100_000


@dataclass
class OptimizeSettings:
    """Everything that defines a run; saved as the run's config.toml."""

    apps: list[str] = field(default_factory=lambda: ["mobilenet_v2"])
    area_budget: float = 27.0
    data: str | None = None
    dataset_designs: int = DEFAULT_DATASET_DESIGNS
    dataset_mode: str = "random"
    seed: int = 0
    steps: int | None = None
    naive: bool = False
    zero_shot: bool = False
    train_apps: list[str] | None = None
    candidates: int = 128
    population: int = 512
    generations: int = 80

    def __post_init__(self) -> None:
        if isinstance(self.apps, str):
            self.apps = [a.strip() for a in self.apps.split(",") if a.strip()]
        if isinstance(self.train_apps, str):
            self.train_apps = [a.strip() for a in self.train_apps.split(",") if a.strip()]
        if not self.apps:
            raise InvalidArgumentError("no applications given")
        check_area_budget(self.area_budget)
        if self.zero_shot and not self.train_apps:
            raise InvalidArgumentError(
                "--zero-shot needs --train-apps (the applications to learn from)"
            )
        if self.zero_shot and set(self.apps) & set(self.train_apps or []):
            raise InvalidArgumentError(
                "zero-shot target applications must not be among the training applications: "
                f"{sorted(set(self.apps) & set(self.train_apps or []))}"
            )
        if self.dataset_mode not in ("random", "search"):
            raise InvalidArgumentError(
                f"dataset mode must be 'random' or 'search', got {self.dataset_mode!r}"
            )
        for name in ("dataset_designs", "candidates", "population", "generations"):
            if int(getattr(self, name)) < 1:
                raise InvalidArgumentError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def learn_apps(self) -> list[str]:
        """Applications the surrogate is trained on."""
        return list(self.train_apps) if self.zero_shot else list(self.apps)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str], **overrides: Any) -> OptimizeSettings:
        import tomllib

        try:
            with open(path, "rb") as fh:
                raw = tomllib.load(fh)
        except OSError as exc:
            raise InvalidArgumentError(
                f"cannot read config {path}: {exc.strerror or exc}"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise InvalidArgumentError(f"bad TOML in {path}: {exc}") from None
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise InvalidArgumentError(f"unknown keys in {path}: {sorted(unknown)}")
        raw.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**raw)


# --- verification ---------------------------------------------------------------------------


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


# --- the run ----------------------------------------------------------------------------------


@dataclass
class OptimizeOutcome:
    run_dir: Path
    best: dict[str, Any]
    verified: Evaluation
    reference: Evaluation
    dataset_best: Evaluation
    timings: dict[str, float]


def cached_dataset(
    settings: OptimizeSettings, progress: Callable[[str], None] | None = None
) -> Path:
    """Generate (once) and cache the logged dataset used when the user gives none."""
    from prime_rs import data

    apps = [_app_name(a) for a in settings.learn_apps]
    key = "-".join(
        [
            "_".join(sorted(apps)),
            settings.dataset_mode,
            str(settings.dataset_designs),
            f"seed{settings.seed}",
            f"v{prime_rs.__version__}",
        ]
    )
    path = runs.cache_dir() / "datasets" / f"{key}.parquet"
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
        seed=settings.seed,
        mode=settings.dataset_mode,  # type: ignore[arg-type]
    )
    return path


def _app_name(app: str) -> str:
    """The name an application has in datasets and reports (a file's workload name)."""
    p = Path(app)
    if p.suffix.lower() in (".json", ".toml") and p.exists():
        return prime_rs.workloads.load(app).name
    return app


def dataset_best(ds: Any, task: Task, k: int = 128) -> tuple[Evaluation, int]:
    """D(best) candidates: the top-k logged feasible in-budget designs of each application of the
    task that has logs (of every logged application when none has: zero-shot), re-evaluated on
    the whole task. For one logged application that only re-reads what the log says, so no
    simulator calls are charged; otherwise the returned count is the simulator calls it took."""
    sources = [a for a in task.applications if a in ds.applications] or list(ds.applications)
    tops = []
    for app in sources:
        sub = ds.filter(apps=app, area_budget=task.area_budget, feasible=True)
        if len(sub):
            tops.append(sub.designs[np.argsort(sub.latency_ms, kind="stable")[:k]])
    cand = np.concatenate(tops) if tops else np.zeros((0, 10), np.uint8)
    cand = SPACE.unique(cand)
    own_log = task.n_applications == 1 and sources == list(task.applications)
    return task.evaluate(cand), 0 if own_log else len(cand)


def surrogate_objective(model: Any, task: Task) -> Callable[[np.ndarray], np.ndarray]:
    """The search objective: the mean over the task's applications of the surrogate's
    per-application score (standardised -log latency; DESIGN.md section 6). Applications the
    model was not trained on are scored through their context vector (zero-shot)."""

    def score(designs: np.ndarray) -> np.ndarray:
        total = np.zeros(len(designs))
        for app, wl in zip(task.applications, task.workloads, strict=True):
            if app in model.apps:
                total += model.score(designs, app)
            else:
                total += model.score(designs, context=wl.context)
        return total / task.n_applications

    return score


def run_optimize(
    settings: OptimizeSettings,
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    resume: bool = False,
    progress: Callable[[str], None] | None = None,
    show_progress: bool = False,
    raise_if_none_feasible: bool = True,
) -> OptimizeOutcome:
    """Run the whole job and write its run directory. Raises NoFeasibleDesignError (exit 1) when
    no verified candidate is feasible under the budget (unless ``raise_if_none_feasible`` is
    False: the comparison protocol records such a run as a miss)."""
    from prime_rs import data, train

    say = progress or (lambda _msg: None)
    timer = runs.Timer()
    task = Task(settings.apps, settings.area_budget)  # validates names and files early
    learn = [_app_name(a) for a in settings.learn_apps]
    run_dir = runs.prepare_run_dir(out, overwrite=overwrite, resume=resume)
    runs.write_toml(run_dir / "config.toml", settings.to_dict())
    meta: dict[str, Any] = {"seed": settings.seed, "environment": runs.environment_meta()}

    with timer("data"):
        data_path = Path(settings.data) if settings.data else cached_dataset(settings, say)
        ds = data.load(data_path)
        meta["dataset"] = {"path": str(data_path), "rows": len(ds), "applications": ds.applications}

    with timer("train"):
        kind = "naive" if settings.naive else "conservative"
        say(f"training the {kind} surrogate on {', '.join(learn)}")
        overrides: dict[str, Any] = {"seed": settings.seed, "area_budget": settings.area_budget}
        if settings.steps is not None:
            overrides["steps"] = settings.steps
        if settings.naive:
            overrides.update(alpha=0.0, beta=0.0)
        if settings.zero_shot:
            overrides["contextual"] = True
        model = train.train(
            ds, learn, out=run_dir / "model", resume=resume, progress=show_progress, **overrides
        )

    with timer("search"):
        say(f"searching the surrogate ({settings.generations} generations x {settings.population})")
        d_best, d_calls = dataset_best(ds, task)
        if settings.zero_shot:
            # Held-out applications have no logs: warm-start from the training applications'.
            init = dataset_best(ds, Task(settings.learn_apps, settings.area_budget))[0].designs
        else:
            init = d_best.designs
        history: list[dict[str, float]] = []
        result = surrogate_search(
            surrogate_objective(model, task),
            settings.area_budget,
            seed=settings.seed,
            init=init,
            config=SearchConfig(
                population=settings.population,
                generations=settings.generations,
                candidates=settings.candidates,
            ),
            progress=lambda g, best: history.append({"generation": g, "best_score": best}),
        )
        first = {"generation": 0, "best_score": float(result.best_per_generation[0])}
        runs.write_text(
            run_dir / "search.jsonl", "".join(json.dumps(h) + "\n" for h in [first, *history])
        )

    with timer("verify"):
        say(f"verifying {len(result.designs)} candidates with the simulator")
        verified = task.evaluate(result.designs)
        reference = task.evaluate(prime_rs.EDGETPU_REFERENCE)
        write_candidates(run_dir / "candidates.parquet", verified, task, result.scores)

    i, d_i = best_index(verified), best_index(d_best)
    best = {
        "applications": list(task.applications),
        "area_budget_mm2": task.area_budget,
        "design": _design(verified, i),
        "design_indices": verified.designs[i].tolist() if i is not None else None,
        "latency_ms": _latency_entry(verified, task, i),
        "area_mm2": float(verified.area_mm2[i]) if i is not None else None,
        "median_latency_ms": _median(verified),
        "feasible_candidates": int(verified.valid.sum()),
        "candidates": len(verified),
        "simulator_calls": len(verified),
        "dataset_best_latency_ms": _latency_entry(d_best, task, d_i),
        "dataset_best_design": _design(d_best, d_i),
        "dataset_best_area_mm2": float(d_best.area_mm2[d_i]) if d_i is not None else None,
        "dataset_best_simulator_calls": d_calls,
        "reference_latency_ms": _latency_entry(reference, task, 0, require_valid=False),
        "reference_area_mm2": float(reference.area_mm2[0]),
        "reference_design": _design(reference, 0),
        "surrogate": {
            "naive": settings.naive,
            "zero_shot": settings.zero_shot,
            "trained_on": learn,
        },
    }
    runs.write_json(run_dir / "best.json", best)
    meta["timings_s"] = timer.seconds
    meta["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    runs.write_json(run_dir / "meta.json", meta)
    from prime_rs import report

    report.render(run_dir)
    if i is None and raise_if_none_feasible:
        raise NoFeasibleDesignError(
            f"none of the {len(verified)} verified candidates is feasible within "
            f"{task.area_budget:g} mm² (run directory: {run_dir})"
        )
    return OptimizeOutcome(run_dir, best, verified, reference, d_best, timer.seconds)


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
