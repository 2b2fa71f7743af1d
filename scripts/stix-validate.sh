#!/usr/bin/env bash
# Validates STIX 2.1 bundles with the OASIS validator (PyPI stix2-validator), installed
# into a virtual environment on first use. Exit 77 when the package cannot be installed
# (registry unreachable): the caller skips, loudly.
set -uo pipefail
venv="${LOCKSTEP_STIX_VENV:-${CARGO_TARGET_DIR:-$(dirname "$0")/../target}/stix-venv}"
if [ ! -x "$venv/bin/stix2_validator" ]; then
  python3 -m venv "$venv" >/dev/null 2>&1 || exit 77
  "$venv/bin/pip" install --quiet --disable-pip-version-check stix2-validator >/dev/null 2>&1 || exit 77
fi
# --strict: warnings are errors too; the MITRE/CAPEC external ids are checked.
exec "$venv/bin/stix2_validator" --version 2.1 --strict "$@"
