"""A PostgreSQL outage in the middle of a session: drawing, chat and uploads go on around it.

Every backend of the test database is terminated and new connections are
refused for a few seconds while three people draw and two share documents.
Afterwards, and after a restart on the same database, everyone can join,
every acknowledged drawing is on the board and every document answered 201 on
the table, nothing refused is visible, and the stored boards verify.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from records.stores.casefile import ItemKind
from tests.conftest import _pg_admin, pg_admin, pg_url
from tests.server.browserlike import BrowserHttp
from tests.signaling.world import (
    Client,
    World,
    admitted,
    back,
    mediator,
    restarted,
    until,
    world_on,
)

OUTAGE_SECONDS = 3.0


def stroke(obj_id: str) -> dict[str, Any]:
    points = [[10.0, 20.0], [11.0, 21.0], [12.0, 22.0]]
    return {"type": "stroke", "id": obj_id, "points": points, "color": "#1f2937", "width": 2.0}


@pytest.fixture
def pg_database(pg_template: str) -> Any:
    name = f"palabre_f_{secrets.token_hex(6)}"
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        yield name
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def outage(name: str) -> None:
    """Connections refused, every backend of the database killed, then back."""
    await _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    kill = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s'"
    await _pg_admin(kill % name + " AND pid <> pg_backend_pid()")
    await asyncio.sleep(OUTAGE_SECONDS)
    await _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


class Drawer:
    def __init__(self, client: Client, name: str) -> None:
        self.client = client
        self.name = name
        self.acked: set[str] = set()
        self.refused: set[str] = set()
        self.chat_acked = 0

    async def draw(self, stop: asyncio.Event, lane: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            obj_id = f"{self.name}{lane}-{n}"
            ack = await self.client.call("wb:op", {"op": stroke(obj_id)})
            if ack["ok"]:
                self.acked.add(obj_id)
            elif ack["error"]["code"] == "rate_limited":  # faster than a person: wait a bit
                await asyncio.sleep(0.05)
            else:
                assert ack["error"]["code"] == "not_stored", ack
                self.refused.add(obj_id)
                await asyncio.sleep(0.01)
            if n % 10 == 0:
                message = {"text": f"message {n}", "room_id": "plenary"}
                chat = await self.client.call("chat:send", message)
                self.chat_acked += bool(chat["ok"])


class Uploader(BrowserHttp):
    """Shares small text documents one after the other, as a person would."""

    def __init__(self, world: World, name: str) -> None:
        super().__init__(world, token=world.tokens[name])
        self.prefix = name.split()[0].lower()
        self.acked: dict[str, str] = {}  # title -> doc_id, answered 201
        self.refused: set[str] = set()  # titles answered anything else
        self.statuses: set[int] = set()
        self.codes: set[str] = set()

    async def upload(self, title: str) -> None:
        url = f"{self.world.url}/api/sessions/{self.world.session.id}/documents"
        headers = self.headers(True, **{"X-Filename": title})
        body = f"Pièce {title}\n".encode()
        try:
            async with self.session.post(url, data=body, headers=headers) as r:
                status, answer = r.status, await r.json()
        except aiohttp.ClientError:  # no answer at all: as good as refused
            status, answer = 0, None
        self.statuses.add(status)
        if status == 201:
            assert answer["title"] == title, answer
            self.acked[title] = answer["doc_id"]
        else:
            self.refused.add(title)
            if answer is not None:
                self.codes.add(answer["error"]["code"])

    async def run(self, stop: asyncio.Event) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            await self.upload(f"{self.prefix}-{n}.txt")
            await asyncio.sleep(0.1)  # a person, not a flood (the cap is 200 a session)


async def titles(client: Client) -> set[str]:
    listed = await client.call("doc:list", {})
    assert listed["ok"], listed
    return {d["title"] for d in listed["documents"]}


async def board_ids(client: Client) -> set[str]:
    sync = await client.call("wb:sync", {})
    assert sync["ok"], sync
    return {o["id"] for o in sync["snapshot"]["objects"]}


async def verified(world: World) -> None:
    checks = await world.svc.records.journal.verify()
    assert checks and all(c.ok for c in checks), [c.problems for c in checks]
    for log in (world.svc.records.consent, world.svc.records.audit):
        assert (await log.verify()).ok


async def test_a_database_outage_mid_session_loses_nothing_acknowledged_and_shows_nothing_refused(
    tmp_path: Path, pg_database: str, clients: Callable[[], Client]
) -> None:
    async with world_on(tmp_path, pg_url(pg_database)) as world:
        anne = await mediator(world, clients)
        jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
        marc = await admitted(world, clients, anne, "Marc Durand")
        drawers = [Drawer(anne, "a"), Drawer(jeanne, "j"), Drawer(marc, "m")]
        stop = asyncio.Event()
        uploaders = [
            await Uploader(world, name).prime() for name in ("Jeanne Dupont", "Marc Durand")
        ]
        drawing = [  # three operations in flight per person, as a fast pen sends them
            asyncio.create_task(d.draw(stop, lane)) for d in drawers for lane in range(3)
        ] + [asyncio.create_task(u.run(stop)) for u in uploaders]
        await until(lambda: all(len(d.acked) >= 10 for d in drawers), within=10)
        await until(lambda: all(u.acked for u in uploaders), within=10)
        await outage(pg_database)
        before = sum(len(d.acked) for d in drawers)
        shared_before = sum(len(u.acked) for u in uploaders)
        # the session comes back by itself: drawings and documents are stored again
        await until(lambda: sum(len(d.acked) for d in drawers) >= before + 30, within=15)
        await until(lambda: sum(len(u.acked) for u in uploaders) >= shared_before + 4, within=10)
        stop.set()
        await asyncio.gather(*drawing)
        acked = set().union(*(d.acked for d in drawers))
        refused = set().union(*(d.refused for d in drawers))
        assert refused, "the outage refused nothing: it did not happen"
        assert all(d.chat_acked for d in drawers)
        shared = {t: i for u in uploaders for t, i in u.acked.items()}
        not_shared = set().union(*(u.refused for u in uploaders))
        assert not_shared, "the outage refused no upload: it did not happen"
        # refused with a clear "try again", never a 500
        assert set().union(*(u.statuses for u in uploaders)) <= {201, 503}
        assert set().union(*(u.codes for u in uploaders)) <= {"server_busy"}
        for u in uploaders:
            await u.close()

        # someone joining now sees exactly what was acknowledged
        again = clients()
        await again.connect(world, {"session_id": world.session.id}, world.mediator_cookie)
        await until(lambda: bool(again.seen("session:hello")))
        assert (await again.call("lobby:knock", {}))["state"] == "admitted"
        assert await board_ids(again) == acked
        assert await board_ids(jeanne) == acked
        # every document answered 201 is on the table, nothing refused is, for anyone
        for c in (again, jeanne, marc):  # ``again`` took the mediator's seat
            assert await titles(c) == set(shared)
        stored = await world.svc.records.casefile.list_items(
            world.case.id, kinds={ItemKind.DOCUMENT}, session_id=world.session.id
        )
        assert {i.id for i in stored} == set(shared.values())
        await verified(world)
        for c in (anne, again, jeanne, marc):  # before the server stops
            if c.sio.connected:
                await c.close()

    async with restarted(world, tmp_path) as world:
        anne = await mediator(world, clients)
        assert await board_ids(anne) == acked
        jeanne = await back(world, clients, "Jeanne Dupont")  # not let in again
        assert await board_ids(jeanne) == acked
        for c in (anne, jeanne):
            assert await titles(c) == set(shared)
        reader = await BrowserHttp(world, token=world.tokens["Jeanne Dupont"]).prime()
        try:
            for title, doc_id in shared.items():
                url = f"{world.url}/api/sessions/{world.session.id}/documents/{doc_id}/content"
                async with reader.session.get(url, headers=reader.headers(False)) as r:
                    assert r.status == 200 and (await r.read()) == f"Pièce {title}\n".encode()
        finally:
            await reader.close()
        ack = await jeanne.call("wb:op", {"op": stroke("after-restart")})
        assert ack["ok"], ack
        await verified(world)
        await jeanne.close()
        await anne.close()
