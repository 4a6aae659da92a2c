"""Participants' addresses: sealed under each person's own key at rest, opened on read,
sealed at start when stored in clear before 0018, unreadable once the person is erased."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update

from records.crypto.keystore import participant_scope
from records.db import Database
from records.errors import CryptoError, Invalid
from records.models import ParticipantRow
from records.rights.subjects import erase_subject, export_subject
from records.service import Records, open_records
from records.stores.addresses import ParticipantAddresses
from records.stores.cases import CaseStore, NewParticipant, ParticipantRole
from tests.factories import make_case, make_mediator

JEANNE = "jeanne@example.org"
GIRARD = "girard@example.org"


async def raw_rows(db: Database) -> list[dict[str, Any]]:
    """The ``participants`` table as stored, every column."""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT * FROM participants ORDER BY position"))).all()
    return [dict(r._mapping) for r in rows]


def clear_anywhere(rows: list[dict[str, Any]], *secrets: str) -> list[str]:
    """Which of ``secrets`` a stored row holds, in any column (ciphertexts included)."""
    dumped = repr(rows)
    blobs = b"".join(v for r in rows for v in r.values() if isinstance(v, bytes))
    return [s for s in secrets if s in dumped or s.encode() in blobs]


async def test_a_new_case_stores_addresses_sealed_and_reads_them_back(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    assert [p.email for p in case.participants] == [JEANNE, None, GIRARD]
    rows = await raw_rows(db)
    assert clear_anywhere(rows, JEANNE, GIRARD, "jeanne", "girard") == []
    assert all(r["email"] is None for r in rows)
    assert [r["email_sealed"] is not None for r in rows] == [True, False, True]
    jeanne = case.participants[0].id
    [key_id] = await records.keystore.key_ids(case.id, participant_scope(jeanne))
    assert rows[0]["contact_key_id"] == key_id  # the person's own key

    loaded = await records.cases.get_case(case.id, anne.id)
    assert [p.email for p in loaded.participants] == [JEANNE, None, GIRARD]
    assert (await records.cases.get_case_header(case.id, anne.id)).participants == (
        loaded.participants
    )
    assert (await records.cases.get_participant(case.id, jeanne)).email == JEANNE
    added = await records.cases.add_participant(
        case.id, anne.id, NewParticipant("Observatrice", ParticipantRole.OBSERVER, "obs@x.org")
    )
    assert added.email == "obs@x.org"
    assert "obs@x.org" not in repr(await raw_rows(db))
    assert (await records.cases.get_participant(case.id, added.id)).email == "obs@x.org"


async def test_an_address_is_bound_to_its_person(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne, girard = case.participants[0].id, case.participants[2].id
    async with db.transaction() as s:
        theirs = await s.get(ParticipantRow, jeanne)
        assert theirs is not None
        await s.execute(
            update(ParticipantRow)
            .where(ParticipantRow.id == girard)
            .values(email_sealed=theirs.email_sealed, contact_key_id=theirs.contact_key_id)
        )
    with pytest.raises(CryptoError):
        await records.cases.get_participant(case.id, girard)


async def test_a_store_without_keys_refuses_an_address(db: Database) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne)  # no keys: nobody has an address
    assert [p.email for p in case.participants] == [None, None, None]
    with pytest.raises(Invalid, match="address"):
        await CaseStore(db).add_participant(
            case.id, anne.id, NewParticipant("X", ParticipantRole.PARTY, "x@example.org")
        )


async def test_addresses_stored_in_clear_before_0018_are_sealed_at_start(
    db: Database, records: Records, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    # as the schema before 0018 wrote them: the address in clear, nothing sealed
    async with db.engine.begin() as conn:
        for i, (pid, name, email, erased) in enumerate(
            [("a" * 24, "Léa Legacy", "lea@old.example", None),
             ("b" * 24, "[erased]", "gone@old.example", datetime(2026, 1, 1))],
        ):  # fmt: skip
            await conn.execute(
                text(
                    "INSERT INTO participants (id, case_id, display_name, email, role, position,"
                    " erased_at) VALUES (:id, :case, :name, :email, 'party', :pos, :erased)"
                ),
                {"id": pid, "case": case.id, "name": name, "email": email, "pos": 10 + i,
                 "erased": erased},
            )  # fmt: skip
    # read before the start sealed it: still the address (from the clear column)
    assert (await records.cases.get_participant(case.id, "a" * 24)).email == "lea@old.example"

    caplog.set_level("DEBUG")
    started = await open_records(db, tmp_path / "var" / "keys.json")  # the next start
    try:
        rows = {r["id"]: r for r in await raw_rows(db)}
        assert clear_anywhere(list(rows.values()), "lea@old", "gone@old", JEANNE) == []
        assert rows["a" * 24]["email_sealed"] is not None
        assert rows["b" * 24]["email_sealed"] is None  # an erased person's: dropped
        assert (await started.cases.get_participant(case.id, "a" * 24)).email == ("lea@old.example")
        assert (await started.cases.get_participant(case.id, "b" * 24)).email is None
        loaded = await started.cases.get_case(case.id, anne.id)
        assert [p.email for p in loaded.participants][:3] == [JEANNE, None, GIRARD]
        again = ParticipantAddresses(db, started.keystore, started.keys, organisation_id="palabre")
        assert await again.seal_legacy() == 0  # idempotent
    finally:
        await started.close()
    ours = [r for r in caplog.records if r.name.startswith("records")]  # not the DB driver's
    logged = "\n".join(r.getMessage() for r in ours)
    assert "1 address(es) from before 0018 sealed, 1 of erased" in logged
    assert "old.example" not in logged and "Léa" not in logged


async def test_the_export_shows_the_address_and_erasure_makes_it_unreadable(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne = case.participants[0].id
    async with db.transaction() as s:
        row = await s.get(ParticipantRow, jeanne)
        assert row is not None and row.email_sealed is not None
        sealed, key_id = row.email_sealed, row.contact_key_id
    doc = await export_subject(records, jeanne, actor="cli", via="cli")
    assert doc["participant"]["email"] == JEANNE
    assert JEANNE not in repr(await records.audit.for_case(case.id, 50))

    await erase_subject(records, jeanne, actor="cli", via="cli")
    row_after = next(r for r in await raw_rows(db) if r["id"] == jeanne)
    assert row_after["email_sealed"] is None and row_after["contact_key_id"] is None
    # a copy of the ciphertext (a backup, a dead row) no longer opens: the key is gone
    async with db.transaction() as s:
        await s.execute(
            update(ParticipantRow)
            .where(ParticipantRow.id == jeanne)
            .values(email_sealed=sealed, contact_key_id=key_id)
        )
    assert (await records.cases.get_participant(case.id, jeanne)).email is None
    loaded = await records.cases.get_case(case.id, anne.id)  # the case still loads
    assert [p.email for p in loaded.participants] == [None, None, GIRARD]
    assert (await export_subject(records, jeanne, actor="cli", via="cli"))["participant"][
        "email"
    ] is None


async def test_a_shredded_case_still_loads_without_its_addresses(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    await records.casefile.shred_case(case.id, actor="t", via="t")
    loaded = await records.cases.get_case_header(case.id, anne.id)
    assert [p.email for p in loaded.participants] == [None, None, None]
