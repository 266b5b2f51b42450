"""The training driver: ``train(dataset, apps, ...)`` runs a ``Trainer`` to its end (validating,
logging metrics, checkpointing, stopping early, reporting progress), and ``load(run_dir)``
reads a run's model back."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from prime_rs.errors import CheckpointError, OutputError
from prime_rs.model import ModelConfig, build_model
from prime_rs.progress import ProgressArg, TrainProgress, resolve_progress
from prime_rs.train import checkpoint
from prime_rs.train.batches import ContextSource
from prime_rs.train.config import TrainConfig
from prime_rs.train.predictor import TrainedModel
from prime_rs.train.targets import ScoreTransform
from prime_rs.train.trainer import Trainer

__all__ = ["load", "train"]


def train(
    dataset: Any,
    apps: Sequence[str] | str,
    *,
    out: str | os.PathLike[str] | None = None,
    config: TrainConfig | None = None,
    model_config: ModelConfig | Mapping[str, Any] | None = None,
    contexts: Mapping[str, ContextSource] | None = None,
    resume: bool = False,
    progress: ProgressArg = False,
    init: TrainedModel | None = None,
    **overrides: Any,
) -> TrainedModel:
    """Train the PRIME conservative surrogate on ``dataset`` for ``apps``.

    ``dataset``: a ``prime_rs.data.Dataset`` (or any object with its columns) or a path to one.
    ``config``: a ``TrainConfig``; keyword ``overrides`` replace its fields (``steps=500``,
    ``alpha=0`` ...). ``model_config``: architecture (``ModelConfig`` or a dict of its fields;
    block sizes and context width are filled in). ``contexts``: context vectors (or workload
    files) for applications that are not built-in workloads (contextual model only).
    ``out``: run directory for ``metrics.jsonl``, ``config.json`` and checkpoints (nothing is
    written without it); ``resume=True`` continues the run found there.
    ``progress``: a callable gets a ``prime_rs.progress.TrainProgress`` as training starts and
    after every step (validation scores in the steps that validate); True prints a line on
    stderr at every tenth of the run.
    ``init``: fine-tune: start from this model's weights (same architecture) instead of a
    fresh initialisation; the optimiser, schedule and negatives start afresh.
    Returns the model with the best validation rank correlation.
    """
    report = resolve_progress(progress)
    trainer = Trainer(
        dataset,
        apps,
        config=dataclasses.replace(config or TrainConfig(), **overrides),
        model_config=model_config,
        contexts=contexts,
        init=init,
    )
    steps = trainer.config.steps
    val_every = trainer.config.val_every
    run_dir = _open_run_dir(trainer, out, resume)
    if report is not None:
        report(TrainProgress(trainer.step_count, steps, {}))
    t0 = time.perf_counter()
    stopped_early = False
    while trainer.step_count < steps:
        trainer.step()
        done = trainer.step_count
        shown: dict[str, float] = {}
        if done % val_every == 0 or done == steps:
            metrics, improved = trainer.validate()
            record = {"step": done, "time_s": round(time.perf_counter() - t0, 3), **metrics}
            if run_dir is not None:
                _append_jsonl(run_dir / "metrics.jsonl", record)
                trainer.save(run_dir, record["val_spearman"], improved)
            shown = {k: record[k] for k in ("val_spearman", "best_val_spearman")}
            stopped_early = trainer.patience_exhausted
        if report is not None:
            report(TrainProgress(done, steps, shown))
        if stopped_early:
            break
    wall = time.perf_counter() - t0
    if run_dir is not None:
        result = load(run_dir)
        result.info.update(stopped_early=stopped_early, wall_s=wall)
        return result
    return trainer.trained_model(
        {"best_val_spearman": trainer.best, "stopped_early": stopped_early, "wall_s": wall}
    )


def _open_run_dir(
    trainer: Trainer, out: str | os.PathLike[str] | None, resume: bool
) -> Path | None:
    """Create the run directory, or with ``resume`` reopen it and restore the trainer from its
    latest checkpoint. A refused resume writes nothing (config.json keeps describing the run
    on disk)."""
    if out is None:
        return None
    run_dir = Path(out)
    has_run = (run_dir / "checkpoints" / "latest.json").exists()
    if has_run and not resume:
        raise OutputError(
            f"{run_dir} already holds a training run: resume it (--resume) or choose another --out"
        )
    restoring = resume and has_run
    if restoring:
        trainer.check_resumable(checkpoint.read_pointer(run_dir, "latest")[1])
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        checkpoint.write_json_atomic(run_dir / "config.json", trainer.run_meta)
    except OSError as exc:
        raise OutputError(f"cannot write the run directory {run_dir}: {exc}") from exc
    if restoring:
        trainer.restore(run_dir)
        # Records after the resumed checkpoint are recomputed.
        checkpoint.truncate_metrics(run_dir / "metrics.jsonl", trainer.step_count)
    return run_dir


def _append_jsonl(path: Path, record: dict[str, Any]) -> None:
    try:
        with path.open("a") as f:
            f.write(json.dumps(record) + "\n")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc}") from exc


def load(run_dir: str | os.PathLike[str], which: str = "best") -> TrainedModel:
    """The model of a training run: the best validation checkpoint (or ``which="latest"``)."""
    target, meta = checkpoint.read_pointer(run_dir, which)
    try:
        mcfg = ModelConfig.from_dict(meta["model_config"])
        transform = ScoreTransform.from_dict(meta["transform"])
        apps = list(meta["apps"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {target} has an invalid meta.json: {exc}") from exc
    like = eqx.filter_eval_shape(build_model, mcfg, jax.random.key(0))
    like = jax.tree.map(
        lambda s: jnp.zeros(s.shape, s.dtype) if isinstance(s, jax.ShapeDtypeStruct) else s, like
    )
    model = checkpoint.restore_tree(target / "model.eqx", like)
    contexts = {k: np.asarray(v, np.float32) for k, v in meta.get("contexts", {}).items()}
    return TrainedModel(
        model,
        mcfg,
        transform,
        apps,
        contexts or None,
        meta.get("area_budget"),
        {"step": meta["step"], "val_spearman": meta.get("val_spearman"), "run_dir": str(run_dir)},
    )
