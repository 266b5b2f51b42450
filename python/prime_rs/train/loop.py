"""The training loop: ``train(dataset, apps, ...)`` and ``load(run_dir)``."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from prime_rs.errors import CheckpointError, OutputError, TrainingError
from prime_rs.model import ModelConfig, build_model
from prime_rs.train import checkpoint
from prime_rs.train.batches import BatchSampler, ContextSource, Prepared, prepare, resolve_contexts
from prime_rs.train.config import TrainConfig
from prime_rs.train.negatives import EvolutionSampler, GradientSampler, _score
from prime_rs.train.objective import (
    Clipping,
    Hyper,
    TrainState,
    make_alpha_optimizer,
    make_optimizer,
    train_step,
)
from prime_rs.train.predictor import TrainedModel
from prime_rs.train.ranking import kendall, spearman
from prime_rs.train.targets import ScoreTransform

__all__ = ["load", "train"]


def _model_config(
    model_config: ModelConfig | Mapping[str, Any] | None, context_dim: int
) -> ModelConfig:
    from prime_rs import SPACE

    base = dict(
        model_config.to_dict() if isinstance(model_config, ModelConfig) else model_config or {}
    )
    base["block_sizes"] = tuple(SPACE.cardinalities)
    base["context_dim"] = context_dim
    return ModelConfig.from_dict(base)


def _load_dataset(dataset: Any) -> Any:
    if isinstance(dataset, str | os.PathLike):
        from prime_rs import data

        return data.load(dataset)
    return dataset


def _validate(
    model: Any, prepared: Prepared, val_x: list[np.ndarray], val_c: list[np.ndarray]
) -> dict[str, Any]:
    per_app = {}
    for app, x, c in zip(prepared.apps, val_x, val_c, strict=True):
        f = np.asarray(_score(model, jnp.asarray(x), jnp.asarray(c)), np.float64)
        y = app.val_y[: len(f)].astype(np.float64)
        per_app[app.name] = {
            "n": len(f),
            "mse": float(np.mean((f - y) ** 2)),
            "spearman": spearman(f, y),
            "kendall": kendall(f, y),
        }
    mean = {
        k: float(np.mean([m[k] for m in per_app.values()])) for k in ("mse", "spearman", "kendall")
    }
    return {
        "val_mse": mean["mse"],
        "val_spearman": mean["spearman"],
        "val_kendall": mean["kendall"],
        "apps": per_app,
    }


class _Progress:
    """A rich progress bar on stderr, or nothing."""

    def __init__(self, enabled: bool, total: int, start: int):
        self.bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("train"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[info]}"),
                # Never Jupyter's live display (it wants ipywidgets): plain lines on stderr.
                console=Console(file=sys.stderr, force_jupyter=False),
                transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task("train", total=total, completed=start, info="")

    def update(self, step: int, info: str | None = None) -> None:
        if self.bar is not None:
            kw = {"info": info} if info is not None else {}
            self.bar.update(self.task, completed=step, **kw)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def train(
    dataset: Any,
    apps: Sequence[str] | str,
    *,
    out: str | os.PathLike[str] | None = None,
    config: TrainConfig | None = None,
    model_config: ModelConfig | Mapping[str, Any] | None = None,
    contexts: Mapping[str, ContextSource] | None = None,
    resume: bool = False,
    progress: bool = False,
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
    ``init``: fine-tune: start from this model's weights (same architecture) instead of a
    fresh initialisation; the optimiser, schedule and negatives start afresh.
    Returns the model with the best validation rank correlation.
    """
    cfg = dataclasses.replace(config or TrainConfig(), **overrides)
    app_list = [a for a in ([apps] if isinstance(apps, str) else list(apps)) if a]
    contextual = cfg.contextual if cfg.contextual is not None else len(app_list) > 1
    ctx_map = resolve_contexts(app_list, contexts) if contextual else None
    prepared = prepare(
        _load_dataset(dataset),
        app_list,
        area_budget=cfg.area_budget if cfg.over_budget == "infeasible" else None,
        val_fraction=cfg.val_fraction,
        seed=cfg.seed,
        contexts=ctx_map,
    )
    mcfg = _model_config(model_config, prepared.context_dim)
    clip = Clipping.from_scores(prepared.y_min, prepared.y_max, cfg.clip_margin)
    run_meta = {
        "model_config": mcfg.to_dict(),
        "train_config": cfg.to_dict(),
        "transform": prepared.transform.to_dict(),
        "apps": prepared.names,
        "contexts": {a.name: a.context.tolist() for a in prepared.apps} if contextual else {},
        "area_budget": cfg.area_budget,
        "clipping": clip.to_dict(),
    }

    run_dir = Path(out) if out is not None else None
    resume_from = None
    if run_dir is not None:
        has_run = (run_dir / "checkpoints" / "latest.json").exists()
        if has_run and not resume:
            raise OutputError(
                f"{run_dir} already holds a training run: resume it (--resume) or choose another --out"
            )
        if resume and has_run:
            resume_from = checkpoint.read_pointer(run_dir, "latest")
            _check_resumable(resume_from[1], run_meta)
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
            checkpoint.write_json_atomic(run_dir / "config.json", run_meta)
        except OSError as exc:
            raise OutputError(f"cannot write the run directory {run_dir}: {exc}") from exc

    # One seed drives everything: JAX (init, dropout: folded with the step, so a resumed run
    # draws the same keys) and numpy (batches; the native kernels' seeds are drawn from it).
    init_key = jax.random.key(cfg.seed)
    dropout_root = jax.random.key(cfg.seed ^ 0x0D0D, impl="rbg")  # rbg: far cheaper bits on CPU
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 0xBA7C]))
    model = build_model(mcfg, init_key)
    if init is not None:
        if init.config.to_dict() != mcfg.to_dict():
            raise TrainingError(
                f"cannot fine-tune: the initial model's config {init.config.to_dict()} differs "
                f"from this run's {mcfg.to_dict()}"
            )
        model = init.model
    optimizer = make_optimizer(
        cfg.learning_rate, cfg.steps, cfg.warmup_steps, cfg.grad_clip, cfg.min_lr_ratio
    )
    alpha_optimizer = make_alpha_optimizer(cfg.alpha_lr) if cfg.alpha_dual else None
    log_alpha = jnp.asarray(math.log(cfg.alpha) if cfg.alpha > 0 else -jnp.inf, jnp.float32)
    state = TrainState(
        model,
        optimizer.init(eqx.filter(model, eqx.is_inexact_array)),
        log_alpha,
        alpha_optimizer.init(log_alpha) if alpha_optimizer is not None else None,
    )
    sampler = BatchSampler(prepared, cfg.batch_size, cfg.infeasible_batch_size)
    shares = _neg_shares(cfg.n_negatives, len(prepared.apps))
    if cfg.negatives == "evolution":
        neg_sampler: EvolutionSampler | GradientSampler = EvolutionSampler(
            shares, cfg.evo_generations, cfg.area_budget, cfg.evo_mutation_rate
        )
    else:
        neg_sampler = GradientSampler(
            cfg.n_negatives, mcfg.block_sizes, cfg.grad_steps, cfg.grad_step_size
        )

    from prime_rs import SPACE

    val_x, val_c = [], []
    for app in prepared.apps:
        rows = app.val_designs[: cfg.val_max_rows]
        val_x.append(np.asarray(SPACE.onehot(rows), np.float32))
        val_c.append(np.broadcast_to(app.context, (len(rows), app.context.size)).astype(np.float32))

    start, best, bad_vals = 0, -math.inf, 0
    x_neg = c_neg = None
    if resume_from is not None:
        target, meta = resume_from
        state = checkpoint.restore_tree(target / "state.eqx", state)
        arrays = checkpoint.load_arrays(target / "arrays.npz")
        rng.bit_generator.state = meta["rng_state"]
        start, best, bad_vals = meta["step"], meta["best"], meta["bad_vals"]
        x_neg, c_neg = arrays["x_neg"], arrays["c_neg"]
        if isinstance(neg_sampler, EvolutionSampler):
            neg_sampler.pool = [
                arrays[f"pool_{i}"] if f"pool_{i}" in arrays else None for i in range(len(shares))
            ]
        _truncate_metrics(run_dir / "metrics.jsonl", start)

    hyper = Hyper(
        beta=jnp.float32(cfg.beta),
        ranking_weight=jnp.float32(cfg.ranking_weight),
        tau=jnp.float32(cfg.tau),
        neg_lo=jnp.float32(clip.neg_lo),
        neg_hi=jnp.float32(clip.neg_hi),
        inf_lo=jnp.float32(clip.inf_lo),
        inf_weight=jnp.float32(1.0),
    )
    contexts_list = [a.context for a in prepared.apps]
    bar = _Progress(progress, cfg.steps, start)
    t0 = time.perf_counter()
    train_sums: dict[str, float] = {}
    n_sum = 0
    stopped_early = False
    best_model = None
    try:
        for step in range(start, cfg.steps):
            batch = sampler.sample(rng)
            if x_neg is None or step % cfg.negatives_every == 0:
                starts = [batch.designs[sl] for sl in batch.app_slices]
                x_neg, c_neg = neg_sampler.sample(state.model, starts, contexts_list, rng)
            hyper = eqx.tree_at(lambda h: h.inf_weight, hyper, jnp.float32(batch.inf_weight))
            arrays = (
                jnp.asarray(SPACE.onehot(batch.designs)),
                jnp.asarray(batch.y),
                jnp.asarray(batch.context),
                jnp.asarray(batch.pair),
                jnp.asarray(x_neg),
                jnp.asarray(c_neg),
                jnp.asarray(SPACE.onehot(batch.inf_designs)),
                jnp.asarray(batch.inf_context),
            )
            state, aux = train_step(
                state,
                optimizer,
                alpha_optimizer,
                hyper,
                arrays,
                jax.random.fold_in(dropout_root, step),
            )
            # Summed on device: no host sync per step (the negatives refresh syncs anyway).
            train_sums = {k: train_sums.get(k, 0.0) + v for k, v in aux.items()}
            n_sum += 1
            done = step + 1
            if done % cfg.val_every == 0 or done == cfg.steps:
                means = {k: float(v) / n_sum for k, v in train_sums.items()}
                if not all(math.isfinite(v) for v in means.values()):
                    raise TrainingError(
                        f"non-finite training loss before step {done} ({means}); "
                        "lower the learning rate or alpha/beta"
                    )
                val = _validate(state.model, prepared, val_x, val_c)
                record = {
                    "step": done,
                    "time_s": round(time.perf_counter() - t0, 3),
                    **{f"train_{k}": v for k, v in means.items()},
                    **val,
                }
                train_sums, n_sum = {}, 0
                improved = val["val_spearman"] > best + 1e-4
                if improved:
                    best, bad_vals = val["val_spearman"], 0
                else:
                    bad_vals += 1
                record["best_val_spearman"] = best
                if improved:
                    best_model = state.model
                if run_dir is not None:
                    _append_jsonl(run_dir / "metrics.jsonl", record)
                    _save(
                        run_dir,
                        done,
                        state,
                        x_neg,
                        c_neg,
                        neg_sampler,
                        rng,
                        best,
                        bad_vals,
                        run_meta,
                        val["val_spearman"],
                        improved,
                    )
                bar.update(done, f"val rho {val['val_spearman']:.3f} (best {best:.3f})")
                if cfg.patience and bad_vals >= cfg.patience:
                    stopped_early = True
                    break
            else:
                bar.update(done)
    finally:
        bar.close()
    if run_dir is not None:
        result = load(run_dir)
        result.info.update(stopped_early=stopped_early, wall_s=time.perf_counter() - t0)
        return result
    final = best_model if best_model is not None else state.model
    return TrainedModel(
        final,
        mcfg,
        prepared.transform,
        prepared.names,
        {a.name: a.context for a in prepared.apps} if contextual else None,
        cfg.area_budget,
        {
            "best_val_spearman": best,
            "stopped_early": stopped_early,
            "wall_s": time.perf_counter() - t0,
        },
    )


