"""Room scoping: a track reaches only participants of the publisher's room."""

from __future__ import annotations

import asyncio
import time

from signaling.relay import Relay

from .clients import Client, Harness, flowing, wait_for


def streams_of(relay: Relay, pid: str) -> set[tuple[str, str]]:
    """(publisher, subscriber) of every stream forwarded from or to ``pid``."""
    return {
        (s.publisher_id, s.subscriber_id)
        for s in relay.forwarded_streams()
        if pid in (s.publisher_id, s.subscriber_id)
    }


async def test_moving_to_caucus_stops_and_restarts_forwarding(
    relay: Relay, harness: Harness
) -> None:
    alice, bob, carol = (harness.add(Client(pid)) for pid in ("alice", "bob", "carol"))
    dave = harness.add(Client("dave"))  # in the other room: what the barriers see
    for client in (alice, bob, carol):
        await client.connect(relay, "plenary")
    await dave.connect(relay, "caucus")
    assert await wait_for(
        lambda: carol.count("alice", "camera") > 3 and alice.count("carol", "camera") > 3,
        within=15,
    )

    await relay.set_room("carol", "caucus")
    # forwarding across the boundary is gone as soon as set_room returns
    assert streams_of(relay, "carol") <= {("carol", "dave"), ("dave", "carol")}
    await asyncio.sleep(0.5)  # frames already in flight / in jitter buffers
    quiet_from = time.monotonic()
    # barrier: every subscriber checked below goes on receiving from its own room
    await flowing(
        (carol, "dave", "camera"), (dave, "carol", "camera"),
        (alice, "bob", "camera"), (bob, "alice", "camera"),
        since=quiet_from,
    )  # fmt: skip
    for publisher in ("alice", "bob"):
        for label in ("camera", "microphone"):
            assert carol.count(publisher, label, since=quiet_from) == 0
            assert dave.count(publisher, label, since=quiet_from) == 0
    for subscriber in (alice, bob):
        assert subscriber.count("carol", "camera", since=quiet_from) == 0
        assert subscriber.count("carol", "microphone", since=quiet_from) == 0
        assert subscriber.count("dave", "camera", since=quiet_from) == 0

    # bob joins carol in the caucus, dave goes to the plenary: each room hears only itself
    await relay.set_room("bob", "caucus")
    back = time.monotonic()
    assert await wait_for(
        lambda: (
            carol.count("bob", "camera", since=back) > 3
            and bob.count("carol", "camera", since=back) > 3
        ),
        within=10,
    )
    await relay.set_room("dave", "plenary")
    back = time.monotonic()
    assert await wait_for(lambda: alice.count("dave", "camera", since=back) > 3, within=10)
    await asyncio.sleep(0.5)
    quiet_from = time.monotonic()
    await flowing(
        (alice, "dave", "camera"), (bob, "carol", "camera"), (carol, "bob", "camera"),
        since=quiet_from,
    )  # fmt: skip
    assert alice.count("bob", "camera", since=quiet_from) == 0
    assert alice.count("carol", "camera", since=quiet_from) == 0
    assert bob.count("alice", "camera", since=quiet_from) == 0
    assert bob.count("dave", "camera", since=quiet_from) == 0

    # everyone back in plenary
    await relay.set_room("bob", "plenary")
    await relay.set_room("carol", "plenary")
    back = time.monotonic()
    assert await wait_for(
        lambda: all(
            c.count(o.pid, "camera", since=back) > 3
            and c.count(o.pid, "microphone", since=back) > 3
            for c in (alice, bob, carol)
            for o in (alice, bob, carol)
            if o is not c
        ),
        within=10,
    )
    assert not harness.errors


async def test_a_paused_publisher_is_not_forwarded_until_resumed(
    relay: Relay, harness: Harness
) -> None:
    alice, bob = (harness.add(Client(pid)) for pid in ("alice", "bob"))
    for client in (alice, bob):
        await client.connect(relay, "plenary")
    assert await wait_for(lambda: bob.count("alice", "microphone") > 3, within=15)

    await relay.set_paused("alice", "audio", True)  # the mediator muted her
    await asyncio.sleep(0.5)  # frames already in flight / in jitter buffers
    quiet_from = time.monotonic()
    await flowing((bob, "alice", "camera"), since=quiet_from)  # her video still flows
    assert bob.count("alice", "microphone", since=quiet_from) == 0

    await relay.set_paused("alice", "audio", False)
    back = time.monotonic()
    assert await wait_for(lambda: bob.count("alice", "microphone", since=back) > 3, within=5)


def packets_sent(relay: Relay, publisher: str, subscriber: str, label: str) -> int:
    return sum(
        s.packets_sent
        for s in relay.forwarded_streams()
        if (s.publisher_id, s.subscriber_id, s.label) == (publisher, subscriber, label)
    )


