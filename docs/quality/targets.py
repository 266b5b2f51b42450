"""docs/quality.md's table of issue 10's targets, from the `compare` results of
docs/compare/paper.sh (table 3(a)) and of the README's two-application and zero-shot runs:
PRIME's regret (median, min..max over seeds) and its verified top-K median's.

    python docs/quality/targets.py [docs/compare]
"""

import json
import statistics as st
import sys
from pathlib import Path

C = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "compare"
tasks = [
    (a, C / "specialise" / a, 1.0)
    for a in [
        "mobilenet_v2",
        "mobilenet_v3_large",
        "mobilenet_v3_small",
        "mobilenet_edgetpu",
        "unet",
        "rnnt_encoder",
        "rnnt_decoder",
        "ssd_mobilenet_v2",
        "efficientnet_lite0",
        "resnet50",
    ]
]
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
