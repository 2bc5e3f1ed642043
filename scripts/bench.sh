#!/usr/bin/env bash
# Sets up and runs the benchmarks in a private network namespace, on a generated 720p30 sample
# (or the file given): the fan-out cost per viewer, what viewers coming and going leave behind,
# then the time for a browser viewer to join, with that file and with a generated 640x360 clip.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
cargo build --release -p reelcast-bench
cargo bench --bench join --no-run
file=${1:-$(scripts/sample.sh)}
exec scripts/private-net.sh bash -c '
  set -e
  target/release/reelcast-bench fanout "$1"
  target/release/reelcast-bench churn "$1"
  target/release/reelcast-bench churn --resident "$1"
  cargo bench --offline --bench join -- "$1"
  cargo bench --offline --bench join
' reelcast-bench "$file"
