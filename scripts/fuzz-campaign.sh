#!/usr/bin/env bash
# A fuzzing campaign: runs each target for RUNS executions (default 10 million), merges what
# it found into the committed corpus (libFuzzer -merge keeps only inputs that add coverage)
# and appends a row per target to fuzz/CAMPAIGNS.md. One core per target, one at a time.
#
#   scripts/fuzz-campaign.sh [RUNS] [TARGET...]      (default: every target of both fuzz dirs)
#
# The committed corpus only grows: its files are kept as seeds whatever the merge says.
#
# Targets are named as `cargo fuzz list` gives them; weblog's are prefixed `weblog/`.
# A crash stops the script; libFuzzer leaves the input in DIR/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=10000000
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then runs=$1; shift; fi
# Inputs up to MAX_LEN bytes (every limit of the targets' tight limits is below it); a unit
# running longer than TIMEOUT seconds of wall time is a hang.
max_len="${MAX_LEN:-2048}" timeout="${TIMEOUT:-10}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" RAYON_NUM_THREADS=1
if [ $# -eq 0 ]; then
    set -- $(cargo +nightly fuzz list --fuzz-dir fuzz) \
        $(cd crates/weblog && cargo +nightly fuzz list --fuzz-dir fuzz | sed 's|^|weblog/|')
fi
# Only the fuzz dirs with a requested target are built.
if printf '%s\n' "$@" | grep -qv '^weblog/'; then cargo +nightly fuzz build --fuzz-dir fuzz -s none; fi
if printf '%s\n' "$@" | grep -q '^weblog/'; then
    (cd crates/weblog && cargo +nightly fuzz build --fuzz-dir fuzz -s none)
fi
# The commit the targets were built from (later commits during a long campaign do not count).
commit=$(git rev-parse --short HEAD)
table=fuzz/CAMPAIGNS.md
if [ ! -f "$table" ]; then
    printf '%s\n\n%s\n%s\n' "# Fuzzing campaigns (scripts/fuzz-campaign.sh)" \
        "| date (UTC) | target | commit | executions | seconds | crashes | corpus files |" \
        "|---|---|---|---:|---:|---:|---:|" >"$table"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in "$@"; do
    case "$t" in
        weblog/*) dir=crates/weblog/fuzz; name=${t#weblog/} ;;
        *) dir=fuzz; name=$t ;;
    esac
    bin="$dir/target/$(rustc -vV | sed -n 's/^host: //p')/release/$name"
    corpus="$dir/corpus/$name"
    mkdir -p "$work/$name" "$corpus" "$dir/artifacts/$name"
    echo "fuzz-campaign: $t ($runs runs)"
    start=$(date +%s)
    # A signal (a campaign stopped to free the core) still keeps what was found: the fuzzer
    # is interrupted, prints its stats, and the partial corpus is merged with a row saying so.
    stopped=""
    "$bin" "$work/$name" "$corpus" -runs="$runs" -timeout="$timeout" -rss_limit_mb=2048 \
        -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name/" \
        >"$work/$name.log" 2>&1 &
    fuzzer=$!
    trap 'stopped=1; kill -TERM $fuzzer 2>/dev/null' INT TERM
    status=0
    wait $fuzzer || status=$?
    # `wait` returns early when the trap runs; wait for the fuzzer itself to finish.
    while kill -0 $fuzzer 2>/dev/null; do wait $fuzzer || status=$?; done
    trap - INT TERM
    if [ -z "$stopped" ] && [ "$status" -ne 0 ]; then
        tail -n 40 "$work/$name.log"
        echo "fuzz-campaign: $t CRASHED (the input is in $dir/artifacts/$name/)"
        exit 1
    fi
    secs=$(( $(date +%s) - start ))
    execs=$(grep -E "^stat::number_of_executed_units" "$work/$name.log" | awk '{print $2}')
    # Keep the committed corpus minimal: only inputs that add coverage.
    mkdir -p "$work/$name.merged"
    if ! "$bin" -merge=1 "$work/$name.merged" "$corpus" "$work/$name" >"$work/$name.merge.log" 2>&1; then
        tail -n 20 "$work/$name.merge.log"
        echo "fuzz-campaign: $t: merging the corpus failed"
        exit 1
    fi
    # The committed seeds (real samples, hand-made edge cases) stay whatever coverage says.
    git ls-files -z "$corpus" | xargs -0 -r cp -n -t "$work/$name.merged" 2>/dev/null || true
    rm -rf "$corpus" && mv "$work/$name.merged" "$corpus"
    files=$(ls "$corpus" | wc -l)
    printf '| %s | %s | %s | %s | %s | 0 | %s |\n' "$(date -u +%F)" "$t" \
        "$commit" "${execs:-?}${stopped:+ (stopped)}" "$secs" "$files" >>"$table"
    if [ -n "$stopped" ]; then
        echo "fuzz-campaign: $t stopped after ${execs:-?} executions; corpus merged ($files files)"
        exit 130
    fi
    rm -rf "$work/$name"
    echo "fuzz-campaign: $t: $execs executions in $secs s, corpus $files files"
done
