"""Shared documents over HTTP, on a real app with connected Socket.IO clients.

Upload (type from the bytes, encrypted in the case file, shared in the
uploader's room), viewing (only those who may see it), downloading (only
once the mediator allows it) and refusals that are never a 500.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from sqlalchemy import select

from records.files.uploads import unpack
from records.models import CaseItemRow, CaseItemVersionRow, SharedDocumentRow
from records.stores.casefile import ItemKind
from server.realtime import NAMESPACE_KEY
from tests.dbfaults import inserts_refused
from tests.pdfgen import make_pdf
from tests.records.files.test_uploads import ELF, PE, ZIP
from tests.server.browserlike import BrowserHttp, Got
from tests.signaling import world as ns
from tests.signaling.world import Client, World, admitted, back, key, mediator, three, until

world = ns.world  # the namespace tests' world: a real app, a case, a session, links
clients = ns.clients

SECRET = "Le montant proposé est de 12 345 euros (confidentiel)"
MB = 1024 * 1024


class Http(BrowserHttp):
    """Uploads and fetches shared documents."""

    async def upload(
        self,
        data: Any,
        name: str = "document.pdf",
        visibility: str | None = None,
        *,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
        session_id: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        sid = session_id or self.world.session.id
        url = f"{self.world.url}/api/sessions/{sid}/documents"
        params = {"visibility": visibility} if visibility else {}
        hdrs = self.headers(csrf, **{"X-Filename": quote(name), **(headers or {})})
        async with self.session.post(url, data=data, params=params, headers=hdrs) as r:
            return r.status, await r.json()

    async def get(self, doc_id: str, what: str = "content") -> Got:
        url = f"{self.world.url}/api/sessions/{self.world.session.id}/documents/{doc_id}/{what}"
        async with self.session.get(url, headers=self.headers(csrf=False)) as r:
            return Got(r.status, r.headers, await r.read())


@pytest.fixture
async def http(world: World) -> AsyncIterator[Callable[..., Any]]:
    made: list[Http] = []

    async def make(name: str | None = None) -> Http:
        if name is None:
            h = Http(world, cookie=world.mediator_cookie)
        else:
            h = Http(world, token=world.tokens[name])
        made.append(h)
        return await h.prime()

    yield make
    for h in made:
        await h.close()


async def stored_documents(world: World) -> list[tuple[CaseItemRow, list[bytes]]]:
    async with world.svc.db.transaction() as s:
        items = list(
            await s.scalars(select(CaseItemRow).where(CaseItemRow.kind == ItemKind.DOCUMENT.value))
        )
        out = []
        for item in items:
            rows = await s.scalars(
                select(CaseItemVersionRow.ciphertext).where(CaseItemVersionRow.item_id == item.id)
            )
            out.append((item, list(rows)))
        return out


async def allow_download(anne: Client, doc_id: str, allowed: bool) -> None:
    """The mediator's switch, over Socket.IO."""
    ack = await anne.call("doc:download", {"doc_id": doc_id, "allowed": allowed})
    assert ack["ok"], ack


# -- upload and viewing ------------------------------------------------------------------


