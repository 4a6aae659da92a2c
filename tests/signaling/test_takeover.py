"""A live session picked up by another process (a restart, another node) carries on where it
stood, from what was stored as it changed: the people let in come back into their own room
without being let in again, a private meeting stays private, the removed stay out, the
waiting still wait, the lock holds. On SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.signaling.world import (
    Client,
    World,
    admitted,
    back,
    barrier,
    enter,
    key,
    mediator,
    restarted,
    until,
    world_on,
)

SECRET = "notre plancher : 25 000 euros"


@pytest.fixture
async def world(tmp_path: Path, db_url: str) -> AsyncIterator[World]:
    async with world_on(tmp_path, db_url) as made:
        yield made


@pytest.fixture
async def clients() -> AsyncIterator[Callable[[], Client]]:
    made: list[Client] = []

    def make() -> Client:
        c = Client()
        made.append(c)
        return c

    yield make
    for c in made:
        if c.sio.connected:
            await c.close()


async def in_room(client: Client, room: str) -> None:
    await until(lambda: bool(client.seen("room:view")) and client.view()["room_id"] == room)


async def test_after_a_restart_everyone_is_back_where_they_were_without_being_let_in_again(
    world: World, clients: Callable[[], Client], tmp_path: Path
) -> None:
    jk, mk = key(world, "Jeanne Dupont"), key(world, "Marc Durand")
    pk, ok_ = key(world, "Me Paul Girard"), key(world, "Olivia Observer")
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    marc = await admitted(world, clients, anne, "Marc Durand")
    paul = await admitted(world, clients, anne, "Me Paul Girard")
    olivia = await enter(world, clients, "Olivia Observer")  # waits in the lobby
    ack = await anne.call("caucus:open", {"members": [jk], "label": "Aparté"})
    assert ack["ok"], ack
    caucus = ack["room_id"]
    await in_room(jeanne, caucus)
    assert (await anne.call("participant:remove", {"key": pk}))["ok"]
    assert (await anne.call("room:lock", {"locked": True}))["ok"]
    await until(lambda: not paul.sio.connected, within=5)
    for c in (anne, jeanne, marc, olivia):
        await c.close()

    async with restarted(world, tmp_path) as world:
        anne = await mediator(world, clients)  # the mediator enters directly, as ever
        await in_room(anne, caucus)
        jeanne = await back(world, clients, "Jeanne Dupont")
        assert jeanne.room == caucus
        marc = await back(world, clients, "Marc Durand")
        assert marc.room == "plenary"
        # the removed stay out
        code = await clients().refused(world, {"token": world.tokens["Me Paul Girard"]})
        assert code in {"link_revoked", "forbidden"}
        # the waiting still wait, and nobody else does
        olivia = clients()
        await olivia.connect(world, {"token": world.tokens["Olivia Observer"]})
        await until(lambda: bool(olivia.seen("session:hello")))
        assert olivia.hello["state"] == "waiting"
        await until(lambda: any(m["waiting"] for m in anne.seen("lobby:waiting")))
        waiting = anne.seen("lobby:waiting")[-1]["waiting"]  # the panel's list
        assert [w["participant_id"] for w in waiting] == [ok_]
        listing = await anne.call("lobby:list", {})
        states = {p["key"]: p["state"] for p in listing["participants"]}
        assert states[jk] == states[mk] == "admitted"
        assert states[pk] == "removed" and states[ok_] == "waiting"
        overview = anne.seen("room:overview")[-1]
        assert overview["locked"] is True
        rooms = {r["room_id"]: r for r in overview["rooms"]}
        assert set(rooms) == {"plenary", caucus} and rooms[caucus]["label"] == "Aparté"
        assert set(rooms[caucus]["members"]) == {jk, anne.hello["self"]["key"]}
        # the lock holds: Marc, leaving and knocking again, is refused
        assert (await marc.call("room:leave", {}))["ok"]
        assert (await marc.call("lobby:knock", {}))["error"]["code"] == "room_locked"
        assert (await anne.call("room:lock", {"locked": False}))["ok"]
        assert (await marc.call("lobby:knock", {}))["state"] == "waiting"
        assert (await anne.call("lobby:admit", {"key": mk}))["ok"]
        await in_room(marc, "plenary")
        # the private meeting is still private: Marc receives nothing of it
        said = await jeanne.call("chat:send", {"text": SECRET, "room_id": caucus})
        assert said["ok"], said
        await until(lambda: any(SECRET in repr(d) for _e, d in anne.events))
        await barrier(marc, olivia)
        assert not any(SECRET in repr(d) for _e, d in marc.events)
        assert not any(SECRET in repr(d) for _e, d in olivia.events)
        for c in (anne, jeanne, marc, olivia):  # before the server stops
            await c.close()
