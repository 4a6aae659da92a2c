"""Liveness and readiness: /healthz answers while the process does; /readyz says whether the
databases, Redis and the relay answer and the node is not draining, with reason codes only."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from server.app import create_app
from server.health import NODE_STATE
from tests.conftest import pg_admin, pg_url
from tests.server.conftest import make_config
from tests.tcpproxy import TcpProxy

REDIS = "redis://127.0.0.1:6379/0"


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, database_url: str, **env: str) -> AsyncIterator[str]:
    app = await create_app(make_config(tmp_path, database_url, PALABRE_NODE_ID="node-7", **env))
    async with TestServer(app) as server:
        yield str(server.make_url("")).rstrip("/")


async def get(url: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    async with ClientSession() as http, http.get(url) as response:
        return response.status, await response.json(), dict(response.headers)


async def ready_until(url: str, status: int) -> dict[str, Any]:
    """/readyz until it answers ``status`` (a result is reused for a second)."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        code, body, _ = await get(f"{url}/readyz")
        if code == status:
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.1)


async def test_ready_when_everything_answers(tmp_path: Path, sqlite_url: str) -> None:
    async with serving(tmp_path, sqlite_url) as url:
        status, body, headers = await get(f"{url}/readyz")
        assert status == 200
        assert body == {
            "status": "ready",
            "node": "node-7",
            "checks": {
                "database": {"ok": True, "reason": "ok"},
                "keys_database": {"ok": True, "reason": "ok"},
                "redis": {"ok": True, "reason": "not_configured"},
                "relay": {"ok": True, "reason": "ok"},
                "draining": {"ok": True, "reason": "ok"},
            },
        }
        assert headers["Cache-Control"] == "no-store"
        assert (await get(f"{url}/healthz"))[:2] == (200, {"status": "ok"})


async def test_many_probes_at_once_all_answer(tmp_path: Path, sqlite_url: str) -> None:
    """A burst of probes shares one run of the checks: none fails for the others."""
    async with serving(tmp_path, sqlite_url) as url:
        results = await asyncio.gather(*(get(f"{url}/readyz") for _ in range(60)))
        assert {status for status, _, _ in results} == {200}


async def test_redis_answering(tmp_path: Path, sqlite_url: str) -> None:
    prefix = f"palabre-ops-{secrets.token_hex(4)}"
    async with serving(
        tmp_path, sqlite_url, PALABRE_REDIS_URL=REDIS, PALABRE_REDIS_PREFIX=prefix
    ) as url:
        body = await ready_until(url, 200)
        assert body["checks"]["redis"] == {"ok": True, "reason": "ok"}


async def test_redis_unreachable_is_not_ready(tmp_path: Path, sqlite_url: str) -> None:
    """Redis goes away after the start (the proxy in front of it is cut): not ready, with
    nothing of its address in the answer; alive all the same."""
    proxy = TcpProxy("127.0.0.1", 6379)
    await proxy.start()
    try:
        async with serving(
            tmp_path, sqlite_url, PALABRE_REDIS_URL=f"redis://127.0.0.1:{proxy.port}/0",
            PALABRE_REDIS_PREFIX=f"palabre-ops-{secrets.token_hex(4)}",
        ) as url:  # fmt: skip
            await ready_until(url, 200)
            await proxy.cut()
            body = await ready_until(url, 503)
            assert body["status"] == "not_ready"
            assert body["checks"]["redis"] == {"ok": False, "reason": "unreachable"}
            assert body["checks"]["database"]["ok"]
            text = str(body)
            assert str(proxy.port) not in text and "redis://" not in text
            assert (await get(f"{url}/healthz"))[0] == 200  # alive all the same
            await proxy.start()
            body = await ready_until(url, 200)
    finally:
        await proxy.close()


async def test_draining_is_not_ready_at_once_and_alive(tmp_path: Path, sqlite_url: str) -> None:
    app = await create_app(make_config(tmp_path, sqlite_url))
    async with TestServer(app) as server:
        url = str(server.make_url("")).rstrip("/")
        assert (await get(f"{url}/readyz"))[0] == 200
        app[NODE_STATE].draining = True
        status, body, _ = await get(f"{url}/readyz")  # at once: not the reused result
        assert status == 503
        assert body["checks"]["draining"] == {"ok": False, "reason": "draining"}
        assert (await get(f"{url}/healthz"))[0] == 200
        app[NODE_STATE].draining = False
        assert (await get(f"{url}/readyz"))[0] == 200


async def test_relay_closed_is_not_ready(tmp_path: Path, sqlite_url: str) -> None:
    from server.realtime import NAMESPACE_KEY

    app = await create_app(make_config(tmp_path, sqlite_url))
    async with TestServer(app) as server:
        url = str(server.make_url("")).rstrip("/")
        await app[NAMESPACE_KEY].relay.close()
        body = await ready_until(url, 503)
        assert body["checks"]["relay"] == {"ok": False, "reason": "closed"}


@pytest.fixture
def pg_database(pg_template: str) -> Iterator[str]:
    name = f"palabre_t_{secrets.token_hex(6)}"
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        yield name
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
async def test_database_unreachable_is_not_ready_then_ready_again(
    tmp_path: Path, pg_database: str
) -> None:
    """PostgreSQL goes away after the start (the proxy in front of it is cut), then comes
    back: /readyz says which check fails, then passes again without a restart."""
    host, port = pg_url(pg_database).split("@", 1)[1].split("/", 1)[0].split(":")
    proxy = TcpProxy(host, int(port))
    await proxy.start()
    url_via_proxy = pg_url(pg_database).replace(f"{host}:{port}", f"127.0.0.1:{proxy.port}")
    try:
        async with serving(tmp_path, url_via_proxy) as url:
            await ready_until(url, 200)
            await proxy.cut()
            body = await ready_until(url, 503)
            assert body["checks"]["database"] == {"ok": False, "reason": "unreachable"}
            assert body["checks"]["keys_database"]["ok"]  # a file of its own
            assert str(proxy.port) not in str(body) and pg_database not in str(body)
            assert (await get(f"{url}/healthz"))[0] == 200
            await proxy.start()
            body = await ready_until(url, 200)
            assert body["checks"]["database"] == {"ok": True, "reason": "ok"}
    finally:
        await proxy.close()
