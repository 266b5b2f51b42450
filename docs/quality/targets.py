"""docs/quality.md's table of issue 10's targets, from the `compare` results of
docs/compare/paper.sh (table 3(a)) and of the README's two-application and zero-shot runs:
PRIME's regret (median, min..max over seeds) and its verified top-K median's.

    python docs/quality/targets.py [docs/compare]
    python docs/quality/targets.py --rounds [--tag rounds8x16] [docs/quality/runs]  # rounds.sh

With ``--rounds`` the rows are the single-application tasks run by docs/quality/rounds.sh (the
same 128 oracle calls in 4 rounds of 32), read from each run's best.json; the top-K is then the
128 designs verified over the rounds. The table is followed by the runs paired, seed by seed,
with table 3(a)'s one-shot runs (docs/compare/specialise): better / worse / equal and a Wilcoxon
signed-rank test on the regrets.
"""

import json
import statistics as st
import sys
from pathlib import Path

from cells import one_shot_regrets, paired_summary

from prime_rs import workloads

ROUNDS = "--rounds" in sys.argv
args = [a for a in sys.argv[1:] if a != "--rounds"]
TAG = "rounds"
if "--tag" in args:  # the runs of `ROUNDS=R CANDIDATES=K rounds.sh`: --tag roundsRxK
    i = args.index("--tag")
    TAG = args[i + 1]
    del args[i : i + 2]
HERE = Path(__file__).resolve().parent
C = Path(args[0]) if args else (HERE / "runs" if ROUNDS else HERE.parent / "compare")
APPS = workloads.names()


def rounds_table() -> None:
    print("| task | regret (median, min..max) | ≤ 1%? | top-K median regret | ≤ 5%? | seeds |")
    print("| --- | ---: | :---: | ---: | :---: | ---: |")
    for app in APPS:
        runs = [C / f"{app}-{TAG}-seed{s}" / "best.json" for s in (0, 1, 2)]
        best = [json.loads(f.read_text()) for f in runs if f.exists()]
        if not best:
            print(f"| {app} | (not run) | | | | 0 |")
            continue
        reg = [b["regret"] for b in best if b.get("verified")]
        med = [b["median_regret"] for b in best if b.get("verified")]
        none = len(best) - len(reg)
        if not reg:
            print(f"| {app} | no feasible design on any seed | no | — | no | {len(best)} |")
            continue
        m, mm = st.median(reg), st.median(med)
        txt = f"+{100 * m:.2f}% (+{100 * min(reg):.2f}..+{100 * max(reg):.2f})"
        if none:
            txt += f"; {none} verified no feasible design"
        ok = "yes" if not none and m <= 0.01 else "no"
        print(
            f"| {app} | {txt} | {ok} | +{100 * mm:.2f}% | {'yes' if mm <= 0.05 else 'no'} "
            f"| {len(best)} |"
        )


def paired_with_one_shot() -> None:
    """Each rounds run against the one-shot run of the same task and seed (same logs, same first
    model)."""
    pairs, unmatched = [], 0
    for app in APPS:
        one = one_shot_regrets(app)
        for seed in (0, 1, 2):
            f = C / f"{app}-{TAG}-seed{seed}" / "best.json"
            if not f.exists() or seed not in one:
                unmatched += f.exists()
                continue
            b = json.loads(f.read_text())
            pairs.append((b["regret"] if b.get("verified") else None, one[seed]))
    print(
        f"\npaired with the one-shot runs ({len(pairs)} runs): {paired_summary(pairs)}"
        + (f"; {unmatched} without a one-shot run" if unmatched else "")
    )


if ROUNDS:
    rounds_table()
    paired_with_one_shot()
    sys.exit(0)
tasks = [(a, C / "specialise" / a, 1.0) for a in APPS]
tasks += [
    ("mobilenet_v2 + unet (multi)", C / "mnv2_unet", 3.0),
    ("mobilenet_v3_small, zero-shot from 3", C / "zeroshot", 3.0),
]
print("| task | regret (median, min..max) | ≤ target? | top-K median regret | ≤ 5%? |")
print("| --- | ---: | :---: | ---: | :---: |")
for name, d, target in tasks:
    f = d / "results.json"
    if not f.exists():
        print(f"| {name} | (not run) | | | |")
        continue
    rows = [r for r in json.loads(f.read_text()) if r["method"] == "prime"]
    opt = rows[0]["optimum_ms"]
    reg = [r["best_latency_ms"] / opt - 1 for r in rows if r["best_latency_ms"] is not None]
    med = [r["median_latency_ms"] / opt - 1 for r in rows if r["median_latency_ms"] is not None]
    none = sum(r["best_latency_ms"] is None for r in rows)
    if not reg:
        print(f"| {name} | no feasible design on any seed | no | — | no |")
        continue
    m = st.median(reg)
    txt = (
        f"+{100 * m:.2f}% (+{100 * min(reg):.2f}..+{100 * max(reg):.2f})"
        if not none
        else f"+{100 * m:.2f}% on {len(reg)} seeds; {none} verified no feasible design"
    )
    ok = "yes" if (not none and m * 100 <= target) else "no"
    mm = st.median(med)
    print(
        f"| {name} | {txt} | {ok} ({target:g}%) | +{100 * mm:.2f}% | {'yes' if mm <= 0.05 else 'no'} |"
    )
