"""Where PRIME's offline result loses against the true optimum (issue 10 item 4), from finished
`compare` runs (docs/compare/paper.sh): for each seed's run, the surrogate's score of

- its own top proposal and of the best design it verified (candidates.parquet),
- the true optimum's design and the true top-128 (evaluation only: read here, after the runs),

and the true latency of what it proposed. If the surrogate scores the optimum above its top
proposal, the search stopped short of a design the surrogate already prefers; if below, the
surrogate ranks the optimum under designs that are slower in truth.

    python docs/quality/diagnose.py docs/compare/specialise/unet [more compare dirs...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from prime_rs import train
from prime_rs.run.evaluation import task_optimum
from prime_rs.run.optimize import surrogate_objective
from prime_rs.task import Task


def diagnose(compare_dir: Path) -> list[dict]:
    out = []
    for run in sorted((compare_dir / "runs").glob("prime-seed*")):
        best = json.loads((run / "best.json").read_text())
        task = Task(best["applications"], area_budget=best["area_budget_mm2"])
        ex = task_optimum(task)
        model = train.load(run / "model")
        score = surrogate_objective(model, task)
        cand = pq.read_table(run / "candidates.parquet")
        lat = np.asarray(cand.column("mean_latency_ms"), np.float64)
        feasible = np.asarray(cand.column("feasible"), bool)
        s_cand = np.asarray(cand.column("surrogate_score"), np.float64)
        s_top = score(ex.designs)
        # Where the true top-128 would rank among the proposals, by the surrogate's score.
        above = np.array([(s_cand > s).sum() for s in s_top])
        reasons = [str(r) for r in cand.column("reason").to_pylist() if r]
        main = max(set(reasons), key=reasons.count) if reasons else ""
        out.append(
            {
                "run": run.name,
                "infeasible_share": float(1 - feasible.mean()),
                "main_reason": main,
                "optimum_ms": ex.optimum_ms,
                "best_verified_ms": float(lat[feasible].min()) if feasible.any() else None,
                "top_proposal_ms": float(lat[0]) if feasible[0] else None,
                "score_top_proposal": float(s_cand.max()),
                "score_optimum": float(s_top[0]),
                "optimum_rank_among_proposals": int(above[0]) + 1,
                "true_top128_scored_above_every_proposal": int((above == 0).sum()),
                "true_top128_median_rank": float(np.median(above)) + 1,
                "apps": list(task.applications),
            }
        )
    return out


def main(argv: list[str]) -> int:
    print(
        "| task | seed | regret | proposals infeasible (main reason) | optimum's rank by the "
        "surrogate among the 128 proposals | true top-128 scored above every proposal |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for d in argv:
        for r in diagnose(Path(d)):
            regret = (f"{r['best_verified_ms'] / r['optimum_ms'] - 1:+.2%}"
                      if r["best_verified_ms"] else "no feasible design")  # fmt: skip
            rank = r["optimum_rank_among_proposals"]
            print(
                f"| {'+'.join(r['apps'])} | {r['run'].removeprefix('prime-seed')} | {regret} | "
                f"{r['infeasible_share']:.0%} ({r['main_reason'] or '-'}) | "
                f"{rank if rank <= 128 else 'below all 128'} | "
                f"{r['true_top128_scored_above_every_proposal']} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
