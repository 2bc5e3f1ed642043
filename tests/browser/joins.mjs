// One headless Chromium that joins producers on an upstream GStreamer signalling server
// (gstwebrtc-api) when told, each session in a <video> of its own, for the first-join
// benchmark (crates/bench/src/first_join.rs).
//
//   node joins.mjs WS_URL
//
// Reads lines on standard input:
//   join    a new session to the producer that appeared last (the others keep watching)
//   close   ends every session
// Prints JSON lines:
//   {"producers": N}                     the producers listed, each time it changes
//   {"session": I, "producer", "joinAt", "firstFrameAt", "width", "height"}
//                                         session I showed its first decoded frame (wall ms:
//                                         joinAt is connect(), firstFrameAt the frame's
//                                         presentation, from requestVideoFrameCallback)
//   {"error": "..."}
// Runs until standard input ends.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const [target] = process.argv.slice(2);
if (!/^wss?:\/\//.test(target || "")) {
  process.stderr.write("usage: node joins.mjs ws://HOST:PORT\n");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
  ],
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    await browser.close().catch(() => {});
    process.exit(0);
  });
}
const say = (v) => process.stdout.write(JSON.stringify(v) + "\n");
const gstApi = readFileSync(join(here, "node_modules/gstwebrtc-api/dist/gstwebrtc-api-3.0.0.min.js"), "utf8");
const page = await browser.newPage();
page.on("console", (m) => process.stderr.write(`[joins] ${m.text()}\n`));
await page.exposeFunction("say", say);
await page.setContent("<html><body></body></html>");
await page.addScriptTag({ content: gstApi });
await page.evaluate((url) => {
  const config = {
    meta: { name: "reelcast-first-join" },
    signalingServerUrl: url,
    reconnectionTimeout: 1000,
    webrtcConfig: { iceServers: [], bundlePolicy: "max-bundle" },
  };
  // The server allows one session between a consumer and a producer: each session is a
  // client of its own, connected ahead of its join (a spare), so the join itself is timed.
  const connected = () => new Promise((resolve) => {
    const api = new window.GstWebRTCAPI(config);
    api.registerConnectionListener({ connected: () => resolve(api), disconnected: () => {} });
  });
  let spare = connected();
  const wall = (t) => performance.timeOrigin + t;
  const producers = [];
  const sessions = [];
  const watcher = new window.GstWebRTCAPI(config);
  const listed = () => window.say({ producers: producers.length });
  watcher.registerPeerListener({
    producerAdded: (p) => { producers.push(p); listed(); },
    producerRemoved: (p) => {
      const i = producers.findIndex((q) => q.id === p.id);
      if (i >= 0) producers.splice(i, 1);
      listed();
    },
  });
  for (const p of watcher.getAvailableProducers()) producers.push(p);
  listed();
  window.join = async () => {
    const producer = producers[producers.length - 1];
    if (!producer) return window.say({ error: "no producer to join" });
    const api = await spare;
    spare = connected();
    const index = sessions.length;
    const video = document.createElement("video");
    Object.assign(video, { autoplay: true, muted: true, playsInline: true, width: 320 });
    document.body.appendChild(video);
    const joinAt = wall(performance.now());
    const session = api.createConsumerSession(producer.id);
    if (!session) return window.say({ error: `session ${index}: not created` });
    sessions.push({ session, video });
    session.addEventListener("streamsChanged", () => {
      if (session.streams.length === 0 || video.srcObject) return;
      video.srcObject = session.streams[0];
      video.requestVideoFrameCallback((now, m) => {
        window.say({
          session: index, producer: producer.id, joinAt,
          firstFrameAt: wall(m.presentationTime ?? now), width: m.width, height: m.height,
        });
      });
    });
    session.addEventListener("error", (e) => window.say({ error: `session ${index}: ${e.message || e}` }));
    session.connect();
  };
  window.closeAll = () => {
    for (const { session, video } of sessions.splice(0)) {
      session.close();
      video.remove();
    }
  };
}, target);

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const op = line.trim();
  try {
    if (op === "join") await page.evaluate(() => window.join());
    else if (op === "close") await page.evaluate(() => window.closeAll());
    else if (op) say({ error: `unknown command ${op}` });
  } catch (e) {
    say({ error: String(e) });
  }
}
await browser.close().catch(() => {});
process.exit(0);
