"""Shared documents' state: encrypted like each document, replaced whole, gone with it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from records.crypto.keystore import item_scope
from records.db import Database
from records.models import SharedDocumentRow
from records.service import Records
from records.stores.casefile import ItemKind
from tests.factories import make_case, make_mediator


def share(doc_id: str, title: str, **more: Any) -> dict[str, Any]:
    return {"doc_id": doc_id, "title": title, "visibility": "room", "room_id": "plenary", **more}


async def stored(db: Database) -> list[SharedDocumentRow]:
    async with db.transaction() as s:
        return list(await s.scalars(select(SharedDocumentRow).order_by(SharedDocumentRow.doc_id)))


async def test_each_share_is_encrypted_under_its_document_key_and_read_back(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne = case.participants[0].id
    cf = records.casefile
    hers = await cf.put_item(case.id, ItemKind.DOCUMENT, b"%PDF", actor="t", via="t",
                             session_id="s1", provided_by=jeanne)  # fmt: skip
    ours = await cf.put_item(case.id, ItemKind.DOCUMENT, b"notes", actor="t", via="t",
                             session_id="s1")  # fmt: skip
    shares = records.shares
    wanted = [
        share(hers.id, "Lettre à M. Durand.pdf", audience=["p-1", "m-2"]),
        share(ours.id, "Pistes d'accord.txt", download_allowed=True),
    ]
    assert await shares.save(case.id, "s1", wanted) == 2
    assert await shares.load(case.id, "s1") == wanted
    assert await shares.load(case.id, "s2") == []
    rows = {r.doc_id: r for r in await stored(db)}
    for row in rows.values():
        assert b"Durand" not in row.ciphertext and b"Pistes" not in row.ciphertext
    ks = records.keystore
    assert rows[hers.id].key_id in await ks.key_ids(case.id, item_scope(hers.id))
    assert rows[ours.id].key_id in await ks.key_ids(case.id, item_scope(ours.id))


async def test_saving_replaces_the_session_state_and_skips_what_is_not_a_document(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    other = await make_case(db, anne, store=records.cases)
    cf = records.casefile
    one = await cf.put_item(case.id, ItemKind.DOCUMENT, b"1", actor="t", via="t", session_id="s1")
    two = await cf.put_item(case.id, ItemKind.DOCUMENT, b"2", actor="t", via="t", session_id="s1")
    shares = records.shares
    await shares.save(case.id, "s1", [share(one.id, "un"), share(two.id, "deux")])
    await shares.save(case.id, "s1", [share(one.id, "un, renommé")])
    assert await shares.load(case.id, "s1") == [share(one.id, "un, renommé")]
    # only this session's documents of this case: not another session's, another case's,
    # a note that is no document, or an id that is no item
    later = await cf.put_item(case.id, ItemKind.DOCUMENT, b"2", actor="t", via="t",
                              session_id="s2")  # fmt: skip
    note = await cf.put_item(case.id, ItemKind.PRIVATE_NOTE, b"n", actor="t", via="t",
                             session_id="s1")  # fmt: skip
    elsewhere = await cf.put_item(other.id, ItemKind.DOCUMENT, b"3", actor="t", via="t",
                                  session_id="s1")  # fmt: skip
    strays = [share(i, "x") for i in (later.id, note.id, elsewhere.id, "nope")]
    assert await shares.save(case.id, "s1", strays) == 0
    assert await shares.load(case.id, "s1") == []


async def test_a_share_goes_with_its_document_and_with_its_owner_key(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne, marc = case.participants[0].id, case.participants[1].id
    cf = records.casefile
    hers = await cf.put_item(case.id, ItemKind.DOCUMENT, b"a", actor="t", via="t",
                             session_id="s1", provided_by=jeanne)  # fmt: skip
    his = await cf.put_item(case.id, ItemKind.DOCUMENT, b"b", actor="t", via="t",
                            session_id="s1", provided_by=marc)  # fmt: skip
    withdrawn = await cf.put_item(case.id, ItemKind.DOCUMENT, b"c", actor="t", via="t",
                                  session_id="s1")  # fmt: skip
    shares = records.shares
    await shares.save(
        case.id, "s1", [share(hers.id, "elle"), share(his.id, "lui"), share(withdrawn.id, "c")]
    )
    await cf.delete_item(withdrawn.id, actor="t", via="t")
    assert await cf.shred_participant(case.id, jeanne, actor="t", via="t") == 1
    assert [r.doc_id for r in await stored(db)] == [his.id]  # the rows went with the items
    assert await shares.load(case.id, "s1") == [share(his.id, "lui")]


async def test_a_row_moved_to_another_session_does_not_decrypt_and_is_left_out(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    doc = await records.casefile.put_item(
        case.id, ItemKind.DOCUMENT, b"a", actor="t", via="t", session_id="s1"
    )
    await records.shares.save(case.id, "s1", [share(doc.id, "pièce")])
    async with db.transaction() as s:
        await s.execute(update(SharedDocumentRow).values(session_id="s2"))
    assert await records.shares.load(case.id, "s2") == []
