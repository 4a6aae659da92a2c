"""Signing from the room over real sockets: a template into the text, the text frozen for
everyone in the room with its hash, who signed told to the mediators only."""

from __future__ import annotations

import json
from collections.abc import Callable

import aiohttp
from pycrdt import XmlElement, XmlFragment, XmlText

from records.agreements.documents import BlockKind, text_sha256
from records.agreements.signing import PersonKind
from server.realtime import NAMESPACE_KEY
from server.security import CSRF_COOKIE, CSRF_HEADER
from sessions.rooms import PLENARY
from sessions.shared_text import SharedText
from sessions.text_signing import document_of
from tests.signaling.test_drafting import Editor, paragraph, server_text
from tests.signaling.world import Client, World, barrier, key, three, until

TEMPLATE = {"kind": "mediated_agreement", "language": "fr"}


def _live_text(world: World, room_id: str = PLENARY) -> SharedText:
    session = world.server.app[NAMESPACE_KEY].hub.session(world.session.id)
    assert session is not None
    return session.text(room_id)


async def test_a_template_reaches_the_rooms_members_only_and_only_a_mediator_inserts_it(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    assert (await anne.call("room:plenary_talk", {"allowed": True}))["ok"]
    room = (await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]}))["room_id"]
    await until(lambda: jeanne.view()["room_id"] == room and anne.view()["room_id"] == room)
    refused = await jeanne.call("text:template", TEMPLATE)
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
    bad = await anne.call("text:template", {"kind": "free", "language": "fr"})
    assert bad["ok"] is False and bad["error"]["code"] == "validation_error", bad
    ack = await anne.call("text:template", TEMPLATE)
    assert ack == {"ok": True, "seq": 1}, ack
    editor, own = Editor(jeanne), Editor(anne)
    await until(lambda: bool(jeanne.seen("text:update")) and bool(anne.seen("text:update")))
    editor.receive()
    own.receive()  # the mediator's editor gets it too: it was made on the server
    filled = editor.plain()
    assert own.plain() == filled
    # the template, filled from the case: its reference and its parties, no field left
    assert world.case.reference in filled and "Jeanne Dupont" in filled, filled
    assert "Marc Durand" in filled and "{{" not in filled
    assert filled == server_text(world, room)
    # a heading per heading, the title first
    document = document_of(_live_text(world, room))
    assert document[0].kind is BlockKind.TITLE
    assert any(b.kind is BlockKind.HEADING for b in document)
    # Marc, in the plenary, got nothing of it; the plenary's text is untouched
    await barrier(marc)
    assert not marc.seen("text:update")
    assert world.case.reference not in json.dumps(marc.events)
    assert server_text(world) == ""
    # a private meeting's text is not frozen: it is brought into the plenary first
    frozen = await anne.call("text:freeze", TEMPLATE)
    assert frozen["ok"] is False and frozen["error"]["code"] == "conflict", frozen
    assert "plenary" in frozen["error"]["message"]
    assert await world.svc.records.signing.list_texts(world.case.id) == []


def _clause(fragment: XmlFragment) -> None:
    words = XmlText("Bati+ rembourse 1 200 € ")
    fragment.children.append(XmlElement("paragraph", {}, [words]))
    words.format(0, 5, {"strong": {}})
    items = [
        XmlElement("list_item", {}, [XmlElement("paragraph", {}, [XmlText("avant mars")])]),
        XmlElement("list_item", {}, [XmlElement("paragraph", {}, [XmlText("par virement")])]),
    ]
    fragment.children.append(XmlElement("ordered_list", {"order": 1}, items))


