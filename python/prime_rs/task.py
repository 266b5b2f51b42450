"""The design objective every optimiser shares: applications, an area budget and one score.

A :class:`Task` names one or several applications (built-in workload names, workload files or
workload objects) and a chip-area budget in mm² (PRIME's 27 mm² by default). A design is
**valid** for the task when the simulator finds it feasible on every application *and* its
analytic area is within the budget. The score of a design (higher is better) is

    objective(x) = mean over applications a of -log(latency_ms(x, a))   if x is valid
    objective(x) = -inf                                                  otherwise,

so ``exp(-objective)`` is the geometric-mean latency over the applications (for one application,
simply its latency). The geometric mean weighs every application by its *relative* speed-up: a
2x gain on a 0.3 ms network counts as much as a 2x gain on a 30 ms one, where an arithmetic mean
of milliseconds would let the slowest network decide alone (the same reason docs/design.md section 6
scores designs by -log latency rather than raw runtime).

:meth:`Task.evaluate` asks the task's oracle (:mod:`prime_rs.oracles`; the built-in simulator by
default) about the whole batch of designs and returns an :class:`Evaluation`, with the area the
oracle reports; :meth:`Task.area` is the constraint's area model (analytic in the built-in world)
and costs no simulation.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from prime_rs.area_model import AnalyticAreaModel, AreaModel
from prime_rs.errors import InvalidArgumentError, UnknownWorkloadError
from prime_rs.oracles import BuiltinOracle, Oracle
from prime_rs.simulator import HasOps, area, resolve_workload
from prime_rs.space import SPACE, DesignsLike

__all__ = [
    "DEFAULT_AREA_BUDGET",
    "Evaluation",
    "Task",
    "check_area_budget",
    "min_area_mm2",
    "objective_from_latency",
]

#: PRIME's area budget (mm²): about the area of the EdgeTPU-like reference design.
DEFAULT_AREA_BUDGET = 27.0

Application = str | os.PathLike[str] | HasOps


def min_area_mm2() -> float:
    """The smallest chip area in the space: that of the all-minimum design (index 0 everywhere),
    since area strictly increases with every resource."""
    return float(area(np.zeros((1, SPACE.n_params), dtype=np.uint8))[0])


def objective_from_latency(latency_ms: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The objective of designs from their ``(n, n_apps)`` latencies (``+inf`` when infeasible):
    the mean over applications of ``-log(latency_ms)``; ``-inf`` when any latency is not finite.
    Validity by area is the caller's business (see :meth:`Task.evaluate`)."""
    lat = np.asarray(latency_ms, dtype=np.float64)
    if lat.ndim == 1:
        lat = lat[:, None]
    ok = np.all(np.isfinite(lat) & (lat > 0), axis=1)
    out = np.full(lat.shape[0], -np.inf)
    if ok.any():
        out[ok] = -np.log(lat[ok]).mean(axis=1)
    return out


@dataclass(frozen=True)
class Evaluation:
    """Simulated designs of a task; arrays have one row per design (in input order)."""

    designs: npt.NDArray[np.uint8]  # (n, 10)
    latency_ms: npt.NDArray[np.float64]  # (n, n_apps); +inf where infeasible
    reason: npt.NDArray[np.object_]  # (n, n_apps); the oracle's reason name, "" = feasible
    feasible: npt.NDArray[np.bool_]  # (n,); simulator-feasible on every application
    area_mm2: npt.NDArray[np.float64]  # (n,)
    within_area: npt.NDArray[np.bool_]  # (n,); area <= the task's budget
    objective: npt.NDArray[np.float64]  # (n,); -inf unless valid

    def __len__(self) -> int:
        return int(self.designs.shape[0])

    @property
    def valid(self) -> npt.NDArray[np.bool_]:
        """Feasible on every application and within the area budget."""
        return self.feasible & self.within_area

    @property
    def mean_latency_ms(self) -> npt.NDArray[np.float64]:
        """Geometric-mean latency over the applications (``exp(-objective)``; inf if invalid)."""
        return np.exp(-self.objective)


def check_area_budget(value: Any) -> float:
    """The budget as a float; InvalidArgumentError when it is not a positive number of mm² or
    below the smallest chip in the space."""
    budget = _positive_budget(value)
    smallest = min_area_mm2()
    if budget < smallest:
        raise InvalidArgumentError(
            f"area budget {budget:g} mm² is below the minimum achievable area "
            f"{smallest:.4f} mm² (the all-minimum design); no design can meet it"
        )
    return budget


def _positive_budget(value: Any) -> float:
    if isinstance(value, bool):
        raise InvalidArgumentError(f"area budget must be a number of mm², got {value!r}")
    try:
        budget = float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"area budget must be a number of mm², got {value!r}") from None
    if not math.isfinite(budget) or budget <= 0:
        raise InvalidArgumentError(f"area budget must be a positive finite number, got {value!r}")
    return budget


def _workload_or_none(app: Application) -> HasOps | None:
    """The workload behind an application, or None for a name only logged data knows."""
    if not isinstance(app, str):
        return resolve_workload(app)
    try:
        return resolve_workload(app)
    except UnknownWorkloadError:
        return None


