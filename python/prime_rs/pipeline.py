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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import prime_rs
from prime_rs import runs
from prime_rs.errors import InvalidArgumentError, NoFeasibleDesignError
from prime_rs.optimize import SearchConfig, check_area_budget, surrogate_search
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
    dataset_mode: str = "search"
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


@dataclass
class Verified:
    """Simulator results of designs on every application of a task."""

    designs: np.ndarray
    apps: list[str]
    latency_ms: np.ndarray  # (n, n_apps), +inf where infeasible
    area_mm2: np.ndarray
    feasible: np.ndarray  # feasible on every application and within the area budget
    reasons: list[str]

    @property
    def mean_latency_ms(self) -> np.ndarray:
        """Geometric mean over applications (the multi-application objective in milliseconds):
        exp(mean log latency); +inf when any application is infeasible."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.exp(np.mean(np.log(self.latency_ms), axis=1))

    def best(self) -> int | None:
        lat = np.where(self.feasible, self.mean_latency_ms, np.inf)
        return int(np.argmin(lat)) if np.isfinite(lat).any() else None


def verify(
    designs: np.ndarray, workloads: Sequence[Any], apps: Sequence[str], area_budget: float
) -> Verified:
    rows = SPACE.validate(designs)
    results = [prime_rs.simulate(rows, wl) for wl in workloads]
    lat = np.stack([r.latency_ms for r in results], axis=1) if results else np.zeros((len(rows), 0))
    area = prime_rs.area(rows)
    ok = np.all(np.stack([r.feasible for r in results], axis=1), axis=1) & (area <= area_budget)
    reasons = []
    for i in range(len(rows)):
        why = [
            f"{a}:{r.reason_names()[i]}"
            for a, r in zip(apps, results, strict=True)
            if not r.feasible[i]
        ]
        if area[i] > area_budget:
            why.append(f"area {area[i]:.2f} > {area_budget:g} mm²")
        reasons.append("; ".join(why))
    return Verified(rows, list(apps), lat, area, ok, reasons)


# --- the run ----------------------------------------------------------------------------------


@dataclass
class OptimizeOutcome:
    run_dir: Path
    best: dict[str, Any]
    verified: Verified
    reference: Verified
    dataset_best: Verified
    timings: dict[str, float]


def _workload_of(app: str) -> Any:
    return prime_rs.workloads.load(app)


def _app_name(app: str) -> str:
    """The name an application has in datasets and reports (a file's workload name)."""
    p = Path(app)
    if p.suffix.lower() in (".json", ".toml") and p.exists():
        return prime_rs.workloads.load(app).name
    return app


def cached_dataset(
    settings: OptimizeSettings, progress: Callable[[str], None] | None = None
) -> Path:
    """Generate (once) and cache the logged dataset used when the user gives none."""
    from prime_rs import data

    apps = settings.learn_apps
    if settings.zero_shot:
        apps = list(apps)
    key = "-".join(
        [
            "_".join(sorted(_app_name(a) for a in apps)),
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
        path, apps, settings.dataset_designs, seed=settings.seed, mode=settings.dataset_mode
    )  # type: ignore[arg-type]
    return path


def dataset_best(
    ds: Any, apps: Sequence[str], workloads: Sequence[Any], area_budget: float, k: int = 128
) -> tuple[Verified, int]:
    """D(best): the best logged design for the task. For one application it is read from the log;
    for several, the top-k logged designs of each application are simulated on all of them
    (returned count: the simulator calls this took)."""
    tops = []
    for app in apps:
        sub = ds.filter(apps=app, area_budget=area_budget, feasible=True)
        if len(sub) == 0:
            continue
        order = np.argsort(sub.latency_ms, kind="stable")[:k]
        tops.append(sub.designs[order])
    if not tops:
        return verify(np.zeros((0, 10), np.uint8), workloads, apps, area_budget), 0
    cand = np.concatenate(tops)
    _, first = np.unique(SPACE.to_ids(cand), return_index=True)
    cand = cand[np.sort(first)]
    v = verify(cand, workloads, apps, area_budget)
    calls = 0 if len(apps) == 1 else len(cand)
    return v, calls


def run_optimize(
    settings: OptimizeSettings,
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    resume: bool = False,
    progress: Callable[[str], None] | None = None,
    show_progress: bool = False,
) -> OptimizeOutcome:
    """Run the whole job and write its run directory. Raises NoFeasibleDesignError (exit 1) when
    no verified candidate is feasible under the budget."""
    from prime_rs import data, train

    say = progress or (lambda _msg: None)
    timer = runs.Timer()
    apps = [_app_name(a) for a in settings.apps]
    workloads = [_workload_of(a) for a in settings.apps]  # validates names and files early
    learn = settings.learn_apps
    run_dir = runs.prepare_run_dir(out, overwrite=overwrite, resume=resume)
    runs.write_toml(run_dir / "config.toml", settings.to_dict())
    meta: dict[str, Any] = {"seed": settings.seed, "environment": runs.environment_meta()}

    with timer("data"):
        data_path = Path(settings.data) if settings.data else cached_dataset(settings, say)
        ds = data.load(data_path)
        meta["dataset"] = {"path": str(data_path), "rows": len(ds), "applications": ds.applications}

    with timer("train"):
        say(
            f"training the {'naive' if settings.naive else 'conservative'} surrogate on {', '.join(learn)}"
        )
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

    def score(designs: np.ndarray) -> np.ndarray:
        # The multi-application objective: mean over applications of the per-application score.
        total = np.zeros(len(designs))
        for app, wl in zip(apps, workloads, strict=True):
            if app in model.apps or (model.config.contextual and app in prime_rs.workloads.names()):
                total += model.score(designs, app)
            else:
                total += model.score(designs, context=wl.context)
        return total / len(apps)

    with timer("search"):
        say(f"searching the surrogate ({settings.generations} generations x {settings.population})")
        d_best, d_calls = dataset_best(
            ds, [a for a in apps if a in ds.applications] or apps, workloads, settings.area_budget
        )
        if settings.zero_shot:
            # Held-out applications have no logs: warm-start from the training applications' best.
            init_v, _ = dataset_best(
                ds, learn, [_workload_of(a) for a in learn], settings.area_budget
            )
            init = init_v.designs
        else:
            init = d_best.designs
        history: list[dict[str, float]] = []
        result = surrogate_search(
            score,
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
        runs.write_text(
            run_dir / "search.jsonl",
            "".join(
                json.dumps(h) + "\n"
                for h in [
                    {"generation": 0, "best_score": float(result.best_per_generation[0])},
                    *history,
                ]
            ),
        )

    with timer("verify"):
        say(f"verifying {len(result.designs)} candidates with the simulator")
        verified = verify(result.designs, workloads, apps, settings.area_budget)
        reference = verify(
            prime_rs.EDGETPU_REFERENCE[None, :], workloads, apps, settings.area_budget
        )
        write_candidates(run_dir / "candidates.parquet", verified, result.scores)

    i = verified.best()
    d_i = d_best.best()
    best = {
        "applications": apps,
        "area_budget_mm2": settings.area_budget,
        "design": SPACE.as_dicts(verified.designs[i : i + 1])[0] if i is not None else None,
        "design_indices": verified.designs[i].tolist() if i is not None else None,
        "latency_ms": _latency_entry(verified, i),
        "area_mm2": float(verified.area_mm2[i]) if i is not None else None,
        "median_latency_ms": _median(verified),
        "feasible_candidates": int(verified.feasible.sum()),
        "candidates": len(verified.designs),
        "simulator_calls": len(verified.designs),
        "dataset_best_latency_ms": _latency_entry(d_best, d_i),
        "dataset_best_design": SPACE.as_dicts(d_best.designs[d_i : d_i + 1])[0]
        if d_i is not None
        else None,
        "dataset_best_area_mm2": float(d_best.area_mm2[d_i]) if d_i is not None else None,
        "dataset_best_simulator_calls": d_calls,
        "reference_latency_ms": _latency_entry(reference, 0, require_feasible=False),
        "reference_area_mm2": float(reference.area_mm2[0]),
        "reference_design": SPACE.as_dicts(prime_rs.EDGETPU_REFERENCE[None, :])[0],
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
    outcome = OptimizeOutcome(run_dir, best, verified, reference, d_best, timer.seconds)
    if i is None:
        raise NoFeasibleDesignError(
            f"none of the {len(verified.designs)} verified candidates is feasible within "
            f"{settings.area_budget:g} mm² (run directory: {run_dir})"
        )
    return outcome


def _latency_entry(
    v: Verified, i: int | None, *, require_feasible: bool = True
) -> dict[str, float] | None:
    if i is None or (require_feasible and not v.feasible[i]):
        return None
    entry = {app: float(v.latency_ms[i, j]) for j, app in enumerate(v.apps)}
    entry["mean"] = float(v.mean_latency_ms[i])
    return entry


def _median(v: Verified) -> float | None:
    lat = v.mean_latency_ms[v.feasible]
    return float(np.median(lat)) if len(lat) else None


def write_candidates(path: Path, v: Verified, scores: np.ndarray) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from prime_rs.fileio import atomic_path

    values = SPACE.to_values(v.designs)
    cols: dict[str, Any] = {"rank": np.arange(len(v.designs), dtype=np.int64)}
    for j, name in enumerate(SPACE.names):
        cols[name] = values[:, j]
    cols["surrogate_score"] = np.asarray(scores, dtype=np.float64)
    for j, app in enumerate(v.apps):
        cols[f"latency_ms.{app}"] = v.latency_ms[:, j]
    cols["mean_latency_ms"] = v.mean_latency_ms
    cols["area_mm2"] = v.area_mm2
    cols["feasible"] = v.feasible
    cols["reason"] = v.reasons
    with atomic_path(path) as tmp:
        pq.write_table(pa.table(cols), tmp)
