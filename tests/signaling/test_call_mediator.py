"""A party on hold during a private meeting: the plenary chat refuses them (nobody would read
it), and they can call the mediator, which only the mediators learn of; a flood of calls is
rate limited. Over real sockets; absence asserted behind a barrier."""

from __future__ import annotations

from collections.abc import Callable

from tests.signaling import world as ns
from tests.signaling.test_confidentiality import in_room, open_private
from tests.signaling.world import Client, World, barrier, key, three, until

world = ns.world
clients = ns.clients


async def test_a_party_on_hold_cannot_chat_and_calls_the_mediator_who_alone_is_told(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    jk, mk = key(world, "Jeanne Dupont"), key(world, "Marc Durand")
    room = await open_private(anne, jk)
    await in_room(jeanne, room)
    await until(lambda: bool(marc.view().get("on_hold")))
    # on hold in the plenary: what Marc would type there is refused, not lost unread
    sent = await marc.call("chat:send", {"text": "il y a quelqu'un ?", "room_id": "plenary"})
    assert not sent["ok"] and sent["error"]["code"] == "forbidden", sent

    assert (await marc.call("lobby:call", {}))["ok"]
    await until(lambda: bool(anne.seen("lobby:called")))
    assert anne.seen("lobby:called") == [{"participant_id": mk, "on_hold": True}]
    await barrier(jeanne, marc)
    assert not jeanne.seen("lobby:called") and not marc.seen("lobby:called")

    # a mediator does not call themselves; a second call is fine, a flood is slowed down
    refused = await anne.call("lobby:call", {})
    assert not refused["ok"] and refused["error"]["code"] == "forbidden", refused
    acks = [await marc.call("lobby:call", {}) for _ in range(5)]
    assert acks[0]["ok"]
    assert {a["error"]["code"] for a in acks[1:]} == {"rate_limited"}, acks
    assert not (await marc.call("lobby:call", {"why": "x"}))["ok"]  # unknown field
    await barrier(anne)
    assert len(anne.seen("lobby:called")) == 2
    entries = await world.svc.records.audit.for_case(world.case.id, 200, None)
    calls = [e for e in entries if e.action == "lobby.call"]
    assert len(calls) == 2, [e.action for e in entries]
