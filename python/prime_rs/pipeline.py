"""`prime-rs optimize` end to end: logged data -> conservative surrogate -> offline search ->
verification through an oracle -> a run directory (config.toml, meta.json, model/,
search.jsonl, candidates.parquet, best.json, report.md, plots/).

Only the final verification calls the oracle (one call per verified design, all applications
together, the same unit the simulator-driven baselines are charged in). Generating a dataset
when none is given stands in for logs a user already has; its simulations are the *logged
data*, not calls of the optimiser, and are cached between runs.

Worlds do not mix (DESIGN.md section 9, :mod:`prime_rs.worlds`). On data of the built-in
simulator the run verifies with it and constrains area with the analytic model, as always. On
data of any other world the default oracle is ``none`` (propose without verifying: the run
writes ``proposals.*`` instead of ``candidates.parquet``), a command oracle verifies through
the user's simulator, and ``--oracle builtin`` is refused unless forced; the area constraint is
a model fitted to the logged areas (:mod:`prime_rs.area_model`), searched under the budget less
its held-out error; D(best) is read from the logs in their own latency unit, and the
EdgeTPU-like reference is reported only when the oracle evaluates it.
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
from prime_rs.area_model import AnalyticAreaModel, AreaModel, CommandAreaModel, FittedAreaModel
from prime_rs.errors import (
    InvalidArgumentError,
    NoFeasibleDesignError,
    UnknownApplicationError,
)
from prime_rs.objective import DEFAULT_AREA_BUDGET, Evaluation, Task, check_area_budget
from prime_rs.optimize import SearchConfig, SearchResult, surrogate_search
from prime_rs.oracles import NO_ORACLE, NoOracle, Oracle, oracle_from_spec
from prime_rs.space import SPACE
from prime_rs.worlds import World

#: Dataset size generated per application when the user gives no data (cached).
DEFAULT_DATASET_DESIGNS = 100_000
#: Named values of ``--area-model`` (anything else is an area command line).
AREA_MODELS = ("auto", "builtin", "fitted")


@dataclass
class OptimizeSettings:
    """Everything that defines a run; saved as the run's config.toml."""

    apps: list[str] = field(default_factory=lambda: ["mobilenet_v2"])
    area_budget: float = DEFAULT_AREA_BUDGET
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
    #: "builtin", "none" or a command line; None = the data's world decides (builtin on
    #: built-in data, none otherwise).
    oracle: str | None = None
    #: Verify with the built-in simulator even though the data comes from another world.
    force_oracle: bool = False
    #: Seconds one oracle command may run (None: no limit).
    oracle_timeout: float | None = None
    #: Oracle batches run at once.
    oracle_jobs: int = 1
    #: Designs per oracle batch (None: all at once).
    oracle_batch: int | None = None
    #: "auto" (the data's world), "builtin" (analytic), "fitted" (to the logged areas) or an
    #: area command line (the oracle protocol, only ``area_mm2`` answered).
    area_model: str = "auto"
    #: Context sources of applications without a built-in workload: a workload file path or a
    #: context vector per application (``--workload m4=m4.toml``, ``--contexts FILE``).
    contexts: dict[str, Any] = field(default_factory=dict)
    #: Further training settings (``TrainConfig`` fields, e.g. ``warmup_steps``): the
    #: ``[train]`` table of a config TOML.
    train: dict[str, Any] = field(default_factory=dict)
    #: Surrogate architecture (``ModelConfig`` fields, e.g. ``kind = "mlp"``): ``[model]``.
    model: dict[str, Any] = field(default_factory=dict)

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
        for name in ("dataset_designs", "candidates", "population", "generations", "oracle_jobs"):
            if int(getattr(self, name)) < 1:
                raise InvalidArgumentError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not isinstance(self.area_model, str) or not self.area_model.strip():
            raise InvalidArgumentError(
                f"area model must be one of {', '.join(AREA_MODELS)} or an area command, "
                f"got {self.area_model!r}"
            )
        if self.oracle_timeout is not None and not float(self.oracle_timeout) > 0:
            raise InvalidArgumentError(
                f"oracle timeout must be a positive number of seconds, got {self.oracle_timeout}"
            )
        for name in ("contexts", "train", "model"):
            if not isinstance(getattr(self, name), dict):
                raise InvalidArgumentError(f"{name} must be a table (a mapping of settings)")
        if self.train:
            from prime_rs.train.config import TrainConfig

            _check_keys("train", self.train, TrainConfig, {"seed", "area_budget", "contextual"})
        if self.model:
            from prime_rs.model import ModelConfig

            _check_keys("model", self.model, ModelConfig, {"context_dim", "block_sizes"})

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


