from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from records.crypto.keystore import CASE_SCOPE, item_scope, participant_scope
from records.crypto.vault import rewrap_all
from records.db import Database
from records.errors import Conflict, CryptoError, NotFound, Shredded
from records.models import CaseItemVersionRow, CaseRow
from records.service import Records, open_records
from records.stores.casefile import ItemKind
from tests.factories import make_case, make_mediator


async def test_items_round_trip_with_versions_and_audit(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    cf = records.casefile
    actor = f"mediator:{anne.id}"
    note = await cf.put_item(case.id, ItemKind.PRIVATE_NOTE, b"first", actor=actor, via="t")
    second = await cf.put_item(
        case.id, ItemKind.PRIVATE_NOTE, b"second", actor=actor, via="t", item_id=note.id
    )
    assert (note.version, second.version) == (1, 2)
    assert (await cf.get_item(note.id, actor=actor, via="t")).content == b"second"
    assert (await cf.get_item(note.id, actor=actor, via="t", version=1)).content == b"first"
    trail = await records.audit.for_case(case.id)
    actions = [e.action for e in reversed(trail)]
    # the description was written at creation; two writes, two reads
    assert actions == ["item.write", "item.write", "item.write", "item.read", "item.read"]
    assert all("first" not in str(e.detail) and "second" not in str(e.detail) for e in trail)
    assert trail[0].actor == actor and trail[0].via == "t"


async def test_description_is_encrypted_not_plaintext(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    assert (await records.cases.get_case(case.id, anne.id)).description == (
        "Confidential description"
    )
    async with db.transaction() as s:
        row = await s.get(CaseRow, case.id)
        assert row is not None and row.description == ""
        blobs = list(await s.scalars(select(CaseItemVersionRow.ciphertext)))
    assert blobs and all(b"Confidential" not in b for b in blobs)


async def test_legacy_plaintext_descriptions_are_moved(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne)  # no case file: no description
    async with db.transaction() as s:
        await s.execute(update(CaseRow).where(CaseRow.id == case.id).values(description="old"))
    assert await records.casefile.encrypt_legacy_descriptions() == 1
    assert await records.casefile.encrypt_legacy_descriptions() == 0
    assert (await records.cases.get_case(case.id, anne.id)).description == "old"


async def test_ciphertext_moved_to_another_item_fails(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    cf = records.casefile
    a = await cf.put_item(case.id, ItemKind.PRIVATE_NOTE, b"note a", actor="t", via="t")
    b = await cf.put_item(case.id, ItemKind.PRIVATE_NOTE, b"note b", actor="t", via="t")
    async with db.transaction() as s:
        blob = await s.scalar(
            select(CaseItemVersionRow.ciphertext).where(CaseItemVersionRow.item_id == a.id)
        )
        await s.execute(
            update(CaseItemVersionRow)
            .where(CaseItemVersionRow.item_id == b.id)
            .values(ciphertext=blob)
        )
    with pytest.raises(CryptoError, match="does not authenticate"):
        await cf.get_item(b.id, actor="t", via="t")
    assert (await cf.get_item(a.id, actor="t", via="t")).content == b"note a"
    assert (await records.audit.for_case(case.id, 1))[0].action == "item.read"
    failed = [e for e in await records.audit.for_case(case.id) if e.action == "item.read_failed"]
    assert failed and failed[0].detail["reason"] == "crypto_error"


async def test_participant_items_use_their_own_key(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne, marc = case.participants[0].id, case.participants[1].id
    cf = records.casefile
    doc = await cf.put_item(
        case.id, ItemKind.DOCUMENT, b"%PDF jeanne", actor="t", via="t", provided_by=jeanne
    )
    other = await cf.put_item(
        case.id, ItemKind.CHAT, b"marc says", actor="t", via="t", provided_by=marc
    )
    ks = records.keystore
    assert len(await ks.key_ids(case.id, participant_scope(marc))) == 1
    assert len(await ks.key_ids(case.id, item_scope(doc.id))) == 1  # a document: its own
    assert await cf.shred_participant(case.id, jeanne, actor="t", via="t") == 1
    with pytest.raises(NotFound):
        await cf.get_item(doc.id, actor="t", via="t")
    assert (await cf.get_item(other.id, actor="t", via="t")).content == b"marc says"
    assert await ks.key_ids(case.id, CASE_SCOPE)


async def test_shredding_a_case_leaves_no_key_bytes_in_any_file(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = Database(sqlite_url)
    var = tmp_path / "var"
    records = await open_records(db, var / "keys.json")
    try:
        anne = await make_mediator(db)
        case = await make_case(db, anne, store=records.cases)
        keep = await make_case(db, anne, store=records.cases)
        item = await records.casefile.put_item(
            case.id, ItemKind.DOCUMENT, b"secret document " * 1000, actor="t", via="t",
            provided_by=case.participants[0].id,
        )  # fmt: skip
        secrets_found: list[bytes] = []
        for key_id in await records.keystore.key_ids(case.id):
            stored = await records.keystore.get_wrapped(key_id)
            assert stored is not None
            secrets_found += [stored[1], records.keys.unwrap(*stored)]
        # the case's key, the document's, and the own keys of the two people with an address
        assert len(secrets_found) == 8
        files = sorted(p for p in var.iterdir() if ".db" in p.name)
        assert any(s in p.read_bytes() for p in files for s in secrets_found)  # control
        assert await records.casefile.shred_case(case.id, actor="t", via="t") == 4
        with pytest.raises(NotFound):
            await records.casefile.get_item(item.id, actor="t", via="t")
        files = sorted(p for p in var.iterdir() if ".db" in p.name)
        assert {p.name for p in files} >= {"palabre.db", "keys.db"}
        for path in files:
            data = path.read_bytes()
            for secret in secrets_found:
                assert secret not in data, f"key bytes left in {path.name}"
        assert (await records.cases.get_case(keep.id, anne.id)).description
    finally:
        await records.close()
        await db.close()


async def test_a_shredded_key_is_a_clear_error(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    item = await records.casefile.put_item(
        case.id, ItemKind.AGREEMENT, b"accord", actor="t", via="t"
    )
    await records.keystore.shred(case.id)
    with pytest.raises(Shredded, match="erased"):
        await records.casefile.get_item(item.id, actor="t", via="t")


async def test_rotation_rewraps_keys_without_touching_ciphertexts(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    async with db.transaction() as s:
        before = list(await s.scalars(select(CaseItemVersionRow.ciphertext)))
    old = records.keys.current_kek_id
    records.keys.rotate()
    with pytest.raises(Conflict, match="still wraps"):
        records.keys.retire(old, await records.keystore.get_kek_ids_in_use())
    # the case's key and the own keys of the two people with an address
    assert await rewrap_all(records.keys, records.keystore) == 3
    records.keys.retire(old, await records.keystore.get_kek_ids_in_use())
    assert old not in records.keys.kek_ids()
    async with db.transaction() as s:
        assert list(await s.scalars(select(CaseItemVersionRow.ciphertext))) == before
    loaded = await records.cases.get_case(case.id, anne.id)
    assert loaded.description and loaded.participants[0].email == "jeanne@example.org"