class Task:
    """Applications to design for, under an area budget (see the module docstring).

    ``applications`` is one application or a sequence of them: a built-in workload name
    (``prime_rs.workloads.names()``), a workload file path or a workload object (anything with
    an ``ops`` table, such as :func:`prime_rs.workloads.load`'s result). Names are resolved now,
    so an unknown name raises the workload module's typed error here, not mid-search.

    ``oracle`` evaluates the designs (every simulator call of a search goes through it, so its
    ``calls`` count is the task's); by default a :class:`~prime_rs.oracles.BuiltinOracle` over
    the task's workloads. With an oracle of another world (a command, a callable, none), an
    application may also be a name prime-rs has no workload for (a *data-only* application,
    known from logs alone): its entry in :attr:`workloads` is ``None``.

    ``area_model`` is the constraint's area model (:mod:`prime_rs.area_model`): the analytic
    model by default, exact in the built-in world; for another world, a model fitted to its
    logged areas. The constraint (:meth:`within_area`) keeps clear of the budget by the model's
    margin; validity (:meth:`evaluate`) uses the area the oracle reports against the budget.
    """

    def __init__(
        self,
        applications: Application | Sequence[Application],
        area_budget: float = DEFAULT_AREA_BUDGET,
        oracle: Oracle | None = None,
        area_model: AreaModel | None = None,
    ) -> None:
        apps: list[Application]
        if isinstance(applications, str | os.PathLike) or hasattr(applications, "ops"):
            apps = [applications]  # type: ignore[list-item]
        elif isinstance(applications, Sequence):
            apps = list(applications)
        else:
            raise InvalidArgumentError(
                "applications must be a workload name, path or object, or a sequence of them; "
                f"got {type(applications).__name__}"
            )
        if not apps:
            raise InvalidArgumentError("a task needs at least one application")
        if oracle is not None and not isinstance(oracle, Oracle):
            raise InvalidArgumentError(
                f"oracle must be a prime_rs.oracles.Oracle, got {type(oracle).__name__}"
            )
        builtin = oracle is None or oracle.world == "builtin"
        workloads = [resolve_workload(a) if builtin else _workload_or_none(a) for a in apps]
        names: list[str] = []
        for i, (given, w) in enumerate(zip(apps, workloads, strict=True)):
            if w is None:
                names.append(str(given))
                continue
            name = getattr(w, "name", None)
            if not isinstance(name, str) or not name:
                name = os.fspath(given) if isinstance(given, str | os.PathLike) else f"app{i}"
            names.append(name)
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InvalidArgumentError(f"applications are repeated: {', '.join(dup)}")
        self._workloads: tuple[HasOps | None, ...] = tuple(workloads)
        self._names: tuple[str, ...] = tuple(names)
        if area_model is None:
            area_model = AnalyticAreaModel()
        elif not isinstance(area_model, AreaModel):
            raise InvalidArgumentError(
                f"area_model must be a prime_rs.area_model.AreaModel, got {type(area_model).__name__}"
            )
        # The smallest chip is known only in the analytic world; elsewhere a budget is any
        # positive number of the world's mm².
        self._area_budget = (
            check_area_budget(area_budget)
            if isinstance(area_model, AnalyticAreaModel)
            else _positive_budget(area_budget)
        )
        self._area_model = area_model
        if oracle is None:
            oracle = BuiltinOracle(dict(zip(names, workloads, strict=True)))
        self._oracle = oracle

    @property
    def applications(self) -> tuple[str, ...]:
        """Application names, in the order of the latency columns."""
        return self._names

    @property
    def workloads(self) -> tuple[HasOps | None, ...]:
        """The workload behind each application (``None`` for a data-only application)."""
        return self._workloads

    @property
    def area_model(self) -> AreaModel:
        return self._area_model

    @property
    def oracle(self) -> Oracle:
        """What evaluates the task's designs, and counts the calls."""
        return self._oracle

    @property
    def n_applications(self) -> int:
        return len(self._names)

    @property
    def area_budget(self) -> float:
        return self._area_budget

    def __repr__(self) -> str:
        return f"Task(applications={list(self._names)!r}, area_budget={self._area_budget:g})"

    def area(self, designs: DesignsLike) -> npt.NDArray[np.float64]:
        """Chip area (mm²) of each design by the constraint's area model: no simulation."""
        return self._area_model(designs)

    @property
    def search_budget(self) -> float:
        """The budget the constraint enforces: the area budget less the area model's margin."""
        return self._area_model.search_budget(self._area_budget)

    def within_area(self, designs: DesignsLike) -> npt.NDArray[np.bool_]:
        return self.area(designs) <= self.search_budget

    def evaluate(self, designs: DesignsLike) -> Evaluation:
        """Evaluate every design on every application through the task's oracle and score
        it; over-budget designs are evaluated too (when asked) but score -inf."""
        res = self._oracle.evaluate(designs, self._names)
        feasible = np.all(res.feasible, axis=1)
        within = res.area_mm2 <= self._area_budget
        objective = objective_from_latency(res.latency_ms)
        objective[~(feasible & within)] = -np.inf
        return Evaluation(
            res.designs, res.latency_ms, res.reason, feasible, res.area_mm2, within, objective
        )
