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
