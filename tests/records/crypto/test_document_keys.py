"""Each shared document has a data key of its own: deleting it destroys the key
(crypto-shredding), so its ciphertext left anywhere (PostgreSQL dead rows and WAL,
a backup) is unreadable; its provider's other items are untouched; erasing the
provider destroys every one of their documents' keys; documents stored under the
provider's key before still read. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from records.crypto.keystore import DataKeyRow, item_scope, participant_scope
from records.db import Database
from records.errors import NotFound, Shredded
from records.models import CaseItemRow, CaseItemVersionRow, utcnow
from records.rights.retention import DEFAULT_POLICIES, purge
from records.rights.subjects import erase_subject, export_subject
from records.service import Records
from records.stores import casefile as casefile_module
from records.stores.casefile import ItemKind
from tests.factories import make_case, make_mediator


async def backup(db: Database, item_id: str) -> tuple[CaseItemRow, list[CaseItemVersionRow]]:
    """A copy of an item's rows as a backup (or PostgreSQL's dead tuples) keeps them."""
    async with db.transaction() as s:
        item = await s.get(CaseItemRow, item_id)
        assert item is not None
        versions = list(
            await s.scalars(select(CaseItemVersionRow).where(CaseItemVersionRow.item_id == item_id))
        )
        s.expunge_all()
    return item, versions


async def restore(db: Database, saved: tuple[CaseItemRow, list[CaseItemVersionRow]]) -> None:
    item, versions = saved
    async with db.transaction() as s:
        await s.merge(item)
        await s.flush()
        for ver in versions:
            await s.merge(ver)


async def key_of(db: Database, item_id: str) -> str:
    async with db.transaction() as s:
        key_id = await s.scalar(
            select(CaseItemVersionRow.key_id).where(CaseItemVersionRow.item_id == item_id)
        )
    assert key_id is not None
    return key_id


def old_style(monkeypatch: pytest.MonkeyPatch) -> None:
    """Store documents as before per-document keys: under their provider's key."""
    monkeypatch.setattr(casefile_module, "OWN_KEY_KINDS", frozenset())


