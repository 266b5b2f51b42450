#!/usr/bin/env bash
# Issue 10 item 4 with PRIME inside the loop: every single-application task of table 3(a)
# (27 mm², 100,000 random logged designs, data seed 0, 300 training steps) with the same
# K = 128 oracle calls spent in 4 rounds of 32, seeds 0-2. Each round adds its verified designs
# (infeasible ones included) to the data and fine-tunes before the next search. Runs land in
# runs/APP-rounds-seedS (the U-Net ones are experiments.sh's); each best.json holds the regret
# against the true optimum (evaluation only). `python docs/quality/targets.py --rounds` reads them.
# ROUNDS=8 CANDIDATES=16 bash docs/quality/rounds.sh spends the same calls in other rounds; those
# runs land in runs/APP-rounds8x16-seedS (`targets.py --rounds --tag rounds8x16`).
set -euo pipefail
rounds="${ROUNDS:-4}"
k="${CANDIDATES:-32}"
tag="rounds"
[[ "$rounds" == 4 && "$k" == 32 ]] || tag="rounds${rounds}x${k}"
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/runs}"
apps=(mobilenet_v2 mobilenet_v3_large mobilenet_v3_small mobilenet_edgetpu unet rnnt_encoder
      rnnt_decoder ssd_mobilenet_v2 efficientnet_lite0 resnet50)
for app in "${apps[@]}"; do
    for seed in 0 1 2; do
        dir="$out/$app-$tag-seed$seed"
        [[ -f "$dir/best.json" ]] && continue
        prime-rs -q optimize --apps "$app" --area-budget 27 --steps 300 --seed "$seed" \
            --rounds "$rounds" --candidates "$k" --out "$dir" --overwrite || true  # exit 1: no feasible candidate
    done
done
