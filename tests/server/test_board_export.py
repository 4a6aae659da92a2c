"""Whiteboard exports over HTTP, on a real app with connected Socket.IO clients.

Every test runs on SQLite and on PostgreSQL. A mediator exports a room's
board (plenary or private meeting) as SVG and PNG into the case file,
encrypted under the case key; downloads give back the same bytes; parties,
other mediators and bad requests are refused with a code, never a 500.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from records.files.uploads import prepare
from records.models import CaseItemRow, CaseItemVersionRow
from records.rights.retention import DEFAULT_POLICIES, purge
from records.stores.casefile import ItemKind
from server import board_exports
from server.board_exports import unpack
from server.realtime import NAMESPACE_KEY
from server.rest.board import SVG_CSP
from sessions.whiteboard.png import render_png
from sessions.whiteboard.svg import render_svg
from tests.server.browserlike import BrowserHttp, Got
from tests.signaling import world as ns
from tests.signaling.world import Client, World, admitted, key, mediator, three, until

world = ns.world  # the namespace tests' world: a real app, a case, a session, links
clients = ns.clients

SECRET = "Proposition : 12 345 euros (confidentiel)"
PRIVATE = "Ce que je peux accepter : 8 000"
PNG = b"\x89PNG\r\n\x1a\n"
NAME = re.compile(r"^tableau-(pleniere|reunion-privee)-(\d{4}-\d{2}-\d{2}-\d{4})\.(svg|png)$")


@pytest.fixture
def sqlite_url(db_url: str) -> str:
    """The world's database: here both backends (``db_url`` is SQLite, then PostgreSQL)."""
    return db_url


class Http(BrowserHttp):
    """Exports a room's board and downloads the files."""

    def base(self, session_id: str | None = None) -> str:
        return f"{self.world.url}/api/sessions/{session_id or self.world.session.id}/board"

    async def export(
        self, room_id: Any = "plenary", *, raw: bytes | None = None, csrf: bool = True,
        content_type: str = "application/json",
    ) -> Got:  # fmt: skip
        data = raw if raw is not None else json.dumps({"room_id": room_id}).encode()
        headers = {**self.headers(csrf), "Content-Type": content_type}
        async with self.session.post(self.base() + "/export", data=data, headers=headers) as r:
            return Got(r.status, dict(r.headers), await r.read())

    async def download(self, file_id: str) -> Got:
        url = f"{self.base()}/exports/{file_id}"
        async with self.session.get(url, headers=self.headers(csrf=False)) as r:
            return Got(r.status, dict(r.headers), await r.read())


@pytest.fixture
async def http(world: World) -> AsyncIterator[Callable[..., Any]]:
    made: list[Http] = []

    async def make(name: str | None = None, *, cookie: str | None = None) -> Http:
        if name is None:
            h = Http(world, cookie=cookie or world.mediator_cookie)
        else:
            h = Http(world, token=world.tokens[name])
        made.append(h)
        return await h.prime()

    yield make
    for h in made:
        await h.close()


async def draw(who: Client, op: dict[str, Any]) -> None:
    ack = await who.call("wb:op", {"op": op})
    assert ack["ok"], ack


def text(oid: str, words: str, x: float = 0, y: float = 0) -> dict[str, Any]:
    return {"type": "text", "id": oid, "x": x, "y": y, "text": words, "color": "#222222",
            "size": 18.0}  # fmt: skip


async def exports_stored(world: World) -> list[tuple[CaseItemRow, list[bytes]]]:
    async with world.svc.db.transaction() as s:
        kind = ItemKind.WHITEBOARD_EXPORT.value
        items = list(await s.scalars(select(CaseItemRow).where(CaseItemRow.kind == kind)))
        out = []
        for item in items:
            rows = await s.scalars(
                select(CaseItemVersionRow.ciphertext).where(CaseItemVersionRow.item_id == item.id)
            )
            out.append((item, list(rows)))
        return out


def board_objects(world: World, room_id: str) -> Any:
    live = world.server.app[NAMESPACE_KEY].hub.session(world.session.id)
    assert live is not None
    return live.board(room_id).snapshot().objects


def svg_text(svg: bytes) -> str:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, under test
    return "\n".join(t for el in root.iter() for t in [el.text] if t)


