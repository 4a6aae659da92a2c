"""Two server processes share Socket.IO fan-out through Redis (PALABRE_REDIS_URL)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from server.app import create_app
from server.context import SERVICES
from server.realtime import NAMESPACE_KEY
from signaling.fanout import RedisManager
from tests.factories import make_case, make_session
from tests.redis import redis_url_or_skip
from tests.server.conftest import make_config
from tests.signaling.fakes import FakeRelay


@pytest.fixture
async def two_nodes(
    tmp_path: Path, sqlite_url: str
) -> AsyncIterator[tuple[TestServer, TestServer]]:
    config = make_config(tmp_path, sqlite_url, PALABRE_REDIS_URL=redis_url_or_skip())
    apps = [await create_app(config, relay_factory=lambda sink: FakeRelay()) for _ in range(2)]
    async with TestServer(apps[0]) as a, TestServer(apps[1]) as b:
        yield a, b


async def test_an_emit_on_one_node_reaches_a_client_of_the_other(
    two_nodes: tuple[TestServer, TestServer],
) -> None:
    a, b = two_nodes
    svc = b.app[SERVICES]
    anne = await svc.accounts.create_mediator("anne@example.org", "Anne", "h")
    case = await make_case(svc.db, anne)
    session = await make_session(svc.db, case, anne)
    link = await svc.links.issue(session.id, case.participants[0].id, anne.id)
    token = svc.links.url_for(link).split("#", 1)[1]
    got: list[Any] = []
    client = socketio.AsyncClient(reconnection=False)
    client.on("node:ping", lambda data: got.append(data), namespace="/session")
    await client.connect(
        str(b.make_url("/")), namespaces=["/session"], auth={"token": token},
        transports=["websocket"], wait_timeout=5,
    )  # fmt: skip
    try:
        sid = b.app[NAMESPACE_KEY].hub.seat_of(session.id, f"p-{case.participants[0].id}")
        assert sid is not None
        await a.app[NAMESPACE_KEY].emit("node:ping", {"from": "a"}, to=sid)
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.05)
        assert got == [{"from": "a"}]
    finally:
        await client.disconnect()


async def until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not in {within} s: {check.__name__}")
        await asyncio.sleep(0.05)


async def test_the_manager_leaves_no_connection_behind_across_reconnections() -> None:
    url = redis_url_or_skip()
    name = f"palabre-test-{secrets.token_hex(4)}"  # its connections, among the server's
    channel = f"test:{name}"
    manager = RedisManager(url, channel=channel)
    manager.redis_options = {"client_name": name}
    socketio.AsyncServer(async_mode="aiohttp", client_manager=manager)
    admin = Redis.from_url(url)

    async def mine() -> list[dict[str, Any]]:
        return [c for c in await admin.client_list() if c.get("name") == name]

    async def subscribed() -> bool:
        return bool(await admin.pubsub_numsub(channel) == [(channel.encode(), 1)])

    try:
        # a publish before the listener's first step, as when a node emits before any
        # client has connected to it
        await manager.emit("ping", {"n": 1}, namespace="/", room="elsewhere")
        manager.initialize()
        await until(subscribed)
        # Redis drops the subscription: the listener subscribes again
        listening = [c for c in await mine() if c.get("sub") == "1"]
        assert len(listening) == 1
        await admin.client_kill_filter(_id=listening[0]["id"])

        async def unsubscribed() -> bool:
            return not await subscribed()

        await until(unsubscribed)
        await until(subscribed)
        await manager.emit("ping", {"n": 2}, namespace="/", room="elsewhere")
        assert len(await mine()) <= 2  # one to publish, one subscribed
        await manager.close()

        async def none_left() -> bool:
            return not await mine()

        await until(none_left, 5.0)
    finally:
        await manager.close()
        await admin.aclose()
