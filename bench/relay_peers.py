"""The relay benchmark's peers: media encoded once at start, publishers that replay it,
and subscribers that count RTP packets without decoding them. Used by bench/relay.py.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import random
import socket
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import av  # noqa: E402
from aiortc import (  # noqa: E402
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack  # noqa: E402
from aiortc.rtcconfiguration import RTCBundlePolicy  # noqa: E402
from aiortc.rtp import RtpPacket, is_rtcp  # noqa: E402
from aiortc.sdp import SessionDescription  # noqa: E402

from signaling.relay import aiortc_hooks as hooks  # noqa: E402

LOOPBACK = ("127.0.0.1",)
WIDTH, HEIGHT, FPS = 640, 480, 30
VIDEO_BITRATE = 600_000
AUDIO_FRAME = 960  # 20 ms at 48 kHz
KEY_SIZE = 16


# --- pre-encoded media ----------------------------------------------------------------


@dataclass
class Media:
    video: list[bytes]
    audio: list[bytes]


def pre_encode(seconds: int = 3) -> Media:
    """Encode a textured, moving 640x480 picture and a tone once."""
    rng = random.Random(1)
    noise = bytes(((x * 255) // (2 * WIDTH) + rng.randrange(6)) & 255 for x in range(2 * WIDTH))
    noise *= 3
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
    video = av.CodecContext.create("libvpx", "w")
    video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    video.bit_rate = VIDEO_BITRATE
    video.framerate = fractions.Fraction(FPS, 1)
    video.time_base = fractions.Fraction(1, FPS)
    video.gop_size = FPS  # a key frame every second, and at the start of each loop
    video.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    frames: list[bytes] = []
    for i in range(seconds * FPS):
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        rows = [
            noise[(i * 8 + r * 7) % (2 * WIDTH) : (i * 8 + r * 7) % (2 * WIDTH) + WIDTH]
            for r in range(HEIGHT)
        ]
        frame.planes[0].update(b"".join(rows))
        frame.planes[1].update(chroma)
        frame.planes[2].update(chroma)
        frame.pts = i
        frame.time_base = fractions.Fraction(1, FPS)
        frames += [bytes(p) for p in video.encode(frame)]
    frames += [bytes(p) for p in video.encode(None)]

    audio = av.CodecContext.create("libopus", "w")
    audio.sample_rate, audio.layout, audio.format = 48_000, "stereo", "s16"
    audio.bit_rate = 32_000
    packets: list[bytes] = []
    for n in range(seconds * 50):
        samples = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_FRAME)
        pcm = b"".join(
            int(6000 * math.sin(2 * math.pi * 440 * (n * AUDIO_FRAME + s) / 48_000)).to_bytes(
                2, "little", signed=True
            )
            * 2
            for s in range(AUDIO_FRAME)
        )
        samples.planes[0].update(pcm)
        samples.sample_rate = 48_000
        samples.pts = n * AUDIO_FRAME
        samples.time_base = fractions.Fraction(1, 48_000)
        packets += [bytes(p) for p in audio.encode(samples)]
    return Media(video=frames[: seconds * FPS], audio=packets[: seconds * 50])


class ReplayTrack(MediaStreamTrack):
    """Hands aiortc pre-encoded av.Packets at the real rate (sent via pack())."""

    def __init__(self, kind: str, packets: list[bytes]) -> None:
        super().__init__()
        self.kind = kind
        self._packets = packets
        self._interval = 1 / FPS if kind == "video" else AUDIO_FRAME / 48_000
        self._ticks = 90_000 // FPS if kind == "video" else AUDIO_FRAME
        self._time_base = fractions.Fraction(1, 90_000 if kind == "video" else 48_000)
        self._start: float | None = None
        self._count = 0

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        delay = self._start + self._count * self._interval - now
        if delay > 0:
            await asyncio.sleep(delay)
        packet = av.Packet(self._packets[self._count % len(self._packets)])
        packet.pts = self._count * self._ticks
        packet.time_base = self._time_base
        self._count += 1
        return packet


# --- clients ----------------------------------------------------------------------------


CLIENT_RCVBUF = 4 * 1024 * 1024


def widen_socket_buffers(pc: RTCPeerConnection) -> None:
    """Give a bench client's UDP sockets a 4 MB receive buffer.

    All subscribers share this one Python process (real ones would be separate
    machines): when the machine is busy, a short stall of this process would
    otherwise overflow aioice's 256 KB buffers and count as relay loss.
    """
    for transceiver in pc.getTransceivers()[:1]:
        connection = transceiver.receiver.transport.transport._connection
        for protocol in connection._protocols:
            sock = protocol.transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CLIENT_RCVBUF)


def new_pc() -> RTCPeerConnection:
    # max-bundle: with aiortc's default ("balanced"), a second video m-line in a
    # remote offer can end up on a transport that bundling then discards
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


class Publisher:
    def __init__(self, pid: str, media: Media, room: str = "bench") -> None:
        self.pid = pid
        self.room = room
        self.pc = new_pc()
        self.pc.addTrack(ReplayTrack("video", media.video))
        self.pc.addTrack(ReplayTrack("audio", media.audio))
        self.sent: dict[bytes, float] = {}
        self.counting = False
        self.sent_count: dict[str, int] = {"video": 0, "audio": 0}

    async def connect(self, relay: Any) -> None:
        await relay.join(self.pid, self.room)
        with hooks.host_addresses(LOOPBACK):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await relay.handle_offer(self.pid, self.pc.localDescription.sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        transport = self.pc.getSenders()[0].transport
        send = transport._send_rtp
        sent = self.sent
        kinds = {
            codec.payloadType: t.kind for t in self.pc.getTransceivers() for codec in t._codecs
        }
        counts = self.sent_count

        async def timed_send(data: bytes) -> None:
            if not is_rtcp(data):
                sent[data[-KEY_SIZE:]] = time.monotonic()
                if self.counting:
                    kind = kinds.get(data[1] & 0x7F)
                    if kind is not None:
                        counts[kind] += 1
            await send(data)

        transport._send_rtp = timed_send


@dataclass
class StreamStats:
    kind: str
    publisher: str
    received: int = 0
    first_seq: int | None = None
    highest: int = 0  # extended
    latencies: list[float] = field(default_factory=list)

    def reset(self) -> None:
        self.received = 0
        self.first_seq = None
        self.latencies = []

    def add(self, seq: int) -> None:
        self.received += 1
        if self.first_seq is None:
            self.first_seq = self.highest = seq
            return
        delta = (seq - (self.highest & 0xFFFF)) % 65536
        if delta < 32768:
            self.highest += delta

    @property
    def expected(self) -> int:
        return 0 if self.first_seq is None else self.highest - self.first_seq + 1


class Subscriber:
    def __init__(self, pid: str, publishers: Mapping[str, Publisher], room: str = "bench") -> None:
        self.pid = pid
        self.room = room
        self.pc = new_pc()
        self.pc.addTransceiver("audio", direction="recvonly")
        self.publishers = publishers
        self.streams: dict[str, StreamStats] = {}
        self.relay: Any = None
        self.lock = asyncio.Lock()
        self.measure_latency = False

    async def connect(self, relay: Any) -> None:
        self.relay = relay
        await relay.join(self.pid, self.room)
        async with self.lock:
            with hooks.host_addresses(LOOPBACK):
                await self.pc.setLocalDescription(await self.pc.createOffer())
            answer = await relay.handle_offer(self.pid, self.pc.localDescription.sdp)
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            widen_socket_buffers(self.pc)

    async def on_offer(self, sdp: str) -> None:
        async with self.lock:
            sources: dict[str, tuple[str, str]] = {}
            for media in SessionDescription.parse(sdp).media:
                if media.msid and media.direction in ("sendonly", "sendrecv"):
                    sources[media.rtp.muxId] = (media.msid.split()[0], media.kind)
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            for transceiver in self.pc.getTransceivers():
                mid = transceiver.mid
                if mid in sources and mid not in self.streams:
                    publisher, kind = sources[mid]
                    stats = StreamStats(kind=kind, publisher=publisher)
                    self.streams[mid] = stats
                    hooks.intercept_rtp(transceiver.receiver, self._handler(stats))
            with hooks.host_addresses(LOOPBACK):
                await self.pc.setLocalDescription(await self.pc.createAnswer())
            await asyncio.sleep(0.02)  # let aiortc start its receivers
            await self.relay.handle_answer(self.pid, self.pc.localDescription.sdp)

    def _handler(self, stats: StreamStats) -> Callable[[RtpPacket], Any]:
        clock_rate = 90_000 if stats.kind == "video" else 48_000
        publisher = self.publishers.get(stats.publisher)

        async def handle(packet: RtpPacket) -> int | None:
            stats.add(packet.sequence_number)
            if self.measure_latency and publisher is not None and packet.payload:
                sent = publisher.sent.get(packet.payload[-KEY_SIZE:])
                if sent is not None:
                    stats.latencies.append(time.monotonic() - sent)
            return clock_rate

        return handle
