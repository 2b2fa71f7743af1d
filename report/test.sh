#!/usr/bin/env bash
# Browser tests of the case report: renders the fixtures with the Rust crate and drives them
# in headless Chromium (Debian's package) through playwright-core.
#   report/test.sh            # from anywhere
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

if [ ! -x /usr/bin/chromium ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/ajv" ] \
  || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

out="$here/tests/out"
mkdir -p "$out"
node "$here/tests/gen-fixtures.mjs" large "$out/large.json"

cd "$root"
render() { cargo run -q -p lockstep-report --example render -- "$1" "$2"; }
for f in "$here"/tests/fixtures/*.json; do
  render "$f" "$out/$(basename "$f" .json).html"
done
render "$out/large.json" "$out/large.html"

# A report lockstep wrote itself, from a simulated scenario.
cargo run -q -p lockstep -- simulate --accounts 4000 --seed 3 --out "$out/sim" -q
cargo run -q -p lockstep -- detect "$out/sim/data" --out "$out/sim-case" -q --watchlist examples/watchlist-romania-2024.toml
cp "$out/sim-case/report.html" "$out/simulated.html"

# And one lockstep infra wrote, from simulated election-site logs.
cargo run -q -p lockstep -- infra simulate --out "$out/infra-sim" --lines 20000 --hours 12 --seed 4 \
  --stuffing-sources 60 --injection-sources 80 --flood-sources 10 --scanners 4 --campaign-rate 5 >/dev/null
cargo run -q -p lockstep -- infra "$out/infra-sim/logs" --out "$out/infra-case" -q
cp "$out/infra-case/report.html" "$out/infra-simulated.html"

cd "$root"
node --test report/tests/
