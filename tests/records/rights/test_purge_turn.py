"""Several nodes on one database: one purge per interval, never two at once."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from records.db import Database
from records.models import AuditLogRow
from records.rights.purge_turn import purge_if_due, purge_turn
from records.rights.retention import DEFAULT_POLICIES
from records.service import Records, open_records
from tests.conftest import pg_admin, pg_url

DAY = timedelta(hours=24)


async def _purges(records: Records) -> int:
    async with records.db.transaction() as s:
        count = await s.scalar(select(func.count()).where(AuditLogRow.action == "retention.purge"))
    return int(count or 0)


async def test_nodes_purge_once_per_interval_whichever_wakes(records: Records) -> None:
    now = datetime.now(UTC)
    assert await purge_if_due(records, DEFAULT_POLICIES, now, DAY) is not None
    # another node wakes an hour later: this interval's purge is done
    assert await purge_if_due(records, DEFAULT_POLICIES, now + timedelta(hours=1), DAY) is None
    # a little less than a day later (nodes wake at their own moments): due again
    later = now + DAY - timedelta(minutes=2)
    assert await purge_if_due(records, DEFAULT_POLICIES, later, DAY) is not None
    assert await _purges(records) == 2


@pytest.fixture
def pg_db_url(pg_template: str) -> Iterator[str]:
    """Several nodes share a PostgreSQL database (SQLite is one node's)."""
    name = f"palabre_t_{secrets.token_hex(6)}"
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        yield pg_url(name)
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_two_nodes_waking_together_purge_once(pg_db_url: str, tmp_path: Path) -> None:
    """Two nodes, each with its own connections to the one database."""
    db_url = pg_db_url
    (tmp_path / "var").mkdir(exist_ok=True)
    nodes = []
    for _ in range(2):
        db = Database(db_url)
        nodes.append(await open_records(db, tmp_path / "var" / "keys.json"))
    try:
        now = datetime.now(UTC)
        results = await asyncio.gather(
            *(purge_if_due(node, DEFAULT_POLICIES, now, DAY) for node in nodes)
        )
        assert sum(r is not None for r in results) == 1
        assert await _purges(nodes[0]) == 1
    finally:
        for node in nodes:
            await node.close()
            await node.db.close()


async def test_the_lock_is_one_at_a_time_and_given_back(pg_db_url: str) -> None:
    first, second = Database(pg_db_url), Database(pg_db_url)
    try:
        async with purge_turn(first) as mine:
            assert mine
            async with purge_turn(second) as theirs:
                assert not theirs
        async with purge_turn(second) as theirs:
            assert theirs  # released when the purge ended
    finally:
        await first.close()
        await second.close()
