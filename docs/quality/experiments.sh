#!/usr/bin/env bash
# Issue 10 item 4 on U-Net (27 mm²), the task furthest from its optimum in table 3(a): the
# default PRIME run against two changes the diagnosis points to (docs/quality.md), 3 seeds each,
# on the same logged data as `compare` (100,000 random designs, data seed 0):
#   ranking  --ranking-weight 1 (a pairwise ranking term beside the regression)
#   alpha    --alpha 0.1 (ten times the conservative weight)
# Each run reports its regret against the true optimum in best.json (evaluation only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/runs}"
for variant in ranking alpha; do
    case "$variant" in
        ranking) extra=(--ranking-weight 1) ;;
        alpha) extra=(--alpha 0.1) ;;
    esac
    for seed in 0 1 2; do
        dir="$out/unet-$variant-seed$seed"
        [[ -f "$dir/best.json" ]] && continue
        prime-rs -q optimize --apps unet --area-budget 27 --steps 300 --seed "$seed" \
            "${extra[@]}" --out "$dir" --overwrite || true  # exit 1: no feasible candidate
    done
done
