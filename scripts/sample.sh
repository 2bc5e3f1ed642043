#!/usr/bin/env bash
# Makes a 30-second sample video (moving test pattern and a tone) to try Reelcast with:
#   scripts/sample.sh [OUT [WIDTHxHEIGHT]]   (default target/sample/sample.webm, 1280x720, 30 fps)
set -euo pipefail
out=${1:-target/sample/sample.webm}
size=${2:-1280x720}
[[ $size =~ ^([0-9]+)x([0-9]+)$ ]] || { echo "sample.sh: size is WIDTHxHEIGHT, not $size" >&2; exit 2; }
width=${BASH_REMATCH[1]} height=${BASH_REMATCH[2]}
[ -s "$out" ] && { echo "$out"; exit 0; }
mkdir -p "$(dirname "$out")"
gst-launch-1.0 -q webmmux name=mux ! filesink location="$out" \
  videotestsrc num-buffers=900 pattern=smpte horizontal-speed=4 \
    ! video/x-raw,width="$width",height="$height",framerate=30/1 ! timeoverlay font-desc="Sans 36" \
    ! vp8enc deadline=1 cpu-used=8 ! queue ! mux. \
  audiotestsrc num-buffers=1500 samplesperbuffer=960 wave=sine freq=440 volume=0.3 \
    ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! opusenc ! queue ! mux. >&2
echo "$out"
