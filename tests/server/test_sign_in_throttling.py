"""Sign-in throttling through the real app: races, forwarded addresses, who gets slowed down."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from server.app import create_app
from server.security import forwarded_middleware
from tests.server.conftest import PASSWORD, Api, add_mediator, api_clients, make_config

WRONG = "wrong password!"


@pytest.fixture
async def proxied(tmp_path: Path, sqlite_url: str) -> AsyncIterator[TestServer]:
    """Palabre behind one trusted proxy: the client address is the proxy's X-Forwarded-For hop."""
    config = make_config(tmp_path, sqlite_url, PALABRE_TRUST_FORWARDED="true")
    async with TestServer(await create_app(config)) as srv:
        yield srv


@pytest.fixture
async def client_of(proxied: TestServer) -> AsyncIterator[Any]:
    async with api_clients(proxied) as make:
        yield make


async def _login(api: Api, email: str, password: str, forwarded_for: str) -> int:
    response = await api.post(
        "/api/login",
        {"email": email, "password": password},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status


async def test_parallel_wrong_attempts_cannot_all_pass(server: TestServer, new_client: Any) -> None:
    """Each attempt is reserved before the password is checked, so a burst gets no extra tries."""
    await add_mediator(server, "anne@example.org")
    api: Api = await new_client()
    responses = await asyncio.gather(*(api.login("anne@example.org", WRONG) for _ in range(12)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [401] * 5 + [429] * 7
    codes = {(await r.json())["error"]["code"] for r in responses if r.status == 429}
    assert codes == {"throttled"}


async def test_the_owner_signs_in_from_their_address_while_another_hammers(
    proxied: TestServer, client_of: Any
) -> None:
    await add_mediator(proxied, "anne@example.org")
    attacker: Api = await client_of()
    statuses = [await _login(attacker, "anne@example.org", WRONG, "203.0.113.66") for _ in range(7)]
    assert statuses == [401] * 5 + [429] * 2
    owner: Api = await client_of()
    assert await _login(owner, "anne@example.org", PASSWORD, "198.51.100.10") == 200
    # the attacker is still slowed down
    assert await _login(attacker, "anne@example.org", PASSWORD, "203.0.113.66") == 429


async def test_random_emails_from_a_shared_address_do_not_lock_out_a_mediator(
    proxied: TestServer, client_of: Any
) -> None:
    await add_mediator(proxied, "anne@example.org")
    office: Api = await client_of()
    for _ in range(6):
        email = f"{secrets.token_hex(4)}@example.org"
        assert await _login(office, email, WRONG, "192.0.2.1") == 401
    assert await _login(office, "anne@example.org", PASSWORD, "192.0.2.1") == 200


async def test_a_spoofed_forwarded_for_does_not_give_fresh_addresses(
    proxied: TestServer, client_of: Any
) -> None:
    """The client writes the left of X-Forwarded-For; only the proxy's own hop is believed."""
    await add_mediator(proxied, "anne@example.org")
    attacker: Api = await client_of()
    statuses = []
    for i in range(7):
        # the attacker's forged value, then the address the proxy appended
        statuses.append(
            await _login(attacker, "anne@example.org", WRONG, f"10.9.8.{i}, 203.0.113.66")
        )
    assert statuses == [401] * 5 + [429] * 2
    # the owner, elsewhere, is not slowed down by it
    owner: Api = await client_of()
    assert await _login(owner, "anne@example.org", PASSWORD, "198.51.100.10") == 200


async def _echo_remote(request: web.Request) -> web.Response:
    return web.json_response({"remote": request.remote, "scheme": request.scheme})


async def _remote_seen(hops: int, headers: dict[str, str]) -> dict[str, Any]:
    app = web.Application(middlewares=[forwarded_middleware(True, hops)])
    app.router.add_get("/", _echo_remote)
    async with TestClient(TestServer(app)) as client:
        body: dict[str, Any] = await (await client.get("/", headers=headers)).json()
        return body


@pytest.mark.parametrize(
    ("hops", "forwarded_for", "seen"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6,203.0.113.9", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (1, "2001:db8::1", "2001:db8::1"),
        # fewer hops than trusted proxies, or not an address: the peer's own address
        (2, "203.0.113.9", "127.0.0.1"),
        (1, "6.6.6.6, not-an-address", "127.0.0.1"),
        (1, "", "127.0.0.1"),
    ],
)
async def test_forwarded_for_takes_the_trusted_proxys_hop(
    hops: int, forwarded_for: str, seen: str
) -> None:
    body = await _remote_seen(hops, {"X-Forwarded-For": forwarded_for})
    assert body["remote"] == seen


async def test_forwarded_proto_is_the_one_the_proxy_wrote() -> None:
    body = await _remote_seen(1, {"X-Forwarded-Proto": "http, https"})
    assert body["scheme"] == "https"
    body = await _remote_seen(1, {"X-Forwarded-Proto": "https, http"})
    assert body["scheme"] == "http"
