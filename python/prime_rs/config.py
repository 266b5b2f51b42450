"""The one schema of an optimisation's configuration: ``prime-rs optimize --config FILE.toml``,
the flags of ``optimize`` and ``propose``, and the ``config.toml`` every run writes are all
read through :class:`OptimizeConfig` (pydantic), whose JSON Schema ``prime-rs config schema``
prints (committed as ``docs/config.schema.json``).

The top level says what to design for and from which data; ``[train]`` how the surrogate is
trained (:class:`~prime_rs.train.TrainConfig`), ``[model]`` its architecture
(:class:`~prime_rs.model.ModelConfig`) and ``[search]`` the offline search. Every field has a
description, a default and, for numbers, a range; unknown keys and bad values are
:class:`~prime_rs.errors.InvalidArgumentError` naming the key.

The pipeline keeps taking its typed carriers (:class:`~prime_rs.run.OptimizeSettings`, and
the two dataclasses above), which this schema converts to and from. The top-level and
``[search]`` defaults are read from ``OptimizeSettings`` itself; ``[train]`` and ``[model]``
state their defaults here, because their carriers live beside JAX (importing them would cost
every ``--help`` seconds), and ``tests/test_config.py`` fails if the two ever differ.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from prime_rs.errors import InvalidArgumentError
from prime_rs.run.settings import OptimizeSettings, read_toml

__all__ = [
    "ModelTable",
    "OptimizeConfig",
    "SearchTable",
    "TrainTable",
    "json_schema",
    "load",
    "resolve",
]

_U64_MAX = 2**64 - 1


def _default(name: str) -> Any:
    """The default of an :class:`OptimizeSettings` field (its one home)."""
    f = OptimizeSettings.__dataclass_fields__[name]
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


class _Table(BaseModel):
    # Unknown keys are errors (a typo would otherwise be a silently ignored setting).
    model_config = ConfigDict(extra="forbid")


class TrainTable(_Table):
    """How the surrogate is trained: the fields of ``prime_rs.train.TrainConfig``."""

    steps: int = Field(500, ge=1, description="Training steps (--resume with more extends a run).")
    batch_size: int = Field(256, ge=1, description="Feasible rows per step (with replacement).")
    infeasible_batch_size: int = Field(
        256, ge=1, description="Infeasible rows per step (the beta term's batch)."
    )
    learning_rate: float = Field(1e-3, gt=0, description="Peak Adam learning rate.")
    warmup_steps: int = Field(
        100, ge=0, description="Linear warm-up steps before the cosine decay."
    )
    min_lr_ratio: float = Field(
        0.01, ge=0, le=1, description="Final learning rate as a fraction of the peak."
    )
    grad_clip: float = Field(1.0, ge=0, description="Global gradient-norm clipping threshold.")
    alpha: float = Field(
        0.01,
        ge=0,
        description="Weight of the negatives' mean score: how conservative the model is.",
    )
    beta: float = Field(0.01, ge=0, description="Weight of the infeasible rows' mean score.")
    alpha_dual: bool = Field(
        False, description="Adapt alpha by a COMs-style dual update towards tau."
    )
    tau: float = Field(0.5, description="Target score gap of the alpha dual update.")
    alpha_lr: float = Field(0.01, gt=0, description="Learning rate of the alpha dual update.")
    ranking_weight: float = Field(0.0, ge=0, description="Weight of the pairwise ranking loss.")
    negatives: Literal["evolution", "gradient"] = Field(
        "evolution",
        description="How negatives are mined from the model: evolution (the paper's) or "
        "gradient ascent on relaxed designs.",
    )
    n_negatives: int = Field(256, ge=1, description="Negative designs per refresh.")
    negatives_every: int = Field(4, ge=1, description="Steps between refreshes of the negatives.")
    evo_generations: int = Field(
        3, ge=0, description="Generations of each evolutionary refresh of the negatives."
    )
    evo_mutation_rate: float = Field(
        0.1, ge=0, le=1, description="Mutation rate of the evolutionary negatives."
    )
    grad_steps: int = Field(20, ge=0, description="Ascent steps of the gradient negatives.")
    grad_step_size: float = Field(0.5, gt=0, description="Step size of the gradient negatives.")
    clip_margin: float = Field(
        1.0, ge=0, description="Margin of the score clipping beyond the data's score range."
    )
    over_budget: Literal["regress", "infeasible"] = Field(
        "regress",
        description="Feasible logged rows over the area budget: regress (kept as regression "
        "targets) or infeasible (the released PRIME split).",
    )
    val_fraction: float = Field(
        0.1, gt=0, lt=1, description="Share of each application's rows held out for validation."
    )
    val_every: int = Field(50, ge=1, description="Validate (and checkpoint) every N steps.")
    val_max_rows: int = Field(2000, ge=1, description="Validation rows per application.")
    patience: int = Field(
        5, ge=0, description="Validations without improvement before stopping (0: never stop)."
    )


class ModelTable(_Table):
    """The surrogate's architecture: the fields of ``prime_rs.model.ModelConfig``."""

    kind: Literal["transformer", "mlp"] = Field(
        "transformer",
        description="transformer (the paper's) or mlp (about 5x cheaper per step).",
    )
    d_model: int = Field(64, ge=1, description="Width of the transformer's tokens.")
    n_layers: int = Field(2, ge=0, description="Transformer encoder layers.")
    n_heads: int = Field(8, ge=1, description="Attention heads (a divisor of d_model).")
    ffn_dim: int = Field(256, ge=1, description="Hidden width of each feed-forward block.")
    dropout: float = Field(0.1, ge=0, lt=1, description="Dropout rate during training.")
    head_hidden: list[int] = Field(
        [256, 256, 256],
        min_length=1,
        description="Hidden widths of the score head's MLP, in order.",
    )
    n_experts: int = Field(
        0, ge=0, description="Mixture-of-experts score heads (0: a single head; else >= 2)."
    )

    @model_validator(mode="after")
    def _architecture(self) -> ModelTable:
        if self.n_experts == 1:
            raise ValueError("n_experts must be 0 (one head) or at least 2")
        if any(h < 1 for h in self.head_hidden):
            raise ValueError(f"head_hidden widths must be >= 1, got {self.head_hidden}")
        if self.kind == "transformer" and self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be a multiple of n_heads")
        return self


