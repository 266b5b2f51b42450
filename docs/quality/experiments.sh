#!/usr/bin/env bash
# Issue 10 item 4 on U-Net (27 mm²), the task furthest from its optimum in table 3(a): the
# default PRIME run against two changes the diagnosis points to (docs/quality.md), 3 seeds each,
# on the same logged data as `compare` (100,000 random designs, data seed 0):
#   ranking  --ranking-weight 1 (a pairwise ranking term beside the regression)
#   alpha    --alpha 0.1 (ten times the conservative weight)
#   rounds   --rounds 4 --candidates 32: the same 128 oracle calls in 4 rounds, each adding the
#            verified designs (infeasible ones included) to the data before the next search
#   default  nothing changed (seed 0 only: the check that these runs are compare's)
# Each run reports its regret against the true optimum in best.json (evaluation only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/runs}"
for variant in ranking alpha rounds default; do
    seeds=(0 1 2)
    case "$variant" in
        ranking) extra=(--ranking-weight 1) ;;
        alpha) extra=(--alpha 0.1) ;;
        rounds) extra=(--rounds 4 --candidates 32) ;;
        default) extra=(); seeds=(0) ;;
    esac
    for seed in "${seeds[@]}"; do
        dir="$out/unet-$variant-seed$seed"
        [[ -f "$dir/best.json" ]] && continue
        prime-rs -q optimize --apps unet --area-budget 27 --steps 300 --seed "$seed" \
            ${extra[@]+"${extra[@]}"} --out "$dir" --overwrite || true  # exit 1: no feasible candidate
    done
done