async def test_a_party_shares_a_pdf_with_the_room_encrypted_at_rest(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    pdf = make_pdf(3).replace(b"(Page 1)", f"({SECRET})".encode("latin-1", "replace"))
    party = await http("Jeanne Dupont")
    status, body = await party.upload(pdf, "../../Proposition d’accord\u202e.PDF")
    assert status == 201, body
    assert body["title"] == body["filename"] == "Proposition d’accord.pdf"
    assert (body["mime"], body["pages"], body["size"]) == ("application/pdf", 3, len(pdf))
    assert body["owner"] == key(world, "Jeanne Dupont")
    assert (body["visibility"], body["room_id"], body["download_allowed"]) == (
        "room", "plenary", False,
    )  # fmt: skip
    doc_id = body["doc_id"]
    # everyone in the room is told, the uploader included
    for c in (anne, jeanne, marc):
        await until(lambda c=c: any(d["doc_id"] == doc_id for d in c.seen("doc:shared")))
    # stored encrypted, under Jeanne's key (erasing her destroys it)
    [(item, ciphertexts)] = await stored_documents(world)
    assert item.id == doc_id and item.provided_by == key(world, "Jeanne Dupont")[2:]
    assert item.session_id == world.session.id
    for blob in ciphertexts:
        assert b"%PDF" not in blob and b"Proposition" not in blob
        assert SECRET[:20].encode("latin-1") not in blob
    # Marc views it: the exact bytes, never sniffed, never cached, sandboxed
    viewer = await http("Marc Durand")
    response = await viewer.get(doc_id)
    assert response.status == 200
    assert hashlib.sha256(response.body).hexdigest() == hashlib.sha256(pdf).hexdigest()
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert "filename*=UTF-8''Proposition%20d%E2%80%99accord.pdf" in disposition
    # every read is in the audit log, naming who read it
    entries = list(reversed(await world.svc.records.audit.for_case(world.case.id, 500)))
    reads = [e for e in entries if e.action == "item.read" and e.detail.get("item") == doc_id]
    assert [e.actor for e in reads] == [f"participant:{key(world, 'Marc Durand')[2:]}"]


async def test_text_is_served_as_utf8_plain_text_in_a_sandbox(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    await three(world, clients)
    party = await http("Jeanne Dupont")
    text = "<script>alert('x')</script>\nÉchéancier : 3 × 400 €\n"
    status, body = await party.upload(
        text.encode(), "notes.html", headers={"Content-Type": "text/html"}
    )
    assert status == 201, body
    assert (body["filename"], body["mime"], body["pages"]) == ("notes.html.txt", "text/plain", None)
    response = await (await http("Marc Durand")).get(body["doc_id"])
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Security-Policy"].endswith("sandbox")
    assert (response.body).decode() == text


async def test_a_mediator_shares_with_cookie_and_csrf(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne, jeanne, _ = await three(world, clients)
    claire = await http()
    status, body = await claire.upload(make_pdf(2), "ordre du jour.pdf")
    assert status == 201, body
    assert body["owner"] == anne.hello["self"]["key"]
    await until(lambda: any(d["doc_id"] == body["doc_id"] for d in jeanne.seen("doc:shared")))
    [(item, _)] = await stored_documents(world)
    assert item.provided_by is None  # the mediator's: under the case key
    # without the CSRF header the same request is refused
    status, error = await claire.upload(make_pdf(2), csrf=False)
    assert (status, error["error"]["code"]) == (403, "csrf_failed")


async def test_a_party_with_a_link_token_still_needs_the_csrf_header(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    await three(world, clients)
    party = await http("Jeanne Dupont")
    status, error = await party.upload(make_pdf(1), csrf=False)
    assert (status, error["error"]["code"]) == (403, "csrf_failed")
    assert await stored_documents(world) == []


# -- private meetings ----------------------------------------------------------------------


async def test_a_document_shared_in_a_private_meeting_stays_there(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    opened = await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]})
    assert opened["ok"], opened
    await until(lambda: jeanne.view()["room_id"] == opened["room_id"])
    party = await http("Jeanne Dupont")
    status, body = await party.upload(b"Ce que je peux accepter: 8000", "limite.txt",
                                      "private_meeting_members")  # fmt: skip
    assert status == 201, body
    doc_id = body["doc_id"]
    await until(lambda: any(d["doc_id"] == doc_id for d in anne.seen("doc:shared")))
    await ns.barrier(marc)
    assert not any(d["doc_id"] == doc_id for d in marc.seen("doc:shared"))
    outsider = await http("Marc Durand")
    for what in ("content", "download"):
        response = await outsider.get(doc_id, what)
        assert response.status == 404
        unknown = await outsider.get("0" * 24, what)
        assert response.json() == unknown.json()  # nothing tells it exists
    assert (await (await http()).get(doc_id)).status == 200  # the mediator was there
    # back in the plenary, Marc still cannot see it; Jeanne and the mediator can
    assert (await anne.call("caucus:return_all", {}))["ok"]
    await until(lambda: jeanne.view()["room_id"] == "plenary")
    assert (await outsider.get(doc_id)).status == 404
    assert (await party.get(doc_id)).status == 200


async def test_its_owner_shares_a_private_meeting_document_in_the_plenary_later(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    opened = await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]})
    await until(lambda: jeanne.view()["room_id"] == opened["room_id"])
    owner = await http("Jeanne Dupont")
    status, body = await owner.upload(b"Je peux accepter 8000", "limite.txt",
                                      "private_meeting_members")  # fmt: skip
    assert status == 201, body
    doc_id = body["doc_id"]
    again = {"doc_id": doc_id, "visibility": "room"}
    # in the private meeting, the mediator is not its owner
    assert (await anne.call("doc:reshare", again))["error"]["code"] == "forbidden"
    assert (await anne.call("caucus:return_all", {}))["ok"]
    await until(lambda: jeanne.view()["room_id"] == "plenary")
    # Marc cannot see it: for him it does not exist
    assert (await marc.call("doc:reshare", again))["error"]["code"] == "not_found"
    viewer = await http("Marc Durand")
    assert (await viewer.get(doc_id)).status == 404
    bad = await jeanne.call("doc:reshare", {"doc_id": doc_id, "visibility": "everyone"})
    assert bad["error"]["code"] == "validation_error"
    members_only = {"doc_id": doc_id, "visibility": "private_meeting_members"}
    assert (await jeanne.call("doc:reshare", members_only))["error"]["code"] == (
        "validation_error"
    )  # not in a private meeting now
    shared = await jeanne.call("doc:reshare", again)
    assert shared["ok"], shared
    assert (shared["document"]["room_id"], shared["document"]["visibility"]) == ("plenary", "room")
    await until(lambda: any(d["doc_id"] == doc_id for d in marc.seen("doc:shared")))
    assert (await viewer.get(doc_id)).status == 200
    listed = await marc.call("doc:list", {})
    assert [d["title"] for d in listed["documents"]] == ["limite.txt"]
    entries = list(reversed(await world.svc.records.audit.for_case(world.case.id, 500)))
    assert "doc.reshare" in [e.action for e in entries]
    # the new sharing is what comes back after a break
    for c in (anne, jeanne, marc):
        await c.close()
    world.server.app[NAMESPACE_KEY].hub._live.pop(world.session.id, None)
    anne = await mediator(world, clients)
    marc = await back(world, clients, "Marc Durand")  # let in before: in again at once
    assert [d["doc_id"] for d in (await marc.call("doc:list", {}))["documents"]] == [doc_id]


