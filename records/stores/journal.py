"""The board journal: every whiteboard operation of a session, encrypted, in order.

A live board is acknowledged to its author and broadcast only once its
operation is stored here, so a board survives a restart of the process and a
session that went quiet. Each row is AES-256-GCM under the case's data key
with associated data binding organisation, case, session, room and sequence
number: a row copied elsewhere does not decrypt. Destroying the case key
(erasure) makes the whole journal unreadable; :meth:`BoardJournal.drop_case`
then removes the rows.

Writes are *group-committed*: appends arriving while a transaction is in
flight wait for the next one, which stores them all together. With many
rooms drawing at once this turns hundreds of tiny transactions per second
into a few larger ones, which is what a single-writer database (SQLite)
needs. Each caller still learns whether its own operations were stored.

After a failed write a room's journal refuses further writes until the room
is read back *successfully* with :meth:`BoardJournal.load`: the caller
rebuilds the board from what was stored, and sequence numbers never have a
gap. The reload first deletes whatever lies beyond what its caller
acknowledged (a commit whose answer was lost may have stored it anyway), and a
write that does not follow on from the room's last operation is refused.

A board whose stored sequence is broken anyway (a gap, a row that does not
decrypt) still loads: the operations up to the break, with the rows after it
*set aside* (kept, under a negative sequence number, for an investigation or
a data-subject export, never shown) and an error in the log;
:meth:`BoardJournal.verify` reports it.

Drawing is content, not an access: the journal writes no audit entry per
operation (the session's audit trail records clearing, copying and exports).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, make_url, select, update

from errors import ErrorCode
from records.crypto.envelope import AssociatedData, decrypt, encrypt
from records.crypto.keys import KeyProvider
from records.crypto.keystore import CASE_SCOPE, KeyStore
from records.db import Database, is_sqlite
from records.encoding import decode, encode
from records.errors import CryptoError, RecordsError
from records.models import BoardOpRow, utcnow

logger = logging.getLogger(__name__)

KIND = "whiteboard_op"
KEY_CACHE_SECONDS = 60.0
MAX_BATCH_ROWS = 2_000
SET_ASIDE_STRIDE = 1_000_000  # a set-aside row: seq = -(n * STRIDE + its original seq)


class JournalBroken(RecordsError):
    """A board whose last write failed must be read back before it is written again."""

    code = ErrorCode.NOT_STORED


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One stored operation: its sequence number and its content (encoded by records)."""

    seq: int
    content: bytes

    @classmethod
    def of(cls, seq: int, data: Mapping[str, Any]) -> JournalEntry:
        """The entry storing ``data`` (an operation's record form) as operation ``seq``."""
        return cls(seq, encode(data))

    def data(self) -> Any:
        """The data :meth:`of` stored; ``ValueError`` if the content is not records' encoding."""
        return decode(self.content)


@dataclass(frozen=True, slots=True)
class BoardCheck:
    """What :meth:`BoardJournal.verify` found in one room's stored board."""

    case_id: str
    session_id: str
    room_id: str
    rows: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _original_seq(stored_seq: int) -> int:
    """The sequence number a row was written with (bound into its ciphertext)."""
    return stored_seq if stored_seq > 0 else (-stored_seq) % SET_ASIDE_STRIDE


@dataclass(slots=True)
class _Append:
    case_id: str
    session_id: str
    room_id: str
    entries: Sequence[JournalEntry]
    done: asyncio.Future[None] = field(repr=False)

    @property
    def room(self) -> tuple[str, str, str]:
        return (self.case_id, self.session_id, self.room_id)


