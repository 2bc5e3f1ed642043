// Reelcast's viewer: a plain RTCPeerConnection speaking the GStreamer signalling protocol.
"use strict";

// The page's strings in the sharer's language: the server puts a table of translations in the
// page (none when the page is opened from the sources, or for English). Every string shown is
// a call of _ with a string literal, which xgettext finds (scripts/update-po.sh) and the
// server looks up.
const translations = (() => {
  try {
    const table = JSON.parse(document.getElementById("reelcast-strings").textContent);
    return table && typeof table === "object" ? table : {};
  } catch (e) {
    return {};
  }
})();
function _(text) {
  const translated = Object.prototype.hasOwnProperty.call(translations, text) ? translations[text] : null;
  return typeof translated === "string" && translated ? translated : text;
}
// A translated text with its {placeholders} filled in.
function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

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
const statsEl = document.getElementById("stats");
const video = document.getElementById("video");
const picker = document.getElementById("picker");
const sharesEl = document.getElementById("shares");
const emptyEl = document.getElementById("empty");
const unmuteEl = document.getElementById("unmute");
const nameEl = document.getElementById("name");
const nameForm = document.getElementById("name-form");
const NAME_KEY = "reelcast-name";

document.getElementById("name-label").textContent = _("Your name");
nameEl.placeholder = _("optional");
nameEl.title = _("The person sharing sees this name; this browser remembers it");
emptyEl.textContent = _("Nothing is shared yet. This page updates by itself.");
unmuteEl.textContent = _("Turn the sound on");
video.setAttribute("aria-label", _("The shared video"));

// Joining again after a lost connection waits longer each time (0.5 s doubling to 8 s), and
// starts over once it worked. A connection "disconnected" this long has failed.
const RETRY_FIRST_MS = 500;
const RETRY_LAST_MS = 8000;
const DISCONNECTED_MS = 4000;
// An offer must arrive this long after asking for a session, or the join has failed.
const JOIN_WITHIN_MS = 15000;
// At most this many ICE servers from the server are used.
const MAX_ICE_SERVERS = 8;
function backoff(attempt) {
  return Math.min(RETRY_LAST_MS, RETRY_FIRST_MS * 2 ** Math.min(attempt, 8));
}

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
// target: the share this page watches, or joins again after a lost connection ({id, name}: a
// share registered again after a server restart has a new id and the same name).
// retiring: the connection of the session before, shown until the new one has a picture.
const state = {
  status: "connecting", sessionId: null, producerId: null, pc: null, ws: null, joinStartedAt: null, joinMs: null, timeline: {},
  counts: { sessions: 0, offers: 0, peerConnections: 0 }, frames: [], ended: false,
  target: null, retiring: null, iceServers: [], retries: { socket: 0, session: 0 }, rejoinTimer: null, joinTimer: null,
  disconnectTimer: null,
};
const FRAMES_KEPT = 90;
const producers = new Map();

function setStatus(text, status) {
  // The same text again is not announced again.
  if (statusEl.textContent !== text) statusEl.textContent = text;
  if (status) state.status = status;
}
setStatus(_("Connecting…"));

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
    button.type = "button";
    button.textContent = fill(_("Watch {name}"), { name: (meta && meta.name) || id });
    button.onclick = () => { state.ended = false; watch(id); };
    li.appendChild(button);
    sharesEl.appendChild(li);
  }
  emptyEl.classList.toggle("hidden", producers.size > 0);
  if (state.producerId || state.ended) return;
  if (state.target) {
    // Back after a lost connection: the same share, once the pause is over.
    if (state.rejoinTimer === null) rejoin();
    return;
  }
  // Joins by itself once, not again after a share ended: the person clicks to watch again.
  if (producers.size > 0) {
    const pick = wanted && producers.has(wanted) ? wanted : (!wanted && producers.size === 1 ? [...producers.keys()][0] : null);
    if (pick) watch(pick);
  }
}

function watch(producerId) {
  if (state.producerId) return;
  clearTimeout(state.rejoinTimer);
  state.rejoinTimer = null;
  const meta = producers.get(producerId);
  state.target = { id: producerId, name: meta && meta.name };
  state.producerId = producerId;
  // The picture of the session before stays until the new one has its own.
  if (state.pc) retire(state.pc);
  state.pc = null;
  state.sessionId = null;
  state.iceServers = [];
  statsEl.classList.add("hidden");
  setStatus(_("Joining…"), "joining");
  state.joinStartedAt = performance.now();
  state.joinMs = null;
  state.timeline = {};
  state.counts.sessions += 1;
  sendStatus();
  send({ type: "startSession", peerId: producerId });
  clearTimeout(state.joinTimer);
  state.joinTimer = setTimeout(joinTimedOut, JOIN_WITHIN_MS);
}

function retire(pc) {
  if (state.retiring && state.retiring !== pc) state.retiring.close();
  state.retiring = pc;
}

