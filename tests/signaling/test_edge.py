"""The Socket.IO edge: reserved names, refused connections and undecodable frames."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from itertools import count
from typing import Any

import aiohttp
import pytest

from errors import ErrorCode
from server.realtime import NAMESPACE_KEY
from signaling.edge import EdgeLog
from signaling.namespace import SessionNamespace
from tests.dbfaults import table_away
from tests.signaling.raw import NAMESPACE, RawSocket
from tests.signaling.world import Client, World, admitted, consent, key, mediator, until

_sentinels = count()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def namespace_of(world: World) -> SessionNamespace:
    return world.server.app[NAMESPACE_KEY]


async def raw_party(world: World, http: aiohttp.ClientSession, name: str) -> RawSocket:
    raw = RawSocket(http)
    await raw.connect(world.url, {"token": world.tokens[name]})
    assert raw.sid is not None, raw.connect_error
    await until(lambda: bool(raw.seen("session:hello")))
    return raw


async def echo(sender: Client, receiver: Client) -> None:
    """Barrier: a chat message from ``sender`` reaches ``receiver`` (the room still works)."""
    text = f"sentinel {next(_sentinels)}"
    ack = await sender.call("chat:send", {"text": text, "room_id": sender.room})
    assert ack["ok"], ack
    await until(lambda: any(m.get("text") == text for m in receiver.seen("chat:message")))


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


# -- issue 14, finding 6: reserved events ---------------------------------------------------


async def test_clients_cannot_send_the_reserved_connect_and_disconnect_events(
    world: World, clients: Callable[[], Client], http: aiohttp.ClientSession
) -> None:
    anne = await mediator(world, clients)
    marc = await admitted(world, clients, anne, "Marc Durand")
    await consent(world, "Jeanne Dupont")
    jeanne = await raw_party(world, http, "Jeanne Dupont")
    assert (await jeanne.call("lobby:knock", {}))[0]["ok"]
    assert (await anne.call("lobby:admit", {"key": key(world, "Jeanne Dupont")}))["ok"]
    await until(lambda: bool(jeanne.seen("room:view")))
    hellos = len(jeanne.seen("session:hello"))
    cookie = f"palabre_session={world.mediator_cookie}"
    hostile: list[list[Any]] = [
        ["disconnect"],
        ["disconnect", "client namespace disconnect"],
        ["connect", {"HTTP_COOKIE": cookie}, {"session_id": world.session.id}],
        ["connect", {}, {"token": world.tokens["Marc Durand"]}],
        ["connect_error", {}],
        ["message", "hello"],
    ]
    for body in hostile:
        ack = await jeanne.call(*body)
        assert ack[0]["ok"] is False and ack[0]["error"]["code"] == "bad_request", (body, ack)
    # still Jeanne, still connected, still in the room: her presence and identity are intact
    ns = namespace_of(world)
    identity = ns.hub.connections.get(jeanne.sid or "")
    assert identity is not None and identity.key == key(world, "Jeanne Dupont")
    assert (await jeanne.call("lobby:admit", {"key": key(world, "Marc Durand")}))[0]["error"][
        "code"
    ] == "forbidden"  # not a mediator: the chosen cookie did nothing
    text = "still here"
    assert (await jeanne.call("chat:send", {"text": text, "room_id": "plenary"}))[0]["ok"]
    await until(lambda: any(m.get("text") == text for m in marc.seen("chat:message")))
    assert len(jeanne.seen("session:hello")) == hellos
    assert all(m["reconnecting"] is False for m in marc.view()["members"])


# -- issue 14, finding 6: a failing connect refuses cleanly -----------------------------------


async def test_a_declined_person_reconnecting_is_refused_with_nothing_left_behind(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    await consent(world, "Marc Durand")
    marc = clients()
    await marc.connect(world, {"token": world.tokens["Marc Durand"]})
    await until(lambda: bool(marc.seen("session:hello")))
    assert (await marc.call("lobby:knock", {}))["ok"]
    k_marc = key(world, "Marc Durand")
    assert (await anne.call("lobby:decline", {"key": k_marc}))["ok"]
    await until(lambda: not marc.sio.connected)
    ns = namespace_of(world)
    before = len(ns.hub.connections)
    code = await clients().refused(world, {"token": world.tokens["Marc Durand"]})
    assert code == "link_revoked"  # declining revoked the link: stored, so it holds
    assert len(ns.hub.connections) == before
    assert not ns.hub.connections.of(world.session.id, k_marc)
    assert world.session.id in ns.hub._live
    assert k_marc not in ns.hub._live[world.session.id].sids
    await echo(anne, anne)  # the session goes on


async def test_an_unexpected_error_while_connecting_refuses_with_a_code(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    ns = namespace_of(world)
    async with table_away(world.svc.db, "consent_log"):  # her consent cannot be read
        code = await clients().refused(world, {"token": world.tokens["Jeanne Dupont"]})
    assert code == ErrorCode.INTERNAL.value
    k_jeanne = key(world, "Jeanne Dupont")
    assert not ns.hub.connections.of(world.session.id, k_jeanne)
    assert ns.hub.seat_of(world.session.id, k_jeanne) is None
    await echo(anne, anne)


async def test_a_client_gone_while_authenticated_leaves_no_connection_behind(
    world: World, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client leaves while the server is still accepting it (here: sending the hello)."""
    ns = namespace_of(world)
    release, entered, handled = asyncio.Event(), asyncio.Event(), asyncio.Event()
    emit, on_connect = ns.emit, ns.on_connect

    async def slow_emit(event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "session:hello":
            entered.set()
            await release.wait()
        return await emit(event, *args, **kwargs)

    async def connect(*args: Any) -> None:
        try:
            await on_connect(*args)
        finally:
            handled.set()

    monkeypatch.setattr(ns, "emit", slow_emit)
    monkeypatch.setattr(ns, "on_connect", connect)
    await consent(world, "Jeanne Dupont")
    raw = RawSocket(http)
    await raw.open(world.url)
    await raw.send(f'40{NAMESPACE},{{"token": "{world.tokens["Jeanne Dupont"]}"}}')
    await entered.wait()
    await raw.close()
    release.set()
    await asyncio.wait_for(handled.wait(), 5)
    k_jeanne = key(world, "Jeanne Dupont")
    await until(lambda: not ns.hub.connections.of(world.session.id, k_jeanne))
    live = ns.hub._live.get(world.session.id)
    await until(lambda: live is None or k_jeanne not in live.sids)


# -- issue 15, finding 6: undecodable frames ----------------------------------------------------

UNDECODABLE = [
    "NaN",
    '"\\ud800"',
    "[",
    "[" * 1100 + "]" * 1100,
    "[]",
    "[42]",
    '[{"a": 1}]',
    "[null]",
    '["chat:send", {}, {}]',
    '"chat:send"',
    '["chat:send", NaN]',
    '["Chat:Send"]',
    '["a:b:c"]',
    '["' + "x" * 300 + ':y"]',
    "{}",
    "",
]


async def test_undecodable_frames_get_an_error_ack_and_no_traceback(
    world: World,
    clients: Callable[[], Client],
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO")
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    await consent(world, "Marc Durand")
    raw = await raw_party(world, http, "Marc Durand")
    for body in UNDECODABLE:
        ack = await raw.call_raw(body)
        assert ack[0]["ok"] is False and ack[0]["error"]["code"] == "bad_request", (body, ack)
    assert (await raw.call("lobby:knock", {}))[0]["ok"]
    await echo(jeanne, anne)
    assert tracebacks(caplog) == []


HOSTILE_FRAMES: list[str | bytes] = [
    "4x",
    "49",
    "47",
    f"44{NAMESPACE},{{}}",
    f"43{NAMESPACE},5[1]",
    f"42{NAMESPACE}," + "1" * 120 + "[]",
    f'451-{NAMESPACE},10["chat:send",{{"_placeholder":true,"num":0}}]',
    b"\x00\x01binary",
    f"42{NAMESPACE}",
    f"40{NAMESPACE},{{",
    '42/other,1["chat:send",{"text":"x"}]',
    "",
    "x",
    "9",
    "7x",
    "0",
]


async def test_hostile_frames_are_dropped_with_short_bounded_log_lines(
    world: World,
    clients: Callable[[], Client],
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO")
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    await consent(world, "Marc Durand")
    raw = await raw_party(world, http, "Marc Durand")
    for frame in HOSTILE_FRAMES:
        await raw.send(frame)
    # barrier on the same socket: everything before it was handled, and it still works
    assert (await raw.call("lobby:knock", {}))[0]["ok"]
    assert raw.frames == []  # nothing but acks and events came back
    await echo(jeanne, anne)
    assert tracebacks(caplog) == []
    edge_lines = [r for r in caplog.records if r.name == "signaling.edge"]
    assert edge_lines and all(len(r.getMessage()) < 120 for r in edge_lines)
    # a flood before authentication: 200 frames of 20 bytes barely grow the log
    before = len(caplog.text)
    flood = RawSocket(http)
    await flood.open(world.url)
    for i in range(200):
        await flood.send(f'42{NAMESPACE},{i}["x",NaN]'.ljust(20))
    await flood.send(f"40{NAMESPACE},{{}}")  # barrier: a CONNECT, refused after the flood
    await until(lambda: flood.connect_error is not None)
    grown = len(caplog.text) - before
    assert grown < 4_000, grown
    assert tracebacks(caplog) == []
    await echo(jeanne, anne)


def test_the_edge_log_is_rate_limited() -> None:
    now = [0.0]
    lines: list[str] = []

    class Sink(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    target = logging.getLogger("tests.edge_log")
    target.propagate = False
    handler = Sink()
    target.addHandler(handler)
    try:
        edge = EdgeLog(target, burst=3, per_minute=6, clock=lambda: now[0])
        for _ in range(1000):
            edge.line("frame dropped (%s)", "undecodable JSON")
        assert len(lines) == 3
        now[0] += 10.0  # one more line allowed
        edge.line("frame dropped (%s)", "undecodable JSON")
        assert lines[-1] == "frame dropped (undecodable JSON) (997 similar lines left out)"
        assert len(lines) == 4
    finally:
        target.removeHandler(handler)
