"""The board journal: encrypted rows, group commit, order, erasure."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select, update

from records.db import Database
from records.errors import CryptoError
from records.journal import JournalBroken, JournalEntry, _SqliteWriter
from records.models import BoardOpRow, utcnow
from records.service import Records, open_records
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
    with pytest.raises(CryptoError):
        await journal.load(case.id, "s1", "plenary")


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
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_SqliteWriter, "CHECKPOINT_EVERY_ROWS", 10)
    checkpoints: list[int] = []
    original = _SqliteWriter.checkpoint

    def counted(writer: _SqliteWriter) -> None:
        checkpoints.append(1)
        original(writer)

    monkeypatch.setattr(_SqliteWriter, "checkpoint", counted)
    db = Database(sqlite_url)
    records = await open_records(db, tmp_path / "var" / "keys.json")
    try:
        anne = await make_mediator(db)
        case = await make_case(db, anne, store=records.cases)
        journal = records.journal
        for seq in range(1, 26):
            await journal.append(case.id, "s1", "plenary", [JournalEntry(seq, b"op")])
        for _ in range(100):
            if journal._checkpoint is None and checkpoints:
                break
            await asyncio.sleep(0.01)
        assert len(checkpoints) >= 2  # every ~10 rows, beside the commits
        writer = journal._sqlite
        assert writer is not None
        autocheckpoint = writer._connection().execute("PRAGMA wal_autocheckpoint").fetchone()
        assert autocheckpoint == (0,)  # commits never checkpoint themselves
        assert len(await journal.load(case.id, "s1", "plenary")) == 25
    finally:
        await records.close()
        await db.close()
