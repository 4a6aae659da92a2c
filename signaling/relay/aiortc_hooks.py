"""Every place where the relay reaches into aiortc 1.16.0 / aioice 0.13 internals.

aiortc has no supported pass-through API (maintainer's view, aiortc issues
#55, #449, #627): its receivers decode and its senders encode. The relay
forwards at the RTP packet level instead, and this module is the only code
that knows how aiortc is built inside. What it touches, and why:

Receive side (a publisher's ``RTCRtpReceiver``)
  * ``receiver._handle_rtp_packet`` is replaced on the instance by
    :func:`intercept_rtp`. aiortc's ``RTCDtlsTransport`` routes each decrypted
    RTP packet there; the stock method depayloads, fills the jitter buffer and
    queues frames for the decoder thread. Our replacement hands the parsed
    packet to the relay instead, so nothing is depayloaded, buffered or
    decoded (the decoder thread starts but never receives work). It still
    feeds aiortc's own ``StreamStatistics`` (name-mangled
    ``_RTCRtpReceiver__remote_streams``) so the receiver keeps sending RTCP
    receiver reports to the publisher.
  * ``receiver._send_rtcp`` / ``_send_rtcp_pli`` send PLI and REMB upstream.
  * ``receiver._enabled`` (set from the negotiated direction) is honoured.

Send side (a subscriber's ``RTCRtpSender``)
  * The sender gets an :class:`IdleTrack` whose ``recv()`` never yields a
    frame, so aiortc's RTP loop waits forever and never creates an encoder.
  * ``sender._send_keyframe`` (called for a subscriber's PLI/FIR) and
    ``sender._retransmit`` (called for a NACK) are replaced on the instance
    with the relay's callbacks (forward a PLI upstream, resend from the
    relay's own history).
  * Packets are serialised with the transport's header-extension map
    (``transport._rtp_header_extensions_map``) and sent with
    ``transport._send_rtp`` (SRTP protect + ICE send).
  * The sender's RTCP sender-report counters (name-mangled
    ``_RTCRtpSender__ntp_timestamp`` and friends) are updated, so its SRs map
    the forwarded RTP timestamps to wall-clock time (lip sync) and count what
    was sent.
  * ``sender._stream_id`` / ``sender._track_id`` set the msid aiortc writes.

Negotiation
  * ``transceiver._codecs`` is narrowed to VP8 (+ its RTX) / Opus right after
    ``setRemoteDescription``, before the answer is created: aiortc would
    otherwise accept H264 or G.711, which the relay does not forward.

  * ``rtcpeerconnection.filter_preferred_codecs`` is wrapped once: a
    transceiver whose ``_preferred_codecs`` is a :class:`PinnedCodecs` keeps
    its negotiated codecs and payload types in later offers. aiortc's
    ``createOffer`` otherwise resets every transceiver to its own payload
    types (Opus 96, VP8 97), and a browser answering that re-offer switches
    the payload types it sends mid-call (Chromium then stopped sending the
    first publisher's audio). Other peer connections are unaffected.
  * ``transceiver._headerExtensions`` is renumbered after ``createOffer`` (see
    :func:`align_header_extensions`): aiortc configures its transport-wide
    header-extension map from it, and its defaults (mid=1, audio-level=2)
    collide with a browser's ids, which makes aiortc misparse the browser's
    packets and crash the transport's receive loop.

ICE (aioice 0.13)
  * ``aioice.ice.get_host_addresses`` is wrapped once so that host candidates
    can be limited to configured addresses. The choice travels in a
    ``ContextVar`` set around ``setLocalDescription``/``setRemoteDescription``
    (aiortc gathers inside those calls), so peer connections created by other
    code in the same process keep aioice's default.
  * ``aioice.ice.asyncio`` (the module as aioice.ice sees it) is replaced once
    by :class:`_AsyncioForIce`, whose ``get_running_loop()`` returns the real
    loop except while a UDP port range is chosen (another ``ContextVar``, set
    like the addresses): then it returns a :class:`_PortRangeLoop`, whose
    ``create_datagram_endpoint`` turns the host candidate's
    ``local_addr=(address, 0)`` (aioice's
    ``Connection.get_component_candidates``) into a socket it binds itself to a
    port of the range (trying the next one when a port is taken) and hands over
    as ``sock=``. A full range raises
    :class:`PortRangeExhausted`, which is not an ``OSError`` (aioice would log and
    skip those) and so leaves ``setLocalDescription``. Everything else the
    module asks of asyncio or the loop goes to the real one; aioice's TURN
    client (``aioice.turn``, its own module) keeps ephemeral ports.

Upgrading aiortc means re-reading the methods named above; the import fails
loudly on any other version.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import errno
import random
import socket
import types
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any

import aioice
import aioice.ice
import aiortc
from aiortc import RTCRtpHeaderExtensionParameters, clock, rtcpeerconnection
from aiortc.codecs import is_rtx
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtpPacket, pack_remb_fci

SUPPORTED_AIORTC = "1.16.0"
SUPPORTED_AIOICE = "0.13.0"

if aiortc.__version__ != SUPPORTED_AIORTC:  # pragma: no cover - guarded by the pin
    raise ImportError(
        f"signaling.relay hooks aiortc {SUPPORTED_AIORTC} internals, found {aiortc.__version__}"
    )
if aioice.__version__ != SUPPORTED_AIOICE:  # pragma: no cover - guarded by the pin
    raise ImportError(
        f"signaling.relay hooks aioice {SUPPORTED_AIOICE} internals, found {aioice.__version__}"
    )

#: Called for every RTP packet a publisher's receiver gets. Returns the clock
#: rate of the packet's codec when the packet was accepted (for RTCP receiver
#: statistics), or None when it was dropped.
RtpHandler = Callable[[RtpPacket], Awaitable[int | None]]


# --- receive side -----------------------------------------------------------


def intercept_rtp(receiver: Any, handler: RtpHandler) -> None:
    """Route a receiver's incoming RTP to ``handler``; aiortc never decodes it."""
    streams: dict[int, StreamStatistics] = receiver._RTCRtpReceiver__remote_streams

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        if not receiver._enabled:
            return
        clock_rate = await handler(packet)
        if clock_rate is not None:
            stats = streams.get(packet.ssrc)
            if stats is None:
                stats = streams[packet.ssrc] = StreamStatistics(clock_rate)
            stats.add(packet)

    receiver._handle_rtp_packet = handle_rtp_packet


