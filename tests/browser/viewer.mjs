// Drives headless Chromium as a real remote viewer for Reelcast's tests.
//
//   node viewer.mjs page URL [--viewers N]            Reelcast's own viewer page, from its http:// URL,
//                                                     or from the sources, for a ws:// signalling URL;
//                    [--names JSON]                   each viewer types its name from this array
//                    [--remembered JSON]              or has it remembered from an earlier visit
//   node viewer.mjs gstwebrtc-api WS_URL [--viewers N] the upstream gstwebrtc-api consumer
//   node viewer.mjs janus WS_URL?room=ROOM            a subscriber to the first publisher in a Janus
//                                                     VideoRoom, over Janus's own JSON API
//                    [--substreams 0,2]               viewer i asks for simulcast substream i of the list
//                    [--switch I:S:F]                 viewer I asks for substream S once F frames decoded;
//                                                     its lines then carry "switchMs", from the ask to
//                                                     the first frame of another height
//
//   node viewer.mjs joins URL [--count N]              N joins one after another on Reelcast's page
//                                                     (a benchmark): one {"join", "joinMs"} line each
//
// Prints one JSON line per viewer every 250 ms: {"viewer", "framesDecoded", "frameWidth",
// "frameHeight", "audioPackets", "status", "joinMs", and for video "freezes", "nacks" and
// "packetsLost" (inbound-rtp's freezeCount, nackCount, packetsLost)}; joinMs is the time from asking for a session
// to the first frame on screen. Runs until killed, or until Chromium goes away.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const [mode, target, ...rest] = process.argv.slice(2);
const option = (name) => (rest.includes(name) ? rest[rest.indexOf(name) + 1] : undefined);
const viewers = Number(option("--viewers") || 1) || 1;
// --screenshot PATH: viewer 0's page as a person sees it, once 30 frames (or
// --screenshot-frames N) have played; on a --phone, just after a tap on the video, which shows
// its controls.
const screenshot = option("--screenshot");
const screenshotFrames = Number(option("--screenshot-frames") || 30) || 30;
// --codec h264: answer with H.264 constrained baseline only (setCodecPreferences), as Safari
// can; each stats line then names the video codec received ("videoCodec").
const h264Only = option("--codec") === "h264";
// --names JSON: on Reelcast's page, viewer i types names[i] in the name field and presses
// Enter, then prints {"viewer", "named"} with what the field holds.
const names = option("--names") ? JSON.parse(option("--names")) : [];
// --remembered JSON: viewer i's browser remembers remembered[i] from an earlier visit (in
// localStorage, where the page keeps it), so the page has it from the start.
const remembered = option("--remembered") ? JSON.parse(option("--remembered")) : [];
// --bright-lower: each stats line counts the bright points in the lower third of the frame on
// screen ("brightLower"), e.g. white subtitle text on a dark picture.
const brightLower = rest.includes("--bright-lower");
// --phone: each viewer is a phone-sized page (390x844 CSS px, mobile emulation: the page's
// viewport meta counts, touch), as a person holding a phone upright sees it.
const phone = rest.includes("--phone");
// --layout: on Reelcast's page, each stats line tells where things are ("layout": the page's
// scroll and client widths, the viewport, and the boxes of the video, the sound button, the name
// field and the status) and what a screen reader is given ("a11y").
const layout = rest.includes("--layout");
// --ice: on Reelcast's page, each stats line has the ICE servers its connection was made with
// ("iceServers"), and each signalling message the page receives is printed as {"viewer",
// "received"} (up to 8 KiB of it).
const ice = rest.includes("--ice");
const substreams = option("--substreams") ? option("--substreams").split(",").map(Number) : [];
const [switchViewer, switchTo, switchAfter] = option("--switch") ? option("--switch").split(":").map(Number) : [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
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

// In the page: every video transceiver answers with H.264 constrained baseline only.
function answerH264Only() {
  if (window.h264Only) return;
  window.h264Only = true;
  const constrainedBaseline = () => RTCRtpReceiver.getCapabilities("video").codecs.filter((c) =>
    c.mimeType.toLowerCase() === "video/h264" && /profile-level-id=42[ce]0/i.test(c.sdpFmtpLine || "")
    && /packetization-mode=1/.test(c.sdpFmtpLine || ""));
  const createAnswer = RTCPeerConnection.prototype.createAnswer;
  RTCPeerConnection.prototype.createAnswer = function (...args) {
    for (const t of this.getTransceivers()) {
      if (t.receiver.track.kind === "video") t.setCodecPreferences(constrainedBaseline());
    }
    return createAnswer.apply(this, args);
  };
}

// In the page: the mime type and format line of the video codec `pc` receives.
async function videoCodecOf(pc) {
  if (!pc) return null;
  const report = await pc.getStats();
  let codec = null;
  report.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video" && s.codecId && report.get(s.codecId)) {
      const c = report.get(s.codecId);
      codec = c.mimeType + (c.sdpFmtpLine ? ";" + c.sdpFmtpLine : "");
    }
  });
  return codec;
}

