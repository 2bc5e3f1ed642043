"""Firefox ESR as a viewer for Reelcast's tests, headless, driven over Marionette.

    python firefox_viewer.py gstwebrtc-api WS_URL   the upstream gstwebrtc-api consumer (npm)
    python firefox_viewer.py page HTTP_URL          Reelcast's own viewer page

Prints a JSON line every 250 ms: {"viewer", "status", "framesReceived", "framesDecoded",
"frameWidth", "frameHeight", "videoPacketsLost", "nacks", "audioPackets", "joinMs", "painted", "clockMs",
"videoCodec", "browserVersion"}. painted is
video.mozPaintedFrames (frames shown; for a MediaStream getVideoPlaybackQuality() stays 0), read
at the page's clock clockMs (ms). joinMs is the time from asking for a session to the first frame
shown. Runs until killed; Firefox goes with it.

In a network namespace Firefox gathers only the address of the default route: the namespace
needs one (scripts/private-net.sh routes the default to its test device).
"""

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from marionette_driver.marionette import Marionette

HERE = os.path.dirname(os.path.abspath(__file__))
GST_API = os.path.join(HERE, "..", "browser", "node_modules", "gstwebrtc-api", "dist", "gstwebrtc-api-3.0.0.min.js")

PREFS = {
    "media.autoplay.default": 0,
    "media.autoplay.blocking_policy": 0,
    "media.peerconnection.ice.obfuscate_host_addresses": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.page": 0,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "browser.sessionstore.resume_from_crash": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "app.update.disabledForTesting": True,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "extensions.update.enabled": False,
}

# The gstwebrtc-api viewer, as tests/browser/viewer.mjs runs it in Chromium.
GST_API_VIEWER = """
window.viewer = { session: null, status: "waiting", joinStartedAt: null, joinMs: null };
const api = new window.GstWebRTCAPI({
  meta: { name: "firefox-test-viewer" },
  signalingServerUrl: SIGNALLING_URL,
  reconnectionTimeout: 1000,
  webrtcConfig: { iceServers: [], bundlePolicy: "max-bundle" },
});
const video = document.getElementById("v");
const watch = (producer) => {
  if (window.viewer.session) return;
  const session = api.createConsumerSession(producer.id);
  window.viewer.session = session;
  window.viewer.status = "joining";
  session.addEventListener("streamsChanged", () => {
    if (session.streams.length > 0) {
      video.srcObject = session.streams[0];
      window.viewer.status = "watching";
      video.requestVideoFrameCallback(() => {
        if (window.viewer.joinMs === null) window.viewer.joinMs = performance.now() - window.viewer.joinStartedAt;
      });
    }
  });
  session.addEventListener("closed", () => { window.viewer.status = "closed"; });
  window.viewer.joinStartedAt = performance.now();
  session.connect();
};
api.registerPeerListener({ producerAdded: watch, producerRemoved: () => {} });
for (const p of api.getAvailableProducers()) watch(p);
"""

# Put in the page: keeps window.__harness, a JSON string, up to date. A string is all that
# crosses into Marionette's sandbox.
HARNESS = """
(() => {
  const page = !!window.reelcastViewer;
  const pcOf = () => page ? window.reelcastViewer.state.pc
    : (window.viewer && window.viewer.session && window.viewer.session.rtcPeerConnection);
  const out = { framesReceived: 0, framesDecoded: 0, videoPacketsLost: 0, frameWidth: 0, frameHeight: 0, audioPackets: 0, painted: 0, clockMs: 0,
    status: "waiting", joinMs: null, videoCodec: null };
  window.__harness = JSON.stringify(out);
  setInterval(async () => {
    const video = document.querySelector("video");
    out.clockMs = performance.now();
    out.painted = video ? video.mozPaintedFrames : 0;
    const state = (page ? window.reelcastViewer.state : window.viewer) || {};
    out.status = state.status || "waiting";
    out.joinMs = state.joinMs === undefined ? null : state.joinMs;
    const pc = pcOf();
    if (pc) {
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "video") {
          out.framesDecoded = s.framesDecoded || 0;
          out.framesReceived = s.framesReceived || 0;
          out.videoPacketsLost = s.packetsLost || 0;
          out.nacks = s.nackCount || 0;
          out.frameWidth = s.frameWidth || (video ? video.videoWidth : 0);
          out.frameHeight = s.frameHeight || (video ? video.videoHeight : 0);
          const codec = s.codecId && report.get(s.codecId);
          out.videoCodec = codec ? codec.mimeType : null;
        }
        if (s.type === "inbound-rtp" && s.kind === "audio") out.audioPackets = s.packetsReceived || 0;
      });
    }
    window.__harness = JSON.stringify(out);
  }, 250);
})();
"""

INJECT = """
const script = document.createElement("script");
script.textContent = arguments[0];
document.head.appendChild(script);
"""


def log(*args):
    print("[firefox]", *args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    # Firefox goes if this script is killed outright.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def start_firefox(profile, port):
    with open(os.path.join(profile, "user.js"), "w") as f:
        for name, value in {**PREFS, "marionette.port": port}.items():
            f.write(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n")
    binary = shutil.which("firefox-esr") or shutil.which("firefox")
    if not binary:
        sys.exit("firefox-esr is missing: run scripts/setup.sh --tests")
    env = {**os.environ, "MOZ_HEADLESS": "1", "MOZ_CRASHREPORTER_DISABLE": "1"}
    return subprocess.Popen(
        [binary, "--headless", "--marionette", "--no-remote", "--profile", profile, "about:blank"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sys.stderr,
        preexec_fn=die_with_parent,
    )


def main():
    mode, target = sys.argv[1], sys.argv[2]
    if mode not in ("gstwebrtc-api", "page"):
        sys.exit(f"unknown mode {mode}")
    work = tempfile.mkdtemp(prefix="reelcast-firefox-")
    profile = os.path.join(work, "profile")
    os.mkdir(profile)
    port = free_port()
    firefox = start_firefox(profile, port)

    def stop(*_):
        firefox.terminate()
        try:
            firefox.wait(5)
        except subprocess.TimeoutExpired:
            firefox.kill()
        shutil.rmtree(work, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        client = Marionette(host="127.0.0.1", port=port, startup_timeout=60)
        client.start_session()
        version = client.session.get("browserVersion")
        log("Firefox", version)
        if mode == "gstwebrtc-api":
            page = os.path.join(work, "viewer.html")
            with open(GST_API) as f:
                library = f.read()
            with open(page, "w") as f:
                f.write("<html><body><video id=v autoplay muted playsinline></video>\n<script>\n")
                f.write(library.replace("</script", "<\\/script"))
                f.write("\n</script>\n<script>\n")
                f.write(GST_API_VIEWER.replace("SIGNALLING_URL", json.dumps(target)))
                f.write("\n</script></body></html>\n")
            client.navigate("file://" + page)
        else:
            client.navigate(target)
        client.execute_script(INJECT, script_args=[HARNESS])
        while firefox.poll() is None:
            raw = client.execute_script("return window.wrappedJSObject.__harness || null;")
            if raw:
                line = json.loads(raw)
                line.update(viewer=0, browserVersion=version)
                print(json.dumps(line), flush=True)
            time.sleep(0.25)
    except Exception as e:
        log("error:", repr(e))
        print(json.dumps({"viewer": 0, "error": repr(e)}), flush=True)
    stop()


if __name__ == "__main__":
    main()
