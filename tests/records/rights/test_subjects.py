from __future__ import annotations

import hashlib
import json

from records.db import Database
from records.errors import NotFound
from records.models import ParticipantRow
from records.rights.subjects import erase_subject, export_html, export_subject
from records.service import Records
from records.stores.casefile import ItemKind
from records.stores.journal import JournalEntry
from tests.factories import make_case, make_mediator

SHA = hashlib.sha256(b"t").hexdigest()


async def test_export_holds_only_what_the_person_provided(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne, marc = case.participants[0].id, case.participants[1].id
    cf = records.casefile
    await cf.put_item(case.id, ItemKind.CHAT, b"<b>mine</b>", actor="t", via="t",
                      provided_by=jeanne)  # fmt: skip
    await cf.put_item(case.id, ItemKind.CHAT, b"his", actor="t", via="t", provided_by=marc)
    await cf.put_item(case.id, ItemKind.PRIVATE_NOTE, b"mediator note", actor="t", via="t")
    await records.consent.record(
        session_id="s1", participant_id=jeanne, purpose="privacy", decision="given",
        text_version=1, text_sha256=SHA, language="fr", mechanism={"kind": "button"},
        typed_name="Jeanne D.",
    )  # fmt: skip
    doc = await export_subject(records, jeanne, actor="cli", via="cli")
    assert doc["format"] == "palabre-subject-export" and doc["version"] == 1
    assert [i["text"] for i in doc["provided"]] == ["<b>mine</b>"]
    assert [c["purpose"] for c in doc["consents"]] == ["privacy"]
    text = str(doc)
    assert "his" not in text and "mediator note" not in text and "Confidential" not in text
    page = export_html(doc)
    assert "&lt;b&gt;mine&lt;/b&gt;" in page and "<b>mine</b>" not in page
    assert "Jeanne Dupont" in page


async def test_erasure_shreds_and_keeps_consent_proof(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne = case.participants[0].id
    doc = await records.casefile.put_item(
        case.id, ItemKind.DOCUMENT, b"pdf", actor="t", via="t", provided_by=jeanne
    )
    await records.consent.record(
        session_id="s1", participant_id=jeanne, purpose="privacy", decision="given",
        text_version=1, text_sha256=SHA, language="fr", mechanism={}, typed_name=None,
    )  # fmt: skip
    report = await erase_subject(records, jeanne, actor="cli", via="cli")
    assert any("1 item" in e for e in report["erased"])
    assert any("consent" in k["what"] for k in report["kept"])
    try:
        await records.casefile.get_item(doc.id, actor="t", via="t")
        raise AssertionError("still readable")
    except NotFound:
        pass
    async with db.transaction() as s:
        row = await s.get(ParticipantRow, jeanne)
        assert row is not None and row.email is None and row.display_name == "[erased]"
    assert len(await records.consent.history(jeanne)) == 1
    assert (await records.cases.get_case(case.id, anne.id)).description  # the case file stays
    assert (await records.audit.verify()).ok


async def test_export_holds_what_the_person_drew_and_erasure_says_it_stays(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne, marc = case.participants[0].id, case.participants[1].id

    def logged(seq: int, author: str, text: str) -> JournalEntry:
        op = {"type": "text", "id": f"t{seq}", "x": 0, "y": 0, "text": text}
        return JournalEntry(seq, json.dumps({"seq": seq, "author": author, "op": op}).encode())

    journal = records.journal
    await journal.append(case.id, "s1", "plenary", [
        logged(1, f"p-{jeanne}", "<i>Mon mur</i>"), logged(2, f"p-{marc}", "Sa haie"),
        logged(3, f"m-{anne.id}", "Piste"),
    ])  # fmt: skip
    await journal.append(case.id, "s1", "caucus-1", [logged(1, f"p-{jeanne}", "Mon plafond")])
    doc = await export_subject(records, jeanne, actor="cli", via="cli")
    assert [(d["room_id"], d["seq"], d["op"]["text"]) for d in doc["whiteboard"]] == [
        ("caucus-1", 1, "Mon plafond"), ("plenary", 1, "<i>Mon mur</i>"),
    ]  # fmt: skip
    assert "Sa haie" not in str(doc) and "Piste" not in str(doc)
    page = export_html(doc)
    assert "&lt;i&gt;Mon mur&lt;/i&gt;" in page and "<i>Mon mur" not in page
    entries = await records.audit.for_case(case.id, 50)
    [export] = [e for e in entries if e.action == "subject.export"]
    assert export.detail["board_ops"] == 2
    report = await erase_subject(records, jeanne, actor="cli", via="cli")
    assert any("whiteboards" in k["what"] for k in report["kept"])
