"""An aiortc viewer for Reelcast's tests: a consumer of the GStreamer signalling protocol (the
upstream gst-webrtc-signalling-server, or the one `reelcast share` embeds), decoding what it is
sent.

    python aiortc_viewer.py WS_URL [--producer ID]

Watches the producer named (or the first one listed), and prints a JSON line every 250 ms:
{"viewer", "status", "framesDecoded", "frameWidth", "frameHeight", "audioFrames",
"audioPackets", "joinMs", "videoCodec", "fingerprint"}. joinMs is the time from asking for a
session to the first decoded video frame. Runs until killed.

aiortc checks the share's DTLS certificate against the offer's fingerprint, and its DTLS client
offers only ECDSA cipher suites: decoding at all shows that both hold.
"""

import argparse
import asyncio
import json
import signal
import sys
import time

import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp


def log(*args):
    print("[aiortc]", *args, file=sys.stderr, flush=True)


class Viewer:
    def __init__(self, url, producer):
        self.url = url
        self.wanted = producer
        self.ws = None
        self.pc = None
        self.session = None
        self.producer = None
        self.mids = []
        self.status = "connecting"
        self.started_at = None
        self.join_ms = None
        self.video_frames = 0
        self.audio_frames = 0
        self.size = (0, 0)
        self.fingerprint = None
        self.video_codec = None

    async def send(self, message):
        await self.ws.send(json.dumps(message))

    async def run(self):
        async with websockets.connect(self.url, max_size=2**22) as ws:
            self.ws = ws
            reporter = asyncio.ensure_future(self.report())
            try:
                async for text in ws:
                    try:
                        message = json.loads(text)
                    except ValueError:
                        continue
                    await self.handle(message)
            finally:
                reporter.cancel()

    async def handle(self, message):
        kind = message.get("type")
        if kind == "welcome":
            await self.send({"type": "setPeerStatus", "roles": ["listener"], "meta": {"name": "aiortc-test-viewer"}})
            await self.send({"type": "list"})
        elif kind == "list":
            for p in message.get("producers", []):
                await self.watch(p["id"])
        elif kind == "peerStatusChanged":
            if "producer" in message.get("roles", []):
                await self.watch(message["peerId"])
        elif kind == "sessionStarted":
            self.session = message["sessionId"]
        elif kind == "peer" and message.get("sessionId") == self.session:
            if "sdp" in message:
                await self.on_offer(message["sdp"])
            elif "ice" in message and self.pc is not None:
                await self.on_candidate(message["ice"])
        elif kind == "endSession" and message.get("sessionId") == self.session:
            self.status = "closed"
        elif kind == "error":
            log("signalling error:", message.get("details"))

    async def watch(self, producer):
        if self.producer is not None or (self.wanted and producer != self.wanted):
            return
        self.producer = producer
        self.status = "joining"
        self.started_at = time.monotonic()
        await self.send({"type": "startSession", "peerId": producer})

    async def on_offer(self, sdp):
        if sdp.get("type") != "offer":
            return
        text = sdp["sdp"]
        self.mids = [line[len("a=mid:"):].strip() for line in text.splitlines() if line.startswith("a=mid:")]
        for line in text.splitlines():
            if line.startswith("a=fingerprint:"):
                self.fingerprint = line[len("a=fingerprint:"):].strip()
                break
        if self.pc is None:
            self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            self.pc.on("track", self.on_track)
            self.pc.on("connectionstatechange", self.on_state)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=text, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        # aiortc gathers before answering: its candidates are in the answer.
        await self.send({"type": "peer", "sessionId": self.session,
                         "sdp": {"type": "answer", "sdp": self.pc.localDescription.sdp}})
        # The codec negotiated (aiortc keeps it in a private field: best effort, for the report).
        for transceiver in self.pc.getTransceivers():
            codecs = getattr(transceiver, "_codecs", None)
            if transceiver.kind == "video" and codecs:
                self.video_codec = codecs[0].mimeType

    async def on_candidate(self, ice):
        line = ice.get("candidate", "")
        if not line:
            return
        if line.startswith("candidate:"):
            line = line[len("candidate:"):]
        candidate = candidate_from_sdp(line)
        index = ice.get("sdpMLineIndex", 0) or 0
        candidate.sdpMLineIndex = index
        # The server forwards no sdpMid; with max-bundle every m-line shares the first's transport.
        candidate.sdpMid = self.mids[0] if self.mids else str(index)
        try:
            await self.pc.addIceCandidate(candidate)
        except Exception as e:  # a candidate it cannot use is not fatal
            log("candidate refused:", e)

    def on_state(self):
        state = self.pc.connectionState
        log("connection", state)
        if state == "connected":
            self.status = "watching"
        elif state in ("failed", "closed"):
            self.status = state

    def on_track(self, track):
        log("track", track.kind)
        asyncio.ensure_future(self.consume(track))

    async def consume(self, track):
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            if track.kind == "video":
                self.video_frames += 1
                self.size = (frame.width, frame.height)
                if self.join_ms is None and self.started_at is not None:
                    self.join_ms = (time.monotonic() - self.started_at) * 1000
            else:
                self.audio_frames += 1

    async def audio_packets(self):
        if self.pc is None:
            return 0
        packets = 0
        for receiver in self.pc.getReceivers():
            if receiver.track.kind != "audio":
                continue
            report = await receiver.getStats()
            for stats in report.values():
                if stats.type == "inbound-rtp":
                    packets += stats.packetsReceived
        return packets

    async def report(self):
        while True:
            line = {
                "viewer": 0,
                "status": self.status,
                "framesDecoded": self.video_frames,
                "frameWidth": self.size[0],
                "frameHeight": self.size[1],
                "audioFrames": self.audio_frames,
                "audioPackets": await self.audio_packets(),
                "joinMs": self.join_ms,
                "videoCodec": self.video_codec,
                "fingerprint": self.fingerprint,
            }
            print(json.dumps(line), flush=True)
            await asyncio.sleep(0.25)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--producer")
    args = parser.parse_args()
    loop = asyncio.new_event_loop()
    viewer = Viewer(args.url, args.producer)
    task = loop.create_task(viewer.run())
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass
    finally:
        if viewer.pc is not None:
            loop.run_until_complete(viewer.pc.close())


if __name__ == "__main__":
    main()
