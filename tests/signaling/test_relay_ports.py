"""The relay's UDP port range (PALABRE_RELAY_UDP_PORTS): host candidates take their
ports from it, peer connections never share one, and a full range refuses an offer
with a code instead of leaving a connection without candidates."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator

import aioice.ice
import pytest
import uvloop
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.sdp import SessionDescription

from errors import ErrorCode
from signaling.relay import PortsExhaustedError, Relay, RelayConfig
from signaling.relay.aiortc_hooks import host_addresses, host_candidates

from .clients import LOOPBACK, Client, Harness, free_udp_range, wait_for


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A UDP port on loopback that stays taken for the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def _host_ports(sdp: str) -> set[int]:
    """The ports of the host candidates (each bundled m-line lists the same)."""
    description = SessionDescription.parse(sdp)
    return {c.port for m in description.media for c in m.ice_candidates if c.type == "host"}


async def _offer() -> tuple[RTCPeerConnection, str]:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
    pc.addTrack(AudioStreamTrack())
    with host_addresses(LOOPBACK):
        await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


@pytest.fixture
async def ranged(harness: Harness) -> AsyncIterator[tuple[Relay, tuple[int, int]]]:
    ports = free_udp_range(4)
    relay = Relay(RelayConfig(host_addresses=LOOPBACK, udp_ports=ports), harness.on_offer)
    yield relay, ports
    await relay.close()


async def test_host_candidates_take_distinct_ports_of_the_range(
    ranged: tuple[Relay, tuple[int, int]], harness: Harness
) -> None:
    relay, (low, high) = ranged
    anne, marc = harness.add(Client("anne")), harness.add(Client("marc"))
    answers: list[str] = []
    original = relay.handle_offer

    async def recording(pid: str, sdp: str, labels: object = None) -> str:
        answer = await original(pid, sdp)
        answers.append(answer)
        return answer

    relay.handle_offer = recording  # type: ignore[method-assign]
    await anne.connect(relay, "plenary")
    await marc.connect(relay, "plenary")
    ports = [_host_ports(answer) for answer in answers]
    assert all(len(p) == 1 for p in ports), ports
    assert all(low <= port <= high for p in ports for port in p), (ports, low, high)
    assert ports[0] != ports[1]
    # and media goes through those ports: each hears and sees the other
    assert await wait_for(
        lambda: all(
            a.count(b.pid, label) >= 5
            for a, b in ((anne, marc), (marc, anne))
            for label in ("camera", "microphone")
        ),
        within=15,
    )


async def test_a_full_range_refuses_the_offer_with_a_code(
    harness: Harness, taken_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    relay = Relay(
        RelayConfig(host_addresses=LOOPBACK, udp_ports=(taken_port, taken_port)),
        harness.on_offer,
    )
    pc, sdp = await _offer()
    try:
        await relay.join("jeanne", "plenary")
        with caplog.at_level(logging.ERROR, logger="signaling.relay.relay"):
            with pytest.raises(PortsExhaustedError) as refused:
                await relay.handle_offer("jeanne", sdp)
        assert refused.value.code == ErrorCode.SERVER_BUSY
        assert f"no free UDP port in {taken_port}-{taken_port} on 127.0.0.1" in caplog.text
        assert relay.peer_connection_count == 1  # the stuck one was replaced, not kept
        # the relay goes on: others (and jeanne again) are refused the same way, cleanly
        await relay.join("marc", "plenary")
        for pid in ("jeanne", "marc"):
            with pytest.raises(PortsExhaustedError):
                await relay.handle_offer(pid, sdp)
    finally:
        await pc.close()
        await relay.close()


async def test_a_freed_port_serves_the_next_offer(harness: Harness) -> None:
    held = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    held.bind(("127.0.0.1", 0))
    port = held.getsockname()[1]
    relay = Relay(RelayConfig(host_addresses=LOOPBACK, udp_ports=(port, port)), harness.on_offer)
    pc, sdp = await _offer()
    try:
        await relay.join("jeanne", "plenary")
        with pytest.raises(PortsExhaustedError):
            await relay.handle_offer("jeanne", sdp)
        held.close()
        answer = await relay.handle_offer("jeanne", sdp)  # a fresh peer connection
        assert _host_ports(answer) == {port}
    finally:
        held.close()
        await pc.close()
        await relay.close()


def test_taken_ports_are_skipped_under_uvloop_too() -> None:
    """``palabre serve`` runs on uvloop, whose bind errors carry no errno: a taken port
    must still be skipped, not end the gathering with no candidate."""
    low, high = free_udp_range(4)
    taken = []
    for port in range(low, high):  # all but the last
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        taken.append(s)

    async def gather_five_times() -> list[list[int]]:
        found = []
        for _ in range(5):
            connection = aioice.ice.Connection(ice_controlling=False)
            with host_candidates(LOOPBACK, (low, high)):
                await connection.gather_candidates()
            found.append([c.port for c in connection.local_candidates])
            await connection.close()
        return found

    try:
        assert uvloop.run(gather_five_times()) == [[high]] * 5
    finally:
        for s in taken:
            s.close()
