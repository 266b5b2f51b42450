"""The area constraint of a world (docs/design.md section 9).

In the built-in world the constraint is the analytic area model, exact. In any other world the
chip's area is only known from the logs, so :class:`FittedAreaModel` learns it from the logged
``area_mm2`` column. Area is a deterministic function of the design's resources, so the fit is a
small linear model on a fixed basis of resource terms, the terms a CACTI/Accelergy-style area
model is made of (``P = pe_x·pe_y`` PEs, ``C = cores_per_pe``, ``L = simd_lanes``, ``B_x`` the
bytes of memory level ``x``, ``W`` the DRAM bandwidth):

    area ≈ c1·P·C·L                                   MAC lanes
         + Σ_x (a_x·P·C·B_x + b_x·P·C·√B_x)           per-core SRAMs (core, parameter,
                                                      activation, instruction memory)
         + a_pe·P·B_pe + b_pe·P·√B_pe                  per-PE SRAM
         + c2·P·C + c3·P                               per-core and per-PE control
         + c4·P·log2(2P)                               the network on chip
         + c5 + c6·W                                   fixed I/O and the DRAM PHY

fitted by least squares on the *relative* error (each row weighted by 1/area), then a learned
correction for what the basis cannot express: a multiplicative factor ``exp(Σ_k w_k[v_k])``
with one weight per value of each parameter (ridge least squares on the log residuals). The
instruction memory counts entries; its bytes per entry are absorbed in the coefficients.

The fit holds out a share of the logged designs and reports the maximum and median relative
error on them. The search then runs under ``budget · (1 - margin)`` with ``margin`` the held-out
maximum, so a design the model puts just under the budget is unlikely to be over it; the true
area is still verified through the oracle. A fit whose held-out median error exceeds
:data:`MAX_MEDIAN_ERROR` is refused: it cannot constrain honestly; the user can then constrain
with the analytic model or ask an area command (:class:`CommandAreaModel`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from prime_rs.errors import DatasetError, InvalidArgumentError
from prime_rs.space import SPACE, DesignsLike

__all__ = [
    "MAX_MEDIAN_ERROR",
    "AnalyticAreaModel",
    "AreaModel",
    "CommandAreaModel",
    "FitReport",
    "FittedAreaModel",
    "basis",
]

#: Largest held-out median relative error a fitted area model may have (2%).
MAX_MEDIAN_ERROR = 0.02
#: Share of the distinct logged designs held out to measure the fit.
HOLDOUT_FRACTION = 0.2
#: Ridge weight of the per-value correction (relative to the number of training rows).
_RIDGE = 1e-3
BASIS_TERMS = (
    "P*C*L",
    "P*C*core_memory",
    "P*C*sqrt(core_memory)",
    "P*C*parameter_memory",
    "P*C*sqrt(parameter_memory)",
    "P*C*activation_memory",
    "P*C*sqrt(activation_memory)",
    "P*C*instruction_memory",
    "P*C*sqrt(instruction_memory)",
    "P*pe_memory",
    "P*sqrt(pe_memory)",
    "P*C",
    "P",
    "P*log2(2P)",
    "1",
    "dram_bandwidth",
)


def basis(designs: DesignsLike) -> npt.NDArray[np.float64]:
    """The ``(n, 16)`` resource terms of :data:`BASIS_TERMS` for index-row designs."""
    v = SPACE.to_values(SPACE.validate(designs)).astype(np.float64)
    col = {name: v[:, k] for k, name in enumerate(SPACE.names)}
    p = col["pe_x"] * col["pe_y"]
    pc = p * col["cores_per_pe"]
    terms = [pc * col["simd_lanes"]]
    for mem in ("core_memory", "parameter_memory", "activation_memory", "instruction_memory"):
        terms += [pc * col[mem], pc * np.sqrt(col[mem])]
    terms += [p * col["pe_memory"], p * np.sqrt(col["pe_memory"])]
    terms += [pc, p, p * np.log2(2 * p), np.ones_like(p), col["dram_bandwidth"]]
    return np.stack(terms, axis=1)


class AreaModel(ABC):
    """Chip area (mm²) of designs in one world, and how far it may be trusted."""

    #: "builtin" (the analytic model) or "fitted".
    kind: str = "area"

    @abstractmethod
    def __call__(self, designs: DesignsLike) -> npt.NDArray[np.float64]:
        """Area of each design (mm²)."""

    @property
    def margin(self) -> float:
        """Relative error to keep clear of the budget (0 for an exact model)."""
        return 0.0

    def search_budget(self, budget: float) -> float:
        """The budget the search runs under: ``budget · (1 - margin)``."""
        return float(budget) * (1.0 - self.margin)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "margin": self.margin}


class AnalyticAreaModel(AreaModel):
    """The built-in simulator's analytic area model: exact in the built-in world."""

    kind = "builtin"

    def __call__(self, designs: DesignsLike) -> npt.NDArray[np.float64]:
        from prime_rs.simulator import area

        return area(designs)


class CommandAreaModel(AreaModel):
    """Area from an *area command* (``--area-model "CMD ARGS"``): the oracle protocol with
    ``area`` in the ``application`` column of ``IN`` and only ``area_mm2`` needed in ``OUT``.
    Answers are cached, so the search asks about each design once; area is not a simulator
    call. Trusted as exact (margin 0): the oracle still verifies the chosen designs."""

    kind = "command"

    def __init__(self, command: str, *, timeout: float | None = None) -> None:
        from prime_rs.oracles.command import CommandOracle

        self._oracle = CommandOracle(command, timeout=timeout, area_only=True)
        self._oracle.check_runnable()
        self.command = self._oracle.command

    def __call__(self, designs: DesignsLike) -> npt.NDArray[np.float64]:
        return self._oracle.evaluate(designs, ("area",)).area_mm2

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "margin": 0.0, "command": self.command}


