"""Leaving, unpublishing and closing leave nothing behind."""

from __future__ import annotations

import asyncio
import threading
import time

from aiortc import RTCSessionDescription

from signaling.relay import Relay, RelayConfig

from .clients import LOOPBACK, Client, Harness, flowing, wait_for


def decoder_threads() -> int:
    """aiortc starts one decoder thread per started receiver (relay and clients)."""
    return sum(1 for t in threading.enumerate() if t.name.endswith("-decoder"))


def other_tasks() -> set[asyncio.Task[object]]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


async def test_leave_drops_forwarding_and_everything_is_released(harness: Harness) -> None:
    tasks_before = other_tasks()
    decoders_before = decoder_threads()
    relay = Relay(RelayConfig(host_addresses=LOOPBACK), harness.on_offer)
    alice, bob, carol = (harness.add(Client(pid)) for pid in ("alice", "bob", "carol"))
    for client in (alice, bob, carol):
        await client.connect(relay, "plenary")
    assert await wait_for(lambda: alice.count("bob", "camera") > 3, within=15)
    assert relay.peer_connection_count == 3
    assert decoder_threads() > decoders_before  # idle in the relay, busy in clients

    await relay.leave("bob")
    assert all("bob" not in (s.publisher_id, s.subscriber_id) for s in relay.forwarded_streams())
    assert relay.peer_connection_count == 2
    await asyncio.sleep(0.5)  # frames already in flight / in jitter buffers
    quiet_from = time.monotonic()
    await flowing((alice, "carol", "camera"), (carol, "alice", "microphone"), since=quiet_from)
    assert alice.count("bob", "camera", since=quiet_from) == 0
    assert carol.count("bob", "microphone", since=quiet_from) == 0

    await relay.leave("alice")
    await relay.leave("carol")
    assert relay.peer_connection_count == 0
    assert relay.forwarded_streams() == []
    assert await wait_for(lambda: relay.background_task_count == 0, within=5)
    await relay.close()
    await harness.close()
    # aiortc's own tasks and decoder threads of the relay and the clients end too
    assert await wait_for(lambda: not (other_tasks() - tasks_before), within=10), (
        other_tasks() - tasks_before
    )
    assert await wait_for(lambda: decoder_threads() <= decoders_before, within=5)
    assert not harness.errors


async def test_stopping_a_track_unpublishes_it(relay: Relay, harness: Harness) -> None:
    alice, bob = harness.add(Client("alice")), harness.add(Client("bob"))
    await alice.connect(relay, "plenary")
    await bob.connect(relay, "plenary")
    assert await wait_for(lambda: bob.count("alice", "camera") > 3, within=15)

    # alice stops sending her camera: renegotiate with that transceiver recvonly
    async with alice._negotiation:
        video = next(
            t
            for t in alice.pc.getTransceivers()
            if t.kind == "video" and t.sender.track is not None
        )
        video.direction = "recvonly"
        offer = await alice.pc.createOffer()
        await alice.pc.setLocalDescription(offer)
        answer = await relay.handle_offer("alice", alice.pc.localDescription.sdp)
        await alice.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    labels = {(t.publisher_id, t.label) for t in relay.published_tracks()}
    assert ("alice", "camera") not in labels
    assert ("alice", "microphone") in labels
    assert not any(
        s.publisher_id == "alice" and s.kind == "video" for s in relay.forwarded_streams()
    )
    await asyncio.sleep(0.5)  # frames already in flight / in jitter buffers
    quiet_from = time.monotonic()
    await flowing((bob, "alice", "microphone"), since=quiet_from)
    assert bob.count("alice", "camera", since=quiet_from) == 0
    assert not harness.errors