class _SqliteWriter:
    """The embedded database's write path: one worker-thread hop per batch.

    Through aiosqlite a transaction costs several event-loop round trips, each
    queued behind every socket event of a busy server; a plain connection in a
    worker thread does begin, insert and commit in one hop. Same pragmas as
    :mod:`records.db`, except that this connection never checkpoints the
    write-ahead log itself: SQLite would do it inside whichever commit crosses
    1,000 pages, making that commit (and every drawing waiting for it) take a
    hundred times longer. :meth:`checkpoint` does it on the side instead.
    """

    CHECKPOINT_EVERY_ROWS = 2_000

    COLUMNS = ("case_id", "session_id", "room_id", "seq", "key_id", "ciphertext", "created_at")
    ROWS_PER_STATEMENT = 400  # 2,800 bound values, far below SQLite's limit

    def __init__(
        self, url: str, checkpoint_every_rows: int = CHECKPOINT_EVERY_ROWS, table: str = "board_ops"
    ) -> None:
        # the table is one of the journals' own names (a class attribute), never input
        self.INSERT = f"INSERT INTO {table} ({', '.join(self.COLUMNS)}) VALUES "  # noqa: S608
        self._path = make_url(url).database or ""
        self._conn: sqlite3.Connection | None = None
        self._rows_since_checkpoint = 0
        self._checkpoint_every_rows = checkpoint_every_rows

    def _connect(self, *pragmas: str) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "busy_timeout=5000", *pragmas):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._connect("wal_autocheckpoint=0")
        return self._conn

    @property
    def checkpoint_due(self) -> bool:
        return self._rows_since_checkpoint >= self._checkpoint_every_rows

    def checkpoint(self) -> None:
        """Copies the log back into the database without blocking writers (worker thread)."""
        self._rows_since_checkpoint = 0
        conn = self._connect()
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

    def insert(self, values: Sequence[dict[str, Any]]) -> None:
        """Runs in a worker thread; the journal never runs two at once.

        Many rows per statement, not ``executemany``: the sqlite3 module lets
        go of the GIL around every statement it steps, and a worker thread
        that needs the GIL back thousands of times per batch waits behind a
        busy event loop each time (up to the 5 ms switch interval): a batch of
        2,000 rows could take seconds. A few statements per batch do not.
        """
        conn = self._connection()
        rows = [tuple(_sqlite_value(v[c]) for c in self.COLUMNS) for v in values]
        one = "(" + ", ".join("?" * len(self.COLUMNS)) + ")"
        conn.execute("BEGIN IMMEDIATE")
        try:
            for start in range(0, len(rows), self.ROWS_PER_STATEMENT):
                chunk = rows[start : start + self.ROWS_PER_STATEMENT]
                params = [value for row in chunk for value in row]
                conn.execute(self.INSERT + ", ".join([one] * len(chunk)), params)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._rows_since_checkpoint += len(rows)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):  # as SQLAlchemy stores UTCDateTime in SQLite
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


