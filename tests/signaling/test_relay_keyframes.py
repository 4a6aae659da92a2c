"""Key frame requests reach the publisher; a new subscriber sees video fast."""

from __future__ import annotations

import asyncio
import time

from aiortc.rtp import RTCP_PSFB_FIR, RtcpPsfbPacket

from signaling.relay import Relay

from .clients import Client, Harness, wait_for


async def test_new_subscriber_gets_video_within_a_second(relay: Relay, harness: Harness) -> None:
    alice = harness.add(Client("alice"))
    await alice.connect(relay, "plenary")
    await asyncio.sleep(1.5)  # alice's encoder is well past its first key frame
    before = alice.keyframe_requests
    bob = harness.add(Client("bob", publish=False))
    started = time.monotonic()
    await bob.connect(relay, "plenary")
    assert await wait_for(lambda: bob.count("alice", "camera") > 0, within=3)
    first = bob.first_frame("alice", "camera")
    assert first is not None and first - started < 1.0
    assert alice.keyframe_requests > before
    assert not harness.errors


async def test_subscriber_pli_and_fir_are_forwarded_to_the_publisher(
    relay: Relay, harness: Harness
) -> None:
    alice, bob = harness.add(Client("alice")), harness.add(Client("bob", publish=False))
    await alice.connect(relay, "plenary")
    await bob.connect(relay, "plenary")
    assert await wait_for(lambda: bob.count("alice", "camera") > 3, within=10)
    receiver = next(
        t.receiver
        for t in bob.pc.getTransceivers()
        if t.kind == "video" and t.receiver.track is not None
    )
    media_ssrc = receiver.getSynchronizationSources()[0].source

    await asyncio.sleep(0.5)  # past the relay's per-track PLI rate limit
    before = alice.keyframe_requests
    await receiver._send_rtcp_pli(media_ssrc)
    assert await wait_for(lambda: alice.keyframe_requests > before, within=2)

    await asyncio.sleep(0.5)
    before = alice.keyframe_requests
    # aiortc routes feedback by the media-source field only (RFC 5104 puts the
    # FIR target in the FCI and 0 there): address it like a PLI
    fir = RtcpPsfbPacket(
        fmt=RTCP_PSFB_FIR, ssrc=bob.pc.getSenders()[0]._ssrc, media_ssrc=media_ssrc
    )
    await receiver._send_rtcp(fir)
    assert await wait_for(lambda: alice.keyframe_requests > before, within=2)

    # a burst of requests is rate-limited upstream
    await asyncio.sleep(0.5)
    before = alice.keyframe_requests
    for _ in range(10):
        await receiver._send_rtcp_pli(media_ssrc)
    await asyncio.sleep(0.2)
    assert 1 <= alice.keyframe_requests - before <= 2
    assert not harness.errors
