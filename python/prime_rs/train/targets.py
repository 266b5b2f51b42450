"""The score the surrogate predicts, and its inverse (scores <-> latencies in milliseconds).

score = (-log(latency_ms) - mean) / std, with mean and std of -log(latency_ms) over the training
regression set (feasible rows within the area budget, all training applications pooled).

Why not the released code's raw -runtime: latencies span two to three orders of magnitude and
the few slow outliers dominate an MSE on raw values. The log makes the error relative (a 10%
error weighs the same on a fast and a slow design) and standardising puts every target near
[-3, 3], so the released clipping constants can be restated in standard deviations
(``prime_rs.train.objective.Clipping``). The statistics are pooled over applications (not per
application) so a contextual model can score an application it never saw.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from prime_rs.errors import DatasetError

__all__ = ["ScoreTransform"]


@dataclasses.dataclass(frozen=True)
class ScoreTransform:
    """Affine map between -log(latency_ms) and the standardised score (higher is better)."""

    mean: float
    std: float

    @classmethod
    def fit(cls, latency_ms: np.ndarray) -> ScoreTransform:
        lat = np.asarray(latency_ms, dtype=np.float64)
        if lat.size == 0:
            raise DatasetError("cannot fit the score transform: no feasible latencies")
        bad = ~np.isfinite(lat) | (lat <= 0)
        if bad.any():
            raise DatasetError(
                f"{int(bad.sum())} feasible latencies are NaN, infinite or <= 0 "
                f"(first: {lat[np.argmax(bad)]!r})"
            )
        neg_log = -np.log(lat)
        std = float(neg_log.std())
        # One distinct latency (or one row) has no spread: keep the scale at 1 rather than divide by 0.
        return cls(mean=float(neg_log.mean()), std=std if std > 1e-12 else 1.0)

    def score(self, latency_ms: np.ndarray) -> np.ndarray:
        """Standardised score of latencies (float64; +inf latency -> -inf score)."""
        with np.errstate(divide="ignore"):
            return (-np.log(np.asarray(latency_ms, dtype=np.float64)) - self.mean) / self.std

    def latency(self, score: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`score`: latency in milliseconds of standardised scores."""
        return np.exp(-(np.asarray(score, dtype=np.float64) * self.std + self.mean))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "standardised_neg_log_latency", "mean": self.mean, "std": self.std}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScoreTransform:
        if d.get("kind") != "standardised_neg_log_latency":
            raise DatasetError(f"unknown score transform {d.get('kind')!r}")
        return cls(mean=float(d["mean"]), std=float(d["std"]))
