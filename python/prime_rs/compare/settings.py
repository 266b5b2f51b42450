"""What defines a comparison (`prime-rs compare`): the task, the seeds, the methods and each
simulator-driven method's knobs and budget. Typed: lists are lists (the command line splits
``--seeds 0,1,2``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prime_rs.checks import count, integers, names
from prime_rs.errors import InvalidArgumentError
from prime_rs.run.settings import DEFAULT_DATASET_DESIGNS, OptimizeSettings, WorldSettings
from prime_rs.search import PROPOSERS, resolve_method
from prime_rs.task import DEFAULT_AREA_BUDGET

__all__ = ["BASELINES", "OFFLINE", "CompareSettings", "is_baseline"]


#: The methods that train the surrogate (through `optimize`): PRIME, naive MBO and PRIME
#: inside the loop (``rounds`` rounds of K verifications).
OFFLINE: tuple[str, ...] = ("prime", "naive", "prime_rounds")

#: The simulator-driven methods compare runs unless told otherwise.
BASELINES: tuple[str, ...] = ("random_search", "regularized_evolution", "bayesian_optimization")


def is_baseline(method: str) -> bool:
    """Whether ``method`` names a simulator-driven method of the registry."""
    try:
        resolve_method(method)
    except InvalidArgumentError:
        return False
    return True


@dataclass
class CompareSettings(WorldSettings):
    """A comparison: the task, seeds and methods; how designs are evaluated is the
    :class:`~prime_rs.run.settings.WorldSettings` it shares with every run it makes."""

    apps: list[str] = field(default_factory=lambda: ["mobilenet_v2"])
    area_budget: float = DEFAULT_AREA_BUDGET
    data: str | None = None
    dataset_designs: int = DEFAULT_DATASET_DESIGNS
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    #: Seed of the generated dataset (when ``data`` is None): one dataset for every seed,
    #: as ``prime-rs optimize --data-seed`` (the seeds vary training and search).
    data_seed: int = 0
    zero_shot: bool = False
    train_apps: list[str] | None = None
    steps: int | None = None
    candidates: int = 128
    population: int = 512
    generations: int = 80
    #: Simulator-call budgets at which the baselines are reported.
    budgets: list[int] = field(default_factory=lambda: [128, 512, 2048, 8192])
    #: Deprecated: the same as ``baselines={"bayesian_optimization": {"budget": N}}`` (BO's own
    #: cap is 1000: Optuna's cost per trial grows with the trials).
    bo_budget: int | None = None
    methods: list[str] = field(default_factory=lambda: ["prime", "naive", *BASELINES])
    #: Settings of the simulator-driven methods, by method name: any knob of the method's
    #: settings (``prime_rs.search.PROPOSERS[name].Settings``) and ``budget``, the largest
    #: simulator budget it runs to.
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Rounds of the ``prime_rounds`` method (PRIME inside the loop, K verifications a round).
    rounds: int = 4
    #: Its fine-tuning steps per later round (None: the optimize default).
    finetune_steps: int | None = None
    #: Measure every method against the true optimum, with an "all designs" row (built-in
    #: world only; computed after every method ran, for evaluation only).
    optimum: bool = True

    def __post_init__(self) -> None:
        self.apps = names(self.apps, "apps")
        self.methods = names(self.methods, "methods")
        if self.train_apps is not None:
            self.train_apps = names(self.train_apps, "train_apps")
        self.seeds = integers(self.seeds, "seeds")
        if not self.seeds:
            raise InvalidArgumentError("no seeds given")
        if not self.budgets or min(integers(self.budgets, "budgets")) < 1:
            raise InvalidArgumentError(f"budgets must be positive integers, got {self.budgets}")
        self.budgets = integers(self.budgets, "budgets", 1)
        unknown = {m for m in self.methods if m not in OFFLINE and not is_baseline(m)}
        if unknown:
            raise InvalidArgumentError(
                f"unknown methods {sorted(unknown)}; known: {', '.join(OFFLINE)}, "
                f"{', '.join(PROPOSERS)}"
            )
        self.rounds = count(self.rounds, "rounds", 1)
        if not isinstance(self.baselines, dict):
            raise InvalidArgumentError("baselines must map method names to their settings")
        self.baselines = {m: dict(knobs) for m, knobs in self.baselines.items()}
        if self.bo_budget is not None:
            bo = self.baselines.setdefault("bayesian_optimization", {})
            bo.setdefault("budget", count(self.bo_budget, "bo_budget", 1))
        for method in self.baselines:
            if not is_baseline(method):
                raise InvalidArgumentError(
                    f"baselines names an unknown method {method!r}; known: {', '.join(PROPOSERS)}"
                )
            self.baseline_run(method)  # validates its knobs now
        self.optimize_settings(self.seeds[0])  # validates the shared settings now

    def baseline_run(self, method: str) -> tuple[int, dict[str, Any]]:
        """The simulator budget ``method`` runs to, and its other knobs (checked)."""
        cls, preset = resolve_method(method)
        knobs = dict(self.baselines.get(method, {}))
        budget = knobs.pop("budget", None)
        if budget is None:
            budget = cls.compare_budget or max(self.budgets)
        cls.Settings.from_knobs(method, {**preset, **knobs})
        return count(budget, f"{method} budget", 1), knobs

    @property
    def reported_budgets(self) -> list[int]:
        """The budgets the baselines are read at: ``budgets``, and with ``prime_rounds`` the
        calls after each of its rounds, so its curve sits beside theirs."""
        extra = (
            [self.candidates * r for r in range(1, self.rounds + 1)]
            if "prime_rounds" in self.methods
            else []
        )
        return sorted({*self.budgets, *extra})

    @property
    def task_name(self) -> str:
        name = "+".join(Path(a).stem if Path(a).suffix else a for a in self.apps)
        if self.zero_shot:
            name += " (zero-shot from " + "+".join(self.train_apps or []) + ")"
        return name

    def method_settings(self, method: str, seed: int, data: str) -> OptimizeSettings:
        """The `optimize` run of one of :data:`OFFLINE`: evaluation stays with the comparison
        (its optimum is computed once, after every method ran)."""
        kw: dict[str, Any] = {"data": data, "naive": method == "naive", "optimum": False}
        if method == "prime_rounds":
            kw.update(rounds=self.rounds, finetune_steps=self.finetune_steps)
        return self.optimize_settings(seed, **kw)

    def optimize_settings(self, seed: int, **kw: Any) -> OptimizeSettings:
        kw.setdefault("data", self.data)
        return OptimizeSettings(
            apps=list(self.apps),
            area_budget=self.area_budget,
            dataset_designs=self.dataset_designs,
            seed=seed,
            data_seed=self.data_seed,
            steps=self.steps,
            zero_shot=self.zero_shot,
            train_apps=self.train_apps,
            candidates=self.candidates,
            population=self.population,
            generations=self.generations,
            **{**self.world_settings(), "contexts": dict(self.contexts)},
            **kw,
        )
