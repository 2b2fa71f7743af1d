#!/usr/bin/env bash
# The team server's tests: every database test on SQLite and on a throwaway PostgreSQL
# (Debian's postgresql: a cluster initialised in a temporary folder, listening on a loopback
# port, stopped and deleted at the end), then the browser tests (Chromium through
# playwright-core) against a real `lockstep serve`, and a short smoke of the load generator.
#   scripts/test-serve.sh            # from anywhere; SKIP_BROWSER=1 for the Rust tests only
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pgbin)" ] || [ ! -x "$(pgbin)/initdb" ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
fi
PGBIN="$(pgbin)"
tmp="$(mktemp -d)"
# PostgreSQL refuses to run as root: the cluster belongs to the postgres user (made by the
# package), or to whoever runs this script when that is not root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres "$tmp"; fi
cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_pg "$PGBIN/initdb" -D "$tmp/pg" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w \
  -o "-h 127.0.0.1 -p $port -k $tmp -F -c fsync=off -c max_connections=200" start >/dev/null
export LOCKSTEP_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (removed at the end)"

LOCKSTEP_REQUIRE_POSTGRES=1 cargo test -p lockstep-serve --locked

if [ "${SKIP_BROWSER:-}" != 1 ]; then
  cargo build -q -p lockstep --locked
  cargo build -q -p lockstep-serve --example load --locked
  # The load generator, briefly (the full soak is a documented benchmark: crates/serve/README.md).
  target/debug/examples/load --lockstep target/debug/lockstep --accounts 3000 --clients 4 --seconds 3
  target/debug/examples/load --lockstep target/debug/lockstep --accounts 3000 --clients 4 --seconds 3 --rate 40
  target/debug/examples/load --lockstep target/debug/lockstep --accounts 3000 --clients 4 --seconds 3 \
    --db "postgres://postgres@127.0.0.1:$port/postgres"
  # Browser tests: installs Chromium and the node modules when missing, as report/test.sh does.
  if [ ! -x /usr/bin/chromium ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  fi
  if [ ! -d report/node_modules/playwright-core ] || [ report/package-lock.json -nt report/node_modules/.package-lock.json ]; then
    (cd report && npm ci --no-audit --no-fund)
  fi
  LOCKSTEP_BIN="$root/target/debug/lockstep" node --test report/serve-tests/
fi
