// One headless Chromium viewer that watches the first producer on an upstream GStreamer
// signalling server (gstwebrtc-api), for the network benchmark and the shaped-link tests
// (crates/testkit/src/browser_viewer.rs reads it).
//
//   node netbench.mjs WS_URL
//
// Prints one JSON line every 250 ms:
//   {"t": wall ms, "status", "joinAt": wall ms of connect(), "firstFrameAt": wall ms of the first
//    frame presented, "video": {inbound-rtp video stats}, "frames": [[presented, height,
//    presentedFrames, expected display, receive | null, rtpTimestamp | null, capture | null], ...]}
// where "frames" holds the frames presented since the previous line (requestVideoFrameCallback;
// times in wall-clock ms; receive, RTP and capture times are Chromium's metadata for WebRTC
// sources, when present). The first frame's metadata keys are printed once as
// {"metadataKeys": [...]}, to see what is really there.
// Runs until killed, or until Chromium goes away.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const [target] = process.argv.slice(2);
if (!/^wss?:\/\//.test(target || "")) {
  process.stderr.write("usage: node netbench.mjs ws://HOST:PORT\n");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    // A page in the background must not have its frames throttled.
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
  ],
});
browser.on("disconnected", () => process.exit(0));
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    await browser.close().catch(() => {});
    process.exit(0);
  });
}

const gstApi = readFileSync(join(here, "node_modules/gstwebrtc-api/dist/gstwebrtc-api-3.0.0.min.js"), "utf8");
const page = await browser.newPage();
page.on("console", (m) => process.stderr.write(`[netbench viewer] ${m.text()}\n`));
await page.setContent("<html><body><video id=v autoplay muted playsinline></video></body></html>");
await page.addScriptTag({ content: gstApi });
await page.evaluate((url) => {
  const api = new window.GstWebRTCAPI({
    meta: { name: "reelcast-netbench-viewer" },
    signalingServerUrl: url,
    reconnectionTimeout: 1000,
    webrtcConfig: { iceServers: [], bundlePolicy: "max-bundle" },
  });
  const wall = (t) => performance.timeOrigin + t;
  const round = (x) => (typeof x === "number" ? Math.round(x * 10) / 10 : null);
  const w = (window.bench = { status: "waiting", session: null, joinAt: null, firstFrameAt: null, frames: [], keys: null });
  const video = document.getElementById("v");
  const onFrame = (now, m) => {
    if (w.keys === null) w.keys = Object.keys(m);
    const shown = wall(m.presentationTime ?? now);
    if (w.firstFrameAt === null) w.firstFrameAt = shown;
    const at = (t) => (typeof t === "number" ? round(wall(t)) : null);
    w.frames.push([
      round(shown), m.height, m.presentedFrames, at(m.expectedDisplayTime ?? now),
      at(m.receiveTime), m.rtpTimestamp ?? null, at(m.captureTime),
    ]);
    video.requestVideoFrameCallback(onFrame);
  };
  const watch = (producer) => {
    if (w.session) return;
    const session = api.createConsumerSession(producer.id);
    w.session = session;
    w.status = "joining";
    session.addEventListener("streamsChanged", () => {
      if (session.streams.length > 0) {
        video.srcObject = session.streams[0];
        w.status = "watching";
        video.requestVideoFrameCallback(onFrame);
      }
    });
    session.addEventListener("closed", () => { w.status = "closed"; });
    w.joinAt = wall(performance.now());
    session.connect();
  };
  api.registerPeerListener({ producerAdded: watch, producerRemoved: () => {} });
  for (const p of api.getAvailableProducers()) watch(p);
}, target);

let keysShown = false;
for (;;) {
  try {
    const line = await page.evaluate(async () => {
      const w = window.bench;
      const out = { t: performance.timeOrigin + performance.now(), status: w.status, joinAt: w.joinAt, firstFrameAt: w.firstFrameAt,
        video: null, frames: w.frames, keys: w.keys };
      w.frames = [];
      const pc = w.session && w.session.rtcPeerConnection;
      if (pc) {
        (await pc.getStats()).forEach((s) => {
          if (s.type === "inbound-rtp" && s.kind === "video") {
            out.video = {
              framesDecoded: s.framesDecoded || 0, framesReceived: s.framesReceived || 0, framesDropped: s.framesDropped || 0,
              freezeCount: s.freezeCount || 0, totalFreezesDuration: s.totalFreezesDuration || 0,
              bytesReceived: s.bytesReceived || 0, packetsReceived: s.packetsReceived || 0, packetsLost: s.packetsLost || 0,
              frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0, pliCount: s.pliCount || 0,
              nackCount: s.nackCount || 0, keyFramesDecoded: s.keyFramesDecoded || 0,
              fecPacketsReceived: s.fecPacketsReceived || 0, fecPacketsDiscarded: s.fecPacketsDiscarded || 0,
              retransmittedPacketsReceived: s.retransmittedPacketsReceived || 0,
            };
          }
        });
      }
      return out;
    });
    if (!keysShown && line.keys) {
      keysShown = true;
      process.stdout.write(JSON.stringify({ metadataKeys: line.keys }) + "\n");
    }
    delete line.keys;
    process.stdout.write(JSON.stringify(line) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e) }) + "\n");
  }
  await new Promise((r) => setTimeout(r, 250));
}
