"""The live hub's stores backed by records: the boards' journal, the shared documents and
the live sessions' durable state.

Each implements a port of :mod:`signaling.ports` with the domain's types: a
board operation arrives as the :class:`~sessions.whiteboard.log.LoggedOp` the domain
made and is handed to the journal in its record form, which records encodes
and encrypts; loading reverses it. Nothing here goes through ``server/``: the
app factory only builds these objects and hands them to the hub.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence

from records.encoding import decode, encode
from records.stores.casefile import CaseFile, ItemKind
from records.stores.journal import BoardJournal, JournalEntry
from records.stores.live import LiveStates, StaleWriter
from records.stores.scheduling import ScheduleStore
from records.stores.shares import DocumentShares
from records.stores.text_journal import TextJournal
from sessions.documents import SharedDocument
from sessions.durable import DurableState
from sessions.errors import InvalidPayload, SessionError
from sessions.shared_text import TextEntry, TextSnapshot
from sessions.text_comments import CommentEvent
from sessions.whiteboard.log import LoggedOp
from signaling.ports import LiveClaim, LiveStateTaken, StoredText

logger = logging.getLogger(__name__)


class CaseOf:
    """The case a session belongs to (a session never changes case: asked once)."""

    def __init__(self, schedule: ScheduleStore) -> None:
        self._schedule = schedule
        self._known: dict[str, str] = {}

    def known(self, session_id: str) -> str | None:
        """The case, if it was looked up already (no I/O)."""
        return self._known.get(session_id)

    def remember(self, session_id: str, case_id: str) -> None:
        self._known[session_id] = case_id

    async def __call__(self, session_id: str) -> str:
        case_id = self._known.get(session_id)
        if case_id is None:
            case_id = (await self._schedule.get_roster(session_id)).session.case_id
            self._known[session_id] = case_id
        return case_id


class JournalBoards:
    """The :class:`~signaling.ports.BoardStore` on records' board journal."""

    def __init__(self, journal: BoardJournal, case_of: CaseOf) -> None:
        self._journal = journal
        self._case_of = case_of

    def store(self, session_id: str, room_id: str, ops: Sequence[LoggedOp]) -> Awaitable[None]:
        entries = [JournalEntry.of(op.seq, op.to_wire()) for op in ops]
        case_id = self._case_of.known(session_id)
        if case_id is not None:  # the usual case: queued for the next commit right away
            return self._journal.submit(case_id, session_id, room_id, entries)

        async def after_lookup() -> None:
            case_id = await self._case_of(session_id)
            await self._journal.append(case_id, session_id, room_id, entries)

        return asyncio.ensure_future(after_lookup())

    async def load(
        self, session_id: str, room_id: str, keep_through: int | None = None
    ) -> Sequence[LoggedOp]:
        case_id = await self._case_of(session_id)
        stored = await self._journal.load(case_id, session_id, room_id, keep_through=keep_through)
        ops = []
        for entry in stored:
            try:
                ops.append(LoggedOp.from_wire(entry.data()))
            except (SessionError, ValueError, KeyError, TypeError):
                logger.error(
                    "session %s: board %s: stored operation %d of %d unreadable; loaded before it",
                    session_id, room_id, entry.seq, len(stored),
                )  # fmt: skip
                break
        return ops


