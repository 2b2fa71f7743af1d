#!/usr/bin/env bash
# The whole test suite (README: "Run all tests"). Needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
# Browser tests of report.html (installs Debian's chromium and playwright-core if missing).
./report/test.sh
# The team server on PostgreSQL too, its load generator briefly, and its pages in Chromium
# (installs Debian's postgresql when missing; the cluster is temporary and removed).
./scripts/test-serve.sh
# lockstep watch: kill -9 resume and NATS JetStream against a real nats-server (installed
# when missing, started on a loopback port, stopped at the end).
./scripts/test-watch.sh
# Fuzzing the readers is not part of the suite (it needs nightly and cargo-fuzz); .ci/run
# runs a short smoke of it: scripts/fuzz-smoke.sh [SECONDS_PER_TARGET].
