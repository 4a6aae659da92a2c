from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestServer

from server.app import build_api
from tests.server.conftest import Api


async def test_healthz(new_client: Any) -> None:
    api: Api = await new_client()
    response = await api.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_security_headers_on_pages_and_api(new_client: Any) -> None:
    api: Api = await new_client()
    for path in ["/", "/join", "/api/cases", "/static/js/dashboard/router.js", "/no-such-page"]:
        response = await api.get(path)
        h = response.headers
        assert "unsafe-inline" not in h["Content-Security-Policy"], path
        assert "script-src 'self'" in h["Content-Security-Policy"], path
        assert h["X-Content-Type-Options"] == "nosniff", path
        assert h["Referrer-Policy"] == "no-referrer", path


async def test_pages_are_served(new_client: Any) -> None:
    api: Api = await new_client()
    pages = [
        ("/", "dashboard/router.js"),
        ("/cases/abc123", "dashboard/router.js"),
        ("/join", "join/join.js"),
        ("/room", "room/room.js"),
    ]
    for path, script in pages:
        response = await api.get(path)
        assert response.status == 200
        assert f'src="/static/js/{script}"' in await response.text()
        assert (await api.get(f"/static/js/{script}")).status == 200


async def test_openapi_describes_every_route(server: TestServer, new_client: Any) -> None:
    api: Api = await new_client()
    doc = await (await api.get("/api/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    described = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    registered = {
        (r.method, r.resource.canonical)
        for r in server.app.router.routes()
        if r.resource is not None
        and r.resource.canonical.startswith("/api/")
        and r.method != "HEAD"
        and r.resource.canonical != "/api/openapi.json"
    }
    assert registered == described
    for ops in doc["paths"].values():
        for op in ops.values():
            for response in op["responses"].values():
                for media in response.get("content", {}).values():
                    ref = media["schema"].get("$ref")
                    if ref:
                        assert ref.split("/")[-1] in doc["components"]["schemas"]


def test_api_routes_have_unique_operation_ids() -> None:
    ids = [r.handler.__name__ for r in build_api().routes]
    assert len(ids) == len(set(ids))