async def test_video_resumes_on_a_slot_whose_last_packets_were_dropped(
    relay: Relay, harness: Harness
) -> None:
    """A subscriber drops the packets still on their way when it applies the offer that
    makes their m-line inactive (after SRTP accepted them, so they can never be sent
    again); when the slot carries video again, the stream must not wait on them."""
    alice, bob, carol = (harness.add(Client(pid)) for pid in ("alice", "bob", "carol"))
    dave = harness.add(Client("dave", camera=False))  # audio only, already in the caucus
    for client in (alice, bob, carol):
        await client.connect(relay, "plenary")
    await dave.connect(relay, "caucus")
    await flowing((carol, "bob", "camera"), since=0, frames=3, within=15)
    bob_mid = next(mid for mid, source in carol.msid_by_mid.items() if source == ("bob", "camera"))
    bob_line = next(t for t in carol.pc.getTransceivers() if t.mid == bob_mid)

    # carol's network is slow: some of bob's video is still travelling when she moves
    carol.hold_media()
    assert await wait_for(lambda: carol.held_from("bob", "camera") >= 3, within=10)
    await relay.set_room("carol", "caucus")
    assert await wait_for(lambda: bob_line.currentDirection == "inactive", within=10)
    await carol.release_media()  # reaches an inactive m-line: dropped
    await flowing((carol, "dave", "microphone"), since=time.monotonic(), frames=3)

    await relay.set_room("bob", "caucus")  # bob's video takes his former slot again
    back = time.monotonic()
    start = packets_sent(relay, "bob", "carol", "camera")
    # stalled, aiortc's jitter buffer would give up on the hole only 512 packets later
    assert await wait_for(
        lambda: (
            carol.count("bob", "camera", since=back) >= 5
            or packets_sent(relay, "bob", "carol", "camera") - start > 150
        ),
        within=30,
    )
    assert carol.count("bob", "camera", since=back) >= 5, (
        packets_sent(relay, "bob", "carol", "camera") - start
    )
    assert not harness.errors


async def test_a_camera_turned_on_in_a_private_meeting_reaches_only_its_members(
    relay: Relay, harness: Harness
) -> None:
    """dave joined with his camera off and turns it on in the private meeting: carol and
    eve (in it) see him, alice and bob (plenary) never do. Moved back to the plenary,
    dave is seen by alice and bob only, and sees nothing more of the meeting."""
    alice, bob, carol = (harness.add(Client(pid)) for pid in ("alice", "bob", "carol"))
    dave = harness.add(Client("dave", camera=False))
    eve = harness.add(Client("eve", camera=False))  # in the meeting: carol's other path
    for client in (alice, bob, carol, dave):
        await client.connect(relay, "plenary")
    await eve.connect(relay, "caucus")
    await flowing((carol, "alice", "camera"), (dave, "bob", "camera"), since=0, frames=3)
    await relay.set_room("carol", "caucus")
    await relay.set_room("dave", "caucus")
    await flowing((carol, "dave", "microphone"), since=time.monotonic(), frames=3)

    await dave.start_camera()
    await flowing((carol, "dave", "camera"), (eve, "dave", "camera"), since=0, frames=5)
    # barrier: alice and bob go on receiving each other on the connections checked
    await flowing((alice, "bob", "camera"), (bob, "alice", "camera"), since=time.monotonic())
    for outsider in (alice, bob):
        assert outsider.count("dave", "camera") == 0  # not a single frame, ever
    assert {s.subscriber_id for s in relay.forwarded_streams() if s.publisher_id == "dave"} == {
        "carol",
        "eve",
    }

    await relay.set_room("dave", "plenary")
    back = time.monotonic()
    await flowing((alice, "dave", "camera"), (bob, "dave", "camera"), since=back, frames=5)
    assert {
        (s.subscriber_id, s.label) for s in relay.forwarded_streams() if s.publisher_id == "dave"
    } == {(p, label) for p in ("alice", "bob") for label in ("camera", "microphone")}
    await asyncio.sleep(0.5)  # frames already in flight / in jitter buffers
    quiet_from = time.monotonic()
    await flowing(
        (carol, "eve", "microphone"), (eve, "carol", "camera"), (dave, "alice", "camera"),
        since=quiet_from,
    )  # fmt: skip
    for member in (carol, eve):
        assert member.count("dave", "camera", since=quiet_from) == 0
        assert member.count("dave", "microphone", since=quiet_from) == 0
    for label in ("camera", "microphone"):
        assert dave.count("carol", label, since=quiet_from) == 0
    assert dave.count("eve", "microphone", since=quiet_from) == 0
    assert not harness.errors
