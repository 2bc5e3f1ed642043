#!/usr/bin/env bash
# Sets up and runs the benchmarks in a private network namespace, on a generated 720p30 sample
# (or the file given): the fan-out cost per viewer, what viewers coming and going leave behind,
# the time for a browser viewer to join, with that file and with a generated 640x360 clip, and
# two browser viewers with one behind a shaped link (on a generated 480p30 sample).
#   scripts/bench.sh [FILE]           all of them
#   scripts/bench.sh network [FILE]   the network benchmark only (FILE: 480p30)
set -euo pipefail
cd "$(dirname "$0")/.."
only=""
[ "${1:-}" = "network" ] && { only=network; shift; }
scripts/setup.sh --tests
cargo build --release -p reelcast-bench -p reelcast --bins
sample=$(scripts/sample.sh)
small=${1:-$(scripts/sample.sh target/sample/sample-480p.webm 854x480)}
if [ "$only" = network ]; then
  exec scripts/private-net.sh target/release/reelcast-bench network "$small" --cpu-file "$sample"
fi
cargo bench --bench join --no-run
file=${1:-$sample}
exec scripts/private-net.sh bash -c '
  set -e
  target/release/reelcast-bench fanout "$1"
  target/release/reelcast-bench first-join "$1"
  target/release/reelcast-bench churn "$1"
  target/release/reelcast-bench churn --resident "$1"
  cargo bench --offline --bench join -- "$1"
  cargo bench --offline --bench join
  target/release/reelcast-bench network "$2" --cpu-file "$3"
' reelcast-bench "$file" "$(scripts/sample.sh target/sample/sample-480p.webm 854x480)" "$sample"
