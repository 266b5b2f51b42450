"""The evaluation protocol of DESIGN.md section 7 (`prime-rs compare`).

For one task (applications, area budget, logged dataset) and several seeds it runs:

* D(best), the best logged design, and the EdgeTPU-like reference design;
* PRIME (the conservative surrogate) and naive MBO (the same surrogate trained with
  alpha = beta = 0), each verifying K candidates with the simulator (K simulator calls);
* simulator-driven baselines: by default random search, regularised evolution and Bayesian
  optimisation (Optuna TPE); any method of :data:`prime_rs.search.PROPOSERS` can be named, with
  its knobs in ``CompareSettings.baselines``. Each runs once per seed at its largest budget
  (``budget`` among its knobs, else the method's own cap, else the largest of ``budgets``);
  because none of them depends on its budget, the result at a smaller budget N is exactly the
  first N calls of that run, so every budget in ``budgets`` is read off one run. ``<method>@match`` rows give the calls each needed
  to reach PRIME's best verified latency of the same seed (empty when it never did).

Every simulator call goes through the task's oracle (``--oracle``): the built-in simulator on
its own data, or the user's command on data of another world, where D(best) is read from the
logs (no call) and the area constraint is the world's (:mod:`prime_rs.area_model`).

Per method and seed it reports the best and the median latency of the K best verified designs
(for the baselines: of the K best designs among the calls made), the best design's area, the
simulator calls and the wall time. Outputs: results.csv, results.json, results.md (medians over
seeds with min-max spread, ratios against the EdgeTPU-like design and against the best
simulator-driven method at PRIME's number of calls) and plots/.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from prime_rs import baselines, runs
from prime_rs.checks import count
from prime_rs.errors import InvalidArgumentError
from prime_rs.objective import DEFAULT_AREA_BUDGET
from prime_rs.pipeline import (
    OptimizeSettings,
    best_index,
    cached_dataset,
    dataset_best,
    logged_best,
    prepare,
    run_optimize,
)
from prime_rs.search import PROPOSERS, ProgressCallback, resolve_method
from prime_rs.simulator import EDGETPU_REFERENCE

COLUMNS = [
    "method",
    "seed",
    "task",
    "best_latency_ms",
    "median_latency_ms",
    "area_mm2",
    "simulator_calls",
    "wall_time_s",
]

#: The simulator-driven methods compare runs unless told otherwise.
BASELINES: tuple[str, ...] = ("random_search", "regularized_evolution", "bayesian_optimization")


def _is_baseline(method: str) -> bool:
    try:
        resolve_method(method)
    except InvalidArgumentError:
        return False
    return True


@dataclass
class CompareSettings:
    apps: list[str] = field(default_factory=lambda: ["mobilenet_v2"])
    area_budget: float = DEFAULT_AREA_BUDGET
    data: str | None = None
    dataset_designs: int = 100_000
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
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
    #: The oracle every method is verified through (see :class:`OptimizeSettings`).
    oracle: str | None = None
    force_oracle: bool = False
    oracle_timeout: float | None = None
    oracle_jobs: int = 1
    oracle_batch: int | None = None
    area_model: str = "auto"
    contexts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("apps", "train_apps", "methods"):
            v = getattr(self, name)
            if isinstance(v, str):
                setattr(self, name, [a.strip() for a in v.split(",") if a.strip()])
        if isinstance(self.seeds, str):
            self.seeds = [int(s) for s in self.seeds.split(",") if s.strip()]
        if isinstance(self.budgets, str):
            self.budgets = [int(b) for b in self.budgets.split(",") if b.strip()]
        if not self.seeds:
            raise InvalidArgumentError("no seeds given")
        if not self.budgets or min(self.budgets) < 1:
            raise InvalidArgumentError(f"budgets must be positive integers, got {self.budgets}")
        unknown = {m for m in self.methods if m not in ("prime", "naive") and not _is_baseline(m)}
        if unknown:
            raise InvalidArgumentError(
                f"unknown methods {sorted(unknown)}; known: prime, naive, {', '.join(PROPOSERS)}"
            )
        if not isinstance(self.baselines, dict):
            raise InvalidArgumentError("baselines must map method names to their settings")
        self.baselines = {m: dict(knobs) for m, knobs in self.baselines.items()}
        if self.bo_budget is not None:
            bo = self.baselines.setdefault("bayesian_optimization", {})
            bo.setdefault("budget", count(self.bo_budget, "bo_budget", 1))
        for method in self.baselines:
            if not _is_baseline(method):
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
    def task_name(self) -> str:
        name = "+".join(Path(a).stem if Path(a).suffix else a for a in self.apps)
        if self.zero_shot:
            name += " (zero-shot from " + "+".join(self.train_apps or []) + ")"
        return name

    def optimize_settings(self, seed: int, **kw: Any) -> OptimizeSettings:
        return OptimizeSettings(
            apps=list(self.apps),
            area_budget=self.area_budget,
            data=self.data,
            dataset_designs=self.dataset_designs,
            seed=seed,
            steps=self.steps,
            zero_shot=self.zero_shot,
            train_apps=self.train_apps,
            candidates=self.candidates,
            population=self.population,
            generations=self.generations,
            oracle=self.oracle,
            force_oracle=self.force_oracle,
            oracle_timeout=self.oracle_timeout,
            oracle_jobs=self.oracle_jobs,
            oracle_batch=self.oracle_batch,
            area_model=self.area_model,
            contexts=dict(self.contexts),
            **kw,
        )


def _row(
    method: str,
    seed: int,
    task: str,
    best: float | None,
    median: float | None,
    area: float | None,
    calls: int | None,
    wall: float | None,
) -> dict[str, Any]:
    return dict(zip(COLUMNS, [method, seed, task, best, median, area, calls, wall], strict=True))


def _at_budget(
    res: baselines.BaselineResult, n: int, k: int
) -> tuple[float | None, float | None, float | None]:
    """Best latency, median of the top-k and the best's area among the first n calls."""
    top = res.top_k(k, calls=n)
    if not len(top["objective"]):
        return None, None, None
    lat = np.exp(-top["objective"])
    return float(lat[0]), float(np.median(lat)), float(top["area_mm2"][0])


