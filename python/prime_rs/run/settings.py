"""What defines a run of `prime-rs optimize`: typed settings (saved as the run's config.toml),
read from TOML or given by the API. No string parsing here: the command line splits
``--apps a,b`` and ``--workload APP=FILE`` before the settings see them."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prime_rs import checks
from prime_rs.checks import names
from prime_rs.errors import InvalidArgumentError
from prime_rs.task import DEFAULT_AREA_BUDGET, check_area_budget

__all__ = [
    "AREA_MODELS",
    "DEFAULT_DATASET_DESIGNS",
    "FINETUNE_FRACTION",
    "OptimizeSettings",
    "WorldSettings",
    "load_contexts",
    "read_toml",
]

#: Dataset size generated per application when the user gives no data (cached).
DEFAULT_DATASET_DESIGNS = 100_000

#: Fine-tuning steps of a round after the first, as a share of the first round's training steps
#: (the surrogate starts from the last round's weights and sees K new rows).
FINETUNE_FRACTION = 0.25

#: Named values of ``--area-model`` (anything else is an area command line).
AREA_MODELS = ("auto", "builtin", "fitted")


@dataclass(kw_only=True)
class WorldSettings:
    """How designs are evaluated and constrained: the settings a run and a comparison share
    (keyword-only, after each one's own fields)."""

    #: "builtin", "none" or a command line; None = the data's world decides (builtin on
    #: built-in data, none otherwise).
    oracle: str | None = None
    #: Verify with the built-in simulator even though the data comes from another world.
    force_oracle: bool = False
    #: Seconds one oracle command may run (None: no limit).
    oracle_timeout: float | None = None
    #: Oracle batches run at once.
    oracle_jobs: int = 1
    #: Designs per oracle batch (None: all at once).
    oracle_batch: int | None = None
    #: "auto" (the data's world), "builtin" (analytic), "fitted" (to the logged areas) or an
    #: area command line (the oracle protocol, only ``area_mm2`` answered).
    area_model: str = "auto"
    #: Context sources of applications without a built-in workload: a workload file path or a
    #: context vector per application (``--workload m4=m4.toml``, ``--contexts FILE``).
    contexts: dict[str, Any] = field(default_factory=dict)

    def check_world(self) -> None:
        if int(self.oracle_jobs) < 1:
            raise InvalidArgumentError(f"oracle_jobs must be >= 1, got {self.oracle_jobs}")
        if not isinstance(self.area_model, str) or not self.area_model.strip():
            raise InvalidArgumentError(
                f"area model must be one of {', '.join(AREA_MODELS)} or an area command, "
                f"got {self.area_model!r}"
            )
        if self.oracle_timeout is not None and not float(self.oracle_timeout) > 0:
            raise InvalidArgumentError(
                f"oracle timeout must be a positive number of seconds, got {self.oracle_timeout}"
            )
        if not isinstance(self.contexts, dict):
            raise InvalidArgumentError("contexts must be a table (a mapping of settings)")

    def world_settings(self) -> dict[str, Any]:
        """These settings as keywords, to hand on to another settings object."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(WorldSettings)}


@dataclass
class OptimizeSettings(WorldSettings):
    """Everything that defines a run; saved as the run's config.toml."""

    apps: list[str] = field(default_factory=lambda: ["mobilenet_v2"])
    area_budget: float = DEFAULT_AREA_BUDGET
    data: str | None = None
    dataset_designs: int = DEFAULT_DATASET_DESIGNS
    dataset_mode: str = "random"
    seed: int = 0
    #: Seed of the generated dataset (when ``data`` is None): separate from ``seed``, so
    #: model seeds share their logs, as in ``prime-rs compare``.
    data_seed: int = 0
    #: A ``prime-rs train`` run directory whose model is reused instead of training one.
    model_run: str | None = None
    steps: int | None = None
    naive: bool = False
    zero_shot: bool = False
    train_apps: list[str] | None = None
    candidates: int = 128
    population: int = 512
    generations: int = 80
    #: Further training settings (``TrainConfig`` fields, e.g. ``warmup_steps``): the
    #: ``[train]`` table of a config TOML.
    train: dict[str, Any] = field(default_factory=dict)
    #: Surrogate architecture (``ModelConfig`` fields, e.g. ``kind = "mlp"``): ``[model]``.
    model: dict[str, Any] = field(default_factory=dict)
    #: Rounds of propose -> verify -> add to the data -> fine-tune (1: offline PRIME).
    rounds: int = 1
    #: Fine-tuning steps of each round after the first (None: FINETUNE_FRACTION of the steps).
    finetune_steps: int | None = None
    #: After verification, measure the result against the true optimum (built-in world only;
    #: evaluation only, cached per task).
    optimum: bool = True

    def __post_init__(self) -> None:
        self.seed = checks.seed(self.seed)
        self.data_seed = checks.seed(self.data_seed)
        self.apps = names(self.apps, "apps")
        if self.train_apps is not None:
            self.train_apps = names(self.train_apps, "train_apps")
        if not self.apps:
            raise InvalidArgumentError("no applications given")
        check_area_budget(self.area_budget)
        if self.zero_shot and not self.train_apps:
            raise InvalidArgumentError(
                "--zero-shot needs --train-apps (the applications to learn from)"
            )
        if self.zero_shot and set(self.apps) & set(self.train_apps or []):
            raise InvalidArgumentError(
                "zero-shot target applications must not be among the training applications: "
                f"{sorted(set(self.apps) & set(self.train_apps or []))}"
            )
        if self.dataset_mode not in ("random", "search"):
            raise InvalidArgumentError(
                f"dataset mode must be 'random' or 'search', got {self.dataset_mode!r}"
            )
        for name in ("dataset_designs", "candidates", "population", "generations", "rounds"):
            if int(getattr(self, name)) < 1:
                raise InvalidArgumentError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.finetune_steps is not None and int(self.finetune_steps) < 1:
            raise InvalidArgumentError(f"finetune_steps must be >= 1, got {self.finetune_steps}")
        if self.rounds > 1 and self.zero_shot:
            raise InvalidArgumentError(
                "--rounds needs verified results of the training applications to add to the "
                "data; a zero-shot run verifies other applications (use --rounds 1)"
            )
        self.check_world()
        for name in ("train", "model"):
            if not isinstance(getattr(self, name), dict):
                raise InvalidArgumentError(f"{name} must be a table (a mapping of settings)")
        if self.train:
            from prime_rs.train.config import TrainConfig

            _check_keys("train", self.train, TrainConfig, TRAIN_DERIVED)
        if self.model:
            from prime_rs.model import ModelConfig

            _check_keys("model", self.model, ModelConfig, MODEL_DERIVED)

    @property
    def round_finetune_steps(self) -> int:
        """Fine-tuning steps of a round after the first."""
        if self.finetune_steps is not None:
            return int(self.finetune_steps)
        from prime_rs.train.config import TrainConfig

        steps = self.steps if self.steps is not None else self.train.get("steps")
        full = int(steps) if steps is not None else TrainConfig().steps
        return max(1, round(full * FINETUNE_FRACTION))

    @property
    def learn_apps(self) -> list[str]:
        """Applications the surrogate is trained on."""
        return list(self.train_apps) if self.zero_shot else list(self.apps)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_config(self) -> dict[str, Any]:
        """These settings in the config schema's layout (what ``config.toml`` holds), checked
        against the schema (:mod:`prime_rs.config`)."""
        from prime_rs import config

        return config.OptimizeConfig.from_settings(self).to_toml_dict()

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str], **overrides: Any) -> OptimizeSettings:
        """A config TOML read through the schema (:mod:`prime_rs.config`), with ``overrides``
        (fields of these settings; None = not given) over it."""
        from prime_rs import config

        tables = {"steps": "train.steps", **{k: f"search.{k}" for k in _SEARCH_FIELDS}}
        flags = {tables.get(k, k): v for k, v in overrides.items()}
        return config.resolve(path, flags).to_settings()


