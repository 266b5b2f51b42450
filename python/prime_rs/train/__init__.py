"""Training the PRIME conservative surrogate.

``train(dataset, apps, ...)`` fits a ``prime_rs.model`` surrogate with the PRIME objective
(``objective``), negatives from optimising the model (``negatives``), on standardised
-log-latency targets (``targets``), and returns a ``TrainedModel`` whose ``predict`` answers in
milliseconds. ``load(run_dir)`` reads a run's checkpoint back. ``train`` is a short driver
(``loop``) over a ``Trainer`` (``trainer``: init, step, validate, save, restore), which a
caller can also step itself.
"""

from __future__ import annotations

from prime_rs.train.config import TrainConfig
from prime_rs.train.loop import load, train
from prime_rs.train.objective import Clipping
from prime_rs.train.predictor import TrainedModel
from prime_rs.train.targets import ScoreTransform
from prime_rs.train.trainer import Trainer

__all__ = ["Clipping", "ScoreTransform", "TrainConfig", "TrainedModel", "Trainer", "load", "train"]
