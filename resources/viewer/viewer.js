// Reelcast's viewer: a plain RTCPeerConnection speaking the GStreamer signalling protocol.
"use strict";

// The signalling server runs next to this page's server: same host as the page, its own port,
// opened by the same secret as the page (the first part of the page's path, /SECRET/).
// (A full ws:// or wss:// URL there is used as it is.)
const signallingMeta = document.querySelector('meta[name="reelcast-signalling"]').content;
const linkSecret = location.pathname.split("/")[1] || "";
const signallingUrl = /^wss?:/.test(signallingMeta)
  ? signallingMeta
  : `${location.protocol === "https:" ? "wss" : "ws"}://${location.host.replace(/:\d+$/, "")}:${signallingMeta}/${linkSecret}`;
const wanted = new URLSearchParams(location.search).get("producer");
const statusEl = document.getElementById("status");
const video = document.getElementById("video");
const picker = document.getElementById("picker");
const sharesEl = document.getElementById("shares");
const emptyEl = document.getElementById("empty");
const unmuteEl = document.getElementById("unmute");
const nameEl = document.getElementById("name");
const nameForm = document.getElementById("name-form");
const NAME_KEY = "reelcast-name";

// The person's display name, optional, remembered by this browser. It travels in this page's
// peer status (meta.name), which the server passes to every listener, the share included.
try { nameEl.value = localStorage.getItem(NAME_KEY) || ""; } catch (e) { /* storage off */ }
function saveName() {
  try { localStorage.setItem(NAME_KEY, nameEl.value.trim()); } catch (e) { /* storage off */ }
  sendStatus();
}
nameEl.onchange = saveName;
nameForm.onsubmit = (e) => {
  e.preventDefault();
  saveName();
};

// Browsers only autoplay muted video without a click: play muted, offer the sound.
unmuteEl.onclick = () => {
  video.muted = false;
  unmuteEl.classList.add("hidden");
};
video.onvolumechange = () => unmuteEl.classList.toggle("hidden", !video.muted || video.classList.contains("hidden"));

// joinMs: from sending startSession to the first decoded frame on screen.
// counts: sessions asked for, offers received (more than one per session: renegotiations),
// peer connections made. frames: the last frames shown, [wall clock ms, width, height].
const state = {
  status: "connecting", sessionId: null, producerId: null, pc: null, ws: null, joinStartedAt: null, joinMs: null, timeline: {},
  counts: { sessions: 0, offers: 0, peerConnections: 0 }, frames: [], ended: false,
};
const FRAMES_KEPT = 90;
const producers = new Map();

function setStatus(text, status) {
  statusEl.textContent = text;
  if (status) state.status = status;
}

// Milliseconds since the join started, per step: where a slow join spends its time.
function mark(step) {
  if (state.joinStartedAt !== null && state.timeline && !(step in state.timeline)) {
    state.timeline[step] = Math.round(performance.now() - state.joinStartedAt);
  }
}

function send(msg) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
}

// meta.watching changes with each session asked for, so the server tells the share this
// page's status (and its name) just before the session starts, even if the share
// registered after this page did: the server only passes on a status that changed.
function sendStatus() {
  const meta = {};
  const name = nameEl.value.trim();
  if (name) meta.name = name;
  if (state.producerId) meta.watching = state.producerId;
  send({ type: "setPeerStatus", roles: ["listener"], meta });
}

function renderProducers() {
  sharesEl.replaceChildren();
  for (const [id, meta] of producers) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.textContent = "Watch " + ((meta && meta.name) || id);
    button.onclick = () => { state.ended = false; watch(id); };
    li.appendChild(button);
    sharesEl.appendChild(li);
  }
  emptyEl.classList.toggle("hidden", producers.size > 0);
  // Joins by itself once, not again after a share ended: the person clicks to watch again.
  if (!state.producerId && !state.ended && producers.size > 0) {
    const pick = wanted && producers.has(wanted) ? wanted : (!wanted && producers.size === 1 ? [...producers.keys()][0] : null);
    if (pick) watch(pick);
  }
}

function watch(producerId) {
  if (state.producerId) return;
  state.producerId = producerId;
  setStatus("Joining…", "joining");
  state.joinStartedAt = performance.now();
  state.joinMs = null;
  state.timeline = {};
  state.counts.sessions += 1;
  sendStatus();
  send({ type: "startSession", peerId: producerId });
}

function endWatching(text) {
  if (state.pc) state.pc.close();
  state.pc = null;
  state.sessionId = null;
  state.producerId = null;
  video.classList.add("hidden");
  unmuteEl.classList.add("hidden");
  picker.classList.remove("hidden");
  state.ended = true;
  setStatus(text, "ended");
  sendStatus();
}