// In the page: where things are on Reelcast's page, and what a screen reader is given.
function pageLayout() {
  const box = (el) => {
    if (!el || el.classList.contains("hidden")) return null;
    const r = el.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
  };
  const scroller = document.scrollingElement;
  const status = document.getElementById("status");
  const unnamed = [...document.querySelectorAll("button, input, video")].filter((el) => {
    const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
    return !(el.getAttribute("aria-label") || el.textContent.trim() || label.trim());
  }).map((el) => el.id || el.tagName);
  return {
    layout: {
      scrollWidth: scroller.scrollWidth, clientWidth: scroller.clientWidth,
      innerWidth: window.innerWidth, innerHeight: window.innerHeight,
      video: box(document.getElementById("video")), unmute: box(document.getElementById("unmute")),
      name: box(document.getElementById("name")), status: box(status),
      videoControls: document.getElementById("video").controls,
    },
    a11y: { statusRole: status.getAttribute("role"), statusLive: status.getAttribute("aria-live"), statusText: status.textContent, unnamed },
  };
}

const PHONE = {
  viewport: { width: 390, height: 844 }, screen: { width: 390, height: 844 },
  deviceScaleFactor: 2, isMobile: true, hasTouch: true,
};

async function openViewer(i) {
  const page = phone ? await (await browser.newContext(PHONE)).newPage() : await browser.newPage();
  if (ice) {
    page.on("websocket", (ws) => ws.on("framereceived", (frame) => {
      const received = String(frame.payload).slice(0, 8192);
      process.stdout.write(JSON.stringify({ viewer: i, received }) + "\n");
    }));
  }
  page.on("console", (m) => process.stderr.write(`[viewer ${i}] ${m.text()}\n`));
  if (h264Only) await page.addInitScript(answerH264Only);
  if (typeof remembered[i] === "string") {
    await page.addInitScript((name) => {
      try { localStorage.setItem("reelcast-name", name); } catch (e) { /* no storage here */ }
    }, remembered[i]);
  }
  // Stats lines name the codec only when asked: the other tests need no extra getStats().
  const withCodec = async (s, pcExpr) => {
    const out = h264Only
      ? { ...s, videoCodec: await page.evaluate(`(${videoCodecOf})(${pcExpr})`) } : s;
    return brightLower ? { ...out, brightLower: await page.evaluate(countBrightLower) } : out;
  };
  if (mode === "page") {
    if (/^wss?:/.test(target)) {
      const sources = join(here, "../../resources/viewer");
      const html = readFileSync(join(sources, "index.html"), "utf8")
        .replace("{{SIGNALLING_PORT}}", target)
        .replace('<script src="viewer.js"></script>', "");
      await page.setContent(html);
      if (h264Only) await page.evaluate(answerH264Only);
      await page.addScriptTag({ content: readFileSync(join(sources, "viewer.js"), "utf8") });
    } else {
      await page.goto(target);
    }
    if (typeof names[i] === "string") {
      await page.fill("#name", names[i]);
      await page.press("#name", "Enter");
      process.stdout.write(JSON.stringify({ viewer: i, named: await page.inputValue("#name") }) + "\n");
    }
    return async () => {
      const s = await page.evaluate(() => window.reelcastViewer.stats());
      const status = await page.evaluate(() => window.reelcastViewer.state.status);
      const extra = {
        ...(layout ? await page.evaluate(pageLayout) : {}),
        ...(ice ? { iceServers: await page.evaluate(() => window.reelcastViewer.iceServers()) } : {}),
      };
      return withCodec({ ...s, status, ...extra }, "window.reelcastViewer.state.pc");
    };
  }
  await page.setContent("<html><body><video id=v autoplay muted playsinline></video></body></html>");
  if (mode === "janus") {
    const change = switchViewer === i ? { to: switchTo, after: switchAfter } : null;
    await page.evaluate(subscribeToJanus, { target, substream: substreams[i], change });
    return async () => page.evaluate(readStats);
  }
  if (h264Only) await page.evaluate(answerH264Only);
  await page.addScriptTag({ content: gstApi });
  await page.evaluate((url) => {
    const api = new window.GstWebRTCAPI({
      meta: { name: "chromium-test-viewer" },
      signalingServerUrl: url,
      reconnectionTimeout: 1000,
      webrtcConfig: { iceServers: [], bundlePolicy: "max-bundle" },
    });
    window.viewer = { session: null, status: "waiting", joinStartedAt: null, joinMs: null };
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
  }, target);
  return async () => withCodec(await page.evaluate(readStats), "window.viewer.session && window.viewer.session.rtcPeerConnection");
}

