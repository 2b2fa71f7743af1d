#!/usr/bin/env bash
# Runs every fuzz target (fuzz/ and crates/weblog/fuzz/) for a few seconds on its committed
# corpus (a smoke test, not a campaign: scripts/fuzz-campaign.sh). Without cargo-fuzz it
# installs the pinned version into target/tools (from crates.io); it skips, saying why, only
# when the nightly toolchain is missing or that install cannot be done (offline).
#
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]     (default 5)
#
# A crash fails the script; the input is copied to DIR/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz-smoke: skipped: no nightly toolchain (rustup toolchain install nightly)"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    tools="$PWD/target/tools"
    export PATH="$tools/bin:$PATH"
    if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
        echo "fuzz-smoke: installing cargo-fuzz 0.13.2 into $tools"
        mkdir -p "$tools"
        if ! cargo install cargo-fuzz --version 0.13.2 --locked --root "$tools" \
            >"$tools/install.log" 2>&1; then
            tail -n 5 "$tools/install.log" || true
            echo "fuzz-smoke: skipped: cargo-fuzz is not installed and could not be (see $tools/install.log)"
            exit 0
        fi
    fi
fi
export RAYON_NUM_THREADS=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Both fuzz folders: the readers (fuzz/) and the log formats (crates/weblog/fuzz/).
for dir in fuzz crates/weblog/fuzz; do
    (
        cd "$(dirname "$dir")"
        # No sanitizer: the readers hold no unsafe code but the FIFO's poll/fcntl, and the
        # checks that matter (panics, hangs, the accounting invariant) need none.
        cargo +nightly fuzz build --fuzz-dir "$(basename "$dir")" -s none
    )
    for t in $( (cd "$(dirname "$dir")" && cargo +nightly fuzz list --fuzz-dir "$(basename "$dir")") ); do
        echo "fuzz-smoke: $dir $t (${secs} s)"
        # New inputs go to the first folder (a scratch one); the committed corpus only seeds.
        mkdir -p "$work/$t" "$dir/corpus/$t"
        bin="$dir/target/$(rustc -vV | sed -n 's/^host: //p')/release/$t"
        if ! "$bin" "$work/$t" "$dir/corpus/$t" -max_total_time="$secs" -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" \
            >"$work/$t.log" 2>&1; then
            tail -n 40 "$work/$t.log"
            mkdir -p "$dir/artifacts/$t" && cp "$work"/crash-* "$work"/timeout-* "$work"/oom-* \
                "$dir/artifacts/$t/" 2>/dev/null || true
            echo "fuzz-smoke: $t FAILED (the input is in $dir/artifacts/$t/)"
            exit 1
        fi
        grep -E "^stat::number_of_executed_units" "$work/$t.log" || true
    done
done
echo "fuzz-smoke: all targets ran clean"
