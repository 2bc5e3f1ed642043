#!/usr/bin/env bash
# Sets up, builds and shares a sample video on Reelcast's embedded default: it prints the
# address to open in a browser to watch (http://127.0.0.1:8080/SECRET/). Extra arguments go to
# `reelcast share`, e.g. --signalling wss://host/ to join an existing call.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release
sample=$(scripts/sample.sh)
exec target/release/reelcast share --loop "$sample" "$@"
