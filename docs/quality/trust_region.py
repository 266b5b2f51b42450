"""Would a trust region around the logged data close the gap to the optimum (issue 10 item 4)?
Measured offline on finished `compare` runs (docs/compare/paper.sh) with paired_search.py: each
run's search is repeated with its own surrogate, settings and seed, once as it ran and once per
radius, where a design more than ``r`` parameters away from every feasible in-budget logged
design (Hamming distance over the 10 parameters) scores 100 below its surrogate score, so only
designs near the data compete. The region is built from the logged data only.

    python docs/quality/trust_region.py docs/compare/specialise/unet [more dirs...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import paired_search

RADII = (1, 2, 3)
CHUNK = 256


def distance_to(logged: np.ndarray):
    """Each design's Hamming distance to the nearest of ``logged`` (n, 10) index rows."""
    ref = np.unique(logged, axis=0)

    def dist(designs: np.ndarray) -> np.ndarray:
        out = np.empty(len(designs), np.int64)
        for s in range(0, len(designs), CHUNK):
            d = designs[s : s + CHUNK]
            out[s : s + len(d)] = (d[:, None, :] != ref[None, :, :]).sum(axis=2).min(axis=1)
        return out

    return dist


def study(compare_dir: Path) -> tuple[paired_search.Found, int]:
    st = paired_search.load(compare_dir)
    ds = st.logged
    inside = ds.feasible & st.task.within_area(ds.designs)
    dist = distance_to(ds.designs[inside])

    def region(r: int) -> paired_search.Variant:
        return lambda s: lambda d: s(d) - 100.0 * (dist(d) > r)

    variants = {f"r{r}": region(r) for r in RADII}
    return paired_search.repeat(st, variants), int(inside.sum())


def main(argv: list[str]) -> int:
    head = " | ".join(f"within {r} of the data" for r in RADII)
    print(f"| task | feasible in-budget logged designs | single model | {head} |")
    print("| --- | ---: | ---: | " + " | ".join("---:" for _ in RADII) + " |")
    for d in argv:
        r, n = study(Path(d))
        cells = " | ".join(paired_search.cell(r[f"r{x}"]) for x in RADII)
        print(
            f"| {Path(d).name} | {n:,} | {paired_search.cell(r['single'])} | {cells} |", flush=True
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