// In the page: bright points (all of R, G, B over 160) in the lower third of the first video
// element's current frame, at its own size; null before a frame is there.
function countBrightLower() {
  const video = document.querySelector("video");
  if (!video || !video.videoWidth) return null;
  const [w, h] = [video.videoWidth, video.videoHeight];
  const canvas = window.brightCanvas || (window.brightCanvas = document.createElement("canvas"));
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(video, 0, 0, w, h);
  const top = Math.floor((h * 2) / 3);
  const data = ctx.getImageData(0, top, w, h - top).data;
  let bright = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] > 160 && data[i + 1] > 160 && data[i + 2] > 160) bright++;
  }
  return bright;
}

// In the page: the stats line of window.viewer's peer connection.
async function readStats() {
  const out = { framesDecoded: 0, frameWidth: 0, frameHeight: 0, audioPackets: 0, status: window.viewer.status, joinMs: window.viewer.joinMs, switchMs: window.viewer.switchMs ?? null };
  const pc = window.viewer.pc || (window.viewer.session && window.viewer.session.rtcPeerConnection);
  if (!pc) return out;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") {
      out.framesDecoded = s.framesDecoded || 0;
      out.frameWidth = s.frameWidth || 0;
      out.frameHeight = s.frameHeight || 0;
      out.freezes = s.freezeCount || 0;
      out.nacks = s.nackCount || 0;
      out.packetsLost = s.packetsLost || 0;
    }
    if (s.type === "inbound-rtp" && s.kind === "audio") out.audioPackets = s.packetsReceived || 0;
  });
  return out;
}