async function onPeer(msg) {
  if (msg.sdp) {
    mark("offer");
    state.counts.offers += 1;
    // A later offer renegotiates the same connection (the share's media changed kinds).
    const pc = state.pc || makePeerConnection();
    await pc.setRemoteDescription(msg.sdp);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    send({ type: "peer", sessionId: state.sessionId, sdp: { type: "answer", sdp: answer.sdp } });
    mark("answer");
  } else if (msg.ice && state.pc) {
    try {
      await state.pc.addIceCandidate({ candidate: msg.ice.candidate, sdpMLineIndex: msg.ice.sdpMLineIndex });
    } catch (e) {
      console.warn("candidate refused", e);
    }
  }
}

// Every frame shown, with when: how long the picture stood still around a seek, a pause or a
// change of file is read from here.
let watchingFrames = false;
function watchFrames() {
  if (watchingFrames) return;
  watchingFrames = true;
  const onFrame = (now, meta) => {
    state.frames.push([Date.now(), meta.width, meta.height]);
    if (state.frames.length > FRAMES_KEPT) state.frames.shift();
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

function makePeerConnection() {
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle" });
  state.pc = pc;
  state.counts.peerConnections += 1;
  const stream = new MediaStream();
  video.srcObject = stream;
  pc.ontrack = (e) => {
    mark("track");
    stream.addTrack(e.track);
    picker.classList.add("hidden");
    video.classList.remove("hidden");
    unmuteEl.classList.toggle("hidden", !video.muted);
    video.play().catch(() => {});
    if (e.track.kind === "video" && "requestVideoFrameCallback" in video) {
      video.requestVideoFrameCallback(() => {
        if (state.joinMs === null && state.joinStartedAt !== null) state.joinMs = performance.now() - state.joinStartedAt;
        mark("frame");
      });
      watchFrames();
    }
  };
  pc.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate) {
      send({ type: "peer", sessionId: state.sessionId, ice: { candidate: e.candidate.candidate, sdpMLineIndex: e.candidate.sdpMLineIndex } });
    }
  };
  pc.onconnectionstatechange = () => {
    mark(pc.connectionState);
    if (pc.connectionState === "connected") {
      const meta = producers.get(state.producerId);
      setStatus(meta && meta.name ? `Watching ${meta.name}` : "Watching", "watching");
    }
    if (pc.connectionState === "failed") endWatching("The connection failed");
  };
  return pc;
}

function connect() {
  const ws = new WebSocket(signallingUrl);
  state.ws = ws;
  ws.onopen = () => setStatus("Connected", "connected");
  ws.onclose = () => {
    setStatus("Signalling lost; retrying…", state.pc ? state.status : "reconnecting");
    setTimeout(connect, 2000);
  };
  ws.onmessage = (event) => {
    let msg;
    try { msg = JSON.parse(event.data); } catch (e) { return; }
    switch (msg.type) {
      case "welcome":
        sendStatus();
        send({ type: "list" });
        break;
      case "list":
        producers.clear();
        for (const p of msg.producers || []) producers.set(p.id, p.meta);
        renderProducers();
        break;
      case "peerStatusChanged":
        // Other viewers' statuses (their names) say nothing about the shares listed.
        if ((msg.roles || []).includes("producer")) producers.set(msg.peerId, msg.meta);
        else if (!producers.delete(msg.peerId)) break;
        renderProducers();
        break;
      case "sessionStarted":
        state.sessionId = msg.sessionId;
        mark("sessionStarted");
        break;
      case "peer":
        if (msg.sessionId === state.sessionId) onPeer(msg);
        break;
      case "endSession":
        if (msg.sessionId === state.sessionId) endWatching("The share ended");
        break;
      case "error":
        setStatus("Error: " + msg.details, "error");
        break;
    }
  };
}

// For people curious about the connection, and for tests.
window.reelcastViewer = {
  state,
  async stats() {
    const out = {
      framesDecoded: 0, frameWidth: 0, frameHeight: 0, audioPackets: 0, audioBytes: 0, keyFrames: 0,
      joinMs: state.joinMs, counts: state.counts, frames: state.frames.slice(),
      kinds: state.pc ? state.pc.getTransceivers().filter((t) => /recv/.test(t.currentDirection || "")).map((t) => t.receiver.track.kind) : [],
    };
    if (!state.pc) return out;
    const report = await state.pc.getStats();
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") {
        out.framesDecoded = s.framesDecoded || 0;
        out.frameWidth = s.frameWidth || 0;
        out.frameHeight = s.frameHeight || 0;
        out.keyFrames = s.keyFramesDecoded || 0;
      }
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        out.audioPackets = s.packetsReceived || 0;
        out.audioBytes = s.bytesReceived || 0;
      }
    });
    return out;
  },
};

connect();
