#!/usr/bin/env bash
# Sets up, builds and plays a sample video: in a window when there is a display, else headless.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release
sample=$(scripts/sample.sh)
exec target/release/reelcast play "$sample" "$@"
