"""A link that cannot be used gets the same answer on every route that takes one: the
join page, the consent form, the session's documents and board exports, and the
socket's connect. The code says why (expired, withdrawn, not valid, session over); the
HTTP status is the one table's."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import update

from errors import ErrorCode
from records.models import InviteLinkRow, utcnow
from server.errors import HTTP_STATUS
from server.security import CSRF_HEADER
from tests.pdfgen import make_pdf
from tests.server.browserlike import BrowserHttp
from tests.signaling import world as ns
from tests.signaling.world import Client, World

world = ns.world
clients = ns.clients

NAME = "Jeanne Dupont"


def _jti(token: str) -> str:
    jti: str = jwt.decode(token, options={"verify_signature": False})["jti"]
    return jti


async def expired(world: World) -> str:
    """Jeanne's link as it is once past its time: the registry and the token agree."""
    jti = _jti(world.tokens[NAME])
    past = utcnow() - timedelta(minutes=1)
    async with world.svc.db.transaction() as s:
        await s.execute(
            update(InviteLinkRow).where(InviteLinkRow.jti == jti).values(expires_at=past)
        )
    link = (await world.svc.schedule.get_join_info(jti)).link
    return world.svc.links.url_for(dataclasses.replace(link, expires_at=past)).split("#", 1)[1]


async def revoked(world: World) -> str:
    token = world.tokens[NAME]
    await world.svc.schedule.revoke_link(_jti(token), _lead(world))
    return token


async def closed(world: World) -> str:
    await world.svc.schedule.set_status(world.session.id, "ended")
    return world.tokens[NAME]


async def invalid(world: World) -> str:
    token = world.tokens[NAME]
    return token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")


def _lead(world: World) -> str:
    return world.case.mediators[0].id


KINDS: dict[str, tuple[Callable[[World], Awaitable[str]], ErrorCode]] = {
    "expired": (expired, ErrorCode.LINK_EXPIRED),
    "revoked": (revoked, ErrorCode.LINK_REVOKED),
    "session over": (closed, ErrorCode.SESSION_CLOSED),
    "not valid": (invalid, ErrorCode.LINK_INVALID),
}


async def answers(world: World, token: str) -> dict[str, tuple[int, str]]:
    """(status, code) of each route that takes a link, and of the socket's connect."""
    http = await BrowserHttp(world, token=token).prime()
    base = f"{world.url}/api/sessions/{world.session.id}"
    consent = {
        "token": token, "language": "fr", "shown": {"confidentiality": 1, "privacy": 1},
        "decisions": {"mediation": "given", "privacy": "given"}, "typed_name": NAME,
    }  # fmt: skip
    calls: dict[str, tuple[str, str, dict[str, Any]]] = {
        "join": ("POST", f"{world.url}/api/join", {"json": {"token": token}}),
        "consent": ("POST", f"{world.url}/api/join/consent", {"json": consent}),
        "upload": ("POST", f"{base}/documents", {"data": make_pdf(1)}),
        "view": ("GET", f"{base}/documents/d1/content", {}),
        "download": ("GET", f"{base}/documents/d1/download", {}),
        "board export": ("GET", f"{base}/board/exports/f1", {}),
    }
    out: dict[str, tuple[int, str]] = {}
    try:
        for name, (method, url, kw) in calls.items():
            # the join page and consent send the token in the body, as the page does
            bearer = name not in ("join", "consent")
            headers = http.headers(csrf=method == "POST") if bearer else {CSRF_HEADER: http.csrf}
            async with http.session.request(method, url, headers=headers, **kw) as r:
                out[name] = (r.status, (await r.json())["error"]["code"])
    finally:
        await http.close()
    client = Client()
    try:
        code = await client.refused(world, {"token": token})
    finally:
        await client.close()
    out["socket connect"] = (HTTP_STATUS[ErrorCode(code)], code)
    return out


@pytest.mark.parametrize("kind", list(KINDS))
async def test_an_unusable_link_gets_one_answer_everywhere(world: World, kind: str) -> None:
    make, code = KINDS[kind]
    got = await answers(world, await make(world))
    assert got == dict.fromkeys(got, (HTTP_STATUS[code], code.value))


async def test_an_expired_link_is_gone(world: World) -> None:
    got = await answers(world, await expired(world))
    assert set(got.values()) == {(410, "link_expired")}