async def audit_entries(world: World) -> list[Any]:
    return list(reversed(await world.svc.records.audit.for_case(world.case.id, 1000)))


# -- the export --------------------------------------------------------------------------


async def test_a_mediator_exports_the_plenary_board_into_the_case_file(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne, jeanne, _ = await three(world, clients)
    await draw(jeanne, text("t1", SECRET, 10, 10))
    await draw(jeanne, {"type": "stroke", "id": "s1", "points": [[0, 80], [60, 90], [120, 80]],
                        "color": "#ff0000", "width": 6.0})  # fmt: skip
    await draw(anne, {"type": "sticky", "id": "k1", "x": 200, "y": 0, "text": "À discuter",
                      "color": "#fff59d"})  # fmt: skip
    mediator_http = await http()
    before = datetime.now(ZoneInfo("Europe/Paris"))
    got = await mediator_http.export("plenary")
    assert got.status == 201, got.body
    body = got.json()
    assert body["seq"] == 3
    assert [f["format"] for f in body["files"]] == ["svg", "png"]
    svg_file, png_file = body["files"]
    for f in body["files"]:
        match = NAME.match(f["name"])
        assert match is not None, f["name"]
        assert (match[1], match[3]) == ("pleniere", f["format"])
        # named by the session's local time (Europe/Paris), to the minute
        at = datetime.strptime(match[2], "%Y-%m-%d-%H%M").replace(tzinfo=ZoneInfo("Europe/Paris"))
        assert before.replace(second=0, microsecond=0) <= at <= before + timedelta(minutes=2)
    assert svg_file["name"][:-4] == png_file["name"][:-4]

    # stored encrypted under the case key: no SVG, no PNG, no text in the database rows
    stored = await exports_stored(world)
    assert {item.id for item, _ in stored} == {svg_file["file_id"], png_file["file_id"]}
    for item, ciphertexts in stored:
        assert item.provided_by is None and item.session_id == world.session.id
        assert item.case_id == world.case.id
        for blob in ciphertexts:
            assert b"<svg" not in blob and PNG not in blob and b"tableau" not in blob
            assert SECRET.encode() not in blob and b"12 345" not in blob

    # downloads: exactly the stored bytes, which are the board as drawn now
    objects = board_objects(world, "plenary")
    svg = await mediator_http.download(svg_file["file_id"])
    assert svg.status == 200
    assert svg.body == render_svg(objects) and len(svg.body) == svg_file["size"]
    assert SECRET in svg_text(svg.body) and "À discuter" in svg_text(svg.body)
    assert svg.headers["Content-Type"] == "image/svg+xml"
    assert svg.headers["Content-Security-Policy"] == SVG_CSP
    assert svg.headers["X-Content-Type-Options"] == "nosniff"
    assert svg.headers["Content-Disposition"] == f'attachment; filename="{svg_file["name"]}"'
    png = await mediator_http.download(png_file["file_id"])
    assert png.status == 200
    assert png.body.startswith(PNG) and png.body == render_png(objects)
    assert len(png.body) == png_file["size"]
    assert png.headers["Content-Type"] == "image/png"
    assert png.headers["Content-Disposition"] == f'attachment; filename="{png_file["name"]}"'
    item = await world.svc.records.casefile.get_item(svg_file["file_id"], actor="t", via="t")
    meta, data = unpack(item.content)
    assert data == svg.body
    assert (meta.room_id, meta.room_kind, meta.seq, meta.format) == ("plenary", "plenary", 3, "svg")
    assert meta.sha256 == hashlib.sha256(data).hexdigest() and meta.created_at

    # audited: who exported which room's board, never what it shows
    entries = await audit_entries(world)
    [export] = [e for e in entries if e.action == "board.export"]
    assert export.actor.startswith("mediator:") and export.session_id == world.session.id
    assert (export.detail["room"], export.detail["room_id"], export.detail["seq"]) == (
        "plenary", "plenary", 3,
    )  # fmt: skip
    writes = [
        e for e in entries if e.action == "item.write" and e.detail["kind"] == "whiteboard_export"
    ]
    assert len(writes) == 2
    reads = [
        e
        for e in entries
        if e.action == "item.read" and e.detail.get("kind") == "whiteboard_export"
    ]
    assert len(reads) >= 2
    everything = json.dumps([[e.action, e.detail, e.subject] for e in entries], ensure_ascii=False)
    assert "12 345" not in everything and "discuter" not in everything


async def test_a_private_meeting_board_is_exported_as_such(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    await draw(marc, text("p1", "Au tableau de la plénière"))
    opened = await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]})
    assert opened["ok"], opened
    room_id = opened["room_id"]
    await until(lambda: jeanne.view()["room_id"] == room_id)
    await draw(jeanne, text("c1", PRIVATE))
    mediator_http = await http()
    got = await mediator_http.export(room_id)
    assert got.status == 201, got.body
    body = got.json()
    assert body["seq"] == 1
    for f in body["files"]:
        match = NAME.match(f["name"])
        assert match is not None and match[1] == "reunion-privee", f["name"]
    svg = await mediator_http.download(body["files"][0]["file_id"])
    assert PRIVATE in svg_text(svg.body) and "plénière" not in svg_text(svg.body)
    # the plenary's export never shows the private meeting's board
    plenary = (await mediator_http.export("plenary")).json()
    assert plenary["files"][0]["name"].startswith("tableau-pleniere-")
    shown = svg_text((await mediator_http.download(plenary["files"][0]["file_id"])).body)
    assert "Au tableau de la plénière" in shown and PRIVATE not in shown
    [first, _] = [e for e in await audit_entries(world) if e.action == "board.export"]
    assert (first.detail["room"], first.detail["room_id"]) == ("private", room_id)
    # nobody else was told anything about the export
    await ns.barrier(marc, jeanne)
    assert not any("export" in event for event, _ in marc.events + jeanne.events)


