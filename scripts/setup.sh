#!/usr/bin/env bash
# Installs the Debian packages Reelcast needs to build and run, skipping those present.
# With --tests, also what the tests need: a real X server, Chromium with a driver for it, the
# upstream signalling server, and the other WebRTC stacks tested as viewers (Firefox ESR, aiortc).
set -euo pipefail
tests=false
[ "${1:-}" = "--tests" ] && tests=true

packages=(
  # build
  pkg-config libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  libgtk-4-dev libadwaita-1-dev libglib2.0-bin
  # the translation template (xgettext, scripts/update-po.sh)
  gettext
  # run: decoders, encoders, WebRTC
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice gstreamer1.0-tools
  # the sample video's clock (timeoverlay)
  gstreamer1.0-x
)
if $tests; then
  packages+=(
    # a real X server, screenshots, key presses, network namespaces, desktop file checks
    xvfb xauth xdotool imagemagick iproute2 util-linux desktop-file-utils appstream
    # `meson install` into a temporary prefix (tests/data_files.rs)
    meson ninja-build
    # subtitled test videos made as people make them
    ffmpeg
    # the remote viewers: Chromium, Firefox ESR (driven over Marionette), and a Python for aiortc's venv
    chromium firefox-esr python3-venv
    # an SFU to publish into
    janus
    # TURN passwords in the keyring: a private session bus, a real Secret Service on it, and
    # libsecret's secret-tool to read back what it holds (gdbus, from libglib2.0-bin, waits for it)
    dbus-daemon gnome-keyring libsecret-tools
  )
  command -v node >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v cargo >/dev/null || { echo "Rust is needed: see https://rustup.rs" >&2; exit 1; }
$tests || exit 0

cd "$(dirname "$0")/.."
# The browser viewer's driver (playwright-core, using Debian's Chromium) and the upstream
# gstwebrtc-api client, pinned by package-lock.json.
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/gstwebrtc-api ]; then
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi
# aiortc (a WebRTC stack in Python) and marionette-driver (drives Firefox) in a venv of Debian's
# Python, pinned by tests/peers/requirements.txt. It lives outside the work tree so that CI's
# fresh clones reuse it; it is made again when the requirements change.
venv="${REELCAST_PYENV:-${XDG_CACHE_HOME:-$HOME/.cache}/reelcast/interop-venv}"
if ! cmp -s tests/peers/requirements.txt "$venv/requirements.txt"; then
  echo "Making the Python venv for the interop tests: $venv"
  [ -f "$venv/pyvenv.cfg" ] && rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/peers/requirements.txt
  cp tests/peers/requirements.txt "$venv/requirements.txt"
fi
# The upstream GStreamer signalling server, which the tests use as a real peer.
server="${CARGO_HOME:-$HOME/.cargo}/bin/gst-webrtc-signalling-server"
if ! "$server" --help >/dev/null 2>&1 && ! gst-webrtc-signalling-server --help >/dev/null 2>&1; then
  echo "Installing gst-webrtc-signalling-server (cargo install, a few minutes)"
  cargo install --locked --quiet gst-plugin-webrtc-signalling --version 0.15.4
fi
# A real WHIP endpoint for the tests: gst-plugins-rs' whipserversrc, from crates.io (several
# minutes the first time, then cached in target/).
CARGO_TARGET_DIR=target/whip-endpoint cargo build --release --quiet \
  --manifest-path tests/whip-endpoint/Cargo.toml