def _check_keys(table: str, given: dict[str, Any], cls: Any, reserved: set[str]) -> None:
    allowed = {f.name for f in dataclasses.fields(cls)} - reserved
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise InvalidArgumentError(
            f"unknown [{table}] setting(s) {unknown}; allowed: {', '.join(sorted(allowed))}"
        )


def parse_workload_flags(items: list[str]) -> dict[str, str]:
    """``APP=WORKLOAD_FILE`` flags (``--workload m4=m4.toml``) as a contexts mapping."""
    out = {}
    for item in items:
        app, sep, path = item.partition("=")
        if not sep or not app.strip() or not path.strip():
            raise InvalidArgumentError(f"--workload takes APP=WORKLOAD_FILE, got {item!r}")
        out[app.strip()] = path.strip()
    return out


def load_contexts(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A context TOML: ``APP = [numbers]`` (the context vector) or ``APP = "workload file"``
    (relative to the TOML file) per application."""
    import tomllib

    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read contexts {p}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgumentError(f"bad TOML in {p}: {exc}") from None
    out: dict[str, Any] = {}
    for app, value in raw.items():
        if isinstance(value, str):
            out[app] = str(p.parent / value)
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        ):
            out[app] = [float(v) for v in value]
        else:
            raise InvalidArgumentError(
                f"{p}: {app} must be a context vector (a list of numbers) or a workload file "
                f"path, got {value!r}"
            )
    return out


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
    #: The verified candidates (None when no oracle verified them: ``--oracle none``).
    verified: Evaluation | None
    #: The EdgeTPU-like reference (None where the oracle cannot evaluate it).
    reference: Evaluation | None
    #: D(best) re-evaluated by the built-in simulator (None outside the built-in world, where
    #: D(best) is read from the logs: ``best["dataset_best_latency_ms"]``).
    dataset_best: Evaluation | None
    timings: dict[str, float]
    #: Proposals written without verification (``--oracle none``, ``prime-rs propose``).
    proposals: Proposals | None = None


@dataclass
class Setup:
    """What a run works on, resolved and checked before any work starts."""

    world: World
    task: Task
    learn: list[str]
    #: The logged data (None until generated, when the user gave none).
    ds: Any | None
    data_path: Path | None

    @property
    def builtin(self) -> bool:
        """Verification and D(best) by the built-in simulator on its own data."""
        return self.world.is_builtin and self.task.oracle.world == "builtin"

    @property
    def verifies(self) -> bool:
        return not isinstance(self.task.oracle, NoOracle)


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


def cached_dataset(
    settings: OptimizeSettings, progress: Callable[[str], None] | None = None
) -> Path:
    """Generate (once) and cache the logged dataset used when the user gives none."""
    import hashlib

    from prime_rs import data
    from prime_rs.worlds import builtin_fingerprint

    apps = [_app_name(a) for a in settings.learn_apps]
    # The simulator's fingerprint is in the key: a changed model regenerates its logs, so the
    # cache never serves data of another world.
    model = hashlib.sha256(builtin_fingerprint().encode()).hexdigest()[:10]
    key = "-".join(
        [
            "_".join(sorted(apps)),
            settings.dataset_mode,
            str(settings.dataset_designs),
            f"seed{settings.seed}",
            f"v{prime_rs.__version__}",
            f"sim{model}",
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


def choose_oracle(settings: OptimizeSettings, world: World) -> Oracle | None:
    """The oracle of a run (None: the task's default, the built-in simulator). Refuses to
    verify another world's data with the built-in simulator unless forced."""
    spec = settings.oracle or ("builtin" if world.is_builtin else NO_ORACLE)
    if spec.strip() == "builtin":
        if not world.is_builtin and not settings.force_oracle:
            raise InvalidArgumentError(
                f"--oracle builtin would verify with prime-rs's built-in simulator, but the data "
                f"comes from {world.describe()}: the built-in simulator's latencies and areas "
                "are another world's and cannot be compared with these logs. Use --oracle none "
                '(propose without verifying) or --oracle "YOUR_SIMULATOR ARGS", or pass '
                "--force-oracle to verify with the built-in simulator anyway"
            )
        return None
    return oracle_from_spec(
        spec,
        timeout=settings.oracle_timeout,
        jobs=settings.oracle_jobs,
        batch_size=settings.oracle_batch,
    )


def choose_area_model(
    settings: OptimizeSettings, world: World, ds: Any | None, say: Callable[[str], None]
) -> AreaModel:
    """The constraint's area model: analytic for the built-in world, else fitted to the logs."""
    kind = settings.area_model.strip()
    if kind == "auto":
        kind = "builtin" if world.is_builtin else "fitted"
    if kind == "builtin":
        return AnalyticAreaModel()
    if kind != "fitted":
        return CommandAreaModel(kind, timeout=settings.oracle_timeout)
    if ds is None:
        raise InvalidArgumentError("--area-model fitted needs logged data (--data)")
    model = FittedAreaModel.fit(ds.designs, ds.area_mm2, seed=settings.seed)
    r = model.report
    say(
        f"area model fitted to {r.train:,} logged designs: held-out relative error median "
        f"{r.median_relative_error:.3%}, max {r.max_relative_error:.3%} ({r.held_out:,} designs)"
    )
    return model.check_quality()


def _in_data(app: str, ds: Any) -> bool:
    from prime_rs.data import apps as app_names

    return app in ds.applications or app_names.canonical(app) in ds.applications


def prepare(
    settings: OptimizeSettings,
    *,
    propose_only: bool = False,
    say: Callable[[str], None] = lambda _msg: None,
) -> Setup:
    """Load the data (when given), read its world, choose the oracle and the area model, build
    the task and check that every application can be served, before any work is done."""
    from prime_rs import data

    ds = data.load(settings.data) if settings.data else None
    world = ds.world if ds is not None else World.builtin()
    oracle = NoOracle() if propose_only else choose_oracle(settings, world)
    area_model = choose_area_model(settings, world, ds, say)
    task = Task(settings.apps, settings.area_budget, oracle=oracle, area_model=area_model)
    learn = [_app_name(a) for a in settings.learn_apps]
    if ds is not None:
        for app in learn:
            if not _in_data(app, ds):
                raise UnknownApplicationError(
                    f"application {app!r} has no logged data in {settings.data} (it holds: "
                    f"{', '.join(ds.applications)}); train on logged applications, or target "
                    f"{app!r} zero-shot (--zero-shot --train-apps ...)"
                )
    hint = (
        "give --workload {app}=path/to/{app}.toml (a workload file of the network) or "
        "--contexts FILE.toml (a table of application = [context vector] or workload file)"
    )
    if settings.zero_shot:
        for app, wl in zip(task.applications, task.workloads, strict=True):
            if wl is None and app not in settings.contexts:
                raise UnknownApplicationError(
                    f"zero-shot on {app!r} needs its context vector, and {app!r} is known from "
                    f"data only (prime-rs has no workload for it): " + hint.format(app=app)
                )
    if settings.zero_shot or len(learn) > 1:
        # The contextual surrogate conditions on every training application's context.
        from prime_rs.data import apps as app_names

        for given, app in zip(settings.learn_apps, learn, strict=True):
            known = given in app_names.workload_names() or Path(given).is_file()
            if not known and app not in settings.contexts:
                raise UnknownApplicationError(
                    f"the contextual surrogate (several applications or zero-shot) needs the "
                    f"context vector of {app!r}, which is known from data only: "
                    + hint.format(app=app)
                )
    path = Path(settings.data) if settings.data else None
    return Setup(world, task, learn, ds, path)


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


def surrogate_objective(
    model: Any, task: Task, contexts: dict[str, Any] | None = None
) -> Callable[[np.ndarray], np.ndarray]:
    """The search objective: the mean over the task's applications of the surrogate's
    per-application score (standardised -log latency; DESIGN.md section 6). Applications the
    model was not trained on are scored through their context vector (zero-shot): the one
    given in ``contexts`` (a workload file or a vector), else their workload's."""
    vectors = _target_contexts(model, task, contexts or {})

    def score(designs: np.ndarray) -> np.ndarray:
        total = np.zeros(len(designs))
        for app in task.applications:
            if app in vectors:
                total += model.score(designs, context=vectors[app])
            else:
                total += model.score(designs, app)
        return total / task.n_applications

    return score


def _target_contexts(model: Any, task: Task, contexts: dict[str, Any]) -> dict[str, np.ndarray]:
    from prime_rs.train.batches import resolve_contexts

    out = {}
    for app, wl in zip(task.applications, task.workloads, strict=True):
        if app in model.apps:
            continue
        if app in contexts:
            out[app] = resolve_contexts([app], contexts)[app]
        elif wl is not None:
            out[app] = wl.context
        else:
            raise UnknownApplicationError(
                f"the surrogate was not trained on {app!r} and {app!r} has no context vector; "
                f"give --workload {app}=path/to/{app}.toml or --contexts FILE.toml"
            )
    return out


#: A budget no design exceeds by the analytic model: leaves the search's own area filter idle
#: when the world's constraint is another area model (applied through the score instead).
def _unconstrained_budget() -> float:
    top = np.array([[c - 1 for c in SPACE.cardinalities]], dtype=np.uint8)
    return float(prime_rs.area(top)[0])


def search_designs(
    settings: OptimizeSettings,
    task: Task,
    score: Callable[[np.ndarray], np.ndarray],
    init: np.ndarray,
    history: list[dict[str, float | None]],
) -> SearchResult:
    """The surrogate search under the task's area constraint. With the analytic model this is
    the native search's own hard constraint; with any other area model, designs over the
    constraint score -inf (the search's own filter is left idle) and are never proposed."""
    config = SearchConfig(
        population=settings.population,
        generations=settings.generations,
        candidates=settings.candidates,
    )

    def record(g: int, best: float) -> None:
        history.append({"generation": g, "best_score": _finite_or_none(best)})

    if isinstance(task.area_model, AnalyticAreaModel):
        return surrogate_search(
            score, task.area_budget, seed=settings.seed, init=init, config=config, progress=record
        )
    limit = task.search_budget

    def constrained(designs: np.ndarray) -> np.ndarray:
        s = np.array(score(designs), dtype=np.float64)
        s[task.area(designs) > limit] = -np.inf
        return s

    res = surrogate_search(
        constrained,
        _unconstrained_budget(),
        seed=settings.seed,
        init=init,
        config=config,
        progress=record,
    )
    keep = np.isfinite(res.scores)
    if not keep.any():
        raise InvalidArgumentError(
            f"the search found no design whose {task.area_model.kind} area is within "
            f"{limit:.4g} mm² (the budget {task.area_budget:g} mm² less the area model's "
            f"margin of {task.area_model.margin:.2%}); raise the area budget"
        )
    return SearchResult(
        res.designs[keep], res.scores[keep], res.best_per_generation, res.evaluations, res.extra
    )


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def make_proposals(
    result: SearchResult, model: Any, task: Task, contexts: dict[str, Any], unit: str
) -> Proposals:
    vectors = _target_contexts(model, task, contexts)
    predicted = {}
    for app in task.applications:
        if app in vectors:
            predicted[app] = np.asarray(model.predict(result.designs, context=vectors[app]))
        else:
            predicted[app] = np.asarray(model.predict(result.designs, app))
    return Proposals(result.designs, result.scores, predicted, task.area(result.designs), unit)


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


def run_optimize(
    settings: OptimizeSettings,
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    resume: bool = False,
    progress: Callable[[str], None] | None = None,
    show_progress: bool = False,
    raise_if_none_feasible: bool = True,
    propose_only: bool = False,
) -> OptimizeOutcome:
    """Run the whole job and write its run directory. Raises NoFeasibleDesignError (exit 1) when
    no verified candidate is feasible under the budget (unless ``raise_if_none_feasible`` is
    False: the comparison protocol records such a run as a miss). Without an oracle
    (``--oracle none``, or ``propose_only``) it stops after the search and writes the
    proposals instead of verified candidates."""
    from prime_rs import data, train

    say = progress or (lambda _msg: None)
    timer = runs.Timer()
    setup = prepare(settings, propose_only=propose_only, say=say)  # checks before any work
    task, world = setup.task, setup.world
    learn = setup.learn
    reference: Evaluation | None = None
    ref_calls = 0
    if Path(out).exists() and not (overwrite or resume):
        runs.prepare_run_dir(out)  # refuses an existing run now, before any oracle call
    if setup.verifies and not setup.builtin:
        # The user's oracle is asked about the reference design first: a broken command then
        # fails in seconds, before any training and before anything is written.
        say(f"asking {task.oracle.name} about the EdgeTPU-like reference design")
        reference = task.evaluate(prime_rs.EDGETPU_REFERENCE)
        ref_calls = task.oracle.calls
    run_dir = runs.prepare_run_dir(out, overwrite=overwrite, resume=resume)
    runs.write_toml(run_dir / "config.toml", settings.to_dict())
    meta: dict[str, Any] = {"seed": settings.seed, "environment": runs.environment_meta()}

    with timer("data"):
        data_path = setup.data_path or cached_dataset(settings, say)
        ds = setup.ds if setup.ds is not None else data.load(data_path)
        meta["dataset"] = {"path": str(data_path), "rows": len(ds), "applications": ds.applications}
        meta["world"] = {"description": world.describe(), **world.to_metadata()}

    with timer("train"):
        kind = "naive" if settings.naive else "conservative"
        say(f"training the {kind} surrogate on {', '.join(learn)}")
        # Outside the analytic world the negatives are not bounded by a model of another world.
        analytic = isinstance(task.area_model, AnalyticAreaModel)
        overrides: dict[str, Any] = {
            **settings.train,
            "seed": settings.seed,
            "area_budget": settings.area_budget if analytic else None,
        }
        if settings.steps is not None:
            overrides["steps"] = settings.steps
        if settings.naive:
            overrides.update(alpha=0.0, beta=0.0)
        if settings.zero_shot:
            overrides["contextual"] = True
        model = train.train(
            ds,
            learn,
            out=run_dir / "model",
            resume=resume,
            progress=show_progress,
            contexts=settings.contexts or None,
            model_config=settings.model or None,
            **overrides,
        )

    with timer("search"):
        say(f"searching the surrogate ({settings.generations} generations x {settings.population})")
        d_best: Evaluation | None = None
        d_calls = 0
        if setup.builtin:
            d_best, d_calls = dataset_best(ds, task)
            if settings.zero_shot:
                # Held-out applications have no logs: warm-start from the training applications'.
                init = dataset_best(ds, Task(settings.learn_apps, settings.area_budget))[0].designs
            else:
                init = d_best.designs
        else:
            sources = learn if settings.zero_shot else list(task.applications)
            init = logged_top(ds, [a for a in sources if _in_data(a, ds)], task.area_budget, 128)
        history: list[dict[str, float | None]] = []
        result = search_designs(
            settings, task, surrogate_objective(model, task, settings.contexts), init, history
        )
        first = {
            "generation": 0,
            "best_score": _finite_or_none(float(result.best_per_generation[0])),
        }
        runs.write_text(
            run_dir / "search.jsonl", "".join(json.dumps(h) + "\n" for h in [first, *history])
        )

    logged = None if setup.builtin else logged_best(ds, task)
    common: dict[str, Any] = {
        "applications": list(task.applications),
        "area_budget_mm2": task.area_budget,
        "oracle": task.oracle.name,
        "world": world.describe(),
        "latency_unit": world.latency_unit,
        "area_model": task.area_model.describe(),
        "search_area_budget_mm2": task.search_budget,
    }
    surrogate_info = {
        "naive": settings.naive,
        "zero_shot": settings.zero_shot,
        "trained_on": learn,
    }
    if not setup.verifies:
        with timer("propose"):
            props = make_proposals(result, model, task, settings.contexts, world.latency_unit)
            write_proposals(run_dir, props, task)
        best = {
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
            "surrogate": surrogate_info,
        }
        _finish(run_dir, best, meta, timer)
        return OptimizeOutcome(run_dir, best, None, None, None, timer.seconds, props)

    with timer("verify"):
        say(f"verifying {len(result.designs)} candidates with {task.oracle.name}")
        calls0 = task.oracle.calls
        verified = task.evaluate(result.designs)
        calls = task.oracle.calls - calls0
        if reference is None:
            reference = task.evaluate(prime_rs.EDGETPU_REFERENCE)
        write_candidates(run_dir / "candidates.parquet", verified, task, result.scores)

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
        # Built-in world: every candidate counts (as always); elsewhere the oracle's own count.
        "simulator_calls": len(verified) if setup.builtin else calls,
    }
    if d_best is not None:
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
        "reference_simulator_calls": 0 if setup.builtin else ref_calls,
        "surrogate": surrogate_info,
    }
    _finish(run_dir, best, meta, timer)
    if i is None and raise_if_none_feasible:
        raise NoFeasibleDesignError(
            f"none of the {len(verified)} verified candidates is feasible within "
            f"{task.area_budget:g} mm² (run directory: {run_dir})"
        )
    return OptimizeOutcome(run_dir, best, verified, reference, d_best, timer.seconds)


def _logged_entries(logged: dict[str, Any] | None) -> dict[str, Any]:
    logged = logged or {}
    return {
        "dataset_best_latency_ms": logged.get("latency"),
        "dataset_best_design": logged.get("design"),
        "dataset_best_area_mm2": logged.get("area_mm2"),
        "dataset_best_median_latency_ms": logged.get("median"),
        "dataset_best_simulator_calls": 0,
    }


def _finish(run_dir: Path, best: dict[str, Any], meta: dict[str, Any], timer: Any) -> None:
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