function closeRetiring() {
  if (state.retiring) state.retiring.close();
  state.retiring = null;
}

function stopTimers() {
  for (const timer of ["joinTimer", "disconnectTimer"]) {
    clearTimeout(state[timer]);
    state[timer] = null;
  }
}

// The share ended the session (or is gone): the person clicks to watch again.
function endWatching(text) {
  stopTimers();
  clearTimeout(state.rejoinTimer);
  state.rejoinTimer = null;
  if (state.pc) state.pc.close();
  closeRetiring();
  state.pc = null;
  state.sessionId = null;
  state.producerId = null;
  state.target = null;
  video.classList.add("hidden");
  unmuteEl.classList.add("hidden");
  statsEl.classList.add("hidden");
  picker.classList.remove("hidden");
  state.ended = true;
  setStatus(text, "ended");
  sendStatus();
}

// The connection failed, stayed disconnected too long, or never came: a new session to the
// same share after a pause. `endedByServer`: the server already ended the old session.
function sessionLost(endedByServer) {
  stopTimers();
  if (state.sessionId && !endedByServer) send({ type: "endSession", sessionId: state.sessionId });
  if (state.pc) state.pc.close();
  state.pc = null;
  state.sessionId = null;
  state.producerId = null;
  statsEl.classList.add("hidden");
  const delay = backoff(state.retries.session++);
  setStatus(fill(_("The connection failed; joining again in {seconds} s…"), { seconds: Math.ceil(delay / 1000) }), "rejoining");
  scheduleRejoin(delay);
  sendStatus();
}

function scheduleRejoin(delay) {
  clearTimeout(state.rejoinTimer);
  state.rejoinTimer = setTimeout(() => {
    state.rejoinTimer = null;
    rejoin();
  }, delay);
}

// Starts a session to the share watched before, if it is listed (with the same id, or under
// the same name after registering again); else waits for it to come back.
function rejoin() {
  if (state.producerId || !state.target || state.ended) return;
  // Without a connection to the server, its welcome calls this again.
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return;
  const { id, name } = state.target;
  let found = producers.has(id) ? id : null;
  for (const [other, meta] of producers) {
    if (found === null && name && meta && meta.name === name) found = other;
  }
  if (found !== null) watch(found);
  else setStatus(_("Waiting for the share to come back…"), "rejoining");
}

function joinTimedOut() {
  state.joinTimer = null;
  if (state.sessionId === null) {
    // Not even an answer from the server: its connection is dead, though still open.
    reconnectNow();
  } else {
    sessionLost(false);
  }
}

