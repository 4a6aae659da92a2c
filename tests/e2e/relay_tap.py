"""A subscriber of the test's own, attached directly at the relay, holding no key: it
receives every stream the relay forwards in a room, exactly as a participant would, and
reports what a curious relay operator could get out of it.

    tap = RelayTap(server.relay, server.offers, f"{session_id}.tap-1", relay_room(session_id))
    async with tap:
        await tap.until_decoded(frames=10)
        tap.streams            # per forwarded stream: RTP packets, decoded frames, publisher
        tap.frames("video")    # the encoded frames, reassembled as the receiver gets them

It joins the relay through its Python API (``join``, ``handle_offer``, ``handle_answer``)
and answers the relay's offers (routed to it by
:class:`tests.e2e.inprocess.OfferRouter`) with an aiortc ``RTCPeerConnection``. aiortc's
own receiver path runs unchanged: NACKs, jitter buffer, and its libvpx decoder thread,
whose output frames are counted. The only reach into aiortc is :func:`_watch_receiver`
(tests only, as ``signaling/relay/aiortc_hooks.py`` is for the relay): it counts RTP
packets and copies each frame the jitter buffer reassembles before aiortc decodes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.sdp import SessionDescription

from signaling.relay import aiortc_hooks as hooks
from signaling.relay.errors import RelayError
from tests.e2e.inprocess import OfferRouter

LOOPBACK = ("127.0.0.1",)
MAX_FRAMES = 3000  # per stream: about 100 s of video


@dataclass(frozen=True)
class CapturedFrame:
    """One encoded frame as reassembled by the tap's receiver (payload bytes untouched)."""

    publisher: str | None  # the publisher's relay id: the msid stream id of the m-line
    label: str | None  # camera, screen, microphone
    kind: str
    data: bytes
    keyframe: bool  # VP8: bit 0 of the first byte is 0; always False for audio
    rtp_timestamp: int
    arrival: float  # time.monotonic()


@dataclass
class TapStream:
    """One stream the relay forwards to the tap (one m-line, one publisher's track)."""

    mid: str
    kind: str
    publisher: str | None
    label: str | None
    packets: int = 0
    decoded: int = 0
    frames: list[CapturedFrame] = field(default_factory=list)

    def capture(self, data: bytes, rtp_timestamp: int) -> None:
        keyframe = self.kind == "video" and bool(data) and data[0] & 0x01 == 0
        frame = CapturedFrame(
            self.publisher, self.label, self.kind, data, keyframe, rtp_timestamp, time.monotonic()
        )
        self.frames.append(frame)
        if len(self.frames) > MAX_FRAMES:
            del self.frames[: len(self.frames) - MAX_FRAMES]


