"""The text journal: every accepted update of a session's shared texts, encrypted, in order.

The same store as the board journal (:mod:`records.stores.journal`: group-committed,
AES-256-GCM under the case key, associated data binding organisation, case, session,
room and sequence number, refusing writes after a failure until the room is read back),
in its own table and under its own kind: a board row cannot pass for a text row. Each
entry holds one Yjs update and who made it (records' encoding of
``{"by": ..., "update": <base64>}``, made by the layer above); the text of a room is
every one of its updates applied in order.

Beside it, in tables of their own and under kinds of their own: the comments on each
room's text (:class:`CommentJournal`, one row per change, the same store), and snapshots
of each text (:class:`TextSnapshots`: the text as it stood after an update, so that
opening reads the latest snapshot and the updates after it, not every update; the
updates stay, for the version history).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select

from records.crypto.envelope import decrypt, encrypt
from records.crypto.keys import KeyProvider
from records.crypto.keystore import KeyStore
from records.db import Database
from records.errors import CryptoError, RecordsError
from records.models import TextCommentRow, TextSnapshotRow, TextUpdateRow, utcnow
from records.stores.journal import BoardJournal, JournalEntry

KIND = "shared_text_update"


class CommentJournal(BoardJournal):
    """Every change of the comments on a session's shared texts, per room, in order."""

    _row: Any = TextCommentRow
    _kind = "shared_text_comment"
    _scope = "text-comments"


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    seq: int  # the text as it stood after this update
    content: bytes  # records' encoding, made by the layer above


class TextSnapshots(BoardJournal):
    """Snapshots of the rooms' texts: written one at a time, read the latest first."""

    _row: Any = TextSnapshotRow
    _kind = "shared_text_snapshot"
    _scope = "text-snapshot"

    async def save(
        self, case_id: str, session_id: str, room_id: str, seq: int, content: bytes
    ) -> None:
        """Stores the text of a room as it stood after update ``seq`` (once: a second
        snapshot of the same update is not written)."""
        key_id, key = await self._case_key(case_id)
        room = (case_id, session_id, room_id)
        row = {
            "case_id": case_id, "session_id": session_id, "room_id": room_id, "seq": seq,
            "key_id": key_id, "ciphertext": encrypt(key, content, self._ad(*room, seq)),
            "created_at": utcnow(),
        }  # fmt: skip
        async with self._db.transaction() as s:
            known = await s.scalar(
                select(self._row.seq).where(*self._where(room), self._row.seq == seq)
            )
            if known is None:
                await s.execute(insert(self._row).values(row))

    async def latest(
        self, case_id: str, session_id: str, room_id: str, *, through: int | None = None
    ) -> StoredSnapshot | None:
        """The latest snapshot of a room that decrypts (``through``: taken at or before
        that update); None if there is none."""
        room = (case_id, session_id, room_id)
        upto = () if through is None else (self._row.seq <= through,)
        async with self._db.transaction() as s:
            rows = (
                await s.execute(
                    select(self._row.seq, self._row.key_id, self._row.ciphertext)
                    .where(*self._where(room), *upto)
                    .order_by(self._row.seq.desc())
                    .limit(3)
                )
            ).all()
        for seq, key_id, blob in rows:
            try:
                key = await self._keystore.get_key(self._keys, str(key_id))
                content = decrypt(key, bytes(blob), self._ad(*room, int(seq)))
            except (RecordsError, CryptoError):
                continue  # an older one may still do
            return StoredSnapshot(int(seq), content)
        return None

    async def drop_after(self, case_id: str, session_id: str, room_id: str, seq: int) -> None:
        """Forgets snapshots taken after update ``seq`` (updates read back after a failure)."""
        room = (case_id, session_id, room_id)
        async with self._db.transaction() as s:
            await s.execute(delete(self._row).where(*self._where(room), self._row.seq > seq))


class TextJournal(BoardJournal):
    _row: Any = TextUpdateRow
    _kind = KIND
    _scope = "text"

    def __init__(
        self,
        db: Database,
        keystore: KeyStore,
        keys: KeyProvider,
        *,
        organisation_id: str = "palabre",
        **options: Any,
    ) -> None:
        super().__init__(db, keystore, keys, organisation_id=organisation_id, **options)
        self.comments = CommentJournal(db, keystore, keys, organisation_id=organisation_id)
        self.snapshots = TextSnapshots(db, keystore, keys, organisation_id=organisation_id)

    async def read_through(
        self, case_id: str, session_id: str, room_id: str, seq: int
    ) -> list[JournalEntry]:
        """The stored updates 1 to ``seq`` of a room (for an old version of its text), read
        without touching what the journal expects next."""
        entries, _tail = await self._read(case_id, session_id, room_id)
        return [e for e in entries if e.seq <= seq]

    def close(self) -> None:
        super().close()
        self.comments.close()
        self.snapshots.close()

    async def drop_case(self, case_id: str) -> int:
        await self.comments.drop_case(case_id)
        await self.snapshots.drop_case(case_id)
        return await super().drop_case(case_id)
