#!/usr/bin/env bash
# The whole test suite (README: "Run all tests"). Needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
# Browser tests of report.html (installs Debian's chromium and playwright-core if missing).
./report/test.sh
