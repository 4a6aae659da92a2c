from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from records.db import Base, Database
from records.migrate import RENUMBERED, alembic_config, current_head, upgrade
from records.models import UTCDateTime
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


async def _add_mediators_before_the_admin_role(url: str) -> None:
    """Two accounts as a database from before 0006 holds them; the later one inserted first."""
    mediators = sa.table(
        "mediators",
        sa.column("id", sa.String(32)),
        sa.column("email", sa.String(254)),
        sa.column("display_name", sa.String(120)),
        sa.column("password_hash", sa.String(200)),
        sa.column("disabled", sa.Boolean()),
        sa.column("created_at", UTCDateTime()),
    )
    database = Database(url)
    try:
        async with database.engine.begin() as conn:
            for mid, day in (("second", 2), ("first", 1)):
                await conn.execute(
                    mediators.insert().values(
                        id=mid,
                        email=f"{mid}@example.org",
                        display_name=mid,
                        password_hash="x",
                        disabled=False,
                        created_at=datetime(2026, 1, day, tzinfo=UTC),
                    )
                )
    finally:
        await database.close()


async def _admins(url: str) -> dict[str, bool]:
    database = Database(url)
    try:
        async with database.engine.connect() as conn:
            rows = await conn.execute(text("SELECT id, is_admin FROM mediators"))
            return {row[0]: bool(row[1]) for row in rows}
    finally:
        await database.close()


def _upgrade_makes_the_first_account_admin(url: str) -> None:
    upgrade(url, "0005_shared_documents")
    asyncio.run(_add_mediators_before_the_admin_role(url))
    upgrade(url)
    assert asyncio.run(_admins(url)) == {"first": True, "second": False}


def test_sqlite_upgrade_makes_the_first_existing_account_admin(tmp_path: Path) -> None:
    _upgrade_makes_the_first_account_admin(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")


@pytest.mark.usefixtures("pg_template")
def test_postgres_upgrade_makes_the_first_existing_account_admin() -> None:
    name = f"palabre_mig_{secrets.token_hex(4)}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        _upgrade_makes_the_first_account_admin(pg_url(name))
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- consecutive ids: databases upgraded under the old ones --------------------------


def test_revision_ids_are_consecutive_and_named_after_their_files() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    chain = list(reversed(list(script.walk_revisions())))
    assert [int(rev.revision[:4]) for rev in chain] == list(range(1, len(chain) + 1))
    for rev in chain:
        assert Path(str(rev.path)).name.startswith(rev.revision[:4])
    ids = {rev.revision for rev in chain}
    assert set(RENUMBERED.values()) <= ids
    assert not set(RENUMBERED) & ids


async def _set_version(url: str, revision: str) -> None:
    """What ``alembic_version`` holds in a database upgraded before the renumbering."""
    database = Database(url)
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    finally:
        await database.close()


def _old_head_upgrades_to_the_new_head(url: str) -> None:
    upgrade(url, "0007_consent_personal")
    asyncio.run(_set_version(url, "0014_consent_personal"))  # the old head, by its old id
    upgrade(url)  # 0008 and after run
    version, tables = asyncio.run(_state(url))
    assert version == current_head() == "0020_follow_up_due"
    assert "live_states" in tables
    assert set(Base.metadata.tables) <= tables


def _old_id_mid_chain_runs_the_rest(url: str) -> None:
    upgrade(url, "0005_shared_documents")
    asyncio.run(_set_version(url, "0012_shared_documents"))  # its id before the renumbering
    asyncio.run(_add_mediators_before_the_admin_role(url))
    upgrade(url)  # 0006 onwards run: the first account becomes the administrator
    assert asyncio.run(_state(url))[0] == current_head()
    assert asyncio.run(_admins(url)) == {"first": True, "second": False}


def test_sqlite_at_the_old_head_upgrades_to_the_new_head(tmp_path: Path) -> None:
    _old_head_upgrades_to_the_new_head(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")


def test_sqlite_at_an_old_id_runs_the_migrations_after_it(tmp_path: Path) -> None:
    _old_id_mid_chain_runs_the_rest(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")


@pytest.mark.usefixtures("pg_template")
def test_postgres_at_the_old_head_upgrades_to_the_new_head() -> None:
    name = f"palabre_mig_{secrets.token_hex(4)}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        _old_head_upgrades_to_the_new_head(pg_url(name))
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.usefixtures("pg_template")
def test_postgres_at_an_old_id_runs_the_migrations_after_it() -> None:
    name = f"palabre_mig_{secrets.token_hex(4)}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        _old_id_mid_chain_runs_the_rest(pg_url(name))
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.usefixtures("pg_template")
def test_nodes_starting_together_migrate_one_after_the_other() -> None:
    """Several nodes start at once on one new PostgreSQL database: each runs the
    migrations at start, and none fails on a table another has just created."""
    name = f"palabre_mig_{secrets.token_hex(4)}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        code = f"from records.migrate import upgrade; upgrade({pg_url(name)!r})"
        nodes = [
            subprocess.Popen(
                [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            for _ in range(4)
        ]
        outputs = [node.communicate(timeout=120)[0].decode() for node in nodes]
        assert [node.returncode for node in nodes] == [0] * 4, "\n".join(outputs)
        version, tables = asyncio.run(_state(pg_url(name)))
        assert version == current_head()
        assert set(Base.metadata.tables) <= tables
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
