"""PRIME's results before and after a change of the training code, run by run: every
`results.json` under docs/compare as it is now, against the same file at a git revision (the
same logged data and seeds), paired by (comparison, seed, simulator calls). Prints each pair's
regret, the counts of better / worse / equal, the median regrets and a Wilcoxon signed-rank
test (docs/performance/training.md used it for the counter-hash dropout).

    python docs/quality/paired.py REV [PREFIX,...]   # only comparisons under these, e.g. specialise
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy.stats import wilcoxon

COMPARE = Path(__file__).resolve().parents[1] / "compare"
TRAINED = ("prime", "prime_rounds")


def _rows(text: str) -> dict[tuple[int, int], float | None]:
    return {
        (r["seed"], r["simulator_calls"]): r.get("regret")
        for r in json.loads(text)
        if r["method"] in TRAINED
    }


def pairs(rev: str, only: list[str]) -> list[tuple[str, int, int, float | None, float | None]]:
    root = COMPARE.parents[1]
    out = []
    for f in sorted(COMPARE.glob("**/results.json")):
        name = str(f.parent.relative_to(COMPARE))
        if only and not any(name.startswith(p) for p in only):
            continue
        old = subprocess.run(
            ["git", "show", f"{rev}:{f.relative_to(root)}"],
            cwd=root,
            capture_output=True,
            text=True,
        )
        if old.returncode != 0:  # not there at that revision
            continue
        before, after = _rows(old.stdout), _rows(f.read_text())
        out += [(name, *k, before[k], after[k]) for k in sorted(before) if k in after]
    return out


def main(argv: list[str]) -> int:
    found = pairs(argv[0], argv[1].split(",") if len(argv) > 1 else [])
    pct = lambda x: "none" if x is None else f"{x:+.2%}"  # noqa: E731
    for name, seed, calls, a, b in found:
        print(f"{name} seed {seed} calls {calls}: {pct(a)} -> {pct(b)}")
    both = np.array([(a, b) for *_, a, b in found if a is not None and b is not None])
    a, b = both.T
    print(
        f"{len(found)} pairs, {len(both)} with a feasible design in both (none before: "
        f"{sum(p[3] is None for p in found)}, after: {sum(p[4] is None for p in found)}); "
        f"better {int((b < a).sum())}, worse {int((b > a).sum())}, equal {int((b == a).sum())}; "
        f"median regret {np.median(a):+.2%} -> {np.median(b):+.2%}; "
        f"Wilcoxon signed-rank p = {wilcoxon(a, b).pvalue:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
