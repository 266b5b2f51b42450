"""Reusing a trained model (``prime-rs optimize --model-run RUN``): a ``prime-rs train`` run
records the dataset it learned from (``dataset.json``: content hash, world, applications,
path); a run that reuses the model checks, before any work, that it searches the same world and
the same applications with the same data, and refuses anything else as an input error."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from prime_rs import runs
from prime_rs.errors import InvalidArgumentError

__all__ = ["DATASET_RECORD", "ModelRun", "read_model_run", "record_training_data"]

#: The file of a training run that names its dataset.
DATASET_RECORD = "dataset.json"


def record_training_data(
    run_dir: str | os.PathLike[str], ds: Any, path: str | os.PathLike[str] | None
) -> None:
    """Write ``RUN/dataset.json``: what a later ``--model-run RUN`` checks its data against."""
    runs.write_json(
        Path(run_dir) / DATASET_RECORD,
        {
            "sha256": ds.content_hash(),
            "rows": len(ds),
            "applications": list(ds.applications),
            "world": ds.world.to_metadata(),
            "world_description": ds.world.describe(),
            "path": str(Path(path).resolve()) if path is not None else None,
        },
    )


@dataclasses.dataclass(frozen=True)
class ModelRun:
    """A training run's directory, with the record of the data it learned from and the
    training settings it used (``config.json``)."""

    path: Path
    dataset: dict[str, Any]
    apps: list[str]
    train_config: dict[str, Any]
    contextual: bool
    #: The model's architecture (``config.json``'s ``model_config``): fine-tuning the reused
    #: model (``optimize --rounds``) rebuilds this one, not the default.
    model_config: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def naive(self) -> bool:
        t = self.train_config
        return t.get("alpha") == 0 and t.get("beta") == 0 and not t.get("alpha_dual")

    def tuning(self, settings: Any) -> Any:
        """``settings`` (an :class:`~prime_rs.run.OptimizeSettings`) with this run's model and
        training tables: fine-tuning the reused model (``--rounds``) rebuilds its architecture
        and keeps its objective, not the defaults."""
        from prime_rs.run.settings import MODEL_DERIVED, TRAIN_DERIVED

        return dataclasses.replace(
            settings,
            model={k: v for k, v in self.model_config.items() if k not in MODEL_DERIVED},
            train={k: v for k, v in self.train_config.items() if k not in TRAIN_DERIVED},
        )

    def check(self, ds: Any, learn: list[str], zero_shot: bool) -> None:
        """Refuse (InvalidArgumentError) data of another world or content, or another set
        of applications than the model learned."""
        if ds.world.to_metadata() != self.dataset.get("world"):
            raise InvalidArgumentError(
                f"--model-run {self.path}: the model was trained on data of "
                f"{self.dataset.get('world_description')}, this run's data comes from "
                f"{ds.world.describe()}"
            )
        if ds.content_hash() != self.dataset.get("sha256"):
            raise InvalidArgumentError(
                f"--model-run {self.path}: the model was trained on another dataset (content "
                f"hash {str(self.dataset.get('sha256'))[:12]}..., this run's data has "
                f"{ds.content_hash()[:12]}...); give the model's own data with --data"
            )
        if sorted(learn) != sorted(self.apps):
            raise InvalidArgumentError(
                f"--model-run {self.path}: the model was trained on {', '.join(self.apps)}, "
                f"this run learns from {', '.join(learn)}"
            )
        if zero_shot and not self.contextual:
            raise InvalidArgumentError(
                f"--model-run {self.path}: zero-shot needs a contextual model (trained on "
                "several applications), and this one is not"
            )


def read_model_run(path: str | os.PathLike[str]) -> ModelRun:
    """The training run at ``path``; InvalidArgumentError when it is not a finished
    ``prime-rs train`` run with a dataset record."""
    run = Path(path)
    config = run / "config.json"
    record = run / DATASET_RECORD
    if not config.is_file() or not (run / "checkpoints").is_dir():
        raise InvalidArgumentError(
            f"--model-run {run}: not a training run (no config.json and checkpoints/; "
            "make one with prime-rs train)"
        )
    if not record.is_file():
        raise InvalidArgumentError(
            f"--model-run {run}: the run does not record its dataset ({DATASET_RECORD}); "
            "train it with prime-rs train"
        )
    try:
        meta = json.loads(config.read_text(encoding="utf-8"))
        dataset = json.loads(record.read_text(encoding="utf-8"))
        return ModelRun(
            run,
            dict(dataset),
            [str(a) for a in meta["apps"]],
            dict(meta.get("train_config") or {}),
            bool(meta.get("contexts")),
            dict(meta.get("model_config") or {}),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidArgumentError(f"--model-run {run}: unreadable run files: {exc}") from None
