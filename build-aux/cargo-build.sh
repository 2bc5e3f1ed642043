#!/bin/sh
# meson's custom targets run no shell: builds with cargo, then copies the binary cargo made
# to where meson expects it. Arguments: CARGO BUILT OUTPUT CARGO-BUILD-ARGS...
# CARGO_HOME and CARGO_NET_OFFLINE come from the environment (the Flatpak sets both).
set -eu
cargo=$1 built=$2 output=$3
shift 3
"$cargo" build "$@"
cp "$built" "$output"
