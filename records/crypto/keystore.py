"""Wrapped data keys of the case files, in a database of their own.

One data key per *scope* of a case: ``"case"`` for what the mediators write
(description, private notes, agreement), one per participant for what that
person provided (chat, whiteboard exports), so that erasing one person's data
is a key destruction too, and one per shared document (``item_scope``), so that
deleting a withdrawn document destroys its key: its ciphertext left anywhere
(dead rows, WAL, backups of the main database) can no longer be read. Keys are
stored wrapped under a KEK of the ``KeyProvider``, with the KEK id.

By default the keys live in a SQLite file of their own, whatever the main
database: ``keys.db`` next to ``palabre.db``, or under the data folder when the
main database is PostgreSQL (:func:`default_keys_url`). Deleting a key row with
``secure_delete`` and then ``wal_checkpoint(TRUNCATE)`` leaves no copy of it in
that file, while the ciphertexts in the main database become unreadable.
``PALABRE_KEYS_DATABASE_URL`` may point elsewhere, and keeping them in the main
database is an explicit choice: on PostgreSQL a deleted tuple persists in dead
rows and the WAL until VACUUM, and in backups until they expire.

Schema: this database has one table and no Alembic chain. ``ensure_schema``
creates it at start (idempotent); ``keys_meta`` records the schema version so a
future change can migrate it there.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import (
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
    delete,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from records.crypto.envelope import new_data_key
from records.crypto.keys import KeyProvider
from records.crypto.vault import WrappedKeyRow
from records.db import NAMING, Database, is_sqlite
from records.errors import Shredded
from records.models import UTCDateTime, new_id, utcnow

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
CASE_SCOPE = "case"


class KeysBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DataKeyRow(KeysBase):
    __tablename__ = "data_keys"
    __table_args__ = (UniqueConstraint("case_id", "scope"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(32), index=True)
    scope: Mapped[str] = mapped_column(String(40))
    kek_id: Mapped[str] = mapped_column(String(80), index=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeysMetaRow(KeysBase):
    __tablename__ = "keys_meta"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    schema_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))


def default_keys_url(main_url: str, var_dir: Path) -> str:
    """A SQLite file of its own: ``keys.db`` beside a SQLite main database, under
    ``var_dir`` beside any other (PostgreSQL), never the main database itself."""
    if is_sqlite(main_url):
        prefix, _, path = main_url.partition(":///")
        return f"{prefix}:///{Path(path).with_name('keys.db')}"
    return f"sqlite+aiosqlite:///{var_dir / 'keys.db'}"


async def holds_keys(db: Database) -> bool:
    """Whether ``db`` has a data-key table with a key in it (where keys used to be kept)."""
    async with db.engine.connect() as conn:
        present = await conn.run_sync(
            lambda sync: inspect(sync).has_table(DataKeyRow.__tablename__)
        )
        if not present:
            return False
        return (await conn.scalar(select(DataKeyRow.id).limit(1))) is not None


def participant_scope(participant_id: str) -> str:
    return f"p:{participant_id}"


ITEM_SCOPE_PREFIX = "i:"


def item_scope(item_id: str) -> str:
    """The scope of a key that protects one case-file item alone (a shared document)."""
    return f"{ITEM_SCOPE_PREFIX}{item_id}"


# A public request's content has a key of its own, kept under the request's id in place of a
# case's (ids are random: they never meet); destroying it shreds the request.
REQUEST_SCOPE = "request"


SCHEMA_LOCK = 0x7061_6C61  # the advisory lock held while the key tables are created


class KeyStore:
    """The data-key table; implements ``records.crypto.vault.WrappedKeyStore``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def ensure_schema(self) -> None:
        async with self.db.engine.begin() as conn:
            if not is_sqlite(self.db.url):
                # several nodes starting at once on one PostgreSQL database: one creates the
                # tables, the others wait for it (the lock ends with the transaction)
                await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": SCHEMA_LOCK})
            await conn.run_sync(KeysBase.metadata.create_all)
        try:
            async with self.db.transaction() as s:
                if await s.get(KeysMetaRow, 1) is None:
                    s.add(
                        KeysMetaRow(id=1, schema_version=SCHEMA_VERSION, created_at=datetime.now())
                    )
        except IntegrityError:  # another node wrote it first
            pass

    async def count_keys(self) -> int:
        async with self.db.transaction() as s:
            return len(list(await s.scalars(select(DataKeyRow.id).limit(1))))

    async def get_or_create(self, keys: KeyProvider, case_id: str, scope: str) -> tuple[str, bytes]:
        """``(key_id, data_key)`` of a scope, creating and wrapping a new key if needed."""
        found = await self._find(case_id, scope)
        if found is not None:
            return found.id, _unwrap(keys, found)
        data_key = new_data_key()
        kek_id, wrapped = keys.wrap(data_key)
        row_id = new_id()
        try:
            async with self.db.transaction() as s:
                await s.execute(
                    insert(DataKeyRow).values(
                        id=row_id, case_id=case_id, scope=scope, kek_id=kek_id,
                        wrapped_key=wrapped, created_at=utcnow(),
                    )
                )  # fmt: skip
        except IntegrityError:  # another writer created it first: use theirs
            found = await self._find(case_id, scope)
            assert found is not None
            return found.id, _unwrap(keys, found)
        return row_id, data_key

    async def get_key(self, keys: KeyProvider, key_id: str) -> bytes:
        async with self.db.transaction() as s:
            row = await s.get(DataKeyRow, key_id)
        if row is None:
            raise Shredded("this item was erased: its data key no longer exists")
        return _unwrap(keys, row)

    async def get_keys(self, keys: KeyProvider, key_ids: Collection[str]) -> dict[str, bytes]:
        """The data keys of ``key_ids`` that still exist, in one read (a destroyed key is
        absent from the answer)."""
        wanted = sorted(set(key_ids))
        found: dict[str, bytes] = {}
        if not wanted:
            return found
        async with self.db.transaction() as s:
            for start in range(0, len(wanted), 500):  # bounded IN lists
                rows = await s.scalars(
                    select(DataKeyRow).where(DataKeyRow.id.in_(wanted[start : start + 500]))
                )
                found.update((row.id, _unwrap(keys, row)) for row in rows)
        return found

    async def get_wrapped(self, key_id: str) -> tuple[str, bytes] | None:
        """``(kek_id, wrapped_key)`` as stored (tests and diagnostics)."""
        async with self.db.transaction() as s:
            row = await s.get(DataKeyRow, key_id)
        return None if row is None else (row.kek_id, row.wrapped_key)

    async def key_ids(self, case_id: str, scope: str | None = None) -> list[str]:
        async with self.db.transaction() as s:
            q = select(DataKeyRow.id).where(DataKeyRow.case_id == case_id)
            if scope is not None:
                q = q.where(DataKeyRow.scope == scope)
            return list(await s.scalars(q))

    async def shred(self, case_id: str, scope: str | None = None) -> int:
        """Destroy the data keys of a case (or of one scope); returns how many."""
        async with self.db.transaction() as s:
            q = delete(DataKeyRow).where(DataKeyRow.case_id == case_id)
            if scope is not None:
                q = q.where(DataKeyRow.scope == scope)
            result = await s.execute(q)
        count = int(getattr(result, "rowcount", 0) or 0)
        await self.checkpoint()
        logger.info("shredded %d data key(s) of case %s", count, case_id)
        return count

    async def shred_scopes(self, case_id: str, scopes: Collection[str]) -> int:
        """Destroy the data keys of these scopes of a case; returns how many existed."""
        if not scopes:
            return 0
        count = 0
        wanted = sorted(set(scopes))
        async with self.db.transaction() as s:
            for start in range(0, len(wanted), 500):  # bounded IN lists
                result = await s.execute(
                    delete(DataKeyRow).where(
                        DataKeyRow.case_id == case_id,
                        DataKeyRow.scope.in_(wanted[start : start + 500]),
                    )
                )
                count += int(getattr(result, "rowcount", 0) or 0)
        await self.checkpoint()
        logger.info("shredded %d data key(s) of case %s", count, case_id)
        return count

    async def item_scopes_created_before(self, cutoff: datetime) -> list[tuple[str, str]]:
        """``(case_id, scope)`` of every per-item key created before ``cutoff``."""
        async with self.db.transaction() as s:
            rows = await s.execute(
                select(DataKeyRow.case_id, DataKeyRow.scope).where(
                    DataKeyRow.scope.startswith(ITEM_SCOPE_PREFIX, autoescape=True),
                    DataKeyRow.created_at < cutoff,
                )
            )
            return [(r.case_id, r.scope) for r in rows]

    async def checkpoint(self) -> None:
        """Flush the WAL into the file and truncate it (SQLite): no old page stays behind."""
        await checkpoint(self.db)

    # ------------------------------------------------------- WrappedKeyStore

    async def get_wrapped_keys_not_under(self, kek_id: str, limit: int) -> Sequence[WrappedKeyRow]:
        async with self.db.transaction() as s:
            rows = await s.execute(
                select(DataKeyRow.id, DataKeyRow.kek_id, DataKeyRow.wrapped_key)
                .where(DataKeyRow.kek_id != kek_id)
                .order_by(DataKeyRow.id)
                .limit(limit)
            )
            return [WrappedKeyRow(r.id, r.kek_id, r.wrapped_key) for r in rows]

    async def set_wrapped_keys(self, rows: Sequence[WrappedKeyRow]) -> None:
        async with self.db.transaction() as s:
            for row in rows:
                await s.execute(
                    update(DataKeyRow)
                    .where(DataKeyRow.id == row.row_id)
                    .values(kek_id=row.kek_id, wrapped_key=row.wrapped_key)
                )

    async def get_kek_ids_in_use(self) -> set[str]:
        async with self.db.transaction() as s:
            return set(await s.scalars(select(DataKeyRow.kek_id).distinct()))

    async def _find(self, case_id: str, scope: str) -> DataKeyRow | None:
        async with self.db.transaction() as s:
            row: DataKeyRow | None = await s.scalar(
                select(DataKeyRow).where(DataKeyRow.case_id == case_id, DataKeyRow.scope == scope)
            )
            return row


def _unwrap(keys: KeyProvider, row: DataKeyRow) -> bytes:
    return keys.unwrap(row.kek_id, row.wrapped_key)  # CryptoError names the KEK


async def checkpoint(db: Database) -> None:
    if not is_sqlite(db.url):
        return
    async with db.engine.connect() as conn:
        result = await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        busy = result.fetchone()
        await conn.commit()
    if busy is not None and busy[0]:
        logger.warning("WAL checkpoint of %s was blocked by a reader", Path(db.url).name)
