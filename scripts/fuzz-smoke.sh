#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ for a few seconds on its committed corpus (a smoke test, not
# a fuzzing campaign). Skips cleanly when nightly Rust or cargo-fuzz is missing.
#
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]     (default 5)
#
# A crash fails the script; libFuzzer leaves the input in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz-smoke: skipped: no nightly toolchain (rustup toolchain install nightly)"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: skipped: cargo-fuzz is not installed (cargo install cargo-fuzz)"
    exit 0
fi
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" RAYON_NUM_THREADS=1
targets=$(cargo +nightly fuzz list --fuzz-dir fuzz)
# No sanitizer: the readers hold no unsafe code but the FIFO's poll/fcntl, and the checks
# that matter (panics, hangs, the accounting invariant) need none.
cargo +nightly fuzz build --fuzz-dir fuzz -s none
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in $targets; do
    echo "fuzz-smoke: $t (${secs} s)"
    # New inputs go to the first folder (a scratch one); the committed corpus only seeds.
    mkdir -p "$work/$t" "fuzz/corpus/$t"
    if ! cargo +nightly fuzz run --fuzz-dir fuzz -s none "$t" "$work/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$work/$t.log" 2>&1; then
        tail -n 40 "$work/$t.log"
        echo "fuzz-smoke: $t FAILED (the input is in fuzz/artifacts/$t/)"
        exit 1
    fi
    grep -E "^stat::number_of_executed_units" "$work/$t.log" || true
done
echo "fuzz-smoke: all targets ran clean"
