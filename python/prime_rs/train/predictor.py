"""A trained surrogate bundled with what it needs to answer in user units."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from prime_rs.errors import InvalidArgumentError, UnknownApplicationError
from prime_rs.model import ModelConfig, Surrogate
from prime_rs.train.scoring import score_batch
from prime_rs.train.targets import ScoreTransform

__all__ = ["TrainedModel"]


class TrainedModel:
    """The surrogate, its config, score transform and per-application contexts.

    ``score`` gives the standardised score (higher is better); ``predict`` the predicted latency
    in milliseconds (the inverse transform of the score).
    """

    def __init__(
        self,
        model: Surrogate,
        config: ModelConfig,
        transform: ScoreTransform,
        apps: Sequence[str],
        contexts: Mapping[str, np.ndarray] | None = None,
        area_budget: float | None = None,
        info: dict[str, Any] | None = None,
    ):
        self.model = model
        self.config = config
        self.transform = transform
        self.apps = tuple(apps)
        self.contexts = {k: np.asarray(v, np.float32) for k, v in (contexts or {}).items()}
        self.area_budget = area_budget
        self.info = dict(info or {})

    def __repr__(self) -> str:
        kind = "contextual " if self.config.contextual else ""
        return f"TrainedModel({kind}{self.config.kind}, apps={list(self.apps)})"

    def context(self, app: str | None = None, context: Any = None) -> np.ndarray:
        """The context vector used for ``app`` (width 0 for the plain model)."""
        if not self.config.contextual:
            if context is not None:
                raise InvalidArgumentError("this surrogate is not contextual: do not pass context")
            if app is not None and app not in self.apps:
                raise UnknownApplicationError(
                    f"this surrogate was trained for {list(self.apps)} only, not {app!r} "
                    "(train a contextual model on several applications for zero-shot use)"
                )
            return np.zeros(0, np.float32)
        if context is not None:
            vec = np.asarray(context, np.float32).reshape(-1)
        elif app is None:
            raise InvalidArgumentError("a contextual surrogate needs an application or a context")
        elif app in self.contexts:
            vec = self.contexts[app]
        else:
            from prime_rs.train.batches import resolve_contexts

            vec = resolve_contexts([app])[app].astype(np.float32)
        if vec.size != self.config.context_dim or not np.isfinite(vec).all():
            raise InvalidArgumentError(
                f"context must be {self.config.context_dim} finite numbers, got {vec.size}"
            )
        return vec

    def score_onehot(self, x: jax.Array | np.ndarray, context: np.ndarray) -> jax.Array:
        """Scores of encoded designs (n, 77) under one context (jitted; for optimisers)."""
        x = jnp.asarray(x, jnp.float32)
        ctx = jnp.broadcast_to(jnp.asarray(context, jnp.float32), (x.shape[0], context.size))
        return score_batch(self.model, x, ctx)

    def score(
        self,
        designs: Any,
        app: str | None = None,
        *,
        context: Any = None,
        batch_size: int = 4096,
    ) -> np.ndarray:
        """Standardised scores (float64, higher is better) of index-row designs."""
        from prime_rs import SPACE

        rows = SPACE.validate(designs)
        ctx = self.context(app, context)
        out = np.empty(len(rows), np.float64)
        for s in range(0, len(rows), batch_size):
            chunk = rows[s : s + batch_size]
            # Pad to a power of two so a few compiled shapes serve every batch size.
            n = len(chunk)
            padded = max(64, 1 << (n - 1).bit_length())
            x = np.zeros((padded, self.config.input_width), np.float32)
            x[:n] = SPACE.onehot(chunk)
            out[s : s + n] = np.asarray(self.score_onehot(x, ctx))[:n]
        return out

    def predict(
        self,
        designs: Any,
        app: str | None = None,
        *,
        context: Any = None,
        return_score: bool = False,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Predicted latency in milliseconds (and the raw score with ``return_score=True``)."""
        s = self.score(designs, app, context=context)
        lat = self.transform.latency(s)
        return (lat, s) if return_score else lat