async def test_an_empty_board_exports_an_empty_page(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    await mediator(world, clients)
    mediator_http = await http()
    got = await mediator_http.export("plenary")
    assert got.status == 201, got.body
    body = got.json()
    assert body["seq"] == 0
    svg = await mediator_http.download(body["files"][0]["file_id"])
    root = ET.fromstring(svg.body)  # noqa: S314
    assert root.get("viewBox") == "0 0 320 240" and len(root) == 1  # the white page only
    png = await mediator_http.download(body["files"][1]["file_id"])
    assert png.body.startswith(PNG)


# -- who may ---------------------------------------------------------------------------


async def test_only_the_sessions_mediators_may_export_or_download(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    _, jeanne, _ = await three(world, clients)
    await draw(jeanne, text("t1", SECRET))
    mediator_http = await http()
    body = (await mediator_http.export("plenary")).json()
    file_id = body["files"][0]["file_id"]

    party = await http("Jeanne Dupont")
    refused = await party.export("plenary")
    assert (refused.status, refused.code) == (403, "forbidden")
    refused = await party.download(file_id)
    assert (refused.status, refused.code) == (403, "forbidden")
    assert SECRET.encode() not in refused.body

    bob = await world.svc.accounts.create_mediator("bob@example.org", "Bob", "h")
    cookie = await world.svc.accounts.create_auth_session(bob.id, timedelta(hours=1))
    other = await http(cookie=cookie)
    for got in (await other.export("plenary"), await other.download(file_id)):
        assert (got.status, got.code) == (404, "not_found")

    anonymous = Http(world)
    try:
        await anonymous.prime()
        for got in (await anonymous.export("plenary"), await anonymous.download(file_id)):
            assert (got.status, got.code) == (401, "not_authenticated")
    finally:
        await anonymous.close()

    bad_link = Http(world, token="not-a-real-token")
    try:
        await bad_link.prime()
        got = await bad_link.export("plenary")
        assert got.status == 401 and got.code.startswith(("link_", "not_authenticated"))
    finally:
        await bad_link.close()

    stored = await exports_stored(world)
    assert len(stored) == 2  # nothing was stored by the refused calls


async def test_the_exporting_mediator_must_be_in_the_session(
    world: World, http: Callable[..., Any]
) -> None:
    got = await (await http()).export("plenary")
    assert (got.status, got.code) == (403, "not_in_room")
    assert await exports_stored(world) == []


async def test_bad_requests_are_told_never_a_500(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne = await mediator(world, clients)
    await admitted(world, clients, anne, "Jeanne Dupont")
    h = await http()
    cases: list[tuple[Got, int, str]] = [
        (await h.export("caucus-404"), 404, "not_found"),
        (await h.export(raw=b'{"room_id": '), 400, "invalid_json"),
        (await h.export(raw=b"{}"), 400, "validation_error"),
        (await h.export(5), 400, "validation_error"),
        (await h.export(""), 400, "validation_error"),
        (await h.export("x" * 65), 400, "validation_error"),
        (await h.export(raw=b'{"room_id": "plenary", "format": "pdf"}'), 400, "validation_error"),
        (await h.export(raw=b"[]"), 400, "validation_error"),
        (await h.export("plenary", content_type="text/plain"), 415, "unsupported_media_type"),
        (await h.export("plenary", csrf=False), 403, "csrf_failed"),
    ]
    for got, status, code in cases:
        assert (got.status, got.code) == (status, code), got.body
    assert await exports_stored(world) == []

    # downloads of anything that is not a board export of this session
    casefile = world.svc.records.casefile
    document = await casefile.put_item(
        world.case.id, ItemKind.DOCUMENT, b"not an export", actor="test", via="test",
        session_id=world.session.id,
    )  # fmt: skip
    elsewhere = await casefile.put_item(
        world.case.id, ItemKind.WHITEBOARD_EXPORT, b"other session", actor="test", via="test",
        session_id=world.other_session.id,
    )  # fmt: skip
    for file_id in ("0" * 24, document.id, elsewhere.id, ".."):
        got = await h.download(file_id)
        assert (got.status, got.code) == (404, "not_found"), file_id
    got = await h.download("%00")  # not an id at all
    assert (got.status, got.code) == (400, "validation_error")
    reads = [
        e for e in await audit_entries(world)
        if e.action == "item.read" and (e.detail or {}).get("kind") != "description"
    ]  # fmt: skip
    assert reads == []  # refused downloads decrypt nothing (the case's description aside)


# -- the case file's rules apply -------------------------------------------------------------


async def test_exports_are_under_the_case_key_and_purged_like_documents(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    _, jeanne, _ = await three(world, clients)
    await draw(jeanne, text("t1", SECRET))
    mediator_http = await http()
    body = (await mediator_http.export("plenary")).json()
    # erasing a party destroys what she provided, not the mediator's export of the board
    jeanne_id = key(world, "Jeanne Dupont")[2:]
    await world.svc.records.casefile.shred_participant(
        world.case.id, jeanne_id, actor="mediator:test", via="test"
    )
    for f in body["files"]:
        assert (await mediator_http.download(f["file_id"])).status == 200
    # retention: kept as long as shared documents, then deleted
    soon = await purge(world.svc.records, DEFAULT_POLICIES, datetime.now(ZoneInfo("UTC")))
    assert soon["documents"] == 0 and len(await exports_stored(world)) == 2
    later = datetime.now(ZoneInfo("UTC")) + timedelta(days=366)
    counts = await purge(world.svc.records, DEFAULT_POLICIES, later)
    assert counts["documents"] == 2
    assert await exports_stored(world) == []


async def test_after_the_session_exports_stay_in_the_case_file(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne, jeanne, _ = await three(world, clients)
    await draw(jeanne, text("t1", SECRET))
    mediator_http = await http()
    body = (await mediator_http.export("plenary")).json()
    assert (await anne.call("session:end", {}))["ok"]
    for f in body["files"]:
        got = await mediator_http.download(f["file_id"])
        assert got.status == 200 and len(got.body) == f["size"]
    late = await mediator_http.export("plenary")
    assert (late.status, late.code) == (410, "session_closed")


async def test_at_the_end_the_plenary_board_is_kept_without_anyone_exporting_it(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne, jeanne, _ = await three(world, clients)
    await draw(jeanne, text("t1", SECRET))
    opened = await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]})
    await until(lambda: jeanne.view()["room_id"] == opened["room_id"])
    await draw(jeanne, text("p1", PRIVATE))  # on the private meeting's board
    assert (await anne.call("session:end", {}))["ok"]
    stored = await exports_stored(world)
    assert len(stored) == 2  # the plenary's, as SVG and PNG; not the private meeting's
    mediator_http = await http()
    formats = []
    for item, ciphertexts in stored:
        assert item.session_id == world.session.id and item.provided_by is None
        assert all(SECRET.encode() not in blob for blob in ciphertexts)
        got = await mediator_http.download(item.id)
        assert got.status == 200
        formats.append(got.headers["Content-Type"])
        if got.headers["Content-Type"] == "image/svg+xml":
            assert SECRET in svg_text(got.body) and PRIVATE not in svg_text(got.body)
        match = NAME.match(got.headers["Content-Disposition"].split('"')[1])
        assert match is not None and match[1] == "pleniere"
    assert sorted(formats) == ["image/png", "image/svg+xml"]
    [kept] = [e for e in await audit_entries(world) if e.action == "board.keep"]
    assert kept.actor.startswith("mediator:") and kept.detail["room"] == "plenary"


async def test_an_empty_plenary_board_leaves_nothing_at_the_end(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    assert (await anne.call("session:end", {}))["ok"]
    assert await exports_stored(world) == []


async def test_a_board_too_large_for_the_case_file_is_refused(
    world: World, clients: Callable[[], Client], http: Callable[..., Any], monkeypatch: Any
) -> None:
    anne = await mediator(world, clients)
    await draw(anne, text("t1", "Une ligne"))
    monkeypatch.setattr(board_exports, "MAX_EXPORT_BYTES", 200)
    got = await (await http()).export("plenary")
    assert (got.status, got.code) == (413, "payload_too_large")
    assert await exports_stored(world) == []


# -- the case file's files, after the session ------------------------------------------------


async def test_after_the_session_the_case_page_lists_and_serves_documents_and_boards(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne, jeanne, _ = await three(world, clients)
    await draw(jeanne, text("t1", SECRET))
    words = "Relevé de décisions\n".encode()
    prepared = prepare(words, "relevé.txt")
    doc = await world.svc.records.casefile.put_item(
        world.case.id, ItemKind.DOCUMENT, prepared.packed, actor="t", via="t",
        session_id=world.session.id, provided_by=key(world, "Jeanne Dupont")[2:],
    )  # fmt: skip
    assert (await anne.call("session:end", {}))["ok"]  # the plenary board is kept
    mediator_http = await http()
    base = f"{world.url}/api/cases/{world.case.id}/files"

    async def get(client: Http, url: str) -> Got:
        async with client.session.get(url, headers=client.headers(csrf=False)) as r:
            return Got(r.status, dict(r.headers), await r.read())

    listed = (await get(mediator_http, base)).json()["files"]
    assert sorted(f["kind"] for f in listed) == ["document", *["whiteboard_export"] * 2]
    assert all(f["session_id"] == world.session.id for f in listed)
    assert "relev" not in json.dumps(listed)  # listed without being read
    before = len(await audit_entries(world))
    got = await get(mediator_http, f"{base}/{doc.id}")
    assert got.status == 200 and got.body == words
    assert got.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert "relev%C3%A9.txt" in got.headers["Content-Disposition"]
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    board = next(f for f in listed if f["kind"] == "whiteboard_export")
    got = await get(mediator_http, f"{base}/{board['id']}")
    assert got.status == 200 and got.headers["Content-Type"] in ("image/svg+xml", "image/png")
    reads = [e for e in (await audit_entries(world))[before:] if e.action == "item.read"]
    assert [e.detail["item"] for e in reads] == [doc.id, board["id"]]
    # nobody else: a party, another case's mediator, an unknown id
    party = await http("Jeanne Dupont")
    assert (await get(party, base)).status == 401
    bob = await world.svc.accounts.create_mediator("bob@example.org", "Bob", "h")
    other = await http(
        cookie=await world.svc.accounts.create_auth_session(bob.id, timedelta(hours=1))
    )
    for url in (base, f"{base}/{doc.id}"):
        assert (await get(other, url)).status == 404
    missing = await get(mediator_http, f"{base}/{'0' * 24}")
    assert (missing.status, missing.code) == (404, "not_found")
