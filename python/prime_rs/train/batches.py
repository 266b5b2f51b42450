"""From a logged dataset to training batches: the regression/infeasible split, the held-out
validation rows, per-application context vectors, and the seeded batch sampler.

The dataset is duck-typed: anything with ``.designs`` (n,10) index rows, ``.application`` (n,) str,
``.latency_ms``, ``.area_mm2`` (float) and ``.feasible`` (bool) works (``prime_rs.data.Dataset``
is the usual one).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from prime_rs.errors import (
    DatasetError,
    TrainingError,
    UnknownApplicationError,
    UnknownWorkloadError,
)
from prime_rs.train.targets import ScoreTransform

__all__ = ["AppData", "Batch", "BatchSampler", "Prepared", "prepare", "resolve_contexts"]

ContextSource = np.ndarray | Sequence[float] | str | os.PathLike[str]


def resolve_contexts(
    apps: Sequence[str], contexts: Mapping[str, ContextSource] | None = None
) -> dict[str, np.ndarray]:
    """Context vector of each application: from ``contexts`` (a vector or a workload file) or
    from the built-in workload of that name. Raises UnknownApplicationError when neither exists.
    """
    from prime_rs import workloads

    contexts = dict(contexts or {})
    out: dict[str, np.ndarray] = {}
    for app in apps:
        src = contexts.get(app)
        try:
            if src is None:
                vec = workloads.load(app).context
            elif isinstance(src, str | os.PathLike):
                vec = workloads.load(os.fspath(src)).context
            else:
                vec = src
        except UnknownWorkloadError as exc:
            raise UnknownApplicationError(
                f"no context vector for application {app!r}: it is not a built-in workload; "
                f"give one as contexts={{{app!r}: <vector or workload file>}} "
                f"(CLI: --context {app}=FILE)"
            ) from exc
        arr = np.asarray(vec, dtype=np.float64).reshape(-1)
        if arr.size == 0 or not np.isfinite(arr).all():
            raise DatasetError(f"context vector of {app!r} is empty or not finite: {arr}")
        out[app] = arr
    sizes = {v.size for v in out.values()}
    if len(sizes) > 1:
        raise DatasetError(
            f"context vectors differ in length: { ({a: v.size for a, v in out.items()}) }"
        )
    return out


@dataclasses.dataclass
class AppData:
    """The rows of one application, split for training."""

    name: str
    context: np.ndarray  # (context_dim,) float32; width 0 for the plain model
    train_designs: np.ndarray  # (n,10) uint8, feasible within budget
    train_y: np.ndarray  # (n,) float32 standardised score
    val_designs: np.ndarray
    val_y: np.ndarray
    inf_designs: np.ndarray  # (m,10) uint8: simulator-infeasible or over budget


@dataclasses.dataclass
class Prepared:
    apps: list[AppData]
    transform: ScoreTransform
    y_min: float
    y_max: float

    @property
    def context_dim(self) -> int:
        return int(self.apps[0].context.size)

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.apps]


def _column(dataset: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(getattr(dataset, name))
    except AttributeError as exc:
        raise DatasetError(f"dataset has no {name!r} (is it a prime_rs.data.Dataset?)") from exc


def prepare(
    dataset: Any,
    apps: Sequence[str],
    *,
    area_budget: float | None,
    val_fraction: float,
    seed: int,
    contexts: dict[str, np.ndarray] | None,
) -> Prepared:
    """Split ``dataset`` for training on ``apps`` (contexts None -> the plain model)."""
    from prime_rs import SPACE

    designs = SPACE.validate(_column(dataset, "designs"))
    application = _column(dataset, "application").astype(str)
    latency = _column(dataset, "latency_ms").astype(np.float64)
    area = _column(dataset, "area_mm2").astype(np.float64)
    feasible = _column(dataset, "feasible").astype(bool)
    n = len(designs)
    if not all(len(c) == n for c in (application, latency, area, feasible)):
        raise DatasetError("dataset columns differ in length")
    if not apps:
        raise TrainingError("no applications to train on")
    if len(set(apps)) != len(apps):
        raise TrainingError(f"applications repeated: {list(apps)}")
    present = set(np.unique(application).tolist())
    missing = [a for a in apps if a not in present]
    if missing:
        raise UnknownApplicationError(
            f"application(s) {missing} not in the dataset (it has: {sorted(present)})"
        )
    if not (0.0 < val_fraction < 1.0):
        raise TrainingError(f"val_fraction must be in (0, 1), got {val_fraction}")
    bad_lat = feasible & ~(np.isfinite(latency) & (latency > 0))
    if bad_lat.any():
        first = int(np.argmax(bad_lat))
        raise DatasetError(
            f"{int(bad_lat.sum())} feasible row(s) have a NaN, infinite or non-positive latency "
            f"(first: row {first}, application {application[first]!r}, latency_ms={latency[first]!r})"
        )
    if (feasible & ~np.isfinite(area)).any():
        raise DatasetError(
            f"{int((feasible & ~np.isfinite(area)).sum())} feasible row(s) have a NaN area"
        )

    in_budget = feasible if area_budget is None else feasible & (area <= area_budget)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED]))
    parts = []
    for app in apps:
        rows = application == app
        reg = np.flatnonzero(rows & in_budget)
        if reg.size < 2:
            where = "" if area_budget is None else f" within the {area_budget} mm² area budget"
            raise TrainingError(
                f"application {app!r} has {reg.size} feasible row(s){where}: "
                "need at least 2 to train and validate"
            )
        perm = rng.permutation(reg)
        n_val = min(max(1, round(val_fraction * reg.size)), reg.size - 1)
        parts.append((app, perm[n_val:], perm[:n_val], np.flatnonzero(rows & ~in_budget)))
    transform = ScoreTransform.fit(np.concatenate([latency[p[1]] for p in parts]))
    out = []
    for app, tr, va, inf in parts:
        ctx = contexts[app] if contexts is not None else np.zeros(0)
        out.append(
            AppData(
                name=app,
                context=np.asarray(ctx, dtype=np.float32),
                train_designs=designs[tr],
                train_y=transform.score(latency[tr]).astype(np.float32),
                val_designs=designs[va],
                val_y=transform.score(latency[va]).astype(np.float32),
                inf_designs=designs[inf],
            )
        )
    y_all = np.concatenate([a.train_y for a in out])
    return Prepared(out, transform, float(y_all.min()), float(y_all.max()))


@dataclasses.dataclass
class Batch:
    """Numpy arrays of one training step (fixed shapes across steps)."""

    designs: np.ndarray  # (B,10) feasible in-budget rows
    y: np.ndarray  # (B,) float32
    context: np.ndarray  # (B,c) float32
    pair: np.ndarray  # (B,) int32: a partner row of the same application (ranking loss)
    inf_designs: np.ndarray  # (Bi,10)
    inf_context: np.ndarray  # (Bi,c)
    inf_weight: float  # 0 when the data has no infeasible row at all (the term is off)
    app_slices: list[slice]  # rows of each application in ``designs``


def _shares(total: int, k: int) -> list[int]:
    base, extra = divmod(total, k)
    return [base + (1 if i < extra else 0) for i in range(k)]


class BatchSampler:
    """Stratified sampling with replacement: every application gets an equal share of the
    feasible batch (per-application batches for the contextual model) and of the infeasible
    batch (among applications that have infeasible rows)."""

    def __init__(self, prepared: Prepared, batch_size: int, inf_batch_size: int):
        self.prepared = prepared
        k = len(prepared.apps)
        if batch_size < k:
            raise TrainingError(f"batch_size {batch_size} < number of applications {k}")
        self.shares = _shares(batch_size, k)
        with_inf = [i for i, a in enumerate(prepared.apps) if len(a.inf_designs)]
        self.inf_apps = with_inf
        self.inf_shares = _shares(inf_batch_size, len(with_inf)) if with_inf else []
        self.inf_batch_size = inf_batch_size
        starts = np.cumsum([0, *self.shares])
        self.app_slices = [slice(int(s), int(e)) for s, e in itertools.pairwise(starts)]

    def sample(self, rng: np.random.Generator) -> Batch:
        apps = self.prepared.apps
        d, y, c, pair = [], [], [], []
        for app, share, sl in zip(apps, self.shares, self.app_slices, strict=True):
            idx = rng.integers(0, len(app.train_designs), share)
            d.append(app.train_designs[idx])
            y.append(app.train_y[idx])
            c.append(np.broadcast_to(app.context, (share, app.context.size)))
            pair.append(sl.start + rng.permutation(share))
        if self.inf_apps:
            di, ci = [], []
            for i, share in zip(self.inf_apps, self.inf_shares, strict=True):
                app = apps[i]
                idx = rng.integers(0, len(app.inf_designs), share)
                di.append(app.inf_designs[idx])
                ci.append(np.broadcast_to(app.context, (share, app.context.size)))
            inf_d, inf_c, w = np.concatenate(di), np.concatenate(ci), 1.0
        else:
            # No infeasible row anywhere: keep the shapes (the step is compiled once) and
            # switch the term off.
            reps = np.resize(np.concatenate(d), (self.inf_batch_size, 10))
            inf_d, inf_c = reps, np.resize(np.concatenate(c), (self.inf_batch_size, c[0].shape[1]))
            w = 0.0
        return Batch(
            designs=np.concatenate(d),
            y=np.concatenate(y).astype(np.float32),
            context=np.concatenate(c).astype(np.float32),
            pair=np.concatenate(pair).astype(np.int32),
            inf_designs=inf_d,
            inf_context=inf_c.astype(np.float32),
            inf_weight=w,
            app_slices=self.app_slices,
        )