def _neg_shares(total: int, k: int) -> list[int]:
    base, extra = divmod(total, k)
    return [max(1, base + (1 if i < extra else 0)) for i in range(k)]


def _check_resumable(meta: dict[str, Any], run_meta: dict[str, Any]) -> None:
    if meta.get("model_config") != run_meta["model_config"]:
        raise CheckpointError(
            f"cannot resume: the checkpoint's model config {meta.get('model_config')} differs "
            f"from the requested {run_meta['model_config']}"
        )
    old = dict(meta.get("train_config", {}))
    new = dict(run_meta["train_config"])
    for k in ("steps", "patience", "val_every"):  # may change when extending a run
        old.pop(k, None)
        new.pop(k, None)
    diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if diff:
        raise CheckpointError(f"cannot resume: training settings differ from the run's: {diff}")
    for key in ("apps", "transform", "contexts"):
        if meta.get(key) != run_meta[key]:
            raise CheckpointError(f"cannot resume: {key} differ from the run's (different data?)")


def _save(
    run_dir: Path,
    step: int,
    state: TrainState,
    x_neg: Any,
    c_neg: Any,
    neg_sampler: Any,
    rng: np.random.Generator,
    best: float,
    bad_vals: int,
    run_meta: dict[str, Any],
    val_spearman: float,
    improved: bool,
) -> None:
    arrays = {"x_neg": np.asarray(x_neg), "c_neg": np.asarray(c_neg)}
    if isinstance(neg_sampler, EvolutionSampler):
        for i, p in enumerate(neg_sampler.pool):
            if p is not None:
                arrays[f"pool_{i}"] = p
    meta = {
        **run_meta,
        "rng_state": rng.bit_generator.state,
        "best": best,
        "bad_vals": bad_vals,
        "val_spearman": val_spearman,
    }
    pointers = ("latest", "best") if improved else ("latest",)
    checkpoint.save(run_dir, step, state.model, state, arrays, meta, pointers)


def _append_jsonl(path: Path, record: dict[str, Any]) -> None:
    try:
        with path.open("a") as f:
            f.write(json.dumps(record) + "\n")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc}") from exc


def _truncate_metrics(path: Path, step: int) -> None:
    """Drop records after the resumed checkpoint (they are recomputed)."""
    checkpoint.truncate_metrics(path, step)


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