class BoardJournal:
    # What a journal stores (a subclass stores another kind of content the same way): its
    # table, and the kind and scope bound into each row's associated data.
    _row: Any = BoardOpRow
    _kind = KIND
    _scope = "board"

    def __init__(
        self,
        db: Database,
        keystore: KeyStore,
        keys: KeyProvider,
        *,
        organisation_id: str = "palabre",
        checkpoint_every_rows: int = _SqliteWriter.CHECKPOINT_EVERY_ROWS,
    ) -> None:
        self._db = db
        self._keystore = keystore
        self._keys = keys
        self._org = organisation_id
        self._queue: deque[_Append] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._key_cache: dict[str, tuple[float, str, bytes]] = {}
        self._broken: set[tuple[str, str, str]] = set()  # rooms to read back before writing
        self._next: dict[tuple[str, str, str], int] = {}  # loaded rooms: the next seq expected
        self.transactions = 0  # for the benchmark: how many commits the appends took
        self.rows_read = 0  # for tests and the benchmark: rows read back so far
        self.checkpoints = 0  # how many times the embedded database's log was checkpointed
        self._sqlite = (
            _SqliteWriter(db.url, checkpoint_every_rows, self._row.__tablename__)
            if is_sqlite(db.url)
            else None
        )
        self._checkpoint: asyncio.Task[None] | None = None

    def _ad(self, case_id: str, session_id: str, room_id: str, seq: int) -> AssociatedData:
        scope = f"{self._scope}:{session_id}:{room_id}"
        return AssociatedData(self._org, case_id, scope, self._kind, seq)

    def _cached_key(self, case_id: str) -> tuple[str, bytes] | None:
        cached = self._key_cache.get(case_id)
        if cached is not None and time.monotonic() - cached[0] < KEY_CACHE_SECONDS:
            return cached[1], cached[2]
        return None

    async def _case_key(self, case_id: str) -> tuple[str, bytes]:
        cached = self._cached_key(case_id)
        if cached is not None:
            return cached
        key_id, key = await self._keystore.get_or_create(self._keys, case_id, CASE_SCOPE)
        self._key_cache[case_id] = (time.monotonic(), key_id, key)
        return key_id, key

    # -- writing -----------------------------------------------------------------

    async def append(
        self, case_id: str, session_id: str, room_id: str, entries: Sequence[JournalEntry]
    ) -> None:
        """Store ``entries`` of one room; returns once they are committed."""
        await asyncio.shield(self.submit(case_id, session_id, room_id, entries))

    def submit(
        self, case_id: str, session_id: str, room_id: str, entries: Sequence[JournalEntry]
    ) -> asyncio.Future[None]:
        """Queue ``entries`` of one room for the next commit; the future resolves once stored.

        Submissions are stored in the order they are made.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        room = (case_id, session_id, room_id)
        expected = self._next.get(room)
        if not entries:
            done.set_result(None)
        elif room in self._broken:
            done.set_exception(
                JournalBroken("an earlier write of this board failed; read it back first")
            )
        elif expected is not None and [e.seq for e in entries] != list(
            range(expected, expected + len(entries))
        ):
            self._broken.add(room)
            self._next.pop(room, None)
            logger.error(
                "board journal: session %s: a write does not follow on from operation %d",
                session_id, expected - 1,
            )  # fmt: skip
            done.set_exception(JournalBroken("this write does not follow on; read it back first"))
        else:
            if expected is not None:
                self._next[room] = entries[-1].seq + 1
            self._queue.append(_Append(case_id, session_id, room_id, entries, done))
            if self._writer is None or self._writer.done():
                self._writer = asyncio.create_task(self._drain(), name="board-journal")
        return done

    async def _drain(self) -> None:
        while self._queue:
            batch: list[_Append] = []
            rows = 0
            while self._queue and rows < MAX_BATCH_ROWS:
                item = self._queue.popleft()
                if item.room in self._broken:
                    item.done.set_exception(JournalBroken("an earlier write of this board failed"))
                    continue
                batch.append(item)
                rows += len(item.entries)
            if not batch:
                continue
            try:
                await self._write(batch)
            except Exception as exc:  # each caller gets the failure of its own write
                logger.warning("board journal: a write of %d operations failed", rows)
                for item in batch:
                    self._broken.add(item.room)
                    self._next.pop(item.room, None)
                    if not item.done.done():
                        item.done.set_exception(exc)
                continue
            for item in batch:
                if not item.done.done():
                    item.done.set_result(None)

    async def _write(self, batch: Sequence[_Append]) -> None:
        now = utcnow()
        values = []
        cases = sorted({item.case_id for item in batch})
        keys = {case: known for case in cases if (known := self._cached_key(case)) is not None}
        missing = [case for case in cases if case not in keys]
        if missing:  # looked up together, not one by one; cached ones need no task
            fetched = await asyncio.gather(*map(self._case_key, missing))
            keys.update(zip(missing, fetched, strict=True))
        for item in batch:
            key_id, key = keys[item.case_id]
            for entry in item.entries:
                ad = self._ad(item.case_id, item.session_id, item.room_id, entry.seq)
                values.append(
                    {
                        "case_id": item.case_id,
                        "session_id": item.session_id,
                        "room_id": item.room_id,
                        "seq": entry.seq,
                        "key_id": key_id,
                        "ciphertext": encrypt(key, entry.content, ad),
                        "created_at": now,
                    }
                )
        if self._sqlite is not None:
            await asyncio.to_thread(self._sqlite.insert, values)
            if self._sqlite.checkpoint_due and self._checkpoint is None:
                self._checkpoint = asyncio.create_task(self._checkpoint_aside())
        else:
            async with self._db.engine.begin() as conn:
                await conn.execute(insert(self._row), values)
        self.transactions += 1

    async def _checkpoint_aside(self) -> None:
        assert self._sqlite is not None
        try:
            await asyncio.to_thread(self._sqlite.checkpoint)
            self.checkpoints += 1
        except sqlite3.Error:
            logger.warning("board journal: checkpointing the write-ahead log failed")
        finally:
            self._checkpoint = None

    # -- reading -----------------------------------------------------------------

    async def load(
        self,
        case_id: str,
        session_id: str,
        room_id: str,
        *,
        keep_through: int | None = None,
        after: int = 0,
    ) -> list[JournalEntry]:
        """Every stored operation of a room, in order (decrypted); the room may be written again.

        ``keep_through``: the last operation the caller acknowledged; stored
        rows after it are deleted first (after a failed write, a commit whose
        answer was lost). Only once the read succeeded may the room be
        written again, from the operation after the last one returned.
        ``after``: only the operations after that one are read (what a snapshot of the
        room holds up to it is not read again).
        The case's key is fetched now even for an empty board, so that the
        first drawing of a session does not wait for it.
        """
        room = (case_id, session_id, room_id)
        await self._case_key(case_id)
        if keep_through is not None:
            async with self._db.transaction() as s:
                await s.execute(
                    delete(self._row).where(*self._where(room), self._row.seq > keep_through)
                )
        entries, tail = await self._read(case_id, session_id, room_id, after)
        if tail:
            await self._set_aside(room, tail[0])
        self._broken.discard(room)
        self._next[room] = (entries[-1].seq if entries else after) + 1
        return entries

    def _where(self, room: tuple[str, str, str]) -> tuple[Any, ...]:
        case_id, session_id, room_id = room
        return (
            self._row.case_id == case_id,
            self._row.session_id == session_id,
            self._row.room_id == room_id,
        )

    async def _rows(
        self, room: tuple[str, str, str], after: int | None = None
    ) -> list[tuple[int, str, bytes]]:
        """Every row of a room, set-aside ones (negative seq) first, then in order
        (``after``: only the rows numbered after it)."""
        later = () if after is None else (self._row.seq > after,)
        async with self._db.transaction() as s:
            rows = (
                await s.execute(
                    select(self._row.seq, self._row.key_id, self._row.ciphertext)
                    .where(*self._where(room), *later)
                    .order_by(self._row.seq)
                )
            ).all()
        self.rows_read += len(rows)
        return [(int(seq), str(key_id), bytes(blob)) for seq, key_id, blob in rows]

    async def _open(
        self, room: tuple[str, str, str], rows: Sequence[tuple[int, str, bytes]]
    ) -> list[JournalEntry | None]:
        """Each row decrypted, or None where it does not (wrong key, erased key, tampered)."""
        keys: dict[str, bytes | None] = {}
        out: list[JournalEntry | None] = []
        for seq, key_id, ciphertext in rows:
            if key_id not in keys:
                try:
                    keys[key_id] = await self._keystore.get_key(self._keys, key_id)
                except RecordsError:
                    keys[key_id] = None
            key = keys[key_id]
            original = _original_seq(seq)
            try:
                if key is None:
                    raise CryptoError("no key")
                content = decrypt(key, ciphertext, self._ad(*room, original))
            except CryptoError:
                out.append(None)
                continue
            out.append(JournalEntry(original, content))
        return out

    async def _read(
        self, case_id: str, session_id: str, room_id: str, after: int = 0
    ) -> tuple[list[JournalEntry], list[int]]:
        """The room's operations after ``after`` (1, 2, ... by default) up to the first
        break, and the stored seqs from the break on (a gap, or a row that does not
        decrypt)."""
        room = (case_id, session_id, room_id)
        rows = [row for row in await self._rows(room, after or None) if row[0] > 0]
        opened = await self._open(room, rows)
        entries: list[JournalEntry] = []
        for (seq, _key, _blob), entry in zip(rows, opened, strict=True):
            if entry is None or seq != after + len(entries) + 1:
                problem = "does not decrypt" if entry is None else f"follows {len(entries)}"
                tail = [row[0] for row in rows[len(entries) :]]
                logger.error(
                    "board journal: session %s room %s: the stored board breaks at operation %d"
                    " (%s); %d operations after it are set aside",
                    session_id, room_id, seq, problem, len(tail),
                )  # fmt: skip
                return entries, tail
            entries.append(entry)
        return entries, []

    async def _set_aside(self, room: tuple[str, str, str], first: int) -> None:
        """Moves the rows from ``first`` on out of the board's sequence, keeping them
        (each still decrypts with the sequence number it was written with)."""
        async with self._db.transaction() as s:
            lowest = await s.scalar(select(func.min(self._row.seq)).where(*self._where(room)))
            n = 1 + (-int(lowest) // SET_ASIDE_STRIDE if lowest is not None and lowest < 0 else 0)
            await s.execute(
                update(self._row)
                .where(*self._where(room), self._row.seq >= first)
                .values(seq=-(n * SET_ASIDE_STRIDE) - self._row.seq)
            )

    async def verify(self) -> list[BoardCheck]:
        """Every stored board checked: numbered 1, 2, ... without gaps or duplicates,
        every row decrypts, nothing set aside after a break."""
        async with self._db.transaction() as s:
            rooms = (
                await s.execute(
                    select(self._row.case_id, self._row.session_id, self._row.room_id)
                    .distinct()
                    .order_by(self._row.case_id, self._row.session_id, self._row.room_id)
                )
            ).all()
        out = []
        for case_id, session_id, room_id in rooms:
            room = (str(case_id), str(session_id), str(room_id))
            rows = await self._rows(room)
            opened = await self._open(room, rows)
            problems = []
            aside = sum(1 for seq, _k, _b in rows if seq <= 0)
            if aside:
                problems.append(f"{aside} operations set aside after a break")
            live = [seq for seq, _k, _b in rows if seq > 0]
            unreadable = [seq for (seq, _k, _b), e in zip(rows, opened, strict=True) if e is None]
            if unreadable:
                problems.append(
                    f"{len(unreadable)} operations do not decrypt (first {unreadable[0]})"
                )
            expected = 1
            for seq in live:
                if seq < expected:
                    problems.append(f"operation {seq} stored twice")
                elif seq > expected:
                    problems.append(f"jumps from {expected - 1} to {seq}")
                expected = max(expected, seq + 1)
            out.append(BoardCheck(*room, len(rows), tuple(problems)))
        return out

    async def load_case(self, case_id: str) -> list[tuple[str, str, JournalEntry]]:
        """Every stored operation of a case's boards as (session, room, entry), in order
        (a data-subject export looks in them for what a person drew)."""
        async with self._db.transaction() as s:
            rooms = (
                await s.execute(
                    select(self._row.session_id, self._row.room_id)
                    .where(self._row.case_id == case_id)
                    .distinct()
                    .order_by(self._row.session_id, self._row.room_id)
                )
            ).all()
        out = []
        for session_id, room_id in rooms:
            room = (case_id, session_id, room_id)
            rows = await self._rows(room)  # set-aside rows too: they are the person's as well
            for entry in await self._open(room, rows):
                if entry is not None:
                    out.append((session_id, room_id, entry))
        return out

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()

    async def drop_case(self, case_id: str) -> int:
        """Remove a case's journal (after its key was destroyed, or at retention)."""
        self._key_cache.pop(case_id, None)
        for room in [r for r in self._next if r[0] == case_id]:
            del self._next[room]
        async with self._db.transaction() as s:
            result = await s.execute(delete(self._row).where(self._row.case_id == case_id))
        return int(getattr(result, "rowcount", 0) or 0)