async def send_pli(receiver: Any, media_ssrc: int) -> None:
    """Ask the publisher for a key frame (RTCP PLI, RFC 4585 6.3.1)."""
    await receiver._send_rtcp_pli(media_ssrc)


async def send_remb(receiver: Any, sender_ssrc: int, bitrate: int, media_ssrcs: list[int]) -> None:
    """Tell the publisher how much it may send (REMB)."""
    packet = RtcpPsfbPacket(
        fmt=RTCP_PSFB_APP, ssrc=sender_ssrc, media_ssrc=0, fci=pack_remb_fci(bitrate, media_ssrcs)
    )
    await receiver._send_rtcp(packet)


# --- send side ----------------------------------------------------------------


class IdleTrack(MediaStreamTrack):
    """A track that never produces a frame: keeps aiortc's RTP loop (and so
    its encoder) idle while the relay sends packets itself."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._stopped = asyncio.Event()

    async def recv(self) -> Any:
        await self._stopped.wait()
        raise MediaStreamError

    def stop(self) -> None:
        super().stop()
        self._stopped.set()


def take_over_sender(
    sender: Any,
    on_keyframe_request: Callable[[], None],
    on_nack: Callable[[int], Awaitable[None]],
) -> None:
    """Make the relay answer the subscriber's PLI/FIR and NACKs for this sender."""
    sender._send_keyframe = on_keyframe_request
    sender._retransmit = on_nack


