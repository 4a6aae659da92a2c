"""The /session namespace over a real socket: authentication, validation, acks, presence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestServer

from records.cases import Case
from records.scheduling import ScheduledSession
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
    relays: list[FakeRelay] = []

    def factory(sink: Callable[[str, str], Any]) -> FakeRelay:
        relay = FakeRelay()
        relay.on_offer = sink
        relays.append(relay)
        return relay

    app = await create_app(make_config(tmp_path, sqlite_url), relay_factory=factory)
    async with TestServer(app) as server:
        svc = app[SERVICES]
        anne = await svc.accounts.create_mediator("anne@example.org", "Anne", "h")
        case = await make_case(svc.db, anne)
        session = await make_session(svc.db, case, anne)
        other = await make_session(svc.db, case, anne, timedelta(days=5))
        tokens = {}
        for p in case.participants:
            link = await svc.links.issue(session.id, p.id, anne.id)
            tokens[p.display_name] = svc.links.url_for(link).split("#", 1)[1]
        other_link = await svc.links.issue(other.id, case.participants[0].id, anne.id)
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
        self.events.append((event, data))

    async def connect(self, world: World, auth: dict[str, Any], cookie: str | None = None) -> None:
        headers = {"Cookie": f"palabre_session={cookie}"} if cookie else {}
        await self.sio.connect(
            world.url, namespaces=["/session"], auth=auth, headers=headers,
            transports=["websocket"], wait_timeout=5,
        )  # fmt: skip

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


async def until(predicate: Callable[[], bool], within: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_party_joins_and_negotiates(world: World, clients: Callable[[], Client]) -> None:
    jeanne = clients()
    await jeanne.connect(world, {"token": world.tokens["Jeanne Dupont"]})
    ack = await jeanne.call("room:join", {})
    assert ack["ok"] is True
    pid = world.case.participants[0].id
    assert ack["self"]["key"] == f"p-{pid}"
    assert ack["self"]["role"] == "party" and ack["self"]["display_name"] == "Jeanne Dupont"
    assert ack["relay_id"] == f"{world.session.id}.p-{pid}"
    assert world.relay.rooms[ack["relay_id"]] == f"{world.session.id}.plenary"
    answer = await jeanne.call("rtc:offer", {"sdp": SDP, "labels": {"0": "camera"}})
    assert answer == {"ok": True, "sdp": "v=0\r\nanswer-for-" + ack["relay_id"]}
    cand = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}
    assert (await jeanne.call("rtc:candidate", {"candidate": cand}))["ok"]
    assert (await jeanne.call("rtc:candidate", {"candidate": None}))["ok"]


async def test_members_see_each_other_come_and_go(
    world: World, clients: Callable[[], Client]
) -> None:
    jeanne, marc = clients(), clients()
    await jeanne.connect(world, {"token": world.tokens["Jeanne Dupont"]})
    await jeanne.call("room:join")
    await marc.connect(world, {"token": world.tokens["Marc Durand"]})
    ack = await marc.call("room:join", {})
    assert [m["display_name"] for m in ack["members"]] == ["Jeanne Dupont"]
    await until(lambda: len(jeanne.seen("room:member")) == 1)
    assert jeanne.seen("room:member")[0]["display_name"] == "Marc Durand"
    assert (await marc.call("media:state", {"audio": False, "video": True, "screen": False}))["ok"]
    await until(lambda: len(jeanne.seen("room:member")) == 2)
    assert jeanne.seen("room:member")[1]["audio"] is False
    await marc.close()
    await until(lambda: len(jeanne.seen("room:left")) == 1)
    assert jeanne.seen("room:left")[0] == {"key": f"p-{world.case.participants[1].id}"}
    assert ("leave", f"{world.session.id}.p-{world.case.participants[1].id}") in world.relay.calls


async def test_mediator_joins_with_the_sign_in_cookie(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = clients()
    await anne.connect(world, {"session_id": world.session.id}, cookie=world.mediator_cookie)
    ack = await anne.call("room:join", {})
    assert ack["self"]["role"] == "mediator" and ack["self"]["key"].startswith("m-")


@pytest.mark.parametrize(
    ("auth", "cookie", "code"),
    [
        ({}, None, "not_authenticated"),
        ({"token": "not-a-token"}, None, "link_invalid"),
        ({"session_id": "x" * 24}, "stolen-or-expired", "not_authenticated"),
        ({"token": 42}, None, "not_authenticated"),
    ],
)
async def test_refused_connections(
    world: World, clients: Callable[[], Client], auth: dict[str, Any], cookie: str | None, code: str
) -> None:
    assert await clients().refused(world, auth, cookie) == code


async def test_mediator_of_another_session_is_refused(
    world: World, clients: Callable[[], Client]
) -> None:
    bob = await world.svc.accounts.create_mediator("bob@example.org", "Bob", "h")
    cookie = await world.svc.accounts.create_auth_session(bob.id, timedelta(hours=1))
    assert await clients().refused(world, {"session_id": world.session.id}, cookie) == "forbidden"


async def test_revoked_link_is_refused(world: World, clients: Callable[[], Client]) -> None:
    info = await world.svc.links.resolve(world.tokens["Marc Durand"])
    anne_id = world.case.mediators[0].id
    await world.svc.schedule.revoke_link(info.link.jti, anne_id)
    code = await clients().refused(world, {"token": world.tokens["Marc Durand"]})
    assert code == "link_revoked"


async def test_a_token_of_another_session_joins_only_that_session(
    world: World, clients: Callable[[], Client]
) -> None:
    insider, outsider = clients(), clients()
    await insider.connect(world, {"token": world.tokens["Marc Durand"]})
    await insider.call("room:join")
    await outsider.connect(world, {"token": world.tokens["other-session"]})
    ack = await outsider.call("room:join")
    assert ack["members"] == []
    assert world.relay.rooms[ack["relay_id"]] == f"{world.other_session.id}.plenary"
    await asyncio.sleep(0.1)
    assert insider.seen("room:member") == []


async def test_events_before_join_and_bad_payloads(
    world: World, clients: Callable[[], Client]
) -> None:
    c = clients()
    await c.connect(world, {"token": world.tokens["Jeanne Dupont"]})
    for event in ["rtc:offer", "rtc:answer", "rtc:candidate", "media:state", "room:leave"]:
        data = {"sdp": SDP} if event.startswith("rtc:o") or event == "rtc:answer" else None
        if event == "rtc:candidate":
            data = {"candidate": None}
        if event == "media:state":
            data = {"audio": True, "video": True, "screen": False}
        ack = await c.call(event, data)
        assert ack == {
            "ok": False,
            "error": {"code": "not_joined", "message": ack["error"]["message"]},
        }
    assert not [call for call in world.relay.calls if call[0] != "leave"]
    await c.call("room:join")
    bad = [
        ("rtc:offer", {"sdp": SDP, "extra": 1}),
        ("rtc:offer", {"sdp": 5}),
        ("rtc:offer", {"sdp": "v" * (70 * 1024)}),
        ("rtc:offer", {"sdp": SDP, "labels": {"0": "tv"}}),
        ("rtc:offer", [SDP]),
        ("rtc:offer", "v=0"),
        ("rtc:candidate", {"candidate": {"candidate": "x", "sdpMLineIndex": "0"}}),
        ("media:state", {"audio": "yes", "video": True, "screen": False}),
    ]
    for event, data in bad:
        ack = await c.call(event, data)
        assert ack["ok"] is False and ack["error"]["code"] == "validation_error", (event, data)
    assert (await c.call("room:join"))["error"]["code"] == "conflict"
    assert (await c.call("rtc:offer", {"sdp": "garbage"}))["error"]["code"] == "bad_sdp"
    assert (await c.call("nope:event", {}))["error"]["code"] == "bad_request"
    assert (await c.call("rtc:offer", {"sdp": SDP}))["ok"]  # still usable afterwards


async def test_second_tab_replaces_the_first(world: World, clients: Callable[[], Client]) -> None:
    first, second = clients(), clients()
    await first.connect(world, {"token": world.tokens["Jeanne Dupont"]})
    await first.call("room:join")
    await second.connect(world, {"token": world.tokens["Jeanne Dupont"]})
    await until(lambda: bool(first.seen("session:replaced")))
    await until(lambda: not first.sio.connected)
    ack = await second.call("room:join")
    assert ack["ok"]
    rid = ack["relay_id"]
    assert world.relay.rooms[rid] == f"{world.session.id}.plenary"
    assert world.relay.calls.count(("join", rid)) == 2


async def test_relay_offers_reach_only_their_participant(
    world: World, clients: Callable[[], Client]
) -> None:
    jeanne, marc = clients(), clients()
    await jeanne.connect(world, {"token": world.tokens["Jeanne Dupont"]})
    await marc.connect(world, {"token": world.tokens["Marc Durand"]})
    ack = await jeanne.call("room:join")
    await marc.call("room:join")
    assert world.relay.on_offer is not None
    await world.relay.on_offer(ack["relay_id"], "v=0\r\nrenegotiate")
    await until(lambda: bool(jeanne.seen("rtc:offer")))
    assert jeanne.seen("rtc:offer") == [{"sdp": "v=0\r\nrenegotiate"}]
    await asyncio.sleep(0.1)
    assert marc.seen("rtc:offer") == []
    assert (await jeanne.call("rtc:answer", {"sdp": "v=0\r\nanswer"}))["ok"]


async def test_ended_session_refuses_the_mediator(
    world: World, clients: Callable[[], Client]
) -> None:
    from sqlalchemy import update

    from records.models import SessionRow

    async with world.svc.db.transaction() as s:
        await s.execute(
            update(SessionRow).where(SessionRow.id == world.session.id).values(status="ended")
        )
    code = await clients().refused(world, {"session_id": world.session.id}, world.mediator_cookie)
    assert code == "session_closed"