class SearchTable(_Table):
    """The offline search of the trained surrogate, and how many of its designs are verified."""

    population: int = Field(_default("population"), ge=1, description="Search population.")
    generations: int = Field(_default("generations"), ge=1, description="Search generations.")
    candidates: int = Field(
        _default("candidates"),
        ge=1,
        description="K: the best proposals verified by the oracle (or written, unverified).",
    )


class OptimizeConfig(_Table):
    """A run of ``prime-rs optimize``: what to design for, from which data, and how."""

    model_config = ConfigDict(
        extra="forbid",
        title="prime-rs optimize configuration",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    apps: list[str] = Field(
        _default("apps"),
        min_length=1,
        description="Applications to design for: built-in names, workload files (.json, .toml, "
        ".onnx) or names known from the data only.",
    )
    area_budget: float = Field(
        _default("area_budget"), gt=0, description="Chip area budget in mm²."
    )
    data: str | None = Field(
        None,
        description="Logged dataset (Parquet or CSV). Absent: generate one and cache it.",
    )
    data_seed: int = Field(
        _default("data_seed"),
        ge=0,
        le=_U64_MAX,
        description="Seed of the generated dataset (absent --data); separate from seed, so "
        "several model seeds learn from the same logs.",
    )
    dataset_designs: int = Field(
        _default("dataset_designs"),
        ge=1,
        description="Designs simulated per application when generating the dataset.",
    )
    dataset_mode: Literal["random", "search"] = Field(
        _default("dataset_mode"),
        description="How the generated dataset is sampled: random (uniform) or search (the "
        "visits of a logged evolutionary search).",
    )
    seed: int = Field(
        _default("seed"),
        ge=0,
        le=_U64_MAX,
        description="Seed of the model and the search (initialisation, batches, negatives).",
    )
    naive: bool = Field(
        _default("naive"),
        description="Train without the conservative terms (alpha = beta = 0): naive MBO.",
    )
    zero_shot: bool = Field(
        _default("zero_shot"),
        description="Design for apps with a contextual model of train_apps only.",
    )
    train_apps: list[str] | None = Field(
        None, min_length=1, description="Applications to learn from (zero-shot)."
    )
    model_run: str | None = Field(
        None,
        description="Reuse the model of a `prime-rs train` run directory instead of training "
        "(its dataset is the default data; train and model tables do not apply).",
    )
    oracle: str | None = Field(
        None,
        description="What verifies the designs: builtin, none (propose only) or a command "
        "line, run as CMD ARGS IN OUT (or with {in} and {out} substituted). Absent: builtin "
        "on data of the built-in simulator, none on any other data.",
    )
    force_oracle: bool = Field(
        _default("force_oracle"),
        description="Allow oracle = builtin on data from another world (simulator).",
    )
    oracle_timeout: float | None = Field(
        None, gt=0, description="Seconds one oracle command may run (absent: no limit)."
    )
    oracle_jobs: int = Field(_default("oracle_jobs"), ge=1, description="Oracle batches at once.")
    oracle_batch: int | None = Field(
        None, ge=1, description="Designs per oracle batch (absent: all at once)."
    )
    area_model: str = Field(
        _default("area_model"),
        min_length=1,
        description="Area constraint: auto (the data's world), builtin (analytic), fitted (to "
        "the logged areas) or an area command line (the oracle protocol, area_mm2 only).",
    )
    contexts: dict[str, str | list[float]] = Field(
        _default("contexts"),
        description="Context of an application known from data only: a workload file path "
        "or a context vector, by application name.",
    )
    rounds: int = Field(
        _default("rounds"),
        ge=1,
        description="Rounds of propose -> verify -> add the verified designs to the data -> "
        "fine-tune (1: offline PRIME; more needs an oracle and no zero_shot). Each round verifies "
        "`candidates` designs: 4 rounds of 32 spend one round's 128 calls and beat it on 13 of 30 "
        "paired runs, losing on 6 (docs/quality.md).",
    )
    finetune_steps: int | None = Field(
        None,
        ge=1,
        description="Fine-tuning steps of each round after the first (absent: a quarter of "
        "the training steps).",
    )
    optimum: bool = Field(
        _default("optimum"),
        description="After verification, measure the result against the true optimum "
        "(regret, gap closed, quantile; built-in world only, evaluation only, cached).",
    )
    train: TrainTable = Field(default_factory=TrainTable, description="Training settings.")
    model: ModelTable = Field(default_factory=ModelTable, description="Surrogate architecture.")
    search: SearchTable = Field(default_factory=SearchTable, description="Search settings.")

    @model_validator(mode="after")
    def _model_run_trains_nothing(self) -> OptimizeConfig:
        if self.model_run is not None:
            given = sorted(
                {"train", "model"} & self.model_fields_set | ({"naive"} if self.naive else set())
            )
            if given:
                raise ValueError(
                    "model_run reuses a trained model, so training settings do not apply: "
                    f"drop {', '.join(given)}"
                )
        return self

    def to_settings(self) -> OptimizeSettings:
        """The pipeline's carrier of these settings (checks the world and the task too)."""
        top = self.model_dump(exclude={"train", "model", "search"})
        train: dict[str, Any] = {}
        model: dict[str, Any] = {}
        steps = None
        if self.model_run is None:
            train = self.train.model_dump()
            steps = train.pop("steps")
            model = self.model.model_dump()
        return OptimizeSettings(
            **top, steps=steps, train=train, model=model, **self.search.model_dump()
        )

    @classmethod
    def from_settings(cls, settings: OptimizeSettings) -> OptimizeConfig:
        """The schema's view of a carrier (every default filled in)."""
        top = {
            name: getattr(settings, name)
            for name in cls.model_fields
            if name not in ("train", "model", "search")
        }
        # A context vector may be given as an array: the file holds a list of numbers.
        top["contexts"] = {
            app: src if isinstance(src, str | os.PathLike) else _numbers(src)
            for app, src in settings.contexts.items()
        }
        raw: dict[str, Any] = {
            **top,
            "search": {n: getattr(settings, n) for n in SearchTable.model_fields},
        }
        if settings.model_run is None:
            train = dict(settings.train)
            if settings.steps is not None:
                train["steps"] = settings.steps
            raw["train"] = train
            raw["model"] = dict(settings.model)
        return validate(raw, "settings")

    def to_toml_dict(self) -> dict[str, Any]:
        """What ``config.toml`` holds: every setting, absent ones left out (TOML has no null);
        a reused model's run writes no training tables."""
        exclude = {"train", "model"} if self.model_run is not None else set()
        return self.model_dump(mode="json", exclude_none=True, exclude=exclude)


def _numbers(vector: Any) -> Any:
    import numpy as np

    try:
        return [float(x) for x in np.asarray(vector, dtype=np.float64).reshape(-1)]
    except (TypeError, ValueError):
        return vector  # the schema names the bad value


#: Keys of earlier config files that moved into a table: named in the error.
_MOVED = {
    "steps": "train",
    "population": "search",
    "generations": "search",
    "candidates": "search",
}


def validate(raw: Mapping[str, Any], source: str) -> OptimizeConfig:
    """``raw`` (a TOML table, or settings) checked against the schema; every problem is named
    by its key in one InvalidArgumentError."""
    moved = sorted(k for k in raw if k in _MOVED)
    if moved:
        where = ", ".join(f"{k} belongs in the [{_MOVED[k]}] table" for k in moved)
        raise InvalidArgumentError(f"invalid configuration ({source}): {where}")
    try:
        return OptimizeConfig.model_validate(dict(raw))
    except ValidationError as exc:
        raise InvalidArgumentError(
            f"invalid configuration ({source}): " + "; ".join(_problems(exc))
        ) from None


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            out.append(f"unknown key {key}")
        elif err["type"] == "value_error":
            out.append(f"{key}: {str(err['msg']).removeprefix('Value error, ')}".strip(": "))
        else:
            out.append(f"{key}: {err['msg']} (got {err['input']!r})")
    return out


def load(path: str | os.PathLike[str]) -> OptimizeConfig:
    """A config TOML (or a run's config.toml), validated."""
    return resolve(path, {})


def resolve(path: str | os.PathLike[str] | None, flags: Mapping[str, Any]) -> OptimizeConfig:
    """The file's settings (if any) with the given flags over them: ``flags`` maps dotted keys
    (``"seed"``, ``"train.alpha"``) to values, None meaning "not given"."""
    raw: dict[str, Any] = read_toml(path, "config") if path is not None else {}
    for key, value in flags.items():
        if value is None:
            continue
        table, _, name = key.rpartition(".")
        target = raw
        if table:
            target = raw.setdefault(table, {})
            if not isinstance(target, dict):
                raise InvalidArgumentError(f"{path}: {table} must be a table ([{table}])")
        target[name] = value
    source = f"{path}" if path is not None else "flags"
    if path is not None and any(v is not None for v in flags.values()):
        source = f"{path} and flags"
    return validate(raw, source)


def json_schema() -> str:
    """The JSON Schema of :class:`OptimizeConfig`, as committed in docs/config.schema.json."""
    return json.dumps(OptimizeConfig.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
