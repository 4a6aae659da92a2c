"""An API client on a real app (real database, real middlewares) over aiohttp's test server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from server.app import create_app
from server.config import Config, load_config
from server.passwords import hash_password
from server.security import CSRF_COOKIE, CSRF_HEADER

PASSWORD = "correct horse battery"


class Api:
    """A browser-like client: keeps cookies and echoes the CSRF cookie in the header."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client

    def _headers(self) -> dict[str, str]:
        cookie = self.client.session.cookie_jar.filter_cookies(self.client.make_url("/"))
        token = cookie[CSRF_COOKIE].value if CSRF_COOKIE in cookie else ""
        return {CSRF_HEADER: token}

    async def prime(self) -> None:
        await self.client.get("/healthz")

    async def get(self, path: str) -> ClientResponse:
        return await self.client.get(path)

    async def post(self, path: str, body: Any = None, **kw: Any) -> ClientResponse:
        headers = {**self._headers(), **kw.pop("headers", {})}
        if body is None and "data" not in kw:
            return await self.client.post(path, headers=headers, **kw)
        if "data" in kw:
            return await self.client.post(path, headers=headers, **kw)
        return await self.client.post(path, json=body, headers=headers, **kw)

    async def login(self, email: str, password: str = PASSWORD) -> ClientResponse:
        return await self.post("/api/login", {"email": email, "password": password})


def make_config(tmp_path: Path, database_url: str, **env: str) -> Config:
    return load_config(
        {
            "PALABRE_VAR_DIR": str(tmp_path / "var"),
            "PALABRE_DATABASE_URL": database_url,
            "PALABRE_PUBLIC_URL": "http://127.0.0.1",
            # loading the entity pipelines in a thread holds the GIL for seconds: in a new
            # process (an xdist worker) that stalls whatever the test's server is doing then;
            # the tests that anonymise load them when they need them
            "PALABRE_WARM_UP_ENTITIES": "false",
            **env,
        }
    )


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> Config:
    return make_config(tmp_path, sqlite_url)


@pytest.fixture
async def server(config: Config) -> AsyncIterator[TestServer]:
    app = await create_app(config, setup_code="SETUPCODE42")
    async with TestServer(app) as srv:
        yield srv


@contextlib.asynccontextmanager
async def api_clients(server: TestServer) -> AsyncIterator[Callable[[], Awaitable[Api]]]:
    """Makes primed API clients of ``server`` (each its own cookie jar); closes them after."""
    clients: list[TestClient[Any, Any]] = []

    async def make() -> Api:
        client: TestClient[Any, Any] = TestClient(server)
        await client.start_server()
        clients.append(client)
        api = Api(client)
        await api.prime()
        return api

    try:
        yield make
    finally:
        for c in clients:
            await c.close()


@pytest.fixture
async def new_client(server: TestServer) -> AsyncIterator[Any]:
    async with api_clients(server) as make:
        yield make


async def add_mediator(server: TestServer, email: str, name: str = "Anne Médiatrice") -> str:
    from server.context import SERVICES

    svc = server.app[SERVICES]
    mediator = await svc.accounts.create_mediator(email, name, hash_password(PASSWORD))
    return mediator.id


@pytest.fixture
async def anne(server: TestServer, new_client: Any) -> Api:
    await add_mediator(server, "anne@example.org", "Anne Médiatrice")
    api: Api = await new_client()
    response = await api.login("anne@example.org")
    assert response.status == 200
    return api


@pytest.fixture
async def bob(server: TestServer, new_client: Any) -> Api:
    await add_mediator(server, "bob@example.org", "Bob Médiateur")
    api: Api = await new_client()
    assert (await api.login("bob@example.org")).status == 200
    return api


CASE = {
    "reference": "2026-031",
    "title": "Martin / Société Bati+ — travaux",
    "public_title": "Médiation de la consommation",
    "mediation_type": "consumer",
    "description": "Litige sur des travaux de rénovation.",
    "participants": [
        {"display_name": "Jeanne Martin", "role": "party", "email": "jeanne@example.org"},
        {"display_name": "Bati+ (M. Roux)", "role": "party"},
        {"display_name": "Me Paul Girard", "role": "counsel", "email": "girard@example.org"},
    ],
}


async def create_case(api: Api, **overrides: Any) -> dict[str, Any]:
    response = await api.post("/api/cases", {**CASE, **overrides})
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def schedule(api: Api, case_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "date": "2030-03-14",
        "time": "14:30",
        "timezone": "Europe/Paris",
        "duration_minutes": 90,
    }
    response = await api.post(f"/api/cases/{case_id}/sessions", {**body, **overrides})
    assert response.status == 201, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def issue(api: Api, session_id: str, participant_id: str) -> dict[str, Any]:
    response = await api.post(f"/api/sessions/{session_id}/links/{participant_id}")
    assert response.status == 201, await response.text()
    result: dict[str, Any] = await response.json()
    return result
