"""Whose turn it is to run the retention purge, when several nodes share one database.

Every node runs the purge loop, so that the purge goes on whichever nodes are alive;
but the deployment purges once per interval, not once per node, and never twice at
the same time (two purges shredding the same case, or trimming the same log chain,
would race). So a node purges only:

* holding the deployment's purge lock: on PostgreSQL a session-level advisory lock,
  on a connection of its own for the whole purge (released when the purge ends, or by
  the server when the node dies); a node that does not get it skips its turn. SQLite
  is one node's database: its own write lock is enough;
* and when the purge is due: the last one (its ``retention.purge`` entry in the audit
  log, whichever node wrote it) is at least an interval old.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from sqlalchemy import func, select, text

from records.db import Database
from records.models import AuditLogRow
from records.rights.retention import Policy, purge
from records.service import Records

PURGE_LOCK = 0x70757267  # "purg"
# A purge that ran a little less than an interval ago (nodes wake at different moments)
# counts as this interval's.
EARLY = timedelta(minutes=5)


@contextlib.asynccontextmanager
async def purge_turn(db: Database) -> AsyncIterator[bool]:
    """True while this node holds the deployment's purge lock; False if another one does."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    async with db.engine.connect() as connection:
        taken = await connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": PURGE_LOCK})
        await connection.commit()
        if not taken:
            yield False
            return
        try:
            yield True
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PURGE_LOCK})
            await connection.commit()


async def last_purge_at(records: Records) -> datetime | None:
    async with records.db.transaction() as s:
        at = await s.scalar(
            select(func.max(AuditLogRow.at)).where(AuditLogRow.action == "retention.purge")
        )
    return datetime.fromisoformat(at) if at else None


async def purge_if_due(
    records: Records, policies: tuple[Policy, ...], now: datetime, interval: timedelta
) -> dict[str, int] | None:
    """Purges if it is this node's turn and the purge is due; None if it was not."""
    async with purge_turn(records.db) as mine:
        if not mine:
            return None
        last = await last_purge_at(records)
        if last is not None and now - last < interval - EARLY:
            return None
        return await purge(records, policies, now)
