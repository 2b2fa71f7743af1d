#!/usr/bin/env bash
# lockstep watch figures (release build; benchmark, not a timed test):
#   scripts/bench-watch.sh throughput [ACCOUNTS]   replay of romania-2024 at ACCOUNTS (100000):
#                                                  events/s, peak memory, latency per campaign,
#                                                  agreement with batch detect on the horizon
#   scripts/bench-watch.sh quality                 the six quality scenarios of `lockstep bench`:
#                                                  alerts on hard negatives
#   scripts/bench-watch.sh live                    wall-clock latency live, over HTTP
#   scripts/bench-watch.sh memory [ACCOUNTS]       peak memory of a replay of 1, 2 and 3 passes
#                                                  of the same election (20000), one after the
#                                                  other: flat when bounded by the horizon
set -euo pipefail
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release -p lockstep --manifest-path "$root/Cargo.toml" >&2
bin="$root/target/release/lockstep"
dir="${BENCH_DIR:-/tmp/lockstep-watch-bench}"
mkdir -p "$dir"
replay() { # SIM_DIR RUN_DIR [watch args...]
  local sim="$1" run="$2"; shift 2
  rm -rf "$run"; mkdir -p "$run"
  /usr/bin/time -f "%e s wall, %M KiB peak" "$bin" watch "$sim/data" --replay --alerts "$run/alerts.ndjson" \
    --cases "$run/cases" --quiet "$@" 2>&1 | tail -3
  python3 "$root/scripts/watch_figures.py" "$sim" "$run/alerts.ndjson" "$run/cases"
}
case "${1:-throughput}" in
  throughput)
    n="${2:-100000}"
    [ -f "$dir/ro$n/truth.csv" ] || "$bin" simulate --accounts "$n" --seed 7 --out "$dir/ro$n" >/dev/null
    wc -l "$dir/ro$n"/data/* | tail -1
    replay "$dir/ro$n" "$dir/run$n"
    ;;
  quality)
    printf '[trend]\nintensity = 2.0\n[viral_sound]\nintensity = 2.0\n[challenge]\nintensity = 2.0\n[volunteer]\nintensity = 2.0\n' > "$dir/hard.toml"
    for spec in "50000 1" "20000 2" "80000 3" "35000 4" "50000 5" "50000 6 hard"; do
      set -- $spec
      name="q$1-$2${3:+-hard}"
      [ -f "$dir/$name/truth.csv" ] || "$bin" simulate --accounts "$1" --seed "$2" ${3:+--config "$dir/hard.toml"} --out "$dir/$name" >/dev/null
      echo "== $name"
      replay "$dir/$name" "$dir/run-$name" | grep -E "alerts|hard negatives|wall"
    done
    ;;
  memory)
    n="${2:-20000}"
    [ -f "$dir/ro$n/truth.csv" ] || "$bin" simulate --accounts "$n" --seed 7 --out "$dir/ro$n" >/dev/null
    for k in 1 2 3; do
      [ -d "$dir/rep$n-$k" ] || python3 "$root/scripts/repeat_replay.py" "$dir/ro$n/data" "$dir/rep$n-$k" "$k" >/dev/null
      rm -f "$dir/rep-alerts.ndjson"
      printf '%s pass(es): ' "$k"
      /usr/bin/time -f "%e s wall, %M KiB peak" "$bin" watch "$dir/rep$n-$k" --replay \
        --alerts "$dir/rep-alerts.ndjson" --cases "$dir/rep-cases" --quiet 2>&1 | tail -1
    done
    ;;
  live)
    python3 "$root/scripts/live_latency.py" "$bin" 60s
    python3 "$root/scripts/live_latency.py" "$bin" 5s
    ;;
esac