async def test_members_only_visibility_needs_a_private_meeting_and_leaves_nothing_stored(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    await three(world, clients)
    party = await http("Jeanne Dupont")
    status, error = await party.upload(make_pdf(1), visibility="private_meeting_members")
    assert (status, error["error"]["code"]) == (400, "validation_error")
    assert await stored_documents(world) == []
    entries = list(reversed(await world.svc.records.audit.for_case(world.case.id, 500)))
    # the case's own description (written and read when the case was set up) aside
    assert [
        e.action for e in entries
        if e.action.startswith("item.") and (e.detail or {}).get("kind") != "description"
    ] == ["item.write", "item.delete"]  # fmt: skip


# -- downloading -----------------------------------------------------------------------------


async def test_download_only_once_the_mediator_allows_it(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne, _, marc = await three(world, clients)
    owner = await http("Jeanne Dupont")
    status, body = await owner.upload("Relevé de décisions\n".encode(), "relevé.txt")
    assert status == 201, body
    doc_id = body["doc_id"]
    viewer = await http("Marc Durand")
    refused = await viewer.get(doc_id, "download")
    assert refused.status == 403
    assert refused.json()["error"]["code"] == "download_not_allowed"
    assert (await owner.get(doc_id, "download")).status == 200  # the owner always may
    await allow_download(anne, doc_id, True)
    await until(lambda: any(d["download_allowed"] for d in marc.seen("doc:updated")))
    response = await viewer.get(doc_id, "download")
    assert response.status == 200
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"relev_.txt\"; filename*=UTF-8''relev%C3%A9.txt"
    )
    assert response.body == "Relevé de décisions\n".encode()
    await allow_download(anne, doc_id, False)
    assert (await viewer.get(doc_id, "download")).status == 403


# -- refusals -----------------------------------------------------------------------------------


async def test_what_is_not_a_document_is_refused_by_its_content(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    await three(world, clients)
    party = await http("Jeanne Dupont")
    for data, name, status, code in [
        (ELF, "rapport.pdf", 415, "unsupported_type"),
        (PE, "facture.pdf", 415, "unsupported_type"),
        (ZIP, "contrat.docx", 415, "unsupported_type"),
        (b"", "vide.pdf", 422, "empty_file"),
        (b"%PDF-1.7\n", "entete.pdf", 422, "broken_file"),
        (make_pdf(3)[:900], "coupe.pdf", 422, "broken_file"),
    ]:
        got, body = await party.upload(data, name, headers={"Content-Type": "application/pdf"})
        assert (got, body["error"]["code"]) == (status, code), name
        assert body["error"]["message"]
    assert await stored_documents(world) == []


async def test_oversized_uploads_are_refused_declared_or_streamed(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    await three(world, clients)
    party = await http("Jeanne Dupont")
    big = io.BytesIO(b"a" * (25 * MB + 1))
    status, body = await party.upload(big, "long.txt")
    assert (status, body["error"]["code"]) == (413, "payload_too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked encoding
        for _ in range(26):
            yield b"b" * MB

    status, body = await party.upload(chunks(), "long.txt")
    assert (status, body["error"]["code"]) == (413, "payload_too_large")
    status, body = await party.upload(
        io.BytesIO(b"c" * (25 * MB)), "juste.txt"
    )  # exactly the limit
    assert status == 201, body
    assert body["size"] == 25 * MB


async def test_who_may_upload(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne = await mediator(world, clients)
    pdf = make_pdf(1)
    # not in the room yet (consented, but never admitted): refused before reading the file
    await ns.enter(world, clients, "Marc Durand")
    status, body = await (await http("Marc Durand")).upload(pdf)
    assert (status, body["error"]["code"]) == (403, "not_in_room")
    # a valid link, but not connected to the session at all
    absent = await http("Me Paul Girard")
    status, body = await absent.upload(pdf)
    assert (status, body["error"]["code"]) == (403, "not_in_room")
    assert (await absent.get("0" * 24)).status == 403
    # an observer in the room may not share (the parties agreed to observers)
    await ns.consent(world, "Jeanne Dupont")
    observer = await admitted(world, clients, anne, "Olivia Observer")
    assert observer.view()["room_id"] == "plenary"
    status, body = await (await http("Olivia Observer")).upload(pdf)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    # a link for another session of the case
    other = Http(world, token=world.tokens["other-session"])
    await other.prime()
    try:
        status, body = await other.upload(pdf)
        assert (status, body["error"]["code"]) == (403, "forbidden")
    finally:
        await other.close()
    assert await stored_documents(world) == []


async def test_bad_requests_are_told_never_a_500(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    await three(world, clients)
    party = await http("Jeanne Dupont")
    nobody = Http(world)
    await nobody.prime()
    try:
        status, body = await nobody.upload(make_pdf(1))
        assert (status, body["error"]["code"]) == (401, "not_authenticated")
    finally:
        await nobody.close()
    cases = [
        ({"Authorization": "Basic abc"}, None, 401),
        ({"Authorization": "Bearer "}, None, 401),
        ({"Authorization": "Bearer not-a-token"}, None, 401),
        ({"Authorization": "Bearer " + "x" * 5000}, None, 401),
        ({"X-Filename": "%FF%FE%00" * 10}, None, 201),
        ({"X-Filename": "a" * 5000}, None, 400),
        ({}, "everyone", 400),
        ({}, "room&x=1", 400),
    ]
    for headers, visibility, expected in cases:
        status, body = await party.upload(make_pdf(1), visibility=visibility, headers=headers)
        assert status == expected, (headers, visibility, body)
        if status >= 400:
            assert body["error"]["code"] and body["error"]["message"]
    for session_id in ("unknown", "x" * 200, "..%2F..%2Fetc"):
        status, body = await party.upload(make_pdf(1), session_id=session_id)
        assert 400 <= status < 500, (session_id, body)
    for doc_id, expected in (("unknown", 404), ("0" * 64, 404), ("x" * 300, 400), ("%00", 400)):
        for what in ("content", "download"):
            response = await party.get(doc_id, what)
            assert response.status == expected, (doc_id, what)


async def test_documents_are_unpacked_as_stored(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    """The case file keeps the clean name, type, pages, size and checksum with the bytes."""
    await three(world, clients)
    pdf = make_pdf(2)
    status, body = await (await http("Jeanne Dupont")).upload(pdf, "a/b\\c.pdf")
    assert status == 201, body
    item = await world.svc.records.casefile.get_item(body["doc_id"], actor="test", via="test")
    meta, data = unpack(item.content)
    assert data == pdf
    assert (meta.filename, meta.mime, meta.pages, meta.size) == (
        "c.pdf",
        "application/pdf",
        2,
        len(pdf),
    )
    assert meta.sha256 == hashlib.sha256(pdf).hexdigest()


async def test_erasing_the_party_destroys_what_they_shared(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    await three(world, clients)
    status, body = await (await http("Jeanne Dupont")).upload(make_pdf(1), "pièce.pdf")
    assert status == 201, body
    viewer = await http("Marc Durand")
    assert (await viewer.get(body["doc_id"])).status == 200
    jeanne_id = key(world, "Jeanne Dupont")[2:]
    shredded = await world.svc.records.casefile.shred_participant(
        world.case.id, jeanne_id, actor="mediator:test", via="test"
    )
    assert shredded == 1
    gone = await viewer.get(body["doc_id"])  # key destroyed, item dropped
    assert (gone.status, gone.json()["error"]["code"]) == (404, "not_found")
    assert await stored_documents(world) == []


# -- after a break -------------------------------------------------------------------------------


async def test_shared_documents_are_on_the_table_again_after_a_break(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    owner = await http("Jeanne Dupont")
    status, shared = await owner.upload("Relevé de décisions\n".encode(), "relevé.txt")
    assert status == 201, shared
    await allow_download(anne, shared["doc_id"], True)
    status, notes = await (await http()).upload(b"Piste: echeancier", "pistes.txt", "mediators")
    assert status == 201, notes
    opened = await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]})
    await until(lambda: jeanne.view()["room_id"] == opened["room_id"])
    status, private = await owner.upload(b"Je peux accepter 8000", "limite.txt",
                                         "private_meeting_members")  # fmt: skip
    assert status == 201, private
    status, withdrawn = await owner.upload(b"Brouillon", "brouillon.txt")
    assert status == 201, withdrawn
    assert (await jeanne.call("doc:withdraw", {"doc_id": withdrawn["doc_id"]}))["ok"]
    assert (await anne.call("caucus:return_all", {}))["ok"]
    await until(lambda: jeanne.view()["room_id"] == "plenary")
    before = {name: (await c.call("doc:list", {}))["documents"]
              for name, c in (("anne", anne), ("jeanne", jeanne), ("marc", marc))}  # fmt: skip
    # stored like the documents themselves: nothing readable at rest
    async with world.svc.db.transaction() as s:
        rows = list(await s.scalars(select(SharedDocumentRow)))
    assert sorted(r.doc_id for r in rows) == sorted(d["doc_id"] for d in (shared, notes, private))
    for row in rows:
        assert b"relev" not in row.ciphertext and b"limite" not in row.ciphertext
    # Everyone leaves for lunch; the server lets the session go (as after a restart).
    for c in (anne, jeanne, marc):
        await c.close()
    hub = world.server.app[NAMESPACE_KEY].hub
    hub._live.pop(world.session.id, None)
    anne = await mediator(world, clients)
    jeanne = await back(world, clients, "Jeanne Dupont")  # let in before: in again at once
    marc = await back(world, clients, "Marc Durand")
    after = {name: (await c.call("doc:list", {}))["documents"]
             for name, c in (("anne", anne), ("jeanne", jeanne), ("marc", marc))}  # fmt: skip
    assert after == before
    titles = {d["title"] for d in (await jeanne.call("doc:list", {}))["documents"]}
    assert titles == {"relevé.txt", "limite.txt"}  # her private meeting's document follows her
    assert {d["title"] for d in (await marc.call("doc:list", {}))["documents"]} == {"relevé.txt"}
    viewer = await http("Marc Durand")
    assert (await viewer.get(shared["doc_id"], "download")).status == 200  # the leave stands
    assert (await viewer.get(private["doc_id"])).status == 404
    assert (await viewer.get(notes["doc_id"])).status == 404
    # erasing Jeanne takes her documents off the table for good
    await world.svc.records.casefile.shred_participant(
        world.case.id, key(world, "Jeanne Dupont")[2:], actor="mediator:test", via="test"
    )
    for c in (anne, jeanne, marc):
        await c.close()
    hub._live.pop(world.session.id, None)
    anne = await mediator(world, clients)
    assert [d["title"] for d in (await anne.call("doc:list", {}))["documents"]] == ["pistes.txt"]


async def test_when_the_sharing_state_cannot_be_stored_the_document_is_still_shared(
    world: World,
    clients: Callable[[], Client],
    http: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, _, marc = await three(world, clients)
    async with inserts_refused(world.svc.db, "shared_documents"):  # the database refuses
        status, body = await (await http("Jeanne Dupont")).upload(b"Proposition", "offre.txt")
        assert status == 201, body
        await until(lambda: any(d["doc_id"] == body["doc_id"] for d in marc.seen("doc:shared")))
    [warning] = [r for r in caplog.records if "not stored" in r.getMessage()]
    assert "(IntegrityError)" in warning.getMessage() and "offre" not in warning.getMessage()
    assert await world.svc.records.shares.load(world.case.id, world.session.id) == []


async def test_pdfjs_is_served_locally_by_exact_name_only(world: World) -> None:
    async with aiohttp.ClientSession() as session:
        for name in ("pdf.min.mjs", "pdf.worker.min.mjs"):
            async with session.get(f"{world.url}/vendor/pdfjs/{name}") as r:
                assert r.status == 200
                assert r.headers["Content-Type"].startswith("text/javascript")
                assert len(await r.read()) > 100_000
        for path in (
            "pdfjs/pdf.mjs", "pdfjs/../package.json", "pdfjs%2F..%2F..%2Fpackage.json",
            "pdfjs/", "pdfjs/a/b", "pdf.min.mjs",
        ):  # fmt: skip
            async with session.get(f"{world.url}/vendor/{path}") as r:
                assert r.status == 404, path
