"""aiortc clients for the relay tests: they publish synthetic camera/microphone
tracks, decode what they receive (clients may decode; the relay must not) and
count frames per (publisher, label) using the msid the relay writes."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from collections import defaultdict
from typing import Any, Protocol

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtp import RtpPacket
from aiortc.sdp import SessionDescription

from signaling.relay import RelayClosedError, UnknownParticipantError
from signaling.relay.aiortc_hooks import host_addresses

LOOPBACK = ("127.0.0.1",)


class RelayLike(Protocol):
    async def join(self, participant_id: str, room_id: str) -> None: ...
    async def handle_offer(self, participant_id: str, sdp: str) -> str: ...
    async def handle_answer(self, participant_id: str, sdp: str) -> None: ...
    async def leave(self, participant_id: str) -> None: ...


class Client:
    """One participant: a single peer connection to the relay."""

    def __init__(self, pid: str, publish: bool = True, camera: bool = True) -> None:
        self.pid = pid
        self.camera = camera  # False: publishes its microphone only
        # max-bundle like browsers: with aiortc's "balanced" default, a second
        # video m-line in a relay offer can land on a transport bundling discards
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.publish = publish
        self.relay: RelayLike | None = None
        self.msid_by_mid: dict[str, tuple[str, str]] = {}
        self.frames: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.keyframe_requests = 0
        self._consumers: set[asyncio.Task[None]] = set()
        self._negotiation = asyncio.Lock()
        self.offers_handled = 0
        self.held: list[tuple[bytes, int, tuple[str, str] | None]] = []
        self.pc.on("track", self._on_track)

    async def connect(self, relay: RelayLike, room: str) -> None:
        self.relay = relay
        await relay.join(self.pid, room)
        if self.publish and self.camera:
            video = self.pc.addTrack(VideoStreamTrack())
            original = video._send_keyframe

            def counting_keyframe() -> None:
                self.keyframe_requests += 1
                original()

            video._send_keyframe = counting_keyframe
        if self.publish:
            self.pc.addTrack(AudioStreamTrack())
        else:
            self.pc.addTransceiver("audio", direction="recvonly")
        async with self._negotiation:
            offer = await self.pc.createOffer()
            with host_addresses(LOOPBACK):
                await self.pc.setLocalDescription(offer)
            answer = await relay.handle_offer(self.pid, self.pc.localDescription.sdp)
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def start_camera(self) -> None:
        """Turn the camera on after joining without it: a new video track, offered to
        the relay (call when the relay has no offer of its own outstanding)."""
        assert self.relay is not None
        async with self._negotiation:
            self.pc.addTransceiver(VideoStreamTrack(), direction="sendrecv")
            offer = await self.pc.createOffer()
            with host_addresses(LOOPBACK):
                await self.pc.setLocalDescription(offer)
            answer = await self.relay.handle_offer(self.pid, self.pc.localDescription.sdp)
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    def hold_media(self) -> None:
        """From now on, RTP reaching this peer connection (SRTP already checked) is kept
        back, as on a slow network, until :meth:`release_media`."""
        transport = self.pc.getTransceivers()[0].receiver.transport  # bundled: the only one

        async def keep(data: bytes, arrival_time_ms: int) -> None:
            packet = RtpPacket.parse(data, transport._rtp_header_extensions_map)
            receiver = transport._rtp_router.ssrc_table.get(packet.ssrc)
            mid = next((t.mid for t in self.pc.getTransceivers() if t.receiver is receiver), None)
            source = self.msid_by_mid.get(mid) if mid is not None else None
            self.held.append((data, arrival_time_ms, source))

        transport._handle_rtp_data = keep

    def held_from(self, publisher: str, label: str) -> int:
        return sum(1 for _, _, source in self.held if source == (publisher, label))

    async def release_media(self) -> None:
        """Deliver what :meth:`hold_media` kept back, in order, then go on as usual."""
        transport = self.pc.getTransceivers()[0].receiver.transport
        del transport._handle_rtp_data  # aiortc's own method again
        held, self.held = self.held, []
        for data, arrival_time_ms, _ in held:
            await transport._handle_rtp_data(data, arrival_time_ms)

    async def on_server_offer(self, sdp: str) -> None:
        assert self.relay is not None
        async with self._negotiation:
            description = SessionDescription.parse(sdp)
            for media in description.media:
                if media.msid and media.direction in ("sendonly", "sendrecv"):
                    stream, _, track = media.msid.partition(" ")
                    self.msid_by_mid[media.rtp.muxId] = (stream, track)
                else:
                    self.msid_by_mid.pop(media.rtp.muxId, None)
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            answer = await self.pc.createAnswer()
            with host_addresses(LOOPBACK):
                await self.pc.setLocalDescription(answer)
            # aiortc starts its receivers in a task scheduled by
            # setLocalDescription (a browser has them ready when it resolves):
            # let it run before the relay starts sending.
            await asyncio.sleep(0.02)
            await self.relay.handle_answer(self.pid, self.pc.localDescription.sdp)
            self.offers_handled += 1

    def _on_track(self, track: Any) -> None:
        task = asyncio.create_task(self._consume(track))
        self._consumers.add(task)
        task.add_done_callback(self._consumers.discard)

    def _mid_of(self, track: Any) -> str | None:
        for transceiver in self.pc.getTransceivers():
            if transceiver.receiver.track is track:
                mid: str | None = transceiver.mid
                return mid
        return None

    async def _consume(self, track: Any) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                mid = self._mid_of(track)
                source = self.msid_by_mid.get(mid) if mid is not None else None
                if source is not None:
                    self.frames[source].append(time.monotonic())

    def count(self, publisher: str, label: str, since: float = 0.0) -> int:
        return sum(1 for t in self.frames[(publisher, label)] if t >= since)

    def first_frame(self, publisher: str, label: str) -> float | None:
        times = self.frames.get((publisher, label))
        return times[0] if times else None

    async def close(self) -> None:
        await self.pc.close()
        for task in list(self._consumers):
            task.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)


class Harness:
    """Wires clients to a relay: the relay's offers go to the right client."""

    def __init__(self) -> None:
        self.clients: dict[str, Client] = {}
        self.errors: list[BaseException] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def on_offer(self, participant_id: str, sdp: str) -> None:
        client = self.clients.get(participant_id)
        if client is None:
            return
        # deliver later, like a network would; never re-enter the relay inline
        task = asyncio.create_task(self._deliver(client, sdp))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, client: Client, sdp: str) -> None:
        try:
            await client.on_server_offer(sdp)
        except (UnknownParticipantError, RelayClosedError):
            pass  # the participant left (or the relay closed) while the offer travelled
        except Exception as exc:
            self.errors.append(exc)

    def add(self, client: Client) -> Client:
        self.clients[client.pid] = client
        return client

    async def close(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for client in self.clients.values():
            await client.close()


async def wait_for(predicate: Any, within: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return bool(predicate())


async def flowing(
    *streams: tuple[Client, str, str], since: float, frames: int = 10, within: float = 10
) -> None:
    """The barrier for media: each (subscriber, publisher, label) of ``streams`` received
    ``frames`` frames since ``since``, on the same peer connection on which the test then
    checks that nothing else arrived (so that absence is not read from a stalled path)."""
    assert await wait_for(
        lambda: all(c.count(p, label, since=since) >= frames for c, p, label in streams),
        within=within,
    ), {(c.pid, p, label): c.count(p, label, since=since) for c, p, label in streams}


def free_udp_range(size: int) -> tuple[int, int]:
    """``size`` consecutive UDP ports on loopback that are free right now."""
    for _ in range(200):
        low = random.randrange(20000, 60000)
        held = []
        try:
            for port in range(low, low + size):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                held.append(s)
                s.bind(("127.0.0.1", port))
            return low, low + size - 1
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError("no free range of UDP ports")
