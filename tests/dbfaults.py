"""Real database faults for tests: the database itself refuses, instead of a patched method.

A test that wants "the database refuses this write" or "this table cannot be read" gets it
from the database, through every layer production goes through, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text

from records.db import Database, is_sqlite


@contextlib.asynccontextmanager
async def inserts_refused(db: Database, table: str) -> AsyncIterator[None]:
    """Every new row of ``table`` is refused by the database (a trigger) until the block ends;
    reading it still works."""
    name = f"refuse_{table}"
    if is_sqlite(db.url):
        create = [
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        ]
        drop = [f"DROP TRIGGER {name}"]
    else:
        create = [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
        drop = [f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()"]
    await _run(db, create)
    try:
        yield
    finally:
        await _run(db, drop)


@contextlib.asynccontextmanager
async def table_away(db: Database, table: str) -> AsyncIterator[None]:
    """``table`` cannot be read or written (renamed) until the block ends."""
    await _run(db, [f"ALTER TABLE {table} RENAME TO {table}_away"])
    try:
        yield
    finally:
        await _run(db, [f"ALTER TABLE {table}_away RENAME TO {table}"])


async def _run(db: Database, statements: list[str]) -> None:
    async with db.engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))