async function onPeer(msg) {
  if (msg.sdp) {
    mark("offer");
    clearTimeout(state.joinTimer);
    state.joinTimer = null;
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

// The ICE servers the server gave with this session (the share's STUN server, TURN
// credentials minted for this viewer), as RTCIceServer entries; anything else is left out.
function iceServersFrom(list) {
  if (!Array.isArray(list)) return [];
  const text = (v) => typeof v === "string" && v.length <= 512;
  return list.slice(0, MAX_ICE_SERVERS).filter((s) => s && typeof s === "object").map((s) => {
    const urls = (Array.isArray(s.urls) ? s.urls : [s.urls]).filter((u) => text(u) && /^(stun|turns?):/.test(u)).slice(0, MAX_ICE_SERVERS);
    const server = { urls };
    if (text(s.username)) server.username = s.username;
    if (text(s.credential)) server.credential = s.credential;
    return server;
  }).filter((s) => s.urls.length > 0);
}

function makePeerConnection() {
  let pc;
  try {
    pc = new RTCPeerConnection({ iceServers: state.iceServers, bundlePolicy: "max-bundle" });
  } catch (e) {
    console.warn("ICE servers refused", e);
    pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle" });
  }
  state.pc = pc;
  state.counts.peerConnections += 1;
  const stream = new MediaStream();
  pc.ontrack = (e) => {
    if (pc !== state.pc) return;
    mark("track");
    stream.addTrack(e.track);
    // The new session's picture replaces the one before.
    if (video.srcObject !== stream) video.srcObject = stream;
    closeRetiring();
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
    if (pc === state.pc && e.candidate && e.candidate.candidate) {
      send({ type: "peer", sessionId: state.sessionId, ice: { candidate: e.candidate.candidate, sdpMLineIndex: e.candidate.sdpMLineIndex } });
    }
  };
  pc.onconnectionstatechange = () => {
    if (pc !== state.pc) return;
    mark(pc.connectionState);
    clearTimeout(state.disconnectTimer);
    state.disconnectTimer = null;
    if (pc.connectionState === "connected") {
      state.retries.session = 0;
      const meta = producers.get(state.producerId);
      setStatus(meta && meta.name ? fill(_("Watching {name}"), { name: meta.name }) : _("Watching"), "watching");
    } else if (pc.connectionState === "disconnected") {
      state.disconnectTimer = setTimeout(() => {
        if (pc === state.pc && pc.connectionState === "disconnected") sessionLost(false);
      }, DISCONNECTED_MS);
    } else if (pc.connectionState === "failed") {
      sessionLost(false);
    }
  };
  return pc;
}

// A one-line summary of what arrives, once a second while watching.
let lastSample = null;
async function showStats() {
  const pc = state.pc;
  if (!pc || state.status !== "watching") {
    lastSample = null;
    return;
  }
  const report = await pc.getStats();
  const now = performance.now();
  let width = 0, height = 0, fps = null, frames = 0, dropped = 0, lost = 0, bytes = 0;
  report.forEach((s) => {
    if (s.type !== "inbound-rtp") return;
    bytes += s.bytesReceived || 0;
    lost += Math.max(0, s.packetsLost || 0);
    if (s.kind === "video") {
      width = s.frameWidth || 0;
      height = s.frameHeight || 0;
      frames = s.framesDecoded || 0;
      dropped = s.framesDropped || 0;
      if (typeof s.framesPerSecond === "number") fps = s.framesPerSecond;
    }
  });
  const before = lastSample && lastSample.pc === pc ? lastSample : null;
  lastSample = { pc, at: now, bytes, frames };
  if (!before || pc !== state.pc) return;
  const seconds = Math.max(0.001, (now - before.at) / 1000);
  if (fps === null) fps = (frames - before.frames) / seconds;
  const kbps = ((bytes - before.bytes) * 8) / 1000 / seconds;
  // Translators: the viewer page's line about what arrives; keep the {names} as they are.
  statsEl.textContent = fill(_("{width}×{height}, {fps} fps, {kbps} kbit/s, {dropped} frames dropped, {lost} packets lost"), {
    width, height, fps: Math.round(fps), kbps: Math.max(0, Math.round(kbps)), dropped, lost,
  });
  statsEl.classList.remove("hidden");
}
setInterval(() => { showStats().catch(() => {}); }, 1000);

// The connection to the server is gone: the server has ended this page's session with it
// (or is starting again), so a new session is asked for on the next connection. The picture
// plays on meanwhile while its media still flows.
function socketLost() {
  clearTimeout(state.joinTimer);
  state.joinTimer = null;
  state.sessionId = null;
  state.producerId = null;
  const delay = backoff(state.retries.socket++);
  // While the picture plays on, the page is still watching.
  setStatus(fill(_("Connection to the server lost; reconnecting in {seconds} s…"), { seconds: Math.ceil(delay / 1000) }),
    state.pc ? state.status : "reconnecting");
  setTimeout(connect, delay);
}

// The connection is open but the server does not answer: another one, at once.
function reconnectNow() {
  const ws = state.ws;
  state.ws = null;
  if (ws) {
    ws.onclose = null;
    ws.close();
  }
  socketLost();
}

function connect() {
  const ws = new WebSocket(signallingUrl);
  state.ws = ws;
  ws.onopen = () => {
    if (ws === state.ws && !state.target) setStatus(_("Connected"), "connected");
  };
  ws.onclose = () => {
    if (ws !== state.ws) return;
    state.ws = null;
    socketLost();
  };
  ws.onmessage = (event) => {
    if (ws !== state.ws) return;
    let msg;
    try { msg = JSON.parse(event.data); } catch (e) { return; }
    switch (msg.type) {
      case "welcome":
        state.retries.socket = 0;
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
        if (state.sessionId !== null || !state.producerId || msg.peerId !== state.producerId) break;
        state.sessionId = msg.sessionId;
        state.iceServers = iceServersFrom(msg.iceServers);
        mark("sessionStarted");
        break;
      case "peer":
        if (msg.sessionId === state.sessionId) onPeer(msg);
        break;
      case "endSession":
        if (msg.sessionId !== state.sessionId) break;
        // Ended while its connection was failing: joined again. Else the share ended it.
        if (state.pc && ["failed", "disconnected"].includes(state.pc.connectionState)) sessionLost(true);
        else endWatching(_("The share ended"));
        break;
      case "error":
        setStatus(fill(_("Error: {details}"), { details: String(msg.details).slice(0, 200) }), "error");
        break;
    }
  };
}

// For people curious about the connection, and for tests.
window.reelcastViewer = {
  state,
  // The ICE servers the current connection was made with.
  iceServers() {
    return state.pc ? state.pc.getConfiguration().iceServers : null;
  },
  async stats() {
    const out = {
      framesDecoded: 0, frameWidth: 0, frameHeight: 0, audioPackets: 0, audioBytes: 0, keyFrames: 0,
      joinMs: state.joinMs, counts: state.counts, frames: state.frames.slice(), summary: statsEl.textContent,
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
