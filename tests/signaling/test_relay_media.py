"""Media flows through the relay between aiortc clients on loopback."""

from __future__ import annotations

from signaling.relay import Relay

from .clients import Client, Harness, wait_for


async def test_three_participants_receive_each_other(relay: Relay, harness: Harness) -> None:
    clients = [harness.add(Client(pid)) for pid in ("alice", "bob", "carol")]
    for client in clients:
        await client.connect(relay, "plenary")
    observer = harness.add(Client("observer", publish=False))  # receives only
    await observer.connect(relay, "plenary")

    def everyone_sees_everyone() -> bool:
        return all(
            c.count(o.pid, "camera") >= 5 and c.count(o.pid, "microphone") >= 5
            for c in clients
            for o in clients
            if o is not c
        )

    def observer_sees_everyone() -> bool:
        return all(
            observer.count(o.pid, "camera") >= 5 and observer.count(o.pid, "microphone") >= 5
            for o in clients
        )

    assert await wait_for(everyone_sees_everyone, within=15), {
        c.pid: {k: len(v) for k, v in c.frames.items()} for c in clients
    }
    assert await wait_for(observer_sees_everyone, within=5), dict(observer.frames)
    assert not harness.errors
    streams = relay.forwarded_streams()
    assert len(streams) == 18  # 3 publishers x 2 tracks x 3 subscribers
    assert all(s.active and s.packets_sent > 0 for s in streams)
    assert {(t.publisher_id, t.label) for t in relay.published_tracks()} == {
        (pid, label) for pid in ("alice", "bob", "carol") for label in ("camera", "microphone")
    }
    # every subscriber can tell whose track is whose: stream id = publisher id
    assert {source for source in observer.msid_by_mid.values()} == {
        (pid, label) for pid in ("alice", "bob", "carol") for label in ("camera", "microphone")
    }
