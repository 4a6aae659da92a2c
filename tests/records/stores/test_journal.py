"""The board journal: encrypted rows, group commit, order, erasure."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from records.db import Database
from records.models import BoardOpRow, utcnow
from records.service import Records, open_records
from records.stores.journal import BoardJournal, JournalBroken, JournalEntry
from tests.dbfaults import table_away
from tests.factories import make_case, make_mediator


async def test_appends_are_encrypted_ordered_and_read_back(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    journal = records.journal
    await journal.append(case.id, "s1", "plenary", [JournalEntry(1, b'{"secret":"loyer"}')])
    await journal.append(case.id, "s1", "plenary", [JournalEntry(2, b"two")])
    await journal.append(case.id, "s1", "caucus-1", [JournalEntry(1, b"elsewhere")])
    loaded = await journal.load(case.id, "s1", "plenary")
    assert [(e.seq, e.content) for e in loaded] == [(1, b'{"secret":"loyer"}'), (2, b"two")]
    async with db.transaction() as s:
        rows = list(await s.scalars(select(BoardOpRow)))
    assert len(rows) == 3
    assert all(b"loyer" not in r.ciphertext and b"elsewhere" not in r.ciphertext for r in rows)
    assert all(abs((r.created_at - utcnow()).total_seconds()) < 60 for r in rows)


async def test_concurrent_appends_share_transactions(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    journal = records.journal
    before = journal.transactions
    await asyncio.gather(
        *(
            journal.append(case.id, "s1", f"room-{r}", [JournalEntry(n, b"op")])
            for n in range(1, 21)
            for r in range(5)
        )
    )
    assert journal.transactions - before < 100  # 100 appends, far fewer commits
    for r in range(5):
        assert [e.seq for e in await journal.load(case.id, "s1", f"room-{r}")] == list(range(1, 21))


async def test_after_a_failed_write_the_board_must_be_read_back(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    journal = records.journal
    await journal.append(case.id, "s1", "plenary", [JournalEntry(1, b"one")])
    await journal.append(case.id, "s1", "other", [JournalEntry(1, b"other room")])
    with pytest.raises(Exception):  # noqa: B017 (the database's own integrity error)
        await journal.append(case.id, "s1", "plenary", [JournalEntry(1, b"same seq again")])
    # no write may land after the failed one until the board was read back: no gaps
    with pytest.raises(JournalBroken):
        await journal.append(case.id, "s1", "plenary", [JournalEntry(2, b"two")])
    await journal.append(case.id, "s1", "other", [JournalEntry(2, b"others go on")])
    assert [e.content for e in await journal.load(case.id, "s1", "plenary")] == [b"one"]
    await journal.append(case.id, "s1", "plenary", [JournalEntry(2, b"two")])
    assert [e.content for e in await journal.load(case.id, "s1", "plenary")] == [b"one", b"two"]


async def test_a_row_moved_to_another_room_does_not_decrypt(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    journal = records.journal
    await journal.append(case.id, "s1", "caucus-1", [JournalEntry(1, b"private")])
    async with db.transaction() as s:
        await s.execute(update(BoardOpRow).values(room_id="plenary"))
    # not shown, not lost, not refusing the session: set aside and reported
    assert await journal.load(case.id, "s1", "plenary") == []
    [check] = await journal.verify()
    assert check.room_id == "plenary" and not check.ok
    assert any("do not decrypt" in p for p in check.problems)


async def test_dropping_a_case_removes_its_journal(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    other = await make_case(db, anne, store=records.cases)
    await records.journal.append(case.id, "s1", "plenary", [JournalEntry(1, b"a")])
    await records.journal.append(other.id, "s2", "plenary", [JournalEntry(1, b"b")])
    assert await records.journal.drop_case(case.id) == 1
    assert await records.journal.load(case.id, "s1", "plenary") == []
    assert len(await records.journal.load(other.id, "s2", "plenary")) == 1


async def test_the_embedded_journal_checkpoints_its_log_aside_not_inside_a_commit(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = Database(sqlite_url)
    records = await open_records(db, tmp_path / "var" / "keys.json")
    journal = BoardJournal(db, records.keystore, records.keys, checkpoint_every_rows=10)
    try:
        anne = await make_mediator(db)
        case = await make_case(db, anne, store=records.cases)
        for seq in range(1, 26):
            await journal.append(case.id, "s1", "plenary", [JournalEntry(seq, b"op")])
        for _ in range(100):
            if journal.checkpoints >= 2:  # every ~10 rows, beside the commits
                break
            await asyncio.sleep(0.01)
        assert journal.checkpoints >= 2
        writer = journal._sqlite
        assert writer is not None
        autocheckpoint = writer._connection().execute("PRAGMA wal_autocheckpoint").fetchone()
        assert autocheckpoint == (0,)  # commits never checkpoint themselves
        assert len(await journal.load(case.id, "s1", "plenary")) == 25
    finally:
        journal.close()
        await records.close()
        await db.close()


async def test_a_failed_reload_leaves_the_board_refusing_writes(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    journal = records.journal
    await journal.load(case.id, "s1", "plenary")
    await journal.append(case.id, "s1", "plenary", [JournalEntry(1, b"one")])
    with pytest.raises(JournalBroken):  # does not follow on: the room is broken
        await journal.append(case.id, "s1", "plenary", [JournalEntry(3, b"three")])

    async with table_away(db, "board_ops"):  # the database cannot read the board
        with pytest.raises(DBAPIError):
            await journal.load(case.id, "s1", "plenary")
    # the reload failed: still broken, nothing may be numbered past the gap
    with pytest.raises(JournalBroken):
        await journal.append(case.id, "s1", "plenary", [JournalEntry(2, b"two")])
    assert [e.seq for e in await journal.load(case.id, "s1", "plenary")] == [1]
    await journal.append(case.id, "s1", "plenary", [JournalEntry(2, b"two")])
    assert [e.seq for e in await journal.load(case.id, "s1", "plenary")] == [1, 2]
    assert all(check.ok for check in await journal.verify())


async def test_a_reload_deletes_what_was_not_acknowledged(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    journal = records.journal
    for seq in (1, 2, 3):  # 2 and 3: committed, but their answer was lost
        await journal.append(case.id, "s1", "plenary", [JournalEntry(seq, b"op")])
    assert [e.seq for e in await journal.load(case.id, "s1", "plenary", keep_through=1)] == [1]
    assert [e.seq for e in await journal.load(case.id, "s1", "plenary")] == [1]
    await journal.append(case.id, "s1", "plenary", [JournalEntry(2, b"again")])
    assert [e.content for e in await journal.load(case.id, "s1", "plenary")] == [b"op", b"again"]


async def test_a_board_stored_with_a_gap_loads_up_to_it_and_verify_reports_it(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    journal = records.journal
    for seq in (1, 2, 5, 6):  # as the unfixed server stored it after an outage
        await journal.append(case.id, "s1", "plenary", [JournalEntry(seq, f"op{seq}".encode())])
    [check] = await journal.verify()
    assert check.problems == ("jumps from 2 to 5",)
    assert [e.seq for e in await journal.load(case.id, "s1", "plenary")] == [1, 2]
    # the rows after the gap are kept aside, and the board goes on from 2
    for seq in (3, 4, 5):
        await journal.append(case.id, "s1", "plenary", [JournalEntry(seq, b"new")])
    assert [e.seq for e in await journal.load(case.id, "s1", "plenary")] == [1, 2, 3, 4, 5]
    [check] = await journal.verify()
    assert check.problems == ("2 operations set aside after a break",) and check.rows == 7
    kept = {e.content for _s, _r, e in await journal.load_case(case.id)}
    assert {b"op5", b"op6"} <= kept  # still readable for an investigation or an export
