"""Bad input is refused with a code; other participants are not disturbed."""

from __future__ import annotations

import re
import time

import pytest
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from errors import ErrorCode
from signaling.relay import (
    BadCandidateError,
    BadLabelError,
    GlareError,
    MalformedSdpError,
    Relay,
    RelayConfig,
    RelayError,
    SignalingStateError,
    UnknownParticipantError,
    UnsupportedCodecError,
)
from signaling.relay.aiortc_hooks import host_addresses

from .clients import LOOPBACK, Client, Harness, flowing, wait_for


async def client_offer(video_codec: str | None = "vp8", audio: bool = True) -> str:
    pc = RTCPeerConnection()
    try:
        if video_codec is not None:
            transceiver = pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
            caps = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences([c for c in caps if c.name.lower() == video_codec])
        if audio:
            pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        with host_addresses(LOOPBACK):
            await pc.setLocalDescription(await pc.createOffer())
        sdp: str = pc.localDescription.sdp
        return sdp
    finally:
        await pc.close()


def rename_codec(sdp: str, old: str, new: str) -> str:
    return re.sub(rf"(a=rtpmap:\d+ ){old}/", rf"\g<1>{new}/", sdp)


async def test_bad_offers_are_refused_and_others_keep_flowing(
    relay: Relay, harness: Harness
) -> None:
    alice, bob = harness.add(Client("alice")), harness.add(Client("bob"))
    await alice.connect(relay, "plenary")
    await bob.connect(relay, "plenary")
    assert await wait_for(lambda: bob.count("alice", "camera") > 3, within=15)
    await relay.join("mallory", "plenary")

    good = await client_offer()
    cases: list[tuple[str, type[RelayError], ErrorCode]] = [
        ("", MalformedSdpError, ErrorCode.BAD_SDP),
        ("not an sdp at all", MalformedSdpError, ErrorCode.BAD_SDP),
        ("v=0\r\nm=video notaport UDP/TLS/RTP/SAVPF 96\r\n", MalformedSdpError, ErrorCode.BAD_SDP),
        (good.replace("a=ice-pwd:", "a=x-removed:"), MalformedSdpError, ErrorCode.BAD_SDP),
        (good.replace("a=rtcp-mux\r\n", ""), MalformedSdpError, ErrorCode.BAD_SDP),
        (await client_offer("h264"), UnsupportedCodecError, ErrorCode.UNSUPPORTED_CODEC),
        (rename_codec(good, "VP8", "FOOCODEC"), UnsupportedCodecError, ErrorCode.UNSUPPORTED_CODEC),
        (rename_codec(good, "opus", "speex"), UnsupportedCodecError, ErrorCode.UNSUPPORTED_CODEC),
        ("v=0\r\n" + "x" * 70_000, MalformedSdpError, ErrorCode.BAD_SDP),
    ]
    for sdp, error, code in cases:
        with pytest.raises(error) as info:
            await relay.handle_offer("mallory", sdp)
        assert info.value.code == code

    with pytest.raises(BadLabelError):
        await relay.handle_offer("mallory", good, labels={"0": "microphone"})
    for candidate in (
        {"candidate": "candidate:garbage", "sdpMid": "0"},
        {"candidate": "candidate:1 1 udp 1 127.0.0.1 notaport typ host", "sdpMid": "0"},
        {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host"},
    ):
        with pytest.raises(BadCandidateError) as bad_candidate:
            await relay.add_candidate("mallory", candidate)
        assert bad_candidate.value.code == ErrorCode.BAD_REQUEST
    with pytest.raises(UnknownParticipantError) as unknown:
        await relay.handle_offer("nobody", good)
    assert unknown.value.code == ErrorCode.NOT_JOINED
    with pytest.raises(SignalingStateError):
        await relay.handle_answer("mallory", good.replace("a=setup:actpass", "a=setup:active"))

    # alice and bob never noticed
    since = time.monotonic()
    await flowing((bob, "alice", "camera"), (alice, "bob", "microphone"), since=since)
    assert {s.subscriber_id for s in relay.forwarded_streams() if s.active} == {"alice", "bob"}

    # and mallory can still join properly after all that
    mallory = harness.add(Client("mallory"))
    mallory.relay = relay
    await relay.leave("mallory")
    await mallory.connect(relay, "plenary")
    assert await wait_for(lambda: mallory.count("alice", "camera") > 3, within=10)
    assert not harness.errors


async def test_glare_relay_is_impolite() -> None:
    pending: dict[str, str] = {}

    async def hold_offer(participant_id: str, sdp: str) -> None:
        pending[participant_id] = sdp  # not delivered: the relay's offer stays outstanding

    relay = Relay(RelayConfig(host_addresses=LOOPBACK), hold_offer)
    alice, bob = Client("alice", publish=False), Client("bob")
    try:
        await alice.connect(relay, "plenary")
        await bob.connect(relay, "plenary")  # bob publishes: the relay offers alice
        assert await wait_for(lambda: "alice" in pending, within=5)
        alice.pc.addTransceiver("video", direction="recvonly")
        await alice.pc.setLocalDescription(await alice.pc.createOffer())
        with pytest.raises(GlareError) as info:
            await relay.handle_offer("alice", alice.pc.localDescription.sdp)
        assert info.value.code == ErrorCode.CONFLICT
        # what a polite browser does next: roll back, answer the relay, offer again
        fresh = Client("alice-again", publish=False)
        try:
            await fresh.pc.setRemoteDescription(
                RTCSessionDescription(sdp=pending["alice"], type="offer")
            )
            await fresh.pc.setLocalDescription(await fresh.pc.createAnswer())
            # the answer's transport credentials differ, but the relay accepts
            # it as far as the signaling state machine goes
            await relay.handle_answer("alice", fresh.pc.localDescription.sdp)
        finally:
            await fresh.close()
    finally:
        await alice.close()
        await bob.close()
        await relay.close()
    assert relay.peer_connection_count == 0


async def test_ids_and_joining_are_checked(relay: Relay) -> None:
    await relay.join("alice", "plenary")
    with pytest.raises(RelayError) as twice:
        await relay.join("alice", "plenary")
    assert twice.value.code == ErrorCode.CONFLICT
    for bad in ("", "has space", "x" * 65, "évé"):
        with pytest.raises(RelayError) as invalid:
            await relay.join(bad, "plenary")
        assert invalid.value.code == ErrorCode.VALIDATION
    with pytest.raises(RelayError):
        await relay.set_room("alice", "no room")
    with pytest.raises(UnknownParticipantError):
        await relay.leave("bob")
    await relay.leave("alice")
    assert relay.peer_connection_count == 0
    await relay.close()
    with pytest.raises(RelayError) as closed:
        await relay.join("carol", "plenary")
    assert closed.value.code == ErrorCode.SESSION_CLOSED