def run_compare(
    settings: CompareSettings,
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
    search_progress: ProgressCallback | None = None,
) -> list[dict[str, Any]]:
    """Run the protocol into ``out``; ``progress`` receives a line per step, and
    ``search_progress`` the progress events of every simulator-driven run."""
    say = progress or (lambda _msg: None)
    out_dir = runs.prepare_run_dir(out, overwrite=overwrite)
    runs.write_toml(out_dir / "config.toml", dataclasses.asdict(settings))
    name = settings.task_name
    # The logged data is the same for every seed: the seeds vary training and search.
    first = settings.optimize_settings(0)
    setup = prepare(first, say=say)
    if not setup.verifies:
        raise InvalidArgumentError(
            f"compare verifies every method through an oracle, and the data comes from "
            f"{setup.world.describe()}, where there is none by default: give "
            '--oracle "YOUR_SIMULATOR ARGS"'
        )
    # One oracle for the baselines and the reference: its cache spares the simulator repeated
    # designs, while each method still counts its own calls.
    task = setup.task
    data_path = setup.data_path or cached_dataset(first, say)
    from prime_rs import data

    ds = setup.ds if setup.ds is not None else data.load(data_path)
    if setup.builtin:
        d_best, d_calls = dataset_best(ds, task, settings.candidates)
        i = best_index(d_best)
        d_valid = np.sort(d_best.mean_latency_ms[d_best.valid])[: settings.candidates]
        d_lat = float(d_best.mean_latency_ms[i]) if i is not None else None
        d_median = float(np.median(d_valid)) if len(d_valid) else None
        d_area = float(d_best.area_mm2[i]) if i is not None else None
    else:
        # Another world: D(best) is read from the logs, in their unit, with no oracle call.
        logged = logged_best(ds, task, settings.candidates)
        d_lat = (logged["latency"] or {}).get("mean")
        d_median, d_area, d_calls = logged["median"], logged["area_mm2"], 0
    ref = task.evaluate(EDGETPU_REFERENCE)
    rows: list[dict[str, Any]] = []
    curves: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    prime_best: dict[int, float] = {}
    for seed in settings.seeds:
        rows.append(_row("D(best)", seed, name, d_lat, d_median, d_area, d_calls, 0.0))
        rows.append(
            _row(
                "edgetpu_reference",
                seed,
                name,
                float(np.exp(np.mean(np.log(ref.latency_ms[0])))),
                None,
                float(ref.area_mm2[0]),
                0,
                0.0,
            )
        )
        for method, naive in (("prime", False), ("naive", True)):
            if method not in settings.methods:
                continue
            say(f"{name}: seed {seed}: {method}")
            t0 = time.perf_counter()
            outcome = run_optimize(
                dataclasses.replace(
                    settings.optimize_settings(seed), data=str(data_path), naive=naive
                ),
                out_dir / "runs" / f"{method}-seed{seed}",
                overwrite=True,
                raise_if_none_feasible=False,
            )
            b = outcome.best
            lat = (b.get("latency_ms") or {}).get("mean")
            if method == "prime" and lat is not None:
                prime_best[seed] = lat
            rows.append(
                _row(
                    method,
                    seed,
                    name,
                    lat,
                    b.get("median_latency_ms"),
                    b.get("area_mm2"),
                    b["simulator_calls"],
                    round(time.perf_counter() - t0, 2),
                )
            )
        for method in settings.methods:
            if method in ("prime", "naive"):
                continue
            budget, knobs = settings.baseline_run(method)
            say(f"{name}: seed {seed}: {method} ({budget} simulator calls)")
            res = baselines.run_baseline(
                method, task, budget, seed, progress=search_progress, **knobs
            )
            curves.setdefault(method, []).append((res.curve.calls, res.curve.latency_ms))
            for n in sorted({min(b, res.simulator_calls) for b in settings.budgets}):
                best, median, area = _at_budget(res, n, settings.candidates)
                frac = n / max(res.simulator_calls, 1)
                rows.append(
                    _row(
                        method, seed, name, best, median, area, n, round(res.wall_time_s * frac, 2)
                    )
                )
            target = prime_best.get(seed)
            if target is not None:
                need = baselines.calls_to_match(res, target)
                best, median, area = (
                    _at_budget(res, need, settings.candidates) if need else (None, None, None)
                )
                rows.append(_row(f"{method}@match", seed, name, best, median, area, need, None))
    write_results(out_dir, rows, settings, curves, unit=setup.world.latency_unit)
    return rows


