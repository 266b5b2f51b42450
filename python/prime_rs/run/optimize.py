"""The run computation of `prime-rs optimize`: train the surrogate on the logged data, search
it offline under the area constraint, verify the best candidates through the oracle (or
propose them unverified), and return the outcome. Settings are in
:mod:`prime_rs.run.settings`, preparation in :mod:`~prime_rs.run.prepare`, the data helpers in
:mod:`~prime_rs.run.logged` and every file the run writes in :mod:`~prime_rs.run.artifacts`.

Only the final verification calls the oracle (one call per verified design, all applications
together, the same unit the simulator-driven baselines are charged in). Generating a dataset
when none is given stands in for logs a user already has; its simulations are the *logged
data*, not calls of the optimiser, and are cached between runs.

Worlds do not mix (docs/design.md section 9, :mod:`prime_rs.worlds`). On data of the built-in
simulator the run verifies with it and constrains area with the analytic model, as always. On
data of any other world the default oracle is ``none`` (propose without verifying: the run
writes ``proposals.*`` instead of ``candidates.parquet``), a command oracle verifies through
the user's simulator, and ``--oracle builtin`` is refused unless forced; the area constraint is
a model fitted to the logged areas (:mod:`prime_rs.area_model`), searched under the budget less
its held-out error; D(best) is read from the logs in their own latency unit, and the
EdgeTPU-like reference is reported only when the oracle evaluates it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import prime_rs
from prime_rs import runs
from prime_rs.area_model import AnalyticAreaModel
from prime_rs.errors import InvalidArgumentError, NoFeasibleDesignError, UnknownApplicationError
from prime_rs.optimize import SearchResult, SurrogateSearchConfig, surrogate_search
from prime_rs.progress import ProgressArg, Say, log_stages
from prime_rs.run import artifacts
from prime_rs.run import rounds as rounds_
from prime_rs.run.artifacts import Proposals
from prime_rs.run.logged import _in_data, cached_dataset, dataset_best, logged_best, logged_top
from prime_rs.run.model_run import read_model_run
from prime_rs.run.prepare import check_resume, prepare
from prime_rs.run.settings import OptimizeSettings
from prime_rs.space import SPACE
from prime_rs.task import Evaluation, Task

__all__ = [
    "OptimizeOutcome",
    "make_proposals",
    "run_optimize",
    "search_designs",
    "surrogate_objective",
]


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
    #: rounds.jsonl's records: the best-so-far curve against oracle calls, one per round.
    rounds: list[dict[str, Any]] = field(default_factory=list)


@runs.removes_created_dir("out")
def run_optimize(
    settings: OptimizeSettings,
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    resume: bool = False,
    progress: Say | None = None,
    show_progress: ProgressArg = False,
    raise_if_none_feasible: bool = True,
    propose_only: bool = False,
    executor: Any = None,
) -> OptimizeOutcome:
    """Run the whole job and write its run directory. Raises NoFeasibleDesignError (exit 1) when
    no verified candidate is feasible under the budget (unless ``raise_if_none_feasible`` is
    False: the comparison protocol records such a run as a miss). Without an oracle
    (``--oracle none``, or ``propose_only``) it stops after the search and writes the
    proposals instead of verified candidates. ``progress`` gets the stage lines;
    ``show_progress`` is training's progress (``prime_rs.train.train``'s ``progress``).
    ``executor`` (a :class:`~prime_rs.executors.Executor`, e.g. Ray) carries the oracle's
    batches: the verification and D(best)'s re-evaluation; the answers are the same as local
    ones."""
    from prime_rs import data, train

    say = progress or log_stages(__name__)
    timer = runs.Timer()
    reused = read_model_run(settings.model_run) if settings.model_run else None
    if reused is not None and settings.data is None and reused.dataset.get("path"):
        settings = dataclasses.replace(settings, data=reused.dataset["path"])
    config_toml = settings.to_config()  # the schema checks every setting before any work
    setup = prepare(settings, propose_only=propose_only, say=say)  # checks before any work
    task, world = setup.task, setup.world
    if settings.rounds > 1 and not setup.verifies:
        raise InvalidArgumentError(
            "--rounds adds verified results to the data, and this run has no oracle to verify "
            "with: give --oracle, or use --rounds 1"
        )
    if executor is not None and setup.verifies:
        task.oracle.use_executor(executor)
    learn = setup.learn
    if reused is not None:
        if setup.ds is None:
            raise InvalidArgumentError(
                f"--model-run {reused.path} records no dataset file: give its data with --data"
            )
        reused.check(setup.ds, learn, settings.zero_shot)
    contexts = learned_contexts(settings)
    reference: Evaluation | None = None
    ref_calls = 0
    if Path(out).exists() and not (overwrite or resume):
        runs.prepare_run_dir(out)  # refuses an existing run now, before any oracle call
    if resume:
        check_resume(settings, out)  # a refused resume changes nothing in the run
    if setup.verifies and not setup.builtin:
        # The user's oracle is asked about the reference design first: a broken command then
        # fails in seconds, before any training and before anything is written.
        say(f"asking {task.oracle.name} about the EdgeTPU-like reference design")
        reference = task.evaluate(prime_rs.EDGETPU_REFERENCE)
        ref_calls = task.oracle.calls
    run_dir = runs.prepare_run_dir(out, overwrite=overwrite, resume=resume)
    # A resumed run's settings are its own until training accepts the resume (below).
    resuming = resume and (run_dir / "config.toml").is_file()
    if not resuming:
        runs.write_toml(run_dir / "config.toml", config_toml)
    meta: dict[str, Any] = {"seed": settings.seed, "environment": runs.environment_meta()}
    if settings.data is None:
        meta["data_seed"] = settings.data_seed

    with timer("data"):
        data_path = setup.data_path or cached_dataset(settings, say)
        ds = setup.ds if setup.ds is not None else data.load(data_path)
        meta["dataset"] = {
            "path": str(data_path),
            "rows": len(ds),
            "applications": ds.applications,
            "sha256": ds.content_hash(),
        }
        meta["world"] = {"description": world.describe(), **world.to_metadata()}

    # A reused model is fine-tuned (--rounds) as it was trained; the rounds' own step count,
    # seed and warm-up come in as ``extra``.
    fit_settings = settings if reused is None else reused.tuning(settings)

    def fit(dataset: Any, out_dir: Path, **extra: Any) -> Any:
        return _train(
            fit_settings, task, learn, out_dir, resume, show_progress, contexts, dataset, **extra
        )

    with timer("train"):
        naive = reused.naive if reused is not None else settings.naive
        kind = "naive" if naive else "conservative"
        if reused is not None:
            say(f"reusing the {kind} surrogate of {reused.path} ({', '.join(reused.apps)})")
            model = train.load(reused.path)
            meta["model_run"] = {
                "path": str(reused.path),
                "step": model.info.get("step"),
                "val_spearman": model.info.get("val_spearman"),
            }
        else:
            say(f"training the {kind} surrogate on {', '.join(learn)}")
            model = fit(ds, run_dir / "model")
    if resuming:  # training accepted the resume: the run now has these settings
        runs.write_toml(run_dir / "config.toml", config_toml)

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
            settings, task, surrogate_objective(model, task, contexts), init, history
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
        "naive": naive,
        "zero_shot": settings.zero_shot,
        "trained_on": learn,
    }
    if not setup.verifies:
        with timer("propose"):
            props = make_proposals(result, model, task, contexts, world.latency_unit)
            artifacts.write_proposals(run_dir, props, task)
        best = artifacts.proposals_best(common, props, logged, surrogate_info)
        artifacts.finish(run_dir, best, meta, timer)
        return OptimizeOutcome(run_dir, best, None, None, None, timer.seconds, props)

    def verify(designs: np.ndarray) -> tuple[Evaluation, int]:
        calls0 = task.oracle.calls
        ev = task.evaluate(designs)
        # Built-in world: every candidate counts (as always); elsewhere the oracle's own count.
        return ev, len(ev) if setup.builtin else task.oracle.calls - calls0

    with timer("verify"):
        say(f"verifying {len(result.designs)} candidates with {task.oracle.name}")
        verified, calls = verify(result.designs)
        if reference is None:
            reference = task.evaluate(prime_rs.EDGETPU_REFERENCE)
        artifacts.write_candidates(run_dir / "candidates.parquet", verified, task, result.scores)

    first = rounds_.Round(1, verified, np.asarray(result.scores, dtype=np.float64), calls)
    with timer("rounds") if settings.rounds > 1 else contextlib.nullcontext():

        def fine_tune(grown: Any, out_dir: Path, init: Any, seed: int, steps: int) -> Any:
            from prime_rs.train.config import TrainConfig

            warmup = int(settings.train.get("warmup_steps", TrainConfig().warmup_steps))
            return fit(
                grown,
                out_dir,
                init=init,
                seed=seed,
                steps=steps,
                warmup_steps=min(warmup, max(1, steps // 10)),
            )

        def search(
            s: OptimizeSettings, m: Any, start: np.ndarray, hist: list[dict[str, Any]]
        ) -> SearchResult:
            return search_designs(s, task, surrogate_objective(m, task, contexts), start, hist)

        inputs = rounds_.RoundInputs(settings, task, ds, learn, init, fine_tune, search, verify)
        history = rounds_.run_rounds(inputs, run_dir, first, model, resume=resume, say=say)
        if len(history) > 1:
            verified = rounds_.concat_evaluations([h.verified for h in history])
            calls = sum(h.calls for h in history)
            scores = np.concatenate([h.scores for h in history])
            artifacts.write_candidates(run_dir / "candidates.parquet", verified, task, scores)
    records = rounds_.read_rounds(run_dir)

    best = artifacts.verified_best(
        common,
        task,
        verified,
        calls=calls,
        reference=reference,
        reference_calls=0 if setup.builtin else ref_calls,
        dataset_best=(d_best, d_calls) if d_best is not None else None,
        logged=logged,
        surrogate=surrogate_info,
    )
    if settings.rounds > 1:
        best["rounds"] = records
        best["surrogate"]["finetune_steps"] = settings.round_finetune_steps
    if settings.optimum and setup.builtin:
        with timer("optimum"):
            _evaluation_stage(task, best, meta, records if settings.rounds > 1 else None, say)
    artifacts.finish(run_dir, best, meta, timer)
    if best["design"] is None and raise_if_none_feasible:
        raise NoFeasibleDesignError(
            f"none of the {len(verified)} verified candidates is feasible within "
            f"{task.area_budget:g} mm² (run directory: {run_dir})"
        )
    return OptimizeOutcome(
        run_dir, best, verified, reference, d_best, timer.seconds, rounds=records
    )


def _evaluation_stage(
    task: Task,
    best: dict[str, Any],
    meta: dict[str, Any],
    records: list[dict[str, Any]] | None,
    say: Say,
) -> None:
    """Measure the verified result against the true optimum (evaluation only: every design has
    been chosen and verified by now, and nothing after this stage decides anything)."""
    from prime_rs.run import evaluation

    if not evaluation.optimum_applies(task, True):
        return
    ex = evaluation.task_optimum(task, say=say)
    best.update(evaluation.best_entries(ex, best, records))
    meta["optimum"] = evaluation.optimum_meta(ex)


def _train(
    settings: OptimizeSettings,
    task: Task,
    learn: list[str],
    out_dir: Path,
    resume: bool,
    show_progress: ProgressArg,
    contexts: dict[str, Any],
    ds: Any,
    **extra: Any,
) -> Any:
    from prime_rs import train

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
    return train.train(
        ds,
        learn,
        out=out_dir,
        resume=resume,
        progress=show_progress,
        contexts=contexts or None,
        model_config=settings.model or None,
        **{**overrides, **extra},
    )


def learned_contexts(settings: OptimizeSettings) -> dict[str, Any]:
    """The context source of every application given as a workload file (the file's network),
    with the user's own ``contexts`` over them: a file in ``--apps`` needs no ``--workload``."""
    from prime_rs import workloads

    out: dict[str, Any] = {}
    for item in [*settings.apps, *(settings.train_apps or [])]:
        app = workloads.application(item, data_only=True)
        if app.is_file and app.workload is not None:
            out[app.name] = app.workload.context
    out.update(settings.contexts)
    return out


def surrogate_objective(
    model: Any, task: Task, contexts: dict[str, Any] | None = None
) -> Callable[[np.ndarray], np.ndarray]:
    """The search objective: the mean over the task's applications of the surrogate's
    per-application score (standardised -log latency; docs/design.md section 6). Applications the
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
    config = SurrogateSearchConfig(
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