async def test_freezing_the_plenary_text_tells_everyone_its_hash_and_later_edits_do_not_change_it(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    assert (await anne.call("room:plenary_talk", {"allowed": True}))["ok"]
    assert (await anne.call("text:template", TEMPLATE))["ok"]
    editor = Editor(marc)
    await until(lambda: bool(marc.seen("text:update")))
    editor.receive()
    assert (await editor.send(editor.change(_clause)))["ok"]
    # a party may neither freeze nor insert a template
    for event in ("text:freeze", "text:template"):
        refused = await jeanne.call(event, TEMPLATE)
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
    assert await world.svc.records.signing.list_texts(world.case.id) == []
    live = document_of(_live_text(world))
    ack = await anne.call("text:freeze", TEMPLATE)
    assert ack["ok"], ack
    sha, text_id = ack["sha256"], ack["text_id"]
    for c in (anne, jeanne, marc):
        await until(lambda c=c: bool(c.seen("text:frozen")))  # type: ignore[misc]
        assert c.seen("text:frozen") == [
            {"room_id": PLENARY, "text_id": text_id, "sha256": sha,
             "kind": "mediated_agreement", "title": live[0].text}
        ]  # fmt: skip
    stored = await world.svc.records.signing.get_text(world.case.id, text_id)
    document = await world.svc.records.signing.read_document(world.case.id, text_id)
    assert stored.sha256 == sha == text_sha256(document) == text_sha256(live)
    assert document == live
    # the list became numbered paragraphs, the bold dropped
    texts = [b.text for b in document]
    assert "Bati+ rembourse 1 200 €" in texts
    assert texts[-2:] == ["1. avant mars", "2. par virement"]
    # the signers: both parties and the mediator who froze it, in that order
    people = [(s.person_kind, s.person_id) for s in stored.signers]
    assert people[-1][0] is PersonKind.MEDIATOR and len(people) == 3
    # the live text goes on; the frozen one does not move
    assert (await editor.send(editor.change(paragraph("Un ajout après coup"))))["ok"]
    assert "Un ajout après coup" in server_text(world)
    again = await world.svc.records.signing.read_document(world.case.id, text_id)
    assert again == document
    assert (await world.svc.records.signing.get_text(world.case.id, text_id)).sha256 == sha
    # the freeze's audit entry names the room
    entries = await world.svc.records.audit.for_case(world.case.id)
    frozen_entry = next(e for e in entries if e.action == "text.frozen")
    assert frozen_entry.detail["room_id"] == PLENARY


async def test_a_signature_tells_the_mediators_who_and_the_others_how_many(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    assert (await anne.call("text:template", TEMPLATE))["ok"]
    ack = await anne.call("text:freeze", TEMPLATE)
    assert ack["ok"], ack
    signing = world.svc.records.signing
    text = await signing.get_text(world.case.id, ack["text_id"])
    jeanne_id = next(p.id for p in world.case.participants if p.display_name == "Jeanne Dupont")
    signer = text.signer_of(PersonKind.PARTICIPANT, jeanne_id)
    assert signer is not None
    code, _ = await signing.new_code(
        world.case.id, text.id, signer.id, channel="shown", actor="mediator:x", via="test"
    )
    body = {"sha256": ack["sha256"], "typed_name": "Jeanne Dupont",
            "typed_signature": "J. Dupont", "code": code}  # fmt: skip
    headers = {"Authorization": f"Bearer {world.tokens['Jeanne Dupont']}",
               CSRF_HEADER: "t", "Cookie": f"{CSRF_COOKIE}=t"}  # fmt: skip
    async with aiohttp.ClientSession() as http:
        url = f"{world.url}/api/join/texts/{text.id}/sign"
        async with http.post(url, json=body, headers=headers) as r:
            assert r.status == 200, await r.text()
    await until(lambda: bool(anne.seen("text:signed")) and bool(marc.seen("text:signing")))
    progress = {"text_id": text.id, "signed": 1, "total": 3, "sealed": False}
    assert anne.seen("text:signed") == [
        {**progress, "signer_id": signer.id, "person_id": jeanne_id, "name": "Jeanne Dupont",
         "role": "party", "state": "open"}
    ]  # fmt: skip
    assert marc.seen("text:signing") == [progress]
    assert jeanne.seen("text:signing") == [progress]
    await barrier(marc)
    assert not marc.seen("text:signed") and "Jeanne Dupont" not in json.dumps(
        marc.seen("text:signing")
    )
    # what the room shows on asking: the mediator who signed, a party how many
    mine = (await anne.call("text:to_sign", {}))["texts"]
    assert [(s["name"], s["signed"]) for s in mine[0]["signers"]] == [
        ("Jeanne Dupont", True),
        ("Marc Durand", False),
        ("Anne", False),
    ]
    assert mine[0]["case_id"] == world.case.id
    theirs = (await marc.call("text:to_sign", {}))["texts"]
    assert theirs == [
        {"text_id": text.id, "kind": "mediated_agreement", "language": "fr",
         "sha256": ack["sha256"], "state": "open", "signed": 1, "total": 3, "sealed": False,
         "my_signer_id": theirs[0]["my_signer_id"], "signed_by_me": False}
    ]  # fmt: skip
    assert (await jeanne.call("text:to_sign", {}))["texts"][0]["signed_by_me"] is True
