"""The relay's packet counts (what the metrics read): received, forwarded and lost, kept
after the participants who sent and received them have left."""

from __future__ import annotations

from signaling.relay import PacketCounts, Relay

from .clients import Client, Harness, wait_for


async def test_packets_are_counted_and_stay_counted_after_leaving(
    relay: Relay, harness: Harness
) -> None:
    assert relay.packet_counts() == PacketCounts(0, 0, 0)
    alice = harness.add(Client("alice"))
    bob = harness.add(Client("bob", publish=False))
    await alice.connect(relay, "plenary")
    await bob.connect(relay, "plenary")
    assert await wait_for(lambda: bob.count("alice", "camera") >= 5, within=15)
    during = relay.packet_counts()
    sent = sum(s.packets_sent for s in relay.forwarded_streams())
    assert during.received > 0
    assert during.forwarded >= sent > 0
    assert during.lost == 0  # loopback
    await relay.leave("alice")
    await relay.leave("bob")
    after = relay.packet_counts()
    assert after.received >= during.received
    assert after.forwarded >= during.forwarded
    assert not harness.errors
