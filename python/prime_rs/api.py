"""The notebook face of the pipeline: ``prime_rs.optimize(...)`` runs the whole job and returns
an :class:`OptimizeResult` held in memory, writing no run directory unless ``out`` is given.

It is a thin function over :func:`prime_rs.run.run_optimize` (settings are
:class:`~prime_rs.run.OptimizeSettings` fields): without ``out`` the run goes to a
temporary directory that is read back and removed, so the results, the report and the plots
are the ones a CLI run writes. Everything heavy is imported on call.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["OptimizeResult", "export_to_optuna", "optimize"]


@dataclass(frozen=True)
class OptimizeResult:
    """What an optimisation found, in memory.

    ``best`` is the run's best.json; ``candidates`` the verified candidates (a pyarrow Table,
    None without an oracle); ``report_markdown`` / ``report_html`` the design-review report;
    ``figures`` its plots as PNG bytes by file name; ``run_dir`` the run directory when one
    was kept (``out=``), else None.
    """

    best: dict[str, Any]
    candidates: Any | None
    report_markdown: str
    report_html: str
    figures: dict[str, bytes]
    timings: dict[str, float]
    run_dir: Path | None

    @property
    def design(self) -> Any:
        """The best design described with units (``SPACE.describe``), or None."""
        from prime_rs.space import SPACE

        d = self.best.get("design")
        return None if not d else SPACE.describe(d)

    @property
    def latency_ms(self) -> float | None:
        """Geometric-mean latency of the best verified design (None: none feasible)."""
        return (self.best.get("latency_ms") or {}).get("mean")

    def to_arrow(self) -> Any:
        """The verified candidates as a pyarrow Table (rank order)."""
        from prime_rs.errors import InvalidArgumentError

        if self.candidates is None:
            raise InvalidArgumentError("this run verified no candidates (no oracle)")
        return self.candidates

    def to_pandas(self) -> Any:
        """The verified candidates as a pandas DataFrame (needs pandas, which is optional)."""
        from prime_rs._display import to_pandas

        return to_pandas(self.to_arrow())

    def _summary(self) -> list[tuple[str, str, str, str]]:
        from prime_rs.report import summary_rows

        return summary_rows(self.best)

    def __repr__(self) -> str:
        apps = ", ".join(self.best["applications"])
        budget = f"{self.best['area_budget_mm2']:g} mm²"
        lat = self.latency_ms
        if self.best.get("verified") is False:
            found = f"{self.best['candidates']} proposals, not verified"
        elif lat is None:
            found = "no feasible design"
        else:
            ref = (self.best.get("reference_latency_ms") or {}).get("mean")
            speed = f", {ref / lat:.2f}x the EdgeTPU-like" if ref else ""
            found = f"best {lat:.4g} {self.best.get('latency_unit', 'ms')}{speed}"
        return f"OptimizeResult({apps} under {budget}: {found})"

    def _repr_html_(self) -> str:
        from prime_rs._display import html_table

        unit = self.best.get("latency_unit", "ms")
        parts = [
            html_table(
                ("design", f"latency ({unit})", "area (mm²)", "vs EdgeTPU-like"),
                self._summary(),
                caption=repr(self),
            )
        ]
        if self.design is not None:
            parts.append(self.design._repr_html_())
        return "".join(parts)


def optimize(
    apps: str | list[str] = "mobilenet_v2",
    *,
    data: str | os.PathLike[str] | Any | None = None,
    out: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    progress: bool = False,
    **settings: Any,
) -> OptimizeResult:
    """Run PRIME end to end and return the result in memory.

    ``apps``: an application name or workload file, or a list of them; ``data``: logged data (a Parquet/CSV path
    or a :class:`~prime_rs.data.Dataset`; None generates and caches it, as the CLI does);
    ``out``: keep the run directory there (None: keep nothing on disk); ``progress``: plain
    progress lines and bars on stderr (safe in notebooks). Any other keyword is an
    :class:`~prime_rs.run.OptimizeSettings` field (``seed``, ``area_budget``, ``steps``,
    ``population``, ``generations``, ``candidates``, ``train``, ``model``, ...).

    When no candidate is feasible the result says so (``design`` is None, the report breaks
    the reasons down) instead of raising, as a notebook wants; bad settings raise
    :class:`~prime_rs.errors.InvalidArgumentError` before any work.
    """
    import logging

    from prime_rs import logs
    from prime_rs.errors import InvalidArgumentError
    from prime_rs.run import OptimizeSettings, run_optimize

    if "data" in settings or "apps" in settings:
        raise InvalidArgumentError("pass apps and data once")
    with tempfile.TemporaryDirectory(prefix="prime-rs-") as scratch:
        data_path: str | None
        if data is None or isinstance(data, str | os.PathLike):
            data_path = None if data is None else os.fspath(data)
        elif hasattr(data, "save") and hasattr(data, "table"):
            data_path = os.path.join(scratch, "logs.parquet")
            data.save(data_path)
        else:
            raise InvalidArgumentError(
                f"data must be a path or a Dataset, got {type(data).__name__}"
            )
        try:
            # One name is one application (a name never holds a comma-separated list here).
            given = [apps] if isinstance(apps, str | os.PathLike) else list(apps)
            app_list = [os.fspath(a) if isinstance(a, os.PathLike) else a for a in given]
            config = OptimizeSettings(apps=app_list, data=data_path, **settings)
        except TypeError as exc:
            raise InvalidArgumentError(f"unknown setting: {exc}") from None
        run_dir = Path(out) if out is not None else Path(scratch) / "run"

        def say(msg: str) -> None:
            logs.emit(logging.getLogger("prime_rs.api"), msg)

        outcome = run_optimize(
            config,
            run_dir,
            overwrite=overwrite,
            progress=say if progress else None,
            show_progress=progress,
            raise_if_none_feasible=False,
        )
        return _read_back(outcome, keep=out is not None)


def _read_back(outcome: Any, *, keep: bool) -> OptimizeResult:
    import pyarrow.parquet as pq

    run = Path(outcome.run_dir)
    cand = run / "candidates.parquet"
    figures = {p.name: p.read_bytes() for p in sorted((run / "plots").glob("*.png"))}
    return OptimizeResult(
        best=outcome.best,
        # read_table memory-maps nothing by default: the table outlives the scratch directory.
        candidates=pq.read_table(cand) if cand.exists() else None,
        report_markdown=(run / "report.md").read_text(encoding="utf-8"),
        report_html=(run / "report.html").read_text(encoding="utf-8"),
        figures=figures,
        timings=dict(outcome.timings),
        run_dir=run if keep else None,
    )


def export_to_optuna(
    run_dir: str | os.PathLike[str], storage: str, study_name: str | None = None
) -> int:
    """Add a finished run's verified candidates (``candidates.parquet``) to a new Optuna study
    in ``storage`` (e.g. ``sqlite:///bo.db``), in BO's encoding and objective, so they open in
    optuna-dashboard next to BO runs; the study is named after the run directory unless
    ``study_name`` is given. Returns the number of trials written."""
    import numpy as np
    import pyarrow.parquet as pq

    from prime_rs.errors import InvalidArgumentError
    from prime_rs.search._optuna import export_candidates
    from prime_rs.space import SPACE

    run = Path(run_dir)
    path = run / "candidates.parquet"
    if not path.is_file():
        raise InvalidArgumentError(f"{run.name} has no verified candidates (candidates.parquet)")
    table = pq.read_table(path)
    values = np.stack([table.column(n).to_numpy() for n in SPACE.names], axis=1)
    return export_candidates(
        SPACE.from_values(values),
        table.column("mean_latency_ms").to_numpy(),
        table.column("feasible").to_numpy(zero_copy_only=False),
        storage,
        study_name or f"prime-{run.resolve().name}",
    )
