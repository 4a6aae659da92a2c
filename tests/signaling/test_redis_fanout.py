"""Two server processes share Socket.IO fan-out through Redis (PALABRE_REDIS_URL)."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestServer

from server.app import create_app
from server.context import SERVICES
from server.realtime import NAMESPACE_KEY
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
    # python-socketio's Redis manager can leave a connection behind when its listener is
    # cancelled mid-reconnect: reclaimed here, not as a warning in whichever test runs when
    # the garbage collector gets to it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


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
