"""``Trainer``: one training run as a small object around the pure, jitted step.

``Trainer(dataset, apps, config=...)`` prepares the data and initialises the model and its
optimisers (``state``, a ``TrainState`` pytree of equinox modules and optax states);
``step()`` runs one update, refreshing the negatives on their schedule; ``validate()`` scores
the held-out rows and keeps the best model; ``save(run_dir)`` / ``restore(run_dir)`` write and
read a checkpoint from which the run continues bit for bit. The update is
``objective.train_step``; the loop that drives a Trainer (run directory, metrics log, early
stop, progress) is ``loop.train``.

Everything random comes from ``config.seed``: the JAX keys of the initialisation and of dropout
(folded with the step number, so a resumed run draws the same ones) and one numpy generator for
the batches and the negatives (the native kernels' seeds are drawn from it), whose state the
checkpoint carries.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from prime_rs.errors import CheckpointError, TrainingError
from prime_rs.model import ModelConfig, Surrogate, build_model
from prime_rs.train import checkpoint
from prime_rs.train.batches import BatchSampler, ContextSource, prepare, resolve_contexts
from prime_rs.train.config import TrainConfig
from prime_rs.train.negatives import EvolutionSampler, GradientSampler
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
from prime_rs.train.scoring import score_batch

__all__ = ["Trainer"]

#: Training settings a resumed run may change: they extend or shorten it, not alter its steps.
RESUMABLE_CHANGES = ("steps", "patience", "val_every")
#: A validation improves on the best only by more than this (noise in the rank correlation).
_MIN_IMPROVEMENT = 1e-4


class Trainer:
    """The state of one training run and the operations on it (see the module docstring).

    ``dataset``: a ``prime_rs.data.Dataset`` (or any object with its columns) or a path to one;
    ``config``: every training knob; ``model_config``: the architecture (a ``ModelConfig`` or a
    dict of its fields; block sizes and context width are filled in); ``contexts``: context
    vectors (or workload files) of applications that are not built-in workloads; ``init``:
    fine-tune: start from this model's weights (same architecture) instead of a fresh
    initialisation; the optimiser, schedule and negatives start afresh.
    """

    def __init__(
        self,
        dataset: Any,
        apps: Sequence[str] | str,
        *,
        config: TrainConfig | None = None,
        model_config: ModelConfig | Mapping[str, Any] | None = None,
        contexts: Mapping[str, ContextSource] | None = None,
        init: TrainedModel | None = None,
    ):
        from prime_rs import SPACE

        cfg = self.config = config or TrainConfig()
        app_list = [a for a in ([apps] if isinstance(apps, str) else list(apps)) if a]
        self.contextual = cfg.contextual if cfg.contextual is not None else len(app_list) > 1
        ctx_map = resolve_contexts(app_list, contexts) if self.contextual else None
        self.prepared = prepare(
            _load_dataset(dataset),
            app_list,
            area_budget=cfg.area_budget if cfg.over_budget == "infeasible" else None,
            val_fraction=cfg.val_fraction,
            seed=cfg.seed,
            contexts=ctx_map,
        )
        mcfg = self.model_config = _model_config(model_config, self.prepared.context_dim)
        clip = Clipping.from_scores(self.prepared.y_min, self.prepared.y_max, cfg.clip_margin)
        #: What identifies the run: written to config.json and into every checkpoint, and
        #: compared on restore.
        self.run_meta: dict[str, Any] = {
            "model_config": mcfg.to_dict(),
            "train_config": cfg.to_dict(),
            "transform": self.prepared.transform.to_dict(),
            "apps": self.prepared.names,
            "contexts": (
                {a.name: a.context.tolist() for a in self.prepared.apps} if self.contextual else {}
            ),
            "area_budget": cfg.area_budget,
            "clipping": clip.to_dict(),
        }

        self.dropout_root = jax.random.key(cfg.seed ^ 0x0D0D, impl="rbg")
        self.rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 0xBA7C]))
        model = build_model(mcfg, jax.random.key(cfg.seed))
        if init is not None:
            if init.config.to_dict() != mcfg.to_dict():
                raise TrainingError(
                    f"cannot fine-tune: the initial model's config {init.config.to_dict()} "
                    f"differs from this run's {mcfg.to_dict()}"
                )
            model = init.model
        self.optimizer = make_optimizer(
            cfg.learning_rate, cfg.steps, cfg.warmup_steps, cfg.grad_clip, cfg.min_lr_ratio
        )
        self.alpha_optimizer = make_alpha_optimizer(cfg.alpha_lr) if cfg.alpha_dual else None
        log_alpha = jnp.asarray(math.log(cfg.alpha) if cfg.alpha > 0 else -jnp.inf, jnp.float32)
        self.state = TrainState(
            model,
            self.optimizer.init(eqx.filter(model, eqx.is_inexact_array)),
            log_alpha,
            self.alpha_optimizer.init(log_alpha) if self.alpha_optimizer is not None else None,
        )
        self.hyper = Hyper(
            beta=jnp.float32(cfg.beta),
            ranking_weight=jnp.float32(cfg.ranking_weight),
            tau=jnp.float32(cfg.tau),
            neg_lo=jnp.float32(clip.neg_lo),
            neg_hi=jnp.float32(clip.neg_hi),
            inf_lo=jnp.float32(clip.inf_lo),
            inf_weight=jnp.float32(1.0),
        )
        self.batches = BatchSampler(self.prepared, cfg.batch_size, cfg.infeasible_batch_size)
        self.negatives: EvolutionSampler | GradientSampler
        if cfg.negatives == "evolution":
            self.negatives = EvolutionSampler(
                _neg_shares(cfg.n_negatives, len(self.prepared.apps)),
                cfg.evo_generations,
                cfg.area_budget,
                cfg.evo_mutation_rate,
            )
        else:
            self.negatives = GradientSampler(
                cfg.n_negatives, mcfg.block_sizes, cfg.grad_steps, cfg.grad_step_size
            )
        self._contexts = [a.context for a in self.prepared.apps]
        # The held-out inputs never change: encoded once.
        self._val: list[tuple[jax.Array, jax.Array]] = []
        for app in self.prepared.apps:
            rows = app.val_designs[: cfg.val_max_rows]
            ctx = np.broadcast_to(app.context, (len(rows), app.context.size))
            self._val.append(
                (
                    jnp.asarray(np.asarray(SPACE.onehot(rows), np.float32)),
                    jnp.asarray(ctx.astype(np.float32)),
                )
            )

        #: Steps taken (the next step's index).
        self.step_count = 0
        #: Best validation Spearman so far, validations since it, and its model.
        self.best = -math.inf
        self.bad_vals = 0
        self.best_model: Surrogate | None = None
        self._neg: tuple[np.ndarray, np.ndarray] | None = None  # (x_neg, c_neg)
        self._sums: dict[str, Any] = {}
        self._n_sum = 0

    @property
    def model(self) -> Surrogate:
        """The current (last stepped) model."""
        return self.state.model

    @property
    def patience_exhausted(self) -> bool:
        """True when ``config.patience`` validations in a row did not improve on the best."""
        return bool(self.config.patience) and self.bad_vals >= self.config.patience

    # ------------------------------------------------------------------------------ steps

    def step(self) -> dict[str, jax.Array]:
        """One optimiser step (the negatives are refreshed every ``negatives_every`` steps, and
        before the first); returns the step's loss terms, still on the device."""
        from prime_rs import SPACE

        cfg = self.config
        batch = self.batches.sample(self.rng)
        if self._neg is None or self.step_count % cfg.negatives_every == 0:
            starts = [batch.designs[sl] for sl in batch.app_slices]
            self._neg = self.negatives.sample(self.state.model, starts, self._contexts, self.rng)
        x_neg, c_neg = self._neg
        hyper = eqx.tree_at(lambda h: h.inf_weight, self.hyper, jnp.float32(batch.inf_weight))
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
        self.state, aux = train_step(
            self.state,
            self.optimizer,
            self.alpha_optimizer,
            hyper,
            arrays,
            jax.random.fold_in(self.dropout_root, self.step_count),
        )
        # Summed on device: no host sync per step (the negatives refresh syncs anyway).
        self._sums = {k: self._sums.get(k, 0.0) + v for k, v in aux.items()}
        self._n_sum += 1
        self.step_count += 1
        return aux

    # ------------------------------------------------------------------------- validation

    def validate(self) -> tuple[dict[str, Any], bool]:
        """The mean loss terms since the last validation (``train_*``), the held-out metrics
        (``val_*`` and per application) and the best Spearman so far; True when this
        validation improved on the best (its model is then kept as the best)."""
        means = {k: float(v) / self._n_sum for k, v in self._sums.items()}
        if not all(math.isfinite(v) for v in means.values()):
            raise TrainingError(
                f"non-finite training loss before step {self.step_count} ({means}); "
                "lower the learning rate or alpha/beta"
            )
        self._sums, self._n_sum = {}, 0
        val = self._held_out()
        improved = val["val_spearman"] > self.best + _MIN_IMPROVEMENT
        if improved:
            self.best, self.bad_vals, self.best_model = val["val_spearman"], 0, self.state.model
        else:
            self.bad_vals += 1
        record = {**{f"train_{k}": v for k, v in means.items()}, **val}
        record["best_val_spearman"] = self.best
        return record, improved

    def _held_out(self) -> dict[str, Any]:
        per_app = {}
        for app, (x, c) in zip(self.prepared.apps, self._val, strict=True):
            f = np.asarray(score_batch(self.state.model, x, c), np.float64)
            y = app.val_y[: len(f)].astype(np.float64)
            per_app[app.name] = {
                "n": len(f),
                "mse": float(np.mean((f - y) ** 2)),
                "spearman": spearman(f, y),
                "kendall": kendall(f, y),
            }
        mean = {
            k: float(np.mean([m[k] for m in per_app.values()]))
            for k in ("mse", "spearman", "kendall")
        }
        return {
            "val_mse": mean["mse"],
            "val_spearman": mean["spearman"],
            "val_kendall": mean["kendall"],
            "apps": per_app,
        }

    # ------------------------------------------------------------------------ checkpoints

    def save(self, run_dir: str | os.PathLike[str], val_spearman: float, improved: bool) -> None:
        """Checkpoint the run at its current step as ``latest`` (and ``best`` when
        ``improved``); ``val_spearman`` is the step's validation score."""
        if self._neg is None:
            raise TrainingError("nothing to checkpoint before the first step")
        arrays = {"x_neg": np.asarray(self._neg[0]), "c_neg": np.asarray(self._neg[1])}
        if isinstance(self.negatives, EvolutionSampler):
            for i, p in enumerate(self.negatives.pool):
                if p is not None:
                    arrays[f"pool_{i}"] = p
        meta = {
            **self.run_meta,
            "rng_state": self.rng.bit_generator.state,
            "best": self.best,
            "bad_vals": self.bad_vals,
            "val_spearman": val_spearman,
        }
        pointers = ("latest", "best") if improved else ("latest",)
        checkpoint.save(
            Path(run_dir), self.step_count, self.state.model, self.state, arrays, meta, pointers
        )

    def check_resumable(self, meta: Mapping[str, Any]) -> None:
        """Raise ``CheckpointError`` unless a checkpoint with ``meta`` continues this run."""
        if meta.get("model_config") != self.run_meta["model_config"]:
            raise CheckpointError(
                f"cannot resume: the checkpoint's model config {meta.get('model_config')} "
                f"differs from the requested {self.run_meta['model_config']}"
            )
        old = dict(meta.get("train_config", {}))
        new = dict(self.run_meta["train_config"])
        for k in RESUMABLE_CHANGES:
            old.pop(k, None)
            new.pop(k, None)
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if diff:
            raise CheckpointError(f"cannot resume: training settings differ from the run's: {diff}")
        for key in ("apps", "transform", "contexts"):
            if meta.get(key) != self.run_meta[key]:
                raise CheckpointError(
                    f"cannot resume: {key} differ from the run's (different data?)"
                )

    def restore(self, run_dir: str | os.PathLike[str]) -> None:
        """Continue from the run's latest checkpoint (refused by ``check_resumable``). The best
        model of the steps before it is not restored: ``loop.load`` reads it from disk."""
        target, meta = checkpoint.read_pointer(run_dir, "latest")
        self.check_resumable(meta)
        self.state = checkpoint.restore_tree(target / "state.eqx", self.state)
        arrays = checkpoint.load_arrays(target / "arrays.npz")
        self.rng.bit_generator.state = meta["rng_state"]
        self.step_count, self.best, self.bad_vals = meta["step"], meta["best"], meta["bad_vals"]
        self._neg = (arrays["x_neg"], arrays["c_neg"])
        if isinstance(self.negatives, EvolutionSampler):
            self.negatives.pool = [
                arrays[f"pool_{i}"] if f"pool_{i}" in arrays else None
                for i in range(len(self.negatives.n_per_app))
            ]
        self.best_model = None
        self._sums, self._n_sum = {}, 0

    # ----------------------------------------------------------------------------- result

    def trained_model(self, info: dict[str, Any] | None = None) -> TrainedModel:
        """The best validated model (the current one if none was validated), with ``info``."""
        final = self.best_model if self.best_model is not None else self.state.model
        return TrainedModel(
            final,
            self.model_config,
            self.prepared.transform,
            self.prepared.names,
            {a.name: a.context for a in self.prepared.apps} if self.contextual else None,
            self.config.area_budget,
            info,
        )


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


def _neg_shares(total: int, k: int) -> list[int]:
    """``total`` negatives split over ``k`` applications, at least one each."""
    base, extra = divmod(total, k)
    return [max(1, base + (1 if i < extra else 0)) for i in range(k)]