def set_msid(sender: Any, stream_id: str, track_id: str) -> None:
    sender._stream_id = stream_id
    sender._track_id = track_id


def sender_ssrc(sender: Any) -> int:
    return int(sender._ssrc)


def serialize(sender: Any, packet: RtpPacket) -> bytes:
    """Serialise with the header extension ids negotiated on the sender's transport."""
    data: bytes = packet.serialize(sender.transport._rtp_header_extensions_map)
    return data


async def send_rtp_bytes(sender: Any, data: bytes) -> None:
    """SRTP-protect and send; raises ConnectionError when not connected."""
    await sender.transport._send_rtp(data)


def record_sent(sender: Any, ntp_time: int, rtp_timestamp: int, payload_size: int) -> None:
    """Keep the sender's RTCP sender reports truthful for forwarded packets."""
    sender._RTCRtpSender__ntp_timestamp = ntp_time
    sender._RTCRtpSender__rtp_timestamp = rtp_timestamp
    sender._RTCRtpSender__octet_count += payload_size
    sender._RTCRtpSender__packet_count += 1


def ntp_now() -> int:
    """Current time as a 64-bit NTP timestamp."""
    return int(clock.current_ntp_time())


def abs_send_time(ntp_time: int) -> int:
    """An NTP timestamp in the 24-bit abs-send-time format (6.18 fixed point)."""
    return (ntp_time >> 14) & 0x00FFFFFF


# --- negotiation ----------------------------------------------------------------


def restrict_codecs(transceiver: Any, mime_subtype: str) -> bool:
    """Keep only ``mime_subtype`` (and RTX for it) in the negotiated codecs.

    Returns False when nothing usable is left.
    """
    codecs = list(transceiver._codecs)
    kept = [c for c in codecs if c.name.lower() == mime_subtype]
    pts = {c.payloadType for c in kept}
    kept += [c for c in codecs if is_rtx(c) and c.parameters.get("apt") in pts]
    transceiver._codecs = kept
    return bool(pts)


def negotiated_codecs(transceiver: Any) -> list[Any]:
    """The codecs negotiated on a transceiver, primary codecs first."""
    return [c for c in transceiver._codecs if not is_rtx(c)]


# --- ICE ------------------------------------------------------------------------------

_host_addresses: contextvars.ContextVar[Sequence[str] | None] = contextvars.ContextVar(
    "palabre_relay_host_addresses", default=None
)
_original_get_host_addresses: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses


def _get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    chosen = _host_addresses.get()
    if chosen is None:
        return _original_get_host_addresses(use_ipv4, use_ipv6)
    return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]


if not getattr(aioice.ice.get_host_addresses, "_palabre_hook", False):
    _get_host_addresses._palabre_hook = True  # type: ignore[attr-defined]
    aioice.ice.get_host_addresses = _get_host_addresses


@contextlib.contextmanager
def host_addresses(addresses: Sequence[str] | None) -> Iterator[None]:
    """Within this block, ICE gathers host candidates on ``addresses`` only."""
    token = _host_addresses.set(tuple(addresses) if addresses is not None else None)
    try:
        yield
    finally:
        _host_addresses.reset(token)


_udp_ports: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "palabre_relay_udp_ports", default=None
)


class PortRangeExhausted(RuntimeError):
    """Every UDP port of the configured range is taken on an address.

    Deliberately not an ``OSError``: aioice logs and skips those, which would leave a
    peer connection with no candidate and no word of why.
    """

    def __init__(self, address: str, ports: tuple[int, int]) -> None:
        super().__init__(f"no free UDP port in {ports[0]}-{ports[1]} on {address}")
        self.address = address
        self.ports = ports