class JournalTexts:
    """The :class:`~signaling.ports.TextStore` on records' text journal."""

    def __init__(self, journal: TextJournal, case_of: CaseOf) -> None:
        self._journal = journal
        self._case_of = case_of

    def store(self, session_id: str, room_id: str, entries: Sequence[TextEntry]) -> Awaitable[None]:
        stored = [JournalEntry.of(entry.seq, entry.to_record()) for entry in entries]
        case_id = self._case_of.known(session_id)
        if case_id is not None:
            return self._journal.submit(case_id, session_id, room_id, stored)

        async def after_lookup() -> None:
            case_id = await self._case_of(session_id)
            await self._journal.append(case_id, session_id, room_id, stored)

        return asyncio.ensure_future(after_lookup())

    async def load(
        self, session_id: str, room_id: str, keep_through: int | None = None
    ) -> StoredText:
        case_id = await self._case_of(session_id)
        snapshots = self._journal.snapshots
        if keep_through is not None:
            await snapshots.drop_after(case_id, session_id, room_id, keep_through)
        snapshot = None
        stored_snapshot = await snapshots.latest(case_id, session_id, room_id)
        if stored_snapshot is not None:
            try:
                snapshot = TextSnapshot.from_record(decode(stored_snapshot.content))
            except (SessionError, ValueError):
                logger.error(
                    "session %s: text %s: stored snapshot %d unreadable; every update read",
                    session_id, room_id, stored_snapshot.seq,
                )  # fmt: skip
        after = 0 if snapshot is None else snapshot.seq
        stored = await self._journal.load(
            case_id, session_id, room_id, keep_through=keep_through, after=after
        )
        return StoredText(snapshot, self._entries(session_id, room_id, stored))

    def _entries(
        self, session_id: str, room_id: str, stored: Sequence[JournalEntry]
    ) -> list[TextEntry]:
        entries = []
        for entry in stored:
            try:
                entries.append(TextEntry.from_record(entry.seq, entry.data()))
            except (SessionError, ValueError):
                logger.error(
                    "session %s: text %s: stored update %d of %d unreadable; loaded before it",
                    session_id, room_id, entry.seq, len(stored),
                )  # fmt: skip
                break
        return entries

    async def keep_snapshot(self, session_id: str, room_id: str, snapshot: TextSnapshot) -> None:
        case_id = await self._case_of(session_id)
        content = encode(snapshot.to_record())
        await self._journal.snapshots.save(case_id, session_id, room_id, snapshot.seq, content)

    async def updates_through(self, session_id: str, room_id: str, seq: int) -> Sequence[TextEntry]:
        case_id = await self._case_of(session_id)
        stored = await self._journal.read_through(case_id, session_id, room_id, seq)
        return self._entries(session_id, room_id, stored)

    async def store_comment(self, session_id: str, room_id: str, event: CommentEvent) -> None:
        case_id = await self._case_of(session_id)
        entry = JournalEntry.of(event.seq, event.to_record())
        await self._journal.comments.append(case_id, session_id, room_id, [entry])

    async def load_comments(
        self, session_id: str, room_id: str, keep_through: int | None = None
    ) -> Sequence[CommentEvent]:
        case_id = await self._case_of(session_id)
        stored = await self._journal.comments.load(
            case_id, session_id, room_id, keep_through=keep_through
        )
        events = []
        for entry in stored:
            try:
                events.append(CommentEvent.from_record(entry.seq, entry.data()))
            except (SessionError, ValueError):
                logger.error(
                    "session %s: comments of text %s: change %d unreadable; loaded before it",
                    session_id, room_id, entry.seq,
                )  # fmt: skip
                break
        return events


class StoredShares:
    """The :class:`~signaling.ports.DocumentStore` on records' document shares and case file."""

    def __init__(self, shares: DocumentShares, casefile: CaseFile, case_of: CaseOf) -> None:
        self._shares = shares
        self._casefile = casefile
        self._case_of = case_of

    async def save(self, session_id: str, documents: Sequence[SharedDocument]) -> None:
        records = [doc.to_record() for doc in documents]
        await self._shares.save(await self._case_of(session_id), session_id, records)

    async def load(self, session_id: str) -> Sequence[SharedDocument]:
        docs, unreadable = [], 0
        for record in await self._shares.load(await self._case_of(session_id), session_id):
            try:
                docs.append(SharedDocument.from_record(record))
            except InvalidPayload:
                unreadable += 1
        if unreadable:
            logger.warning(
                "session %s: %d stored shared documents unreadable", session_id, unreadable
            )
        return docs

    async def discard(self, session_id: str, doc_ids: Sequence[str]) -> None:
        stored = await self._casefile.list_items(
            await self._case_of(session_id), kinds={ItemKind.DOCUMENT}, session_id=session_id
        )
        mine = {item.id for item in stored}
        for doc_id in doc_ids:
            if doc_id in mine:
                await self._casefile.delete_item(doc_id, actor="system", via="socket")


class StoredLiveStates:
    """The :class:`~signaling.ports.LiveStateStore` on records' live states."""

    def __init__(self, states: LiveStates, case_of: CaseOf) -> None:
        self._states = states
        self._case_of = case_of

    async def claim(self, session_id: str) -> LiveClaim:
        claim = await self._states.claim(await self._case_of(session_id), session_id)
        if claim.data is None:
            return LiveClaim(claim.epoch, None)
        try:
            return LiveClaim(claim.epoch, DurableState.from_record(claim.data))
        except InvalidPayload:
            logger.error("session %s: stored live state unreadable; not resumed", session_id)
            return LiveClaim(claim.epoch, None)

    async def save(self, session_id: str, epoch: int, state: DurableState) -> None:
        case_id = await self._case_of(session_id)
        try:
            await self._states.save(case_id, session_id, epoch, state.to_record())
        except StaleWriter:
            raise LiveStateTaken(session_id) from None

    async def drop(self, session_id: str) -> None:
        await self._states.drop(session_id)