// In the page: subscribes to the first publisher of a Janus VideoRoom with Janus's JSON API
// (create, attach, listparticipants, join as subscriber, answer, start). Returns at once; the
// status in window.viewer follows.
function subscribeToJanus({ target, substream, change }) {
  const url = new URL(target);
  const room = /^[0-9]+$/.test(url.searchParams.get("room")) ? Number(url.searchParams.get("room")) : url.searchParams.get("room");
  url.search = "";
  window.viewer = { status: "waiting", pc: null, joinStartedAt: performance.now(), joinMs: null, switchMs: null };
  const video = document.getElementById("v");
  const ws = new WebSocket(url.toString(), "janus-protocol");
  const waiting = new Map();
  let tx = 0;
  const post = (msg) => ws.send(JSON.stringify({ ...msg, transaction: "v" + (++tx) }));
  const ask = (msg) => new Promise((resolve) => {
    const t = "v" + (++tx);
    waiting.set(t, resolve);
    ws.send(JSON.stringify({ ...msg, transaction: t }));
  });
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.janus === "ack") return;
    if (m.transaction && waiting.has(m.transaction)) {
      const resolve = waiting.get(m.transaction);
      waiting.delete(m.transaction);
      resolve(m);
    } else if (m.janus === "hangup") {
      window.viewer.status = "closed";
    }
  };
  ws.onclose = () => { window.viewer.status = "closed"; };
  (async () => {
    await new Promise((r) => { ws.onopen = r; });
    const session = (await ask({ janus: "create" })).data.id;
    setInterval(() => post({ janus: "keepalive", session_id: session }), 20000);
    const handle = (await ask({ janus: "attach", session_id: session, plugin: "janus.plugin.videoroom" })).data.id;
    const inRoom = { janus: "message", session_id: session, handle_id: handle };
    let feed = null;
    while (feed === null) {
      const r = await ask({ ...inRoom, body: { request: "listparticipants", room } });
      const publisher = ((r.plugindata.data || {}).participants || []).find((p) => p.publisher);
      if (publisher) feed = publisher.id;
      else await new Promise((r) => setTimeout(r, 250));
    }
    window.viewer.status = "joining";
    window.viewer.joinStartedAt = performance.now();
    const wanted = substream === undefined ? {} : { substream };
    const joined = await ask({ ...inRoom, body: { request: "join", ptype: "subscriber", room, streams: [{ feed, ...wanted }] } });
    const videoMid = ((joined.plugindata.data || {}).streams || []).filter((s) => s.type === "video").map((s) => s.mid)[0];
    if (!joined.jsep) throw new Error("no offer from Janus: " + JSON.stringify(joined));
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle" });
    window.viewer.pc = pc;
    const stream = new MediaStream();
    video.srcObject = stream;
    pc.ontrack = (e) => {
      stream.addTrack(e.track);
      window.viewer.status = "watching";
      if (e.track.kind === "video") {
        video.requestVideoFrameCallback(() => {
          if (window.viewer.joinMs === null) window.viewer.joinMs = performance.now() - window.viewer.joinStartedAt;
        });
        if (change) watchForSwitch();
      }
    };
    // Counts frames on screen; after change.after of them asks for another substream, then
    // times the first frame of another height.
    const watchForSwitch = () => {
      let frames = 0, askedAt = null, heightBefore = null;
      const onFrame = (now, meta) => {
        frames++;
        if (askedAt === null && frames >= change.after) {
          askedAt = performance.now();
          heightBefore = meta.height;
          post({ ...inRoom, body: { request: "configure", streams: [{ mid: videoMid, substream: change.to }] } });
        } else if (askedAt !== null && window.viewer.switchMs === null && meta.height !== heightBefore) {
          window.viewer.switchMs = performance.now() - askedAt;
        }
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    };
    pc.onicecandidate = (e) => post({
      janus: "trickle", session_id: session, handle_id: handle,
      candidate: e.candidate ? { candidate: e.candidate.candidate, sdpMLineIndex: e.candidate.sdpMLineIndex } : { completed: true },
    });
    await pc.setRemoteDescription(joined.jsep);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    await ask({ ...inRoom, body: { request: "start", room }, jsep: { type: "answer", sdp: answer.sdp } });
  })().catch((e) => { console.log("Janus subscriber: " + e); window.viewer.status = "error"; });
}

if (mode === "joins") {
  // One warm browser; each join is a fresh page, so each is a new session from startSession on.
  const count = Number(option("--count") || 10) || 10;
  for (let i = 0; i < count; i++) {
    const page = await browser.newPage();
    await page.goto(target);
    const handle = await page.waitForFunction(() => window.reelcastViewer.state.joinMs, null, { timeout: 30000, polling: 20 });
    const timeline = await page.evaluate(async () => {
      const t = { ...window.reelcastViewer.state.timeline };
      (await window.reelcastViewer.state.pc.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "video") {
          Object.assign(t, { pli: s.pliCount, nack: s.nackCount, keyframes: s.keyFramesDecoded, received: s.framesReceived,
            jbMs: Math.round(1000 * s.jitterBufferDelay / Math.max(1, s.jitterBufferEmittedCount)) });
        }
      });
      return t;
    });
    process.stdout.write(JSON.stringify({ join: i, joinMs: await handle.jsonValue(), timeline }) + "\n");
    await page.close();
  }
  await browser.close();
  process.exit(0);
}

const probes = [];
for (let i = 0; i < viewers; i++) probes.push(await openViewer(i));
let shot = !screenshot;
for (;;) {
  for (let i = 0; i < probes.length; i++) {
    try {
      const s = await probes[i]();
      if (!shot && i === 0 && s.framesDecoded >= screenshotFrames) {
        shot = true;
        const page = browser.contexts()[0].pages()[0];
        if (phone) {
          await page.tap("#video");
          // For the picture only (nothing waits on it): the browser's own controls fade in
          // after a tap, and no event tells when they are drawn.
          await page.waitForTimeout(600);
        }
        await page.screenshot({ path: screenshot });
        process.stdout.write(JSON.stringify({ screenshot }) + "\n");
      }
      process.stdout.write(JSON.stringify({ viewer: i, ...s }) + "\n");
    } catch (e) {
      process.stdout.write(JSON.stringify({ viewer: i, error: String(e) }) + "\n");
    }
  }
  await new Promise((r) => setTimeout(r, 250));
}
