from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from records.db import Base, Database
from records.migrate import current_head, upgrade
from tests.conftest import pg_admin, pg_url


async def _state(url: str) -> tuple[str, set[str]]:
    database = Database(url)
    try:
        async with database.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()

            def tables(sync: Connection) -> set[str]:
                return set(inspect(sync).get_table_names())

            names = await conn.run_sync(tables)
    finally:
        await database.close()
    return str(version), names


def test_empty_sqlite_upgrades_to_head(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    upgrade(url)  # idempotent
    version, tables = asyncio.run(_state(url))
    assert version == current_head()
    assert set(Base.metadata.tables) <= tables


@pytest.mark.usefixtures("pg_template")
def test_empty_postgres_upgrades_to_head() -> None:
    name = f"palabre_mig_{secrets.token_hex(4)}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        upgrade(pg_url(name))
        version, tables = asyncio.run(_state(pg_url(name)))
        assert version == current_head()
        assert set(Base.metadata.tables) <= tables
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