def write_results(
    out_dir: Path,
    rows: list[dict[str, Any]],
    settings: CompareSettings,
    curves: dict[str, list[tuple[np.ndarray, np.ndarray]]],
    *,
    unit: str = "ms",
) -> None:
    from prime_rs.fileio import atomic_path

    with atomic_path(out_dir / "results.csv") as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
    runs.write_json(out_dir / "results.json", rows)
    runs.write_text(out_dir / "results.md", summary_markdown(rows, settings, unit=unit))
    _plots(out_dir, rows, settings, curves)


def _median_spread(values: list[float]) -> str:
    vals = [v for v in values if v is not None and np.isfinite(v)]
    if not vals:
        return "—"
    med = float(np.median(vals))
    if len(vals) == 1 or min(vals) == max(vals):
        return f"{med:.3f}"
    return f"{med:.3f} ({min(vals):.3f}..{max(vals):.3f})"


def summary_markdown(
    rows: list[dict[str, Any]], settings: CompareSettings, *, unit: str = "ms"
) -> str:
    """Medians over seeds (min..max) per method and budget; latency in the data's ``unit``."""
    groups: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for r in rows:
        calls = r["simulator_calls"] if not str(r["method"]).endswith("@match") else "match"
        groups.setdefault((r["method"], calls), []).append(r)

    def med(method: str, key: str, calls: Any = None) -> float | None:
        rs = [
            r
            for (m, c), g in groups.items()
            if m == method and (calls is None or c == calls)
            for r in g
        ]
        vals = [r[key] for r in rs if r[key] is not None]
        return float(np.median(vals)) if vals else None

    ref = med("edgetpu_reference", "best_latency_ms")
    k = settings.candidates
    sim_at_k = [med(m, "best_latency_ms", k) for m in settings.methods if _is_baseline(m)]
    best_sim_k = min((v for v in sim_at_k if v is not None), default=None)
    task = rows[0]["task"] if rows else ""
    lines = [
        f"### {task} (area ≤ {settings.area_budget:g} mm², seeds {','.join(map(str, settings.seeds))})",
        "",
        f"| method | simulator calls | best latency ({unit}) | median of top-K ({unit}) | area (mm²) | vs EdgeTPU-like | vs best simulator-driven @K |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (method, calls), g in groups.items():
        best = [r["best_latency_ms"] for r in g]
        median = [r["median_latency_ms"] for r in g]
        area = [r["area_mm2"] for r in g]
        b = med(method, "best_latency_ms", calls)
        vs_ref = f"{ref / b:.2f}x" if (ref and b) else "—"
        vs_sim = f"{best_sim_k / b:.2f}x" if (best_sim_k and b) else "—"
        if calls == "match":
            ns = [r["simulator_calls"] for r in g]
            reached = [n for n in ns if n is not None]
            calls_txt = (
                f"{int(np.median(reached))} ({min(reached)}..{max(reached)})"
                + (f", {len(ns) - len(reached)} never" if len(reached) < len(ns) else "")
                if reached
                else "not reached"
            )
        else:
            calls_txt = str(calls)
        lines.append(
            f"| {method} | {calls_txt} | {_median_spread(best)} | {_median_spread(median)} | "
            f"{_median_spread(area)} | {vs_ref} | {vs_sim} |"
        )
    lines += ["", f"K = {k} verified candidates; medians over seeds with (min..max)."]
    return "\n".join(lines) + "\n"


def _plots(
    out_dir: Path,
    rows: list[dict[str, Any]],
    settings: CompareSettings,
    curves: dict[str, list[tuple[np.ndarray, np.ndarray]]],
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = out_dir / "plots"
    plots.mkdir(exist_ok=True)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for method, runs_ in curves.items():
        for j, (calls, lat) in enumerate(runs_):
            ok = np.isfinite(lat)
            ax.step(
                calls[ok],
                lat[ok],
                where="post",
                alpha=0.7,
                color=f"C{list(curves).index(method)}",
                label=method if j == 0 else None,
            )
    for method, marker in (("prime", "*"), ("naive", "x")):
        pts = [
            (r["simulator_calls"], r["best_latency_ms"])
            for r in rows
            if r["method"] == method and r["best_latency_ms"] is not None
        ]
        if pts:
            ax.scatter(*zip(*pts, strict=True), marker=marker, s=80, zorder=5, label=method)
    for method, style in (("D(best)", ":"), ("edgetpu_reference", "--")):
        vals = [
            r["best_latency_ms"] for r in rows if r["method"] == method and r["best_latency_ms"]
        ]
        if vals:
            ax.axhline(float(np.median(vals)), ls=style, color="grey", label=method)
    ax.set_xscale("log")
    ax.set_xlabel("simulator calls")
    ax.set_ylabel("best latency so far (ms)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(plots / "best_so_far.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    seen = set()
    for r in rows:
        if r["best_latency_ms"] is None or r["area_mm2"] is None or "@" in r["method"]:
            continue
        label = r["method"] if r["method"] not in seen else None
        seen.add(r["method"])
        ax.scatter(
            r["area_mm2"],
            r["best_latency_ms"],
            s=18,
            color=f"C{sorted({x['method'] for x in rows}).index(r['method']) % 10}",
            label=label,
        )
    ax.axvline(settings.area_budget, ls="--", color="grey", lw=1)
    ax.set_xlabel("area (mm²)")
    ax.set_ylabel("latency of the chosen design (ms)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(plots / "chosen_designs.png", dpi=120)
    plt.close(fig)


def load_results(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    return json.loads((Path(path) / "results.json").read_text(encoding="utf-8"))