@dataclass(frozen=True)
class FitReport:
    """How well a fitted area model reproduces logged areas it was not fitted on."""

    designs: int  # distinct logged designs with an area
    train: int
    held_out: int
    max_relative_error: float
    median_relative_error: float
    basis_only_median_relative_error: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _least_squares(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    gram = x.T @ x
    coef = np.linalg.solve(gram, x.T @ y)
    return coef + np.linalg.solve(gram, x.T @ (y - x @ coef))


def _onehot_ridge(designs: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Ridge least squares of ``y`` on the one-hot encoding of ``designs``, with the Gram
    matrix counted from the indices (a 77x77 table of co-occurrences) instead of multiplied."""
    width = SPACE.onehot_width
    cols = designs.astype(np.int64) + np.asarray(SPACE.onehot_offsets, dtype=np.int64)
    gram = np.zeros((width, width))
    for k in range(cols.shape[1]):
        for j in range(cols.shape[1]):
            gram += np.bincount(cols[:, k] * width + cols[:, j], minlength=width * width).reshape(
                width, width
            )
    rhs = sum(np.bincount(cols[:, k], weights=y, minlength=width) for k in range(cols.shape[1]))
    return np.linalg.solve(gram + lam * np.eye(width), rhs)


class FittedAreaModel(AreaModel):
    """An area model fitted to logged areas (see the module docstring); build with :meth:`fit`."""

    kind = "fitted"

    def __init__(
        self,
        coef: npt.NDArray[np.float64],
        scale: npt.NDArray[np.float64],
        correction: npt.NDArray[np.float64],
        report: FitReport,
    ) -> None:
        self._coef = np.asarray(coef, np.float64)
        self._scale = np.asarray(scale, np.float64)
        self._correction = np.asarray(correction, np.float64)
        self.report = report

    @classmethod
    def fit(
        cls,
        designs: DesignsLike,
        area_mm2: npt.ArrayLike,
        *,
        seed: int = 0,
        holdout: float = HOLDOUT_FRACTION,
    ) -> FittedAreaModel:
        """Fit to logged ``(designs, area_mm2)`` rows (repeated designs count once; rows without
        a finite positive area are ignored)."""
        rows = SPACE.validate(designs)
        ar = np.asarray(area_mm2, dtype=np.float64)
        if ar.shape != (len(rows),):
            raise InvalidArgumentError(f"area has shape {ar.shape}, expected ({len(rows)},)")
        if not 0.0 < holdout < 1.0:
            raise InvalidArgumentError(f"holdout must lie in (0, 1), got {holdout}")
        ok = np.isfinite(ar) & (ar > 0)
        rows, ar = rows[ok], ar[ok]
        if len(rows):
            rows, first = SPACE.unique(rows, return_index=True)
            ar = ar[first]
        need = 4 * len(BASIS_TERMS)
        if len(rows) < need:
            raise DatasetError(
                f"cannot fit an area model to {len(rows)} distinct logged design(s) with an area "
                f"(at least {need} are needed); give --area-model builtin or log more designs"
            )
        order = np.random.default_rng(seed).permutation(len(rows))
        n_test = max(1, round(holdout * len(rows)))
        test, train = order[:n_test], order[n_test:]
        x = basis(rows)
        scale = np.abs(x[train]).max(axis=0)
        scale[scale == 0] = 1.0
        xs = x / scale
        # Weighted by 1/area: least squares on the relative error (normal equations on the 16
        # scaled columns, refined once; cheap for millions of rows).
        coef = _least_squares(xs[train] / ar[train, None], np.ones(len(train)))
        base = xs @ coef
        tiny = 1e-9 * float(ar.min())
        base = np.maximum(base, tiny)
        basis_err = np.abs(base[test] - ar[test]) / ar[test]
        resid = np.log(ar[train] / base[train])
        correction = _onehot_ridge(rows[train], resid, _RIDGE * len(train))
        pred = base * np.exp(SPACE.onehot(rows).astype(np.float64) @ correction)
        err = np.abs(pred[test] - ar[test]) / ar[test]
        report = FitReport(
            designs=len(rows),
            train=len(train),
            held_out=len(test),
            max_relative_error=float(err.max()),
            median_relative_error=float(np.median(err)),
            basis_only_median_relative_error=float(np.median(basis_err)),
        )
        return cls(coef, scale, correction, report)

    def __call__(self, designs: DesignsLike) -> npt.NDArray[np.float64]:
        rows = SPACE.validate(designs)
        base = (basis(rows) / self._scale) @ self._coef
        return np.maximum(base, 0.0) * np.exp(SPACE.onehot(rows) @ self._correction)

    @property
    def margin(self) -> float:
        return self.report.max_relative_error

    def check_quality(self, limit: float = MAX_MEDIAN_ERROR) -> FittedAreaModel:
        """Refuse a fit too poor to constrain the search honestly."""
        r = self.report
        if r.median_relative_error > limit:
            raise DatasetError(
                f"the area model fitted to the logged areas is too inaccurate to constrain the "
                f"search: median relative error {r.median_relative_error:.1%} on {r.held_out} "
                f"held-out designs (limit {limit:.0%}, max {r.max_relative_error:.1%}); give "
                f'--area-model builtin or --area-model "YOUR_AREA_COMMAND"'
            )
        return self

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "margin": self.margin,
            "basis": list(BASIS_TERMS),
            **self.report.as_dict(),
        }
