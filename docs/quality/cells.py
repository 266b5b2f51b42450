"""What the offline studies report with: the table cell of a task (the median regret over
seeds, then each seed's, ``none`` where a seed verified no feasible design), table 3(a)'s
one-shot regrets to pair a variant with, and the paired summary line."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from scipy.stats import wilcoxon

SPECIALISE = Path(__file__).resolve().parents[1] / "compare" / "specialise"


def regret_cell(regrets: list[float | None], note: str = "") -> str:
    found = [r for r in regrets if r is not None]
    if not found:
        return "no feasible design"
    none = len(regrets) - len(found)
    text = " / ".join("none" if r is None else f"{r:+.2%}" for r in regrets)
    med = f"{statistics.median(found):+.2%}" + (f", {none} none" if none else "")
    return f"{med} ({text}{'; ' + note if note else ''})"


def one_shot_regrets(app: str) -> dict[int, float | None]:
    """Per seed, the regret of table 3(a)'s one-shot PRIME run on ``app`` ({} if not run)."""
    f = SPECIALISE / app / "results.json"
    if not f.exists():
        return {}
    return {r["seed"]: r["regret"] for r in json.loads(f.read_text()) if r["method"] == "prime"}


def paired_summary(pairs: list[tuple[float | None, float | None]]) -> str:
    """``better / worse / equal`` and a Wilcoxon signed-rank p over (new, old) regrets; a run
    that verified no feasible design counts as a regret of 100%."""
    diffs = [(1.0 if n is None else n) - (1.0 if o is None else o) for n, o in pairs]
    better, worse = sum(d < -1e-12 for d in diffs), sum(d > 1e-12 for d in diffs)
    p = wilcoxon(diffs).pvalue if better + worse else float("nan")
    return (
        f"better {better}, worse {worse}, equal {len(diffs) - better - worse}; Wilcoxon p = {p:.3f}"
    )
