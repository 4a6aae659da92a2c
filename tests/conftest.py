"""Shared fixtures: a migrated database on SQLite and on the real PostgreSQL server.

PostgreSQL is used for real: one throwaway database per test run serves as a
migrated template, and each test gets a fresh copy of it. Under CI=true an
unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from records.db import Database
from records.migrate import upgrade
from records.service import Records, open_records

PG_SERVER = os.environ.get("PALABRE_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def pg_url(database: str, driver: str = "postgresql+asyncpg") -> str:
    return f"{PG_SERVER.replace('postgresql', driver, 1)}/{database}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres", timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_admin(sql: str) -> None:
    asyncio.run(_pg_admin(sql))


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """Name of a migrated template database on the PostgreSQL server."""
    name = f"palabre_tpl_{secrets.token_hex(4)}"
    try:
        pg_admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_SERVER} is unreachable under CI=true: {exc}")
        pytest.skip(f"PostgreSQL at {PG_SERVER} unreachable: {exc}")
    try:
        upgrade(pg_url(name))
        yield name
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "palabre.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _fresh_sqlite(template: Path, target_dir: Path) -> str:
    target_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, target_dir / "palabre.db")
    return f"sqlite+aiosqlite:///{target_dir / 'palabre.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL: every test using it runs on both backends."""
    if request.param == "sqlite":
        yield _fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "var")
        return
    template = request.getfixturevalue("pg_template")
    name = f"palabre_t_{secrets.token_hex(6)}"
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield pg_url(name)
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database under tmp_path/var (for tests that need only one backend)."""
    return _fresh_sqlite(sqlite_template, tmp_path / "var")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.close()


@pytest.fixture
async def records(db: Database, tmp_path: Path) -> AsyncIterator[Records]:
    """Every records service on ``db``, keys in tmp_path/var (keys.json, keys.db)."""
    (tmp_path / "var").mkdir(exist_ok=True)
    opened = await open_records(db, tmp_path / "var" / "keys.json")
    yield opened
    await opened.close()
