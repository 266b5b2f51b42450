#!/usr/bin/env bash
# The paper's tables on the built-in simulator, as `compare` runs under docs/compare/
# (3 seeds each, K = 128, 300 training steps: the settings of the README's other comparisons).
#   a  single-application specialisation at 27 mm², each built-in application (specialise/APP)
#   b  one design for all ten applications at 100 mm² against the simulator-driven methods (all_apps)
#   c  zero-shot on mobilenet_v3_small learning from 1, 2, 4 and 8 applications (zeroshot_n/N)
#   d  data regimes on mobilenet_v2: search-trajectory logs (regimes/search) beside part a's
#      uniform random logs
#   r  beyond the paper: PRIME inside the loop (4 rounds of K = 64) on mobilenet_v2 against the
#      simulator-driven methods, read at the same call counts (rounds)
# `bash docs/compare/paper.sh a b c d r`; a rerun resumes finished cells. Then
# `python docs/compare/paper_tables.py` writes docs/compare/paper.md from the results.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ALL=(mobilenet_v2 mobilenet_v3_large mobilenet_v3_small mobilenet_edgetpu unet rnnt_encoder
     rnnt_decoder ssd_mobilenet_v2 efficientnet_lite0 resnet50)
TRAIN=(mobilenet_v2 mobilenet_v3_large mobilenet_edgetpu efficientnet_lite0 ssd_mobilenet_v2
       resnet50 unet rnnt_encoder)
common=(--seeds 0,1,2 --steps 300)

run() {  # run OUT ARGS...: one comparison, resumed when OUT exists
    local out=$1; shift
    local resume=()
    [[ -d "$out" ]] && resume=(--resume)
    prime-rs compare "${common[@]}" --out "$out" "${resume[@]}" "$@"
}
join() { local IFS=,; echo "$*"; }

for part in "$@"; do
    case "$part" in
        a) for app in "${ALL[@]}"; do
               run "$here/specialise/$app" --apps "$app" --area-budget 27 --methods prime
           done ;;
        b) run "$here/all_apps" --apps "$(join "${ALL[@]}")" --area-budget 100 \
               --methods prime,random_search,regularized_evolution,bayesian_optimization ;;
        c) for n in 1 2 4 8; do
               run "$here/zeroshot_n/$n" --apps mobilenet_v3_small --zero-shot \
                   --train-apps "$(join "${TRAIN[@]:0:$n}")" --area-budget 27 --methods prime
           done ;;
        d) data="${PRIME_RS_CACHE:-$HOME/.cache/prime-rs}/paper/mobilenet_v2-search-100000-seed0.parquet"
           if [[ ! -f "$data" ]]; then
               mkdir -p "$(dirname "$data")"
               prime-rs generate --apps mobilenet_v2 --mode search --area-budget 27 \
                   --designs 100000 --seed 0 --out "$data"
           fi
           # The uniform random regime is part a's mobilenet_v2 run (the same settings).
           run "$here/regimes/search" --apps mobilenet_v2 --area-budget 27 --methods prime \
               --data "$data" ;;
        r) run "$here/rounds" --apps mobilenet_v2 --area-budget 27 --candidates 64 --rounds 4 \
               --budgets 64,128,192,256,512,1024,2048,4096,8192 \
               --methods prime_rounds,random_search,regularized_evolution ;;
        *) echo "unknown part '$part' (a, b, c, d or r)" >&2; exit 2 ;;
    esac
done
