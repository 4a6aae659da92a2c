"""Organisation administrators: only they change what every party sees (the legal texts)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestServer

from server.app import build_api
from tests.server.conftest import PASSWORD, Api, add_mediator

NOTICE = {"kind": "privacy", "language": "fr", "body": "Nouvelle notice de protection des données."}


async def _privacy_version(api: Api) -> int:
    version: int = (await (await api.get("/api/notices?lang=fr")).json())["privacy"]["version"]
    return version


async def test_a_mediator_may_not_publish_the_legal_texts(anne: Api, bob: Api) -> None:
    """Anne's is the first account (administrator), Bob's the second (mediator)."""
    before = await _privacy_version(bob)
    response = await bob.post("/api/notices", NOTICE)
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "admin_required"
    assert await _privacy_version(bob) == before
    response = await anne.post("/api/notices", NOTICE)
    assert response.status == 201, await response.text()
    assert await _privacy_version(bob) == before + 1


async def test_me_says_who_is_an_administrator(anne: Api, bob: Api) -> None:
    assert (await (await anne.get("/api/me")).json())["is_admin"] is True
    assert (await (await bob.get("/api/me")).json())["is_admin"] is False


async def test_every_organisation_wide_route_refuses_a_mediator(
    server: TestServer, anne: Api, bob: Api
) -> None:
    """Whatever the route and its body: the administrator check comes first."""
    guarded = [r for r in build_api().routes if r.admin]
    assert {(r.method, r.path) for r in guarded} >= {("POST", "/api/notices")}
    for route in guarded:
        path = route.path.replace("{", "").replace("}", "")
        response = await bob.client.request(route.method, path, json={}, headers=bob._headers())
        assert response.status == 403, (route.path, await response.text())
        assert (await response.json())["error"]["code"] == "admin_required"


async def test_setup_makes_the_first_account_an_administrator(
    server: TestServer, new_client: Any
) -> None:
    first: Api = await new_client()
    body = {
        "code": "SETUPCODE42",
        "email": "first@example.org",
        "display_name": "Première",
        "password": PASSWORD,
    }
    assert (await first.post("/api/setup", body)).status == 201
    assert (await (await first.get("/api/me")).json())["is_admin"] is True
    assert (await first.post("/api/notices", NOTICE)).status == 201
    await add_mediator(server, "second@example.org")
    second: Api = await new_client()
    assert (await second.login("second@example.org")).status == 200
    assert (await (await second.get("/api/me")).json())["is_admin"] is False
    assert (await second.post("/api/notices", NOTICE)).status == 403
