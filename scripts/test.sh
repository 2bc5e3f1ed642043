#!/usr/bin/env bash
# Sets up and runs every test. Tests run inside a private network namespace (only loopback and
# a test address on an ifb device), so nothing they do can reach another machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
cargo test --no-run --all-targets
# As root (CI) a plain network namespace; otherwise one inside a user namespace.
ns=(unshare -n)
[ "$(id -u)" -eq 0 ] || ns=(unshare -rn)
exec "${ns[@]}" bash -c '
  set -e
  ip link set lo up
  ip link add rc0 type ifb
  ip addr add 10.99.0.1/24 dev rc0
  ip link set rc0 up
  if [ $# -eq 0 ]; then set -- --all-targets; fi
  exec cargo test --offline "$@"
' reelcast-tests "$@"
