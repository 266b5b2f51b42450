#!/usr/bin/env bash
# Build and run every cargo-fuzz target for a bounded time; exit non-zero on the first crash.
#
#   fuzz/run.sh [SECONDS]        # default 60 s per target
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). A stable toolchain works through
# RUSTC_BOOTSTRAP=1 (cargo fuzz needs nightly-only sanitizer flags). Each run starts from the
# checked-in seeds and regression inputs; a crash leaves its input under
# fuzz/artifacts/<target>/. Keep it: copy it to fuzz/regressions/<target>/ (which
# `cargo test -p prime-core` replays), then fix the code.
set -euo pipefail
seconds="${1:-60}"
case "$seconds" in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"
targets=(tfrecord workload)
for t in "${targets[@]}"; do
    cargo fuzz build --fuzz-dir "$here" -O "$t"
done
for t in "${targets[@]}"; do
    corpus="$here/corpus/$t"  # grows across runs; not checked in
    mkdir -p "$corpus" "$here/artifacts/$t"
    echo "== fuzzing $t for ${seconds}s"
    cargo fuzz run --fuzz-dir "$here" -O "$t" "$corpus" "$here/seeds/$t" "$here/regressions/$t" -- \
        -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1
done
echo "fuzz: no crash in ${#targets[@]} targets x ${seconds}s"
