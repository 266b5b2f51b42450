"""A run's preparation: load the data, read its world, choose the oracle and the area model,
build the task and check that every application can be served and that the training settings
are valid, all before any work starts and before the run directory exists (docs/design.md
section 9 on worlds, :mod:`prime_rs.worlds`); and the check that a ``--resume`` continues the
run it names (:func:`check_resume`), before anything in it changes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prime_rs import runs
from prime_rs.area_model import AnalyticAreaModel, AreaModel, CommandAreaModel, FittedAreaModel
from prime_rs.errors import InvalidArgumentError, UnknownApplicationError
from prime_rs.oracles import NO_ORACLE, NoOracle, Oracle, oracle_from_spec
from prime_rs.progress import Say, silent
from prime_rs.run.logged import _app_name, _in_data
from prime_rs.run.settings import OptimizeSettings, read_toml
from prime_rs.task import Task
from prime_rs.worlds import World

log = logging.getLogger(__name__)

__all__ = [
    "RESUMABLE_CHANGES",
    "Setup",
    "check_resume",
    "choose_area_model",
    "choose_oracle",
    "prepare",
]

#: Settings a ``--resume`` may change: how long training runs, and what runs after training
#: (the search and the verification), which a resumed run does again. Every other setting
#: defines the logged data or the model, and must be the run's own.
RESUMABLE_CHANGES = frozenset(
    {"steps", "candidates", "population", "generations", "oracle_timeout", "oracle_jobs",
     "oracle_batch",
     # More rounds extend a run; a finished round whose record this run would not recompute
     # (other fine-tuning steps) runs again (run.rounds); the optimum is evaluation only.
     "rounds", "finetune_steps", "optimum"}
)  # fmt: skip
#: The same, per table of the config schema (``[train]``: training's own rule, ``train.loop``).
RESUMABLE_TABLE_CHANGES = {
    "train": frozenset({"steps", "patience", "val_every"}),
    "search": frozenset({"population", "generations", "candidates"}),
}


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
    settings: OptimizeSettings, world: World, ds: Any | None, say: Say
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


def prepare(
    settings: OptimizeSettings,
    *,
    propose_only: bool = False,
    say: Say = silent,
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
        from prime_rs.train.batches import resolve_contexts

        resolve_contexts(settings.learn_apps, settings.contexts)  # reads every file given
    _check_training(settings)
    log.debug(
        f"world: {world.describe()}; oracle: {task.oracle.name}; area model: "
        f"{task.area_model.describe()}; training on {', '.join(learn)}"
    )
    path = Path(settings.data) if settings.data else None
    return Setup(world, task, learn, ds, path)


def _check_training(settings: OptimizeSettings) -> None:
    """The training and model settings' own checks (ranges, names), before any work."""
    from prime_rs import SPACE
    from prime_rs.model import ModelConfig
    from prime_rs.train.config import TrainConfig

    given: dict[str, Any] = {**settings.train, "seed": settings.seed}
    if settings.steps is not None:
        given["steps"] = settings.steps
    TrainConfig(**given)
    ModelConfig(**{"block_sizes": tuple(SPACE.cardinalities), **settings.model})


def check_resume(settings: OptimizeSettings, run_dir: str | Path) -> None:
    """Refuse (InvalidArgumentError) to resume ``run_dir`` with settings other than its
    config.toml's, except :data:`RESUMABLE_CHANGES`; a directory without config.toml has
    nothing to continue and passes."""
    config = Path(run_dir) / "config.toml"
    if not config.is_file():
        return
    old = read_toml(config, "config")
    # config.toml is written in the config schema's layout (settings.to_config()): compare
    # like with like.
    new = runs.as_saved(settings.to_config())
    changed = []
    for key in sorted(set(old) | set(new)):
        if key in RESUMABLE_CHANGES:
            continue
        was, now = old.get(key), new.get(key)
        if key in RESUMABLE_TABLE_CHANGES:
            free = RESUMABLE_TABLE_CHANGES[key]
            was = {k: v for k, v in (was or {}).items() if k not in free}
            now = {k: v for k, v in (now or {}).items() if k not in free}
        if was != now:
            changed.append(f"{key} ({_shown(was)} in the run, {_shown(now)} now)")
    if changed:
        raise InvalidArgumentError(
            f"cannot resume {run_dir}: its settings differ: {'; '.join(changed)}. Resume "
            f"with the run's own settings (--config {config} --resume), or start a new run "
            "in another --out"
        )


def _shown(value: Any) -> str:
    return "default" if value is None else repr(value)
