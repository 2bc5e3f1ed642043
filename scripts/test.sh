#!/usr/bin/env bash
# Sets up and runs every test. Tests run inside a private network namespace (only loopback and
# a test address on an ifb device), so nothing they do can reach another machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
cargo test --no-run --all-targets --features fuzzing
if [ $# -eq 0 ]; then set -- --all-targets --features fuzzing; fi
exec scripts/private-net.sh cargo test --offline "$@"
