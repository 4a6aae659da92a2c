"""A real app on a test server with a case, a session and its links, and Socket.IO clients.

Shared by the namespace tests; the fixtures are re-exported by ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestServer

from records.stores.cases import Case, NewParticipant, ParticipantRole
from records.stores.scheduling import ScheduledSession
from server.app import create_app
from server.context import SERVICES, Services
from tests.factories import make_case, make_session
from tests.server.conftest import make_config
from tests.signaling.fakes import FakeRelay

SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"


@dataclass
class World:
    server: TestServer
    relay: FakeRelay
    svc: Services
    case: Case
    session: ScheduledSession
    other_session: ScheduledSession
    mediator_cookie: str
    tokens: dict[str, str]  # participant display name -> token
    url: str


@pytest.fixture
async def world(tmp_path: Path, sqlite_url: str) -> AsyncIterator[World]:
    async with world_on(tmp_path, sqlite_url) as made:
        yield made


def _relays() -> tuple[list[FakeRelay], Callable[[Callable[[str, str], Any]], FakeRelay]]:
    """The relays an app makes, and the factory it makes them with."""
    relays: list[FakeRelay] = []

    def factory(sink: Callable[[str, str], Any]) -> FakeRelay:
        relay = FakeRelay()
        relay.on_offer = sink
        relays.append(relay)
        return relay

    return relays, factory


@contextlib.asynccontextmanager
async def restarted(world: World, tmp_path: Path) -> AsyncIterator[World]:
    """A new app on the same database and key files: what a restart finds."""
    relays, factory = _relays()
    app = await create_app(make_config(tmp_path, world.svc.db.url), relay_factory=factory)
    async with TestServer(app) as server:
        url = str(server.make_url("/")).rstrip("/")
        yield dataclasses.replace(world, server=server, svc=app[SERVICES], url=url, relay=relays[0])


@contextlib.asynccontextmanager
async def world_on(tmp_path: Path, database_url: str, **env: str) -> AsyncIterator[World]:
    """The app on ``database_url`` with a case, its session and links (keys under tmp_path);
    ``env``: more PALABRE_* settings."""
    relays, factory = _relays()
    app = await create_app(make_config(tmp_path, database_url, **env), relay_factory=factory)
    async with TestServer(app) as server:
        svc = app[SERVICES]
        anne = await svc.accounts.create_mediator("anne@example.org", "Anne", "h")
        case = await make_case(svc.db, anne, store=svc.cases)
        session = await make_session(svc.db, case, anne)
        other = await make_session(svc.db, case, anne, timedelta(days=5))
        tokens = {}
        for p in case.participants:
            link = await svc.links.issue(session.id, p.id, anne.id)
            tokens[p.display_name] = svc.links.url_for(link).split("#", 1)[1]
        observer = await svc.cases.add_participant(
            case.id, anne.id, NewParticipant("Olivia Observer", ParticipantRole.OBSERVER)
        )
        link = await svc.links.issue(session.id, observer.id, anne.id)
        tokens[observer.display_name] = svc.links.url_for(link).split("#", 1)[1]
        other_link = await svc.links.issue(other.id, case.participants[0].id, anne.id)
        case = await svc.cases.get_case(case.id, anne.id)
        tokens["other-session"] = svc.links.url_for(other_link).split("#", 1)[1]
        cookie = await svc.accounts.create_auth_session(anne.id, timedelta(hours=1))
        yield World(
            server, relays[0], svc, case, session, other, cookie, tokens,
            str(server.make_url("/")).rstrip("/"),
        )  # fmt: skip


class Client:
    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.batches: list[int] = []  # sizes of the wb:ops messages received
        self.sio.on("*", self._record, namespace="/session")
        self.sio.on("connect_error", self._refused, namespace="/session")

    async def _refused(self, data: Any = None) -> None:
        self.events.append(("connect_error", data))

    async def refused(self, world: World, auth: dict[str, Any], cookie: str | None = None) -> str:
        """The code of a refused connection."""
        with pytest.raises(socketio.exceptions.ConnectionError):
            await self.connect(world, auth, cookie)
        await until(lambda: bool(self.seen("connect_error")))
        code: str = self.seen("connect_error")[0]["data"]["code"]
        return code

    async def _record(self, event: str, data: Any = None) -> None:
        if event == "wb:ops":  # operations stored together arrive together: one entry each here
            self.events.extend(("wb:op", entry) for entry in data["entries"])
            self.batches.append(len(data["entries"]))
        else:
            self.events.append((event, data))

    async def connect(self, world: World, auth: dict[str, Any], cookie: str | None = None) -> None:
        """Connects as a browser would: a link's holder sends the id their browser keeps
        for that link (the same one each time, unless ``auth`` names another device)."""
        if "token" in auth and "device" not in auth:
            auth = {**auth, "device": browser_device(auth["token"])}
        headers = {"Cookie": f"palabre_session={cookie}"} if cookie else {}
        await self.sio.connect(
            world.url, namespaces=["/session"], auth=auth, headers=headers,
            transports=["websocket"], wait_timeout=5,
        )  # fmt: skip

    @property
    def hello(self) -> dict[str, Any]:
        found = self.seen("session:hello")
        assert found, "no session:hello"
        result: dict[str, Any] = found[-1]
        return result

    def view(self) -> dict[str, Any]:
        views = self.seen("room:view")
        assert views, "no room:view"
        result: dict[str, Any] = views[-1]
        return result

    @property
    def room(self) -> str:
        """The room this client was last told it is in."""
        room: str = self.view()["room_id"]
        return room

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        result: dict[str, Any] = await self.sio.call(event, data, namespace="/session", timeout=5)
        return result

    def seen(self, event: str) -> list[Any]:
        return [d for e, d in self.events if e == event]

    async def close(self) -> None:
        await self.sio.disconnect()


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


async def barrier(*people: Client) -> None:
    """Everything the server sent each of ``people`` before now has been received: each asks
    for its own lobby state, and that answer comes after anything emitted to it earlier.
    (Absence is asserted behind this, never after a sleep.)"""
    for person in people:
        before = len(person.seen("lobby:state"))
        assert (await person.call("lobby:knock", {}))["ok"]
        await until(_more(person, "lobby:state", before))


def _more(client: Client, event: str, than: int) -> Callable[[], bool]:
    return lambda: len(client.seen(event)) > than


def browser_device(token: str) -> str:
    """The id a browser keeps for a link (one browser per link in these tests)."""
    return hashlib.sha256(str(token).encode()).hexdigest()[:32]


async def until(predicate: Callable[[], bool], within: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def consent(
    world: World,
    name: str,
    decision: str = "given",
    *,
    observer: bool = True,
    session_id: str | None = None,
) -> None:
    """What the join page records: both purposes against the current French texts
    (for ``world.session`` unless ``session_id`` names another)."""
    records = world.svc.records
    pid = next(p.id for p in world.case.participants if p.display_name == name)
    purposes = [("mediation", "confidentiality"), ("privacy", "privacy")]
    if observer:
        purposes.append(("observer_presence", "confidentiality"))
    for purpose, kind in purposes:
        text = await records.notices.current(kind, "fr")  # type: ignore[arg-type]
        await records.consent.record(
            session_id=session_id or world.session.id,
            participant_id=pid,
            purpose=purpose,
            decision=decision,
            text_version=text.version,
            text_sha256=text.sha256,
            language="fr",
            mechanism={"form": "test"},
            typed_name=name,
        )  # type: ignore[arg-type]


async def enter(world: World, make: Callable[[], Client], name: str) -> Client:
    """A party who consented, connected and knocked (waiting in the lobby)."""
    await consent(world, name)
    c = make()
    await c.connect(world, {"token": world.tokens[name]})
    await until(lambda: bool(c.seen("session:hello")))
    ack = await c.call("lobby:knock", {})
    assert ack == {"ok": True, "state": "waiting"}, ack
    return c


async def back(world: World, make: Callable[[], Client], name: str) -> Client:
    """A party let in before a break or a restart, connecting again from the same browser:
    back in their room at once, nobody lets them in again."""
    c = make()
    await c.connect(world, {"token": world.tokens[name]})
    await until(lambda: bool(c.seen("session:hello")))
    assert c.hello["state"] == "admitted" and c.hello["resumed"], c.hello
    await until(lambda: bool(c.seen("room:view")))
    return c


async def mediator(world: World, make: Callable[[], Client]) -> Client:
    m = make()
    await m.connect(world, {"session_id": world.session.id}, cookie=world.mediator_cookie)
    await until(lambda: bool(m.seen("session:hello")))
    assert (await m.call("lobby:knock", {}))["state"] == "admitted"
    return m


def key(world: World, name: str) -> str:
    return next(f"p-{p.id}" for p in world.case.participants if p.display_name == name)


async def admitted(world: World, make: Callable[[], Client], anne: Client, name: str) -> Client:
    c = await enter(world, make, name)
    assert (await anne.call("lobby:admit", {"key": key(world, name)}))["ok"]
    await until(lambda: any(v.get("room_id") == "plenary" for v in c.seen("room:view")))
    return c


async def three(world: World, make: Callable[[], Client]) -> tuple[Client, Client, Client]:
    anne = await mediator(world, make)
    jeanne = await admitted(world, make, anne, "Jeanne Dupont")
    marc = await admitted(world, make, anne, "Marc Durand")
    return anne, jeanne, marc
