from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer

from server.app import create_app
from server.context import SERVICES
from tests.redis import redis_url_or_skip
from tests.server.conftest import PASSWORD, Api, add_mediator, api_clients, make_config


async def test_sign_in_and_out(server: TestServer, new_client: Any) -> None:
    await add_mediator(server, "anne@example.org")
    api: Api = await new_client()
    assert (await api.get("/api/me")).status == 401
    response = await api.login("Anne@Example.org")
    assert response.status == 200
    cookie = response.cookies["palabre_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert (await (await api.get("/api/me")).json())["email"] == "anne@example.org"
    assert (await api.post("/api/logout")).status == 204
    assert (await api.get("/api/me")).status == 401


async def test_sign_out_invalidates_the_session_server_side(
    server: TestServer, new_client: Any
) -> None:
    await add_mediator(server, "anne@example.org")
    api: Api = await new_client()
    response = await api.login("anne@example.org")
    token = response.cookies["palabre_session"].value
    await api.post("/api/logout")
    thief: Api = await new_client()
    thief.client.session.cookie_jar.update_cookies({"palabre_session": token})
    assert (await thief.get("/api/me")).status == 401


async def test_wrong_password_then_throttled(server: TestServer, new_client: Any) -> None:
    await add_mediator(server, "anne@example.org")
    api: Api = await new_client()
    for _ in range(5):
        response = await api.login("anne@example.org", "wrong password!")
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "bad_credentials"
    response = await api.login("anne@example.org", PASSWORD)
    assert response.status == 429
    assert (await response.json())["error"]["code"] == "throttled"


async def test_unknown_email_looks_like_a_wrong_password(
    server: TestServer, new_client: Any
) -> None:
    api: Api = await new_client()
    response = await api.login("nobody@example.org")
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "bad_credentials"


async def test_csrf_token_is_required(server: TestServer, new_client: Any) -> None:
    await add_mediator(server, "anne@example.org")
    api: Api = await new_client()
    body = {"email": "anne@example.org", "password": PASSWORD}
    response = await api.client.post("/api/login", json=body)  # no header
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "csrf_failed"
    response = await api.client.post("/api/login", json=body, headers={"X-CSRF-Token": "forged"})
    assert response.status == 403


async def test_cross_origin_request_is_refused(server: TestServer, new_client: Any) -> None:
    await add_mediator(server, "anne@example.org")
    api: Api = await new_client()
    response = await api.post(
        "/api/login",
        {"email": "anne@example.org", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status == 403


async def test_first_run_setup_page(server: TestServer, new_client: Any) -> None:
    api: Api = await new_client()
    assert (await (await api.get("/api/setup")).json()) == {"needed": True}
    body = {
        "code": "WRONGCODE",
        "email": "first@example.org",
        "display_name": "Première",
        "password": PASSWORD,
    }
    assert (await api.post("/api/setup", body)).status == 403
    body["code"] = "setupcode42"  # typed in lower case: accepted
    response = await api.post("/api/setup", body)
    assert response.status == 201, await response.text()
    assert (await (await api.get("/api/me")).json())["email"] == "first@example.org"
    other: Api = await new_client()
    assert (await (await other.get("/api/setup")).json()) == {"needed": False}
    body["email"] = "second@example.org"
    assert (await other.post("/api/setup", body)).status == 409
    assert await server.app[SERVICES].accounts.count_mediators() == 1


async def test_setup_refuses_a_weak_password(server: TestServer, new_client: Any) -> None:
    api: Api = await new_client()
    body = {
        "code": "SETUPCODE42",
        "email": "f@example.org",
        "display_name": "F",
        "password": "short",
    }
    response = await api.post("/api/setup", body)
    assert response.status == 400
    assert "10 characters" in (await response.json())["error"]["message"]


async def test_nodes_behind_one_balancer_throttle_together(tmp_path: Path, sqlite_url: str) -> None:
    """Wrong passwords spread over two nodes sharing Redis count as one allowance."""
    config = make_config(
        tmp_path,
        sqlite_url,
        PALABRE_REDIS_URL=redis_url_or_skip(),
        PALABRE_REDIS_PREFIX=f"test-{secrets.token_hex(6)}",
    )
    apps = [await create_app(config) for _ in range(2)]
    async with TestServer(apps[0]) as a, TestServer(apps[1]) as b:
        await add_mediator(a, "anne@example.org")
        async with api_clients(a) as on_a, api_clients(b) as on_b:
            clients = [await on_a(), await on_b()]
            for i in range(5):
                response = await clients[i % 2].login("anne@example.org", "wrong password!")
                assert response.status == 401
            for api in clients:
                response = await api.login("anne@example.org", PASSWORD)
                assert response.status == 429
                assert (await response.json())["error"]["code"] == "throttled"
