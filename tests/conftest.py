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
from typing import Any

import asyncpg
import pytest

from records.db import Database
from records.migrate import upgrade
from records.service import Records, open_records

PG_SERVER = os.environ.get("PALABRE_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


# Under xdist (``make test PYTEST_WORKERS=2``: ``-n 2 --dist loadscope``) the tests that
# drive Chromium or start several nodes run in two lines, one after another in each: those
# that send media through the relay or start several nodes (MEDIA), and the other pages
# (the rest of HEAVY).
# Two media tests at once would share 2 cores with six Chromium pages and the relay (timeouts).
# The other modules are shared out over the workers. The scheduler sees node ids only, so
# each line is a place; the collection hook checks that every browser test is in one.
MEDIA = (
    "tests/cluster/",
    "tests/e2e/test_e2ee_",
    "tests/e2e/test_frame_crypto.py",
    "tests/e2e/test_on_hold.py",
    "tests/e2e/test_private_meeting.py",
    "tests/e2e/test_relay_",
    "tests/e2e/test_second_device.py",
    "tests/e2e/test_states.py",
    "tests/e2e/test_tap_checks.py",
    "tests/e2e/test_turn_relay.py",
)
HEAVY = (*MEDIA, "tests/e2e/", "tests/frontend/test_board_")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    astray = [
        i.nodeid
        for i in items
        if i.get_closest_marker("browser") and not i.nodeid.startswith(HEAVY)
    ]
    if astray:
        raise pytest.UsageError(f"browser tests outside tests/conftest.py's HEAVY: {astray[:3]}")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class HeavyInTwoLines(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(MEDIA):
                return "media"
            if nodeid.startswith(HEAVY):
                return "pages"
            return str(super()._split_scope(nodeid))

    return HeavyInTwoLines(config, log)


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
