"""What the drivers return: a simulator-driven run (:class:`BaselineResult`) and a surrogate
search (:class:`SearchResult`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from prime_rs.checks import count
from prime_rs.space import SPACE

__all__ = ["BaselineResult", "Curve", "SearchResult"]


@dataclass(frozen=True)
class Curve:
    """Best-so-far trace: after ``calls[i]`` simulator calls the best objective was
    ``objective[i]`` (``-inf`` before the first valid design), i.e. a geometric-mean latency of
    ``latency_ms[i]`` (``inf`` before). ``calls`` is ``1 .. simulator_calls``."""

    calls: npt.NDArray[np.int64]
    objective: npt.NDArray[np.float64]
    latency_ms: npt.NDArray[np.float64]


@dataclass(frozen=True)
class BaselineResult:
    """Outcome of one simulator-driven run.

    ``evaluated`` holds every simulated design in call order (row ``i`` is call ``i + 1``):
    ``design`` (n, 10) uint8, ``id`` (n,) uint64, ``latency_ms`` (n, n_apps) float64 (+inf when
    infeasible), ``reason`` (n, n_apps), ``feasible`` (n,) bool (on every application),
    ``area_mm2`` (n,), ``objective`` (n,) float64. Designs rejected by area alone were never
    simulated; ``area_rejected`` counts them. When no valid design was found, ``best_design`` is
    None, ``best_latency_ms`` is empty and ``best_mean_latency_ms`` is inf.

    ``simulator_calls`` is what the run was charged (each distinct design it evaluated, as if
    it had the simulator to itself); ``oracle_calls`` is what the task's oracle actually
    evaluated for it, fewer when the oracle's cache already knew some designs.
    """

    method: str
    seed: int
    budget: int
    applications: tuple[str, ...]
    area_budget: float
    simulator_calls: int
    best_design: npt.NDArray[np.uint8] | None
    best_latency_ms: dict[str, float]
    best_mean_latency_ms: float
    best_objective: float
    best_area_mm2: float
    curve: Curve
    evaluated: dict[str, np.ndarray]
    area_rejected: int
    wall_time_s: float
    params: dict[str, Any] = field(default_factory=dict)
    oracle_calls: int = 0

    @property
    def found(self) -> bool:
        """Whether any valid design was found."""
        return self.best_design is not None

    def top_k(self, k: int, calls: int | None = None) -> dict[str, np.ndarray]:
        """The ``k`` best distinct valid designs (fewer if fewer were found) among the first
        ``calls`` calls (default: all), best first (ties in call order), with the columns of
        ``evaluated``."""
        k = count(k, "k", 1)
        n = self.simulator_calls if calls is None else count(calls, "calls")
        obj = self.evaluated["objective"][:n]
        valid = np.flatnonzero(np.isfinite(obj))
        order = valid[np.argsort(-obj[valid], kind="stable")][:k]
        return {name: col[order] for name, col in self.evaluated.items()}

    def __repr__(self) -> str:
        best = f"best {self.best_mean_latency_ms:.4g} ms" if self.found else "nothing feasible"
        return (
            f"BaselineResult({self.method}, seed {self.seed}, {', '.join(self.applications)}: "
            f"{best} in {self.simulator_calls:,}/{self.budget:,} calls)"
        )

    def _repr_html_(self) -> str:
        from prime_rs._display import fmt_ms, html_table

        rows = [(app, fmt_ms(v)) for app, v in self.best_latency_ms.items()]
        rows.append(("geometric mean", fmt_ms(self.best_mean_latency_ms if self.found else None)))
        return html_table(("application", "best latency (ms)"), rows, caption=repr(self))

    def to_arrow(self) -> Any:
        """Every evaluated design in call order as a pyarrow Table: the call number, the
        parameters' raw values, latency per application, area, feasibility and objective."""
        import pyarrow as pa

        ev = self.evaluated
        cols: dict[str, Any] = {"call": np.arange(1, len(ev["design"]) + 1, dtype=np.int64)}
        values = SPACE.to_values(ev["design"]) if len(ev["design"]) else np.zeros((0, 10), int)
        for j, name in enumerate(SPACE.names):
            cols[name] = values[:, j]
        for j, app in enumerate(self.applications):
            cols[f"latency_ms.{app}"] = ev["latency_ms"][:, j]
        for name in ("area_mm2", "feasible", "objective"):
            cols[name] = ev[name]
        return pa.table(cols)

    def to_pandas(self) -> Any:
        """:meth:`to_arrow` as a pandas DataFrame (needs pandas, which is optional)."""
        from prime_rs._display import to_pandas

        return to_pandas(self.to_arrow())

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (no per-design arrays)."""
        return {
            "method": self.method,
            "seed": self.seed,
            "budget": self.budget,
            "applications": list(self.applications),
            "area_budget_mm2": self.area_budget,
            "simulator_calls": self.simulator_calls,
            "area_rejected": self.area_rejected,
            "found": self.found,
            "best_design": None
            if self.best_design is None
            else SPACE.as_dicts(self.best_design)[0],
            "best_latency_ms": dict(self.best_latency_ms),
            "best_mean_latency_ms": _json_float(self.best_mean_latency_ms),
            "best_objective": _json_float(self.best_objective),
            "best_area_mm2": _json_float(self.best_area_mm2),
            "wall_time_s": self.wall_time_s,
            "params": dict(self.params),
        }


def _json_float(x: float) -> float | None:
    return x if math.isfinite(x) else None


@dataclass
class SearchResult:
    """The K best distinct designs of a surrogate search by score, best first."""

    designs: np.ndarray
    scores: np.ndarray
    #: Best score after each generation (generation 0 = the initial population).
    best_per_generation: np.ndarray
    evaluations: int
    extra: dict[str, float] = field(default_factory=dict)