async def test_discarding_a_document_destroys_its_key_and_nothing_else(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne = case.participants[0].id
    cf, ks = records.casefile, records.keystore
    withdrawn = await cf.put_item(case.id, ItemKind.DOCUMENT, b"brouillon", actor="t", via="t",
                                  session_id="s1", provided_by=jeanne)  # fmt: skip
    other = await cf.put_item(case.id, ItemKind.DOCUMENT, b"relev\xc3\xa9", actor="t", via="t",
                              session_id="s1", provided_by=jeanne)  # fmt: skip
    chat = await cf.put_item(case.id, ItemKind.CHAT, b"bonjour", actor="t", via="t",
                             provided_by=jeanne)  # fmt: skip
    key_id = await key_of(db, withdrawn.id)
    assert key_id not in await ks.key_ids(case.id, participant_scope(jeanne))
    assert await ks.key_ids(case.id, item_scope(withdrawn.id)) == [key_id]
    assert key_id != await key_of(db, other.id)
    saved = await backup(db, withdrawn.id)
    await cf.delete_item(withdrawn.id, actor="t", via="t")
    assert await ks.get_wrapped(key_id) is None  # the key row is gone: shredded
    with pytest.raises(NotFound):
        await cf.get_item(withdrawn.id, actor="t", via="t")
    # what a backup or a dead row kept of it no longer decrypts
    await restore(db, saved)
    with pytest.raises(Shredded):
        await cf.get_item(withdrawn.id, actor="t", via="t")
    # the same person's other document and chat still read
    assert (await cf.get_item(other.id, actor="t", via="t")).content == b"relev\xc3\xa9"
    assert (await cf.get_item(chat.id, actor="t", via="t")).content == b"bonjour"
    assert any(e.action == "item.delete" for e in await records.audit.for_case(case.id))


async def test_a_failed_write_leaves_no_key_and_the_purge_destroys_strays(
    db: Database, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    ks = records.keystore
    before = set(await ks.key_ids(case.id))

    async def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as m:  # the write fails after its key was made
        m.setattr(records.audit, "append_many_in", broken)
        with pytest.raises(OSError):
            await records.casefile.put_item(case.id, ItemKind.DOCUMENT, b"x", actor="t", via="t")
    assert set(await ks.key_ids(case.id)) == before
    # a key whose item never came (a crash between the two stores), old and new
    stray, _ = await ks.get_or_create(records.keys, case.id, item_scope("gone-old"))
    fresh, _ = await ks.get_or_create(records.keys, case.id, item_scope("in-flight"))
    async with ks.db.transaction() as s:
        await s.execute(
            update(DataKeyRow)
            .where(DataKeyRow.id == stray)
            .values(created_at=utcnow() - timedelta(hours=2))
        )
    counts = await purge(records, DEFAULT_POLICIES, utcnow())
    assert counts["orphan_keys"] == 1
    assert await ks.get_wrapped(stray) is None
    assert await ks.get_wrapped(fresh) is not None  # a write may still be under way
    assert set(await ks.key_ids(case.id)) == before | {fresh}


async def test_erasing_a_participant_destroys_every_one_of_their_document_keys(
    db: Database, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne, marc = case.participants[0].id, case.participants[1].id
    cf, ks = records.casefile, records.keystore
    with monkeypatch.context() as m:
        old_style(m)
        old = await cf.put_item(case.id, ItemKind.DOCUMENT, b"ancien", actor="t", via="t",
                                session_id="s1", provided_by=jeanne)  # fmt: skip
    docs = []
    for i in range(2):
        doc = await cf.put_item(case.id, ItemKind.DOCUMENT, f"pièce {i}".encode(), actor="t",
                                via="t", session_id="s1", provided_by=jeanne)  # fmt: skip
        docs.append(doc)
    his = await cf.put_item(case.id, ItemKind.DOCUMENT, b"lui", actor="t", via="t",
                            session_id="s1", provided_by=marc)  # fmt: skip
    mine = [old, *docs]
    key_ids = {await key_of(db, d.id) for d in mine}
    assert len(key_ids) == 3  # the old one under her key, the new ones each their own
    saved = [await backup(db, d.id) for d in mine]
    report = await erase_subject(records, jeanne, actor="t", via="t")
    assert any("3 item(s)" in e for e in report["erased"])
    for key_id in key_ids:
        assert await ks.get_wrapped(key_id) is None
    for copy in saved:
        await restore(db, copy)
    for d in mine:
        with pytest.raises(Shredded):
            await cf.get_item(d.id, actor="t", via="t")
    assert (await cf.get_item(his.id, actor="t", via="t")).content == b"lui"


async def test_documents_under_their_providers_key_still_work(
    db: Database, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne = case.participants[0].id
    cf, ks = records.casefile, records.keystore
    with monkeypatch.context() as m:
        old_style(m)
        old = await cf.put_item(case.id, ItemKind.DOCUMENT, b"ancien", actor="t", via="t",
                                session_id="s1", provided_by=jeanne)  # fmt: skip
        dropped = await cf.put_item(case.id, ItemKind.DOCUMENT, b"retire", actor="t",
                                    via="t", session_id="s1", provided_by=jeanne)  # fmt: skip
    [her_key] = await ks.key_ids(case.id, participant_scope(jeanne))
    assert await key_of(db, old.id) == her_key
    new = await cf.put_item(case.id, ItemKind.DOCUMENT, b"nouveau", actor="t", via="t",
                            session_id="s1", provided_by=jeanne)  # fmt: skip
    assert await key_of(db, new.id) != her_key
    assert (await cf.get_item(old.id, actor="t", via="t")).content == b"ancien"
    # the sharing state is under each document's own key, whichever it is
    wanted = [{"doc_id": d.id, "title": t} for d, t in ((old, "ancien"), (new, "nouveau"))]
    assert await records.shares.save(case.id, "s1", wanted) == 2
    assert await records.shares.load(case.id, "s1") == wanted
    # deleting an old one leaves her key (her other items need it), and they read on
    await cf.delete_item(dropped.id, actor="t", via="t")
    assert await ks.key_ids(case.id, participant_scope(jeanne)) == [her_key]
    assert (await cf.get_item(old.id, actor="t", via="t")).content == b"ancien"
    # her data export reads both kinds
    export = await export_subject(records, jeanne, actor="t", via="t")
    assert sorted(i["text"] for i in export["provided"]) == ["ancien", "nouveau"]


async def test_the_retention_purge_destroys_expired_documents_keys(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne = case.participants[0].id
    cf, ks = records.casefile, records.keystore
    doc = await cf.put_item(case.id, ItemKind.DOCUMENT, b"pdf", actor="t", via="t",
                            provided_by=jeanne)  # fmt: skip
    key_id = await key_of(db, doc.id)
    saved = await backup(db, doc.id)
    later = utcnow() + timedelta(days=366)
    counts = await purge(records, DEFAULT_POLICIES, later)
    assert counts["documents"] == 1
    assert await ks.get_wrapped(key_id) is None
    await restore(db, saved)
    with pytest.raises(Shredded):
        await cf.get_item(doc.id, actor="t", via="t")