class RelayTap:
    def __init__(self, relay: Any, offers: OfferRouter, participant_id: str, room_id: str) -> None:
        self.relay = relay
        self.participant_id = participant_id
        self.room_id = room_id
        self._offers = offers
        self._pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self._lock = asyncio.Lock()
        self._current: dict[str, TapStream] = {}  # mid -> the stream it carries now
        self._history: list[TapStream] = []  # every stream seen, in order
        self._watched: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- lifecycle -------------------------------------------------------------------

    async def attach(self) -> None:
        """Join the room as one more participant, sending nothing."""
        self._offers.route(self.participant_id, self._on_offer)
        await self.relay.join(self.participant_id, self.room_id)
        self._pc.addTransceiver("audio", direction="recvonly")  # an offer needs an m-line
        async with self._lock:
            with hooks.host_addresses(LOOPBACK):
                await self._pc.setLocalDescription(await self._pc.createOffer())
            answer = await self.relay.handle_offer(
                self.participant_id, self._pc.localDescription.sdp
            )
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def detach(self) -> None:
        self._offers.unroute(self.participant_id)
        with contextlib.suppress(RelayError):  # already gone (the relay closed first)
            await self.relay.leave(self.participant_id)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._pc.close()

    async def __aenter__(self) -> RelayTap:
        await self.attach()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.detach()

    # --- what it got -------------------------------------------------------------------

    @property
    def streams(self) -> list[TapStream]:
        return list(self._history)

    def packets(self, kind: str | None = None) -> int:
        return sum(s.packets for s in self._history if kind in (None, s.kind))

    def decoded_video_frames(self, publishers: Collection[str] | None = None) -> int:
        """Frames aiortc's VP8 decoder produced from what the relay forwarded (of these
        publishers' streams only, when named)."""
        return sum(
            s.decoded
            for s in self._history
            if s.kind == "video" and (publishers is None or s.publisher in publishers)
        )

    def frames(self, kind: str | None = None) -> list[CapturedFrame]:
        return sorted(
            (f for s in self._history if kind in (None, s.kind) for f in s.frames),
            key=lambda f: f.arrival,
        )

    def publishers(self, kind: str | None = None) -> set[str]:
        """Publishers whose streams delivered at least one packet."""
        return {
            s.publisher
            for s in self._history
            if s.publisher and s.packets and kind in (None, s.kind)
        }

    async def until(self, check: Callable[[], bool], within: float = 15.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not check():
            if loop.time() > deadline:
                raise AssertionError(f"relay tap: not in time; {self.describe()}")
            await asyncio.sleep(0.05)

    def describe(self) -> str:
        return "; ".join(
            f"{s.mid} {s.kind} from {s.publisher}: {s.packets} packets, "
            f"{len(s.frames)} frames, {s.decoded} decoded"
            for s in self._history
        )

    # --- negotiation -------------------------------------------------------------------

    async def _on_offer(self, participant_id: str, sdp: str) -> None:
        async with self._lock:
            sources: dict[str, tuple[str, str | None, str | None]] = {}
            for media in SessionDescription.parse(sdp).media:
                if media.direction in ("sendonly", "sendrecv") and media.rtp.muxId:
                    stream_id, _, track_id = (media.msid or "").partition(" ")
                    sources[media.rtp.muxId] = (media.kind, stream_id or None, track_id or None)
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            for transceiver in self._pc.getTransceivers():
                mid = transceiver.mid
                if mid not in sources:
                    continue
                kind, publisher, label = sources[mid]
                now = self._current.get(mid)
                if now is None or (now.publisher, now.label) != (publisher, label):
                    self._current[mid] = TapStream(mid, kind, publisher, label)
                    self._history.append(self._current[mid])
                if mid not in self._watched:
                    self._watched.add(mid)
                    _watch_receiver(
                        transceiver.receiver, functools.partial(self._current.__getitem__, mid)
                    )
                    self._start(self._count_decoded(transceiver.receiver.track, mid))
            with hooks.host_addresses(LOOPBACK):
                await self._pc.setLocalDescription(await self._pc.createAnswer())
            await asyncio.sleep(0.02)  # aiortc starts its receivers in a task
            await self.relay.handle_answer(self.participant_id, self._pc.localDescription.sdp)

    def _start(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _count_decoded(self, track: Any, mid: str) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                self._current[mid].decoded += 1


def _watch_receiver(receiver: Any, stream: Callable[[], TapStream]) -> None:
    """The tap's one reach into aiortc 1.16 internals: count each RTP packet the receiver
    gets, and copy each frame its jitter buffer reassembles (before the decoder thread
    gets it). aiortc's own handling goes on unchanged."""
    handle_rtp = receiver._handle_rtp_packet
    jitter_buffer = receiver._RTCRtpReceiver__jitter_buffer
    reassemble = jitter_buffer.add

    async def counting(packet: Any, arrival_time_ms: int) -> None:
        stream().packets += 1
        await handle_rtp(packet, arrival_time_ms)

    def capturing(packet: Any) -> tuple[bool, Any]:
        pli, frame = reassemble(packet)
        if frame is not None:
            stream().capture(bytes(frame.data), frame.timestamp)
        return pli, frame

    receiver._handle_rtp_packet = counting
    jitter_buffer.add = capturing
