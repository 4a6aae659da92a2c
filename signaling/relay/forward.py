"""The relay's packet path: an RTP packet from a publisher to every subscriber's slot.

Each packet is forwarded as it came (payload untouched, never decoded), with the
slot's own SSRC, payload type, sequence numbers and timestamps (:mod:`.rewrite`).
A subscriber that just started receiving a video waits for a key frame. The last
video packets sent on each slot are kept so that a subscriber's NACK is answered
by sending the very bytes again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiortc.rtp import RtpPacket

from . import aiortc_hooks as hooks
from .rewrite import vp8_keyframe_start
from .state import Publication, Slot

HISTORY_SIZE = 256  # video packets kept per slot for retransmission

PacketHandler = Callable[[RtpPacket], Coroutine[Any, Any, int | None]]


def packet_handler(published: Publication) -> PacketHandler:
    """What aiortc's receiver calls with each packet ``published`` sends."""

    async def handle(packet: RtpPacket) -> int | None:
        return await forward(published, packet)

    return handle


async def forward(published: Publication, packet: RtpPacket) -> int | None:
    """Send one packet of ``published`` to each active slot it feeds, rewritten for the slot;
    returns the payload type's clock rate (what aiortc's receiver needs), or None to drop it."""
    clock_rate = published.clock_rates.get(packet.payload_type)
    if clock_rate is None:
        return None  # RTX (the relay never NACKs), unknown payload type
    payload = packet.payload
    if not payload:  # padding only (a bandwidth probe): not worth forwarding
        if published.ssrc == packet.ssrc:
            for slot in published.outputs.values():
                if slot.active and not slot.waiting_keyframe:
                    slot.rewriter.skip(packet.sequence_number)
        return clock_rate
    if published.ssrc != packet.ssrc:
        if published.ssrc is not None:
            for slot in published.outputs.values():
                slot.rewriter.rebase()
                slot.waiting_keyframe = published.kind == "video"
        published.ssrc = packet.ssrc
    published.packets_in += 1
    if not published.outputs or published.paused:
        return clock_rate
    is_video = published.kind == "video"
    keyframe = is_video and vp8_keyframe_start(payload)
    now = time.monotonic()
    ntp = hooks.ntp_now()
    send_time = hooks.abs_send_time(ntp)
    audio_level = packet.extensions.audio_level
    for slot in list(published.outputs.values()):
        if not slot.active or slot.payload_type is None:
            continue
        if slot.waiting_keyframe:
            if not keyframe:
                continue
            slot.waiting_keyframe = False
            slot.rewriter.rebase()
        mapped = slot.rewriter.rewrite(packet.sequence_number, packet.timestamp, now)
        if mapped is None:
            continue
        out = RtpPacket(
            payload_type=slot.payload_type,
            marker=packet.marker,
            sequence_number=mapped[0],
            timestamp=mapped[1],
            ssrc=slot.ssrc,
            payload=payload,
        )
        out.extensions.mid = slot.mid
        out.extensions.abs_send_time = send_time
        out.extensions.audio_level = audio_level
        sender = slot.transceiver.sender
        data = hooks.serialize(sender, out)
        if is_video:
            slot.history[mapped[0] % HISTORY_SIZE] = data
        try:
            await hooks.send_rtp_bytes(sender, data)
        except ConnectionError:
            continue
        hooks.record_sent(sender, ntp, mapped[1], len(payload))
        slot.packets_out += 1
    return clock_rate


async def resend(slot: Slot, sequence_number: int) -> None:
    """A subscriber asked again for a packet (NACK): the same bytes, if still kept."""
    data = slot.history.get(sequence_number % HISTORY_SIZE)
    if data is None or int.from_bytes(data[2:4], "big") != sequence_number:
        return
    try:
        await hooks.send_rtp_bytes(slot.transceiver.sender, data)
    except ConnectionError:
        pass