class _PortRangeLoop:
    """The running loop, binding aioice's host candidates within a port range."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ports: tuple[int, int]) -> None:
        self._loop = loop
        self._ports = ports

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loop, name)

    async def create_datagram_endpoint(
        self, protocol_factory: Callable[[], Any], local_addr: Any = None, **kwargs: Any
    ) -> Any:
        if local_addr is None or local_addr[1] != 0:
            return await self._loop.create_datagram_endpoint(
                protocol_factory, local_addr=local_addr, **kwargs
            )
        address = str(local_addr[0])
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        low, high = self._ports
        count = high - low + 1
        start = random.randrange(count)  # noqa: S311 - spreads processes sharing a range
        for step in range(count):
            port = low + (start + step) % count
            # bound here, not by the loop: uvloop's bind errors carry no errno, and a taken
            # port must be told from any other failure
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                sock.bind((address, port))
            except OSError as exc:
                sock.close()
                if exc.errno == errno.EADDRINUSE:
                    continue
                raise
            sock.setblocking(False)
            try:
                return await self._loop.create_datagram_endpoint(
                    protocol_factory, sock=sock, **kwargs
                )
            except BaseException:
                sock.close()
                raise
        raise PortRangeExhausted(address, self._ports)


class _AsyncioForIce(types.ModuleType):
    """``asyncio`` as aioice.ice sees it: the same but for the loop it gets."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    def get_running_loop() -> Any:
        loop = asyncio.get_running_loop()
        ports = _udp_ports.get()
        return loop if ports is None else _PortRangeLoop(loop, ports)


if not isinstance(vars(aioice.ice)["asyncio"], _AsyncioForIce):
    vars(aioice.ice)["asyncio"] = _AsyncioForIce("asyncio")


@contextlib.contextmanager
def udp_ports(ports: tuple[int, int] | None) -> Iterator[None]:
    """Within this block, ICE host candidates take their UDP port from ``ports``
    (inclusive); None keeps aioice's ephemeral ports."""
    token = _udp_ports.set(ports)
    try:
        yield
    finally:
        _udp_ports.reset(token)


@contextlib.contextmanager
def host_candidates(
    addresses: Sequence[str] | None, ports: tuple[int, int] | None
) -> Iterator[None]:
    """Both choices at once: the addresses and the port range of the host candidates."""
    with host_addresses(addresses), udp_ports(ports):
        yield


# --- stable payload types across renegotiation -----------------------------------------


class PinnedCodecs(list[Any]):
    """Negotiated codecs that aiortc must offer again as they are (see module doc)."""


_stock_filter_preferred_codecs = rtcpeerconnection.filter_preferred_codecs


def _filter_keeping_pinned(codecs: list[Any], preferred: list[Any]) -> list[Any]:
    if isinstance(preferred, PinnedCodecs):
        offered = {c.mimeType.lower() for c in codecs}
        kept = [c for c in preferred if c.mimeType.lower() in offered]
        if kept:
            return kept
    result: list[Any] = _stock_filter_preferred_codecs(codecs, preferred)
    return result


rtcpeerconnection.filter_preferred_codecs = _filter_keeping_pinned


def pin_negotiated_codecs(pc: Any) -> None:
    """After a completed negotiation: keep each m-line's codecs in later offers."""
    for transceiver in pc.getTransceivers():
        if transceiver.mid is not None and transceiver._codecs:
            transceiver._preferred_codecs = PinnedCodecs(transceiver._codecs)


def align_header_extensions(pc: Any, negotiated: Mapping[str, int]) -> None:
    """Give every transceiver the header-extension ids the client uses (after createOffer).

    Extensions the client never offered are dropped, as in the offer's SDP.
    """
    for transceiver in pc.getTransceivers():
        transceiver._headerExtensions = [
            RTCRtpHeaderExtensionParameters(id=negotiated[ext.uri], uri=ext.uri)
            for ext in transceiver._headerExtensions
            if ext.uri in negotiated
        ]