#: The settings the config file keeps in its ``[search]`` table.
_SEARCH_FIELDS = ("population", "generations", "candidates")


#: Training and model settings a run derives itself (from --seed, the task and the data), so
#: they are not ``[train]`` / ``[model]`` keys.
TRAIN_DERIVED = frozenset({"seed", "area_budget", "contextual"})
MODEL_DERIVED = frozenset({"context_dim", "block_sizes"})


def _check_keys(table: str, given: dict[str, Any], cls: Any, reserved: set[str]) -> None:
    allowed = {f.name for f in dataclasses.fields(cls)} - reserved
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise InvalidArgumentError(
            f"unknown [{table}] setting(s) {unknown}; allowed: {', '.join(sorted(allowed))}"
        )


def load_contexts(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A context TOML: ``APP = [numbers]`` (the context vector) or ``APP = "workload file"``
    (relative to the TOML file) per application."""
    p = Path(path)
    raw = read_toml(p, "contexts")
    out: dict[str, Any] = {}
    for app, value in raw.items():
        if isinstance(value, str):
            out[app] = str(p.parent / value)
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        ):
            out[app] = [float(v) for v in value]
        else:
            raise InvalidArgumentError(
                f"{p}: {app} must be a context vector (a list of numbers) or a workload file "
                f"path, got {value!r}"
            )
    return out


def read_toml(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """A TOML file as a table; unreadable or malformed files are an InvalidArgumentError naming
    ``what`` the file is (``config``, ``contexts``)."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgumentError(f"bad TOML in {path}: {exc}") from None
    except UnicodeDecodeError as exc:
        # TOML is UTF-8 by definition (reliability 8.6): a file in another encoding is bad
        # input, not a crash.
        raise InvalidArgumentError(
            f"bad TOML in {path}: not UTF-8 (byte {exc.start}: {exc.reason})"
        ) from None
