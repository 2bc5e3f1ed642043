#!/usr/bin/env bash
# Sets up and runs the benchmarks in a private network namespace, on a generated 720p30 sample
# (or the file given): the fan-out cost per viewer, what viewers coming and going leave behind,
# then the time for a browser viewer to join, with that file and with a generated 640x360 clip.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
cargo build --release
cargo bench --bench join --no-run
file=${1:-$(scripts/sample.sh)}
ns=(unshare -n)
[ "$(id -u)" -eq 0 ] || ns=(unshare -rn)
exec "${ns[@]}" bash -c '
  set -e
  ip link set lo up
  ip link add rc0 type ifb
  ip addr add 10.99.0.1/24 dev rc0
  ip link set rc0 up
  target/release/reelcast bench fanout "$1"
  target/release/reelcast bench churn "$1"
  target/release/reelcast bench churn --resident "$1"
  cargo bench --offline --bench join -- "$1"
  cargo bench --offline --bench join
' reelcast-bench "$file"
