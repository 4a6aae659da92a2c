"""Runs the Alembic migration chain programmatically (no alembic.ini needed).

Revision ids are consecutive. The ones that were not (0010 to 0014, which became
0003 to 0007) are still in the ``alembic_version`` of databases upgraded before:
:func:`upgrade` rewrites such an id to its new one first (:data:`RENUMBERED`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from records.db import create_engine

MIGRATIONS = Path(__file__).with_name("migrations")

# old revision id -> the same migration's id since the ids are consecutive
RENUMBERED = {
    "0010_case_outcome": "0003_case_outcome",
    "0011_board_journal": "0004_board_journal",
    "0012_shared_documents": "0005_shared_documents",
    "0013_admin_role": "0006_admin_role",
    "0014_consent_personal": "0007_consent_personal",
}


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _renumber_in(connection: Connection) -> None:
    if not inspect(connection).has_table("alembic_version"):
        return  # a new database
    for old, new in RENUMBERED.items():
        connection.execute(
            text("UPDATE alembic_version SET version_num = :new WHERE version_num = :old"),
            {"old": old, "new": new},
        )


async def _renumber(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_renumber_in)
    finally:
        await engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrades the database at ``url``; blocking (runs its own event loop)."""
    asyncio.run(_renumber(url))
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)


def current_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head
