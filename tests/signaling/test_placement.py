"""A live session runs on the node that holds its lease: the others send its sockets there,
and a node that loses the lease, or stops, lets go of the session at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import socketio

from server.realtime import NAMESPACE_KEY
from signaling.live import LiveHub
from signaling.placement import Claim, LocalPlacement, LostLease
from tests.signaling.world import Client, World, browser_device, consent, mediator, three, until


class HeldElsewhere:
    """Another node (``holder``) holds every session."""

    def __init__(self, holder: str) -> None:
        self.node_id = "here"
        self._holder = holder
        self.claims: list[str] = []

    async def holder(self, session_id: str) -> str | None:
        return self._holder

    async def claim(self, session_id: str) -> Claim:
        self.claims.append(session_id)
        return Claim(self._holder, mine=False)

    async def release(self, session_id: str) -> None:
        raise AssertionError("never held")

    def on_lost(self, callback: LostLease) -> None:
        return None

    def drain(self) -> None:
        return None


class Recording(LocalPlacement):
    def __init__(self) -> None:
        super().__init__("here")
        self.released: list[str] = []

    async def release(self, session_id: str) -> None:
        self.released.append(session_id)


def _hub(world: World) -> LiveHub:
    return world.server.app[NAMESPACE_KEY].hub


async def _refusal(world: World, token: str, query: str = "") -> dict[str, str]:
    client = socketio.AsyncClient(reconnection=False)
    refused: list[dict[str, str]] = []
    client.on("connect_error", lambda data: refused.append(data), namespace="/session")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            world.url + query, namespaces=["/session"], transports=["websocket"],
            auth={"token": token, "device": browser_device(token)}, wait_timeout=5,
        )  # fmt: skip
    await until(lambda: bool(refused))
    await client.disconnect()
    return refused[0]["data"]


async def test_a_session_held_by_another_node_is_refused_with_its_name(world: World) -> None:
    hub = _hub(world)
    placement = HeldElsewhere("n2")
    hub.placement = placement
    await consent(world, "Jeanne Dupont")
    token = world.tokens["Jeanne Dupont"]
    assert await _refusal(world, token) == {"code": "session_elsewhere", "node": "n2"}
    assert placement.claims == [world.session.id]
    assert hub.session(world.session.id) is None  # nothing run here
    assert len(hub.connections) == 0


async def test_sent_to_the_holder_but_landed_elsewhere_is_told_to_retry(world: World) -> None:
    """nginx sends a hinted socket to another node when the holder is down: that node says
    "moving" (retry shortly) rather than sending the client back to a dead node."""
    _hub(world).placement = HeldElsewhere("n2")
    await consent(world, "Jeanne Dupont")
    token = world.tokens["Jeanne Dupont"]
    refusal = await _refusal(world, token, "/?node=n2")
    assert refusal == {"code": "session_moving", "node": "n2"}
    assert (await _refusal(world, token, "/?node=n3"))["code"] == "session_elsewhere"


async def test_the_hello_names_the_node(world: World, clients: Callable[[], Client]) -> None:
    anne = await mediator(world, clients)
    assert anne.hello["node"] == _hub(world).placement.node_id


async def test_a_lost_lease_drops_the_session_and_sends_everyone_away(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    hub = _hub(world)
    assert world.relay.rooms  # the relay forwards their media
    await hub.lost(world.session.id)
    for person in (anne, jeanne, marc):
        await until(lambda p=person: not p.sio.connected)  # type: ignore[misc]
        assert person.seen("session:moving") == [{}]
    assert hub.session(world.session.id) is None
    assert len(hub.connections) == 0
    assert not world.relay.rooms


async def test_a_draining_node_hands_its_sessions_over_and_takes_none(
    world: World, clients: Callable[[], Client]
) -> None:
    hub = _hub(world)
    placement = Recording()
    hub.placement = placement
    anne, jeanne, _ = await three(world, clients)
    await hub.drain()
    assert placement.released == [world.session.id]
    for person in (anne, jeanne):
        await until(lambda p=person: not p.sio.connected)  # type: ignore[misc]
        assert person.seen("session:moving") == [{}]
    assert hub.session(world.session.id) is None
    refusal = await _refusal(world, world.tokens["Jeanne Dupont"])
    assert refusal == {"code": "session_moving", "node": "here"}


async def test_an_idle_session_gives_its_lease_up(
    world: World, clients: Callable[[], Client]
) -> None:
    hub = _hub(world)
    placement = Recording()
    hub.placement = placement
    anne = await mediator(world, clients)
    await anne.close()
    await until(lambda: hub.session(world.session.id) is None, within=5)
    await until(lambda: placement.released == [world.session.id], within=2)
