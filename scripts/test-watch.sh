#!/usr/bin/env bash
# lockstep watch: the crate's tests, then the kill -9 test (a simulated election replayed from
# a folder, killed at random moments at least 20 times and restarted with the same --state:
# the alerts must equal an uninterrupted run's, wall-clock `time` aside, and the final
# snapshot must be identical), then the NATS JetStream test against a real nats-server
# (installed with apt-get if missing; skipped loudly, not failed, only if it cannot be).
set -euo pipefail
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo test -p lockstep-watch
cargo build -p lockstep
bin="$root/target/debug/lockstep"
work="$(mktemp -d)"
trap 'rm -rf "$work"; [ -n "${nats_pid:-}" ] && kill "$nats_pid" 2>/dev/null || true' EXIT

echo "== kill -9 test"
"$bin" simulate --accounts 2000 --seed 5 --out "$work/sim" >/dev/null
args=(watch ../sim/data --replay --state state --alerts alerts.ndjson --cases cases --quiet --checkpoint-every 0.05)
mkdir -p "$work/ref" "$work/kill"
(cd "$work/ref" && "$bin" "${args[@]}")
kills=0
for i in $(seq 1 200); do
  (cd "$work/kill" && exec "$bin" "${args[@]}") &
  pid=$!
  sleep "0.$(( (RANDOM % 9) + 1 ))$(( RANDOM % 10 ))"
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    kills=$((kills + 1))
  else
    wait "$pid" || { echo "watch failed"; exit 1; }
    [ "$kills" -ge 20 ] && break
    # Finished before 20 kills: start again from scratch, killing sooner.
    rm -rf "$work/kill"; mkdir -p "$work/kill"; kills=0
  fi
  [ "$kills" -ge 20 ] && break
done
(cd "$work/kill" && "$bin" "${args[@]}")
echo "killed $kills times"
strip() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o=json.loads(l); o.pop("time",None); print(json.dumps(o,sort_keys=True))' "$1"; }
diff <(strip "$work/ref/alerts.ndjson") <(strip "$work/kill/alerts.ndjson") || { echo "FAIL: alerts differ"; exit 1; }
n=$(wc -l < "$work/ref/alerts.ndjson")
[ "$n" -gt 0 ] || { echo "FAIL: no alerts at all"; exit 1; }
for f in accounts.csv clusters.json edges.csv; do
  a=$(cd "$work/ref/cases" && ls -d snapshot-*/ | tail -1)
  cmp "$work/ref/cases/$a$f" "$work/kill/cases/$a$f" || { echo "FAIL: final snapshot $f differs"; exit 1; }
done
echo "kill -9 test: $kills kills, $n alerts identical, final snapshot identical"

echo "== NATS JetStream test"
if ! command -v nats-server >/dev/null; then
  (apt-get install -y nats-server >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y nats-server >/dev/null 2>&1; }) || true
fi
if ! command -v nats-server >/dev/null; then
  echo "SKIPPED: the NATS test (nats-server could not be installed)"
  exit 0
fi
port=$(( 20000 + RANDOM % 20000 ))
nats-server -js -a 127.0.0.1 -p "$port" -sd "$work/nats" >"$work/nats.log" 2>&1 &
nats_pid=$!
for _ in $(seq 1 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
LOCKSTEP_TEST_NATS="127.0.0.1:$port" LOCKSTEP_BIN="$bin" cargo test -p lockstep-watch --test nats -- --nocapture
echo "NATS test passed"
