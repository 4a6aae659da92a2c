"""An HMAC chain kept in a table: locked appends, streamed verification, purge.

Shared by the consent log and the audit log. The head row (``log_heads``) is
locked for every append — ``SELECT ... FOR UPDATE`` on PostgreSQL, a write to
the row first on SQLite (which takes the database write lock) — so two server
processes appending at once still build one chain. Entries older than the
retention period can be purged; the head row then keeps a checkpoint
(``first_seq``, ``first_prev``) from which ``verify`` starts, and the purge
itself is recorded in the audit log.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from records.db import Database
from records.errors import RecordsError
from records.logs.chain import (
    ChainHead,
    Entry,
    Problem,
    VerifyReport,
    entry_mac,
    next_entry,
    verify_chain,
)
from records.models import LogHeadRow

logger = logging.getLogger(__name__)

VERIFY_BATCH = 10_000
FieldsOf = Callable[[Row[Any]], dict[str, Any]]
# new column values of an entry being rewritten, or None to keep it as it is
Rewrite = Callable[[Row[Any]], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True, slots=True)
class Appended:
    seq: int
    mac: str
    prev_mac: str


@dataclass(frozen=True, slots=True)
class Rechained:
    """What ``LogChain.rewrite`` did: entries changed, re-MACed, and the heads before and after."""

    changed: int
    remaced: int
    from_seq: int
    old_head: ChainHead
    new_head: ChainHead


@dataclass(frozen=True, slots=True)
class PurgeResult:
    deleted: int
    first_seq: int


class LogChain:
    """One chain: ``name`` in ``log_heads``, entries in ``table`` (primary key ``seq``)."""

    def __init__(self, name: str, table: Table, fields_of: FieldsOf, hmac_key: bytes) -> None:
        self.name = name
        self.table = table
        self._fields_of = fields_of
        self._hmac_key = hmac_key

    async def _lock_head(self, s: AsyncSession) -> LogHeadRow:
        if s.get_bind().dialect.name == "sqlite":
            # the first write takes SQLite's write lock: the read below sees the latest head
            await s.execute(
                update(LogHeadRow).where(LogHeadRow.name == self.name).values(seq=LogHeadRow.seq)
            )
        head = await s.scalar(
            select(LogHeadRow)
            .where(LogHeadRow.name == self.name)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if head is None:
            raise RecordsError(f"log head {self.name!r} is missing: run the migrations")
        return head

    async def append_many(
        self, s: AsyncSession, entries: Sequence[tuple[Mapping[str, Any], dict[str, Any]]]
    ) -> list[Appended]:
        """Append several entries under one lock of the head (one INSERT)."""
        if not entries:
            return []
        head = await self._lock_head(s)
        anchor: ChainHead | Entry | None = ChainHead(head.seq, head.mac) if head.seq else None
        rows, done = [], []
        for fields, row in entries:
            entry = next_entry(self._hmac_key, anchor, fields, start_seq=head.first_seq)
            assert entry.prev_mac is not None
            rows.append({**row, "seq": entry.seq, "mac": entry.mac, "prev_mac": entry.prev_mac})
            done.append(Appended(entry.seq, entry.mac, entry.prev_mac))
            anchor = entry
        await s.execute(self.table.insert(), rows)
        head.seq, head.mac = done[-1].seq, done[-1].mac
        await s.flush()
        return done

    async def append(
        self, s: AsyncSession, fields: Mapping[str, Any], row: dict[str, Any]
    ) -> Appended:
        """Append inside the caller's transaction; ``row`` are the column values."""
        head = await self._lock_head(s)
        anchor = ChainHead(head.seq, head.mac) if head.seq else None
        entry = next_entry(self._hmac_key, anchor, fields, start_seq=head.first_seq)
        await s.execute(
            self.table.insert().values(**row, seq=entry.seq, mac=entry.mac, prev_mac=entry.prev_mac)
        )
        head.seq, head.mac = entry.seq, entry.mac
        await s.flush()
        assert entry.prev_mac is not None
        return Appended(entry.seq, entry.mac, entry.prev_mac)

    async def rewrite(self, s: AsyncSession, from_seq: int, rewrite: Rewrite) -> Rechained:
        """Change entries from ``from_seq`` on and MAC the chain again from there to the head.

        For a change of what an entry stores (sealing personal data written in
        clear by an older version). Under the head lock, in the caller's
        transaction: the segment is verified as stored first, and a chain that
        does not verify is never signed again (``RecordsError``), so the rewrite
        cannot launder tampering. Holds the segment in memory.
        """
        head = await self._lock_head(s)
        old_head = ChainHead(head.seq, head.mac)
        seq_col = self.table.c.seq
        from_seq = max(from_seq, head.first_seq)
        if from_seq > head.seq:
            return Rechained(0, 0, from_seq, old_head, old_head)
        if from_seq == head.first_seq:
            prev = head.first_prev
        else:
            found = await s.scalar(select(self.table.c.mac).where(seq_col == from_seq - 1))
            if found is None:
                raise RecordsError(f"{self.name} log: entry {from_seq - 1} is missing")
            prev = found
        rows = (
            await s.execute(select(self.table).where(seq_col >= from_seq).order_by(seq_col))
        ).all()
        report = verify_chain(
            self._hmac_key,
            [Entry(self._fields_of(r), r.mac, r.prev_mac) for r in rows],
            start_seq=from_seq,
            start_prev=prev,
            expected_head=old_head,
        )
        if not report.ok or report.head is None or report.head.seq != head.seq:
            raise RecordsError(
                f"{self.name} log does not verify from seq {from_seq}: {report.detail or 'head'}"
            )
        changed = 0
        for r in rows:
            values = await rewrite(r)
            if values:
                changed += 1
            merged = {**r._mapping, **(values or {})}
            fields = self._fields_of(SimpleNamespace(**merged))  # type: ignore[arg-type]
            mac = entry_mac(self._hmac_key, prev, fields)
            await s.execute(
                update(self.table)
                .where(seq_col == r.seq)
                .values(**(values or {}), mac=mac, prev_mac=prev)
            )
            prev = mac
        head.mac = prev
        await s.flush()
        logger.info(
            "%s log: %d entries changed, %d MACed again from seq %d",
            self.name, changed, len(rows), from_seq,
        )  # fmt: skip
        return Rechained(changed, len(rows), from_seq, old_head, ChainHead(head.seq, prev))

    async def verify(self, db: Database) -> VerifyReport:
        """Verify from the purge checkpoint to the head, in batches (constant memory)."""
        async with db.transaction() as s:
            head = await s.get(LogHeadRow, self.name)
            if head is None:
                raise RecordsError(f"log head {self.name!r} is missing")
            first_seq, first_prev = head.first_seq, head.first_prev
            expected = ChainHead(head.seq, head.mac)
        seq_col = self.table.c.seq
        start_seq, start_prev, checked = first_seq, first_prev, 0
        after = first_seq - 1
        last: ChainHead | None = None
        async with db.engine.connect() as conn:

            async def fetch(after: int) -> Sequence[Row[Any]]:
                query = select(self.table).where(seq_col > after).order_by(seq_col)
                return (await conn.execute(query.limit(VERIFY_BATCH))).all()

            # fetch the next batch while this one is verified
            pending = asyncio.ensure_future(fetch(after))
            try:
                while True:
                    rows = await pending
                    if not rows:
                        break
                    pending = asyncio.ensure_future(fetch(rows[-1].seq))
                    entries = [Entry(self._fields_of(r), r.mac, r.prev_mac) for r in rows]
                    report = verify_chain(
                        self._hmac_key, entries, start_seq=start_seq, start_prev=start_prev
                    )
                    if not report.ok:
                        pos = None if report.position is None else report.position + checked
                        return VerifyReport(
                            False, checked + report.count, report.problem, report.seq, pos,
                            report.detail,
                        )  # fmt: skip
                    checked += report.count
                    assert report.head is not None
                    last = report.head
                    start_seq, start_prev = last.seq + 1, last.mac
            finally:
                if not pending.done():
                    pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending
        # the head row is the anchor: the chain must end exactly there
        end = last.seq if last is not None else first_seq - 1
        if end < expected.seq:
            return VerifyReport(
                False, checked, Problem.TRUNCATED, end + 1, checked,
                f"chain ends at seq {end}, head row at {expected.seq}",
            )  # fmt: skip
        if end > expected.seq:
            return VerifyReport(
                False, checked, Problem.INSERTED, expected.seq + 1, checked,
                f"entries after the head row (seq {expected.seq})",
            )  # fmt: skip
        if last is not None and not hmac.compare_digest(last.mac, expected.mac):
            return VerifyReport(
                False, checked, Problem.EDITED, expected.seq, checked - 1,
                "last entry differs from the head row",
            )  # fmt: skip
        return VerifyReport(True, checked, head=last)

    async def purge_before(self, s: AsyncSession, at_cutoff: str) -> PurgeResult:
        """Delete the oldest entries with ``at < at_cutoff``; move the checkpoint past them."""
        head = await self._lock_head(s)
        at_col, seq_col = self.table.c.at, self.table.c.seq
        last = await s.execute(
            select(seq_col, self.table.c.mac)
            .where(at_col < at_cutoff)
            .order_by(seq_col.desc())
            .limit(1)
        )
        found = last.first()
        if found is None:
            return PurgeResult(0, head.first_seq)
        # entries are appended in time order: everything up to that seq goes
        count = await s.scalar(
            select(func.count()).select_from(self.table).where(seq_col <= found.seq)
        )
        await s.execute(delete(self.table).where(seq_col <= found.seq))
        head.first_seq, head.first_prev = found.seq + 1, found.mac
        await s.flush()
        logger.info(
            "purged %d %s log entries; chain now starts at %d", count, self.name, found.seq + 1
        )
        return PurgeResult(int(count or 0), head.first_seq)
