"""Writes docs/compare/paper.md, the paper's tables on the built-in simulator, from the
comparisons that docs/compare/paper.sh ran (each a `compare` directory with its results.json
and, for PRIME, its runs/prime-seedN/best.json). Evaluation only: the true optimum is read
here, after every method ran."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

import prime_rs
from prime_rs import SPACE
from prime_rs.compare.tables import across, load_results
from prime_rs.run.evaluation import task_optimum
from prime_rs.task import Task

HERE = Path(__file__).resolve().parent
ALL = ["mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "mobilenet_edgetpu", "unet",
       "rnnt_encoder", "rnnt_decoder", "ssd_mobilenet_v2", "efficientnet_lite0", "resnet50"]  # fmt: skip
TRAIN = ["mobilenet_v2", "mobilenet_v3_large", "mobilenet_edgetpu", "efficientnet_lite0",
         "ssd_mobilenet_v2", "resnet50", "unet", "rnnt_encoder"]  # fmt: skip


def _done(path: Path) -> bool:
    return (path / "results.json").is_file()


def _median_seed_best(out: Path, method: str = "prime") -> tuple[int, dict]:
    """The seed whose best latency is the median over seeds, and its best.json."""
    rows = sorted(
        (r for r in load_results(out) if r["method"] == method and r["best_latency_ms"]),
        key=lambda r: r["best_latency_ms"],
    )
    seed = rows[len(rows) // 2]["seed"]
    return seed, json.loads((out / "runs" / f"{method}-seed{seed}" / "best.json").read_text())


def per_application(out: Path, apps: list[str], budget: float) -> str:
    """Per-application latencies of the EdgeTPU-like design, PRIME's design (median seed) and
    the true optimum's design, with the designs' parameters: the trade-off each one made."""
    seed, best = _median_seed_best(out)
    ex = task_optimum(Task(apps, area_budget=budget))
    designs = {
        "EdgeTPU-like": prime_rs.EDGETPU_REFERENCE,
        f"PRIME (seed {seed})": np.asarray(best["design_indices"], dtype=np.uint8).reshape(1, -1),
        "true optimum": ex.designs[:1],
    }
    lat = {n: [float(prime_rs.simulate(d, a).latency_ms[0]) for a in apps]
           for n, d in designs.items()}  # fmt: skip
    names = list(designs)
    lines = ["| application | " + " | ".join(f"{n} (ms)" for n in names) + " | PRIME vs EdgeTPU-like |",
             "| --- |" + " ---: |" * (len(names) + 1)]  # fmt: skip
    for i, a in enumerate(apps):
        cells = [f"{lat[n][i]:.3f}" for n in names]
        lines.append(
            f"| {a} | " + " | ".join(cells) + f" | {lat[names[0]][i] / lat[names[1]][i]:.2f}x |"
        )
    geo = {n: float(np.exp(np.mean(np.log(lat[n])))) for n in names}
    lines.append("| geometric mean | " + " | ".join(f"{geo[n]:.3f}" for n in names)
                 + f" | {geo[names[0]] / geo[names[1]]:.2f}x |")  # fmt: skip
    lines += ["", "| design | parameters | area (mm²) |", "| --- | --- | ---: |"]
    for n, d in designs.items():
        text = ", ".join(f"{k}={v}" for k, v in SPACE.describe(d).as_dict().items())
        lines.append(f"| {n} | {text} | {float(prime_rs.area(d)[0]):.2f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parts = []
    spec = [(a, HERE / "specialise" / a) for a in ALL if _done(HERE / "specialise" / a)]
    if spec:
        parts += ["## (a) One application at a time, 27 mm²", "",
                  "`bash docs/compare/paper.sh a`: PRIME (K = 128) per application against the "
                  "EdgeTPU-like design. Latency ratio = EdgeTPU-like / PRIME; area ratio = "
                  "EdgeTPU-like area / PRIME's area.", "",
                  across(spec, label="application")]  # fmt: skip
    if _done(HERE / "all_apps"):
        parts += ["## (b) One design for all ten applications, 100 mm²", "",
                  "`bash docs/compare/paper.sh b`: latency = geometric mean over the ten.", "",
                  (HERE / "all_apps" / "results.md").read_text().replace("### ", "#### "),
                  "Per application, PRIME's design (the median seed) against the EdgeTPU-like "
                  "design and the true optimum's design:", "",
                  per_application(HERE / "all_apps", ALL, 100.0)]  # fmt: skip
    zs = [(f"{n}: {', '.join(TRAIN[:n])}", HERE / "zeroshot_n" / str(n)) for n in (1, 2, 4, 8)]
    zs = [z for z in zs if _done(z[1])]
    if zs:
        parts += ["## (c) Zero-shot on mobilenet_v3_small, learning from 1, 2, 4 and 8 "
                  "applications", "", "`bash docs/compare/paper.sh c`.", "",
                  across(zs, label="training applications")]  # fmt: skip
    regimes = [("uniform random", HERE / "specialise" / "mobilenet_v2"),
               ("search trajectories", HERE / "regimes" / "search")]  # fmt: skip
    regimes = [r for r in regimes if _done(r[1])]
    if len(regimes) == 2:
        parts += ["## (d) Data regimes on mobilenet_v2, 27 mm²", "",
                  "`bash docs/compare/paper.sh d`: 100,000 logged designs, uniformly random or "
                  "the visits of a logged evolutionary search (`generate --mode search`).", "",
                  across(regimes, label="logged data")]  # fmt: skip
    if _done(HERE / "rounds"):
        parts += ["## Beyond the paper: PRIME inside the loop, mobilenet_v2, 27 mm²", "",
                  "`bash docs/compare/paper.sh r`: `prime_rounds` is 4 rounds of K = 64 "
                  "verifications (the first is the offline run; each later one fine-tunes on "
                  "the verified designs and searches again); the baselines are read at the same "
                  "call counts.", "",
                  (HERE / "rounds" / "results.md").read_text().replace("### ", "#### ")]  # fmt: skip
    if not parts:
        print(
            "no finished comparison under docs/compare/: run docs/compare/paper.sh", file=sys.stderr
        )
        return 1
    text = "# The paper's tables on the built-in simulator\n\n" + "\n".join(parts)
    (HERE / "paper.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
