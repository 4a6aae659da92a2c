"""Stored first, then shown, in order: the path of drawings and messages out of a live session.

A whiteboard operation, or an update of a shared text, must be in the case file
before anyone sees it or its author gets an ack. Waiting for the database while
holding the session's lock
would serialise a room's drawing on commit latency (one commit per operation);
instead the hub applies an operation under the lock, starts its write (the
board journal group-commits writes that overlap), and hands the outcome to
this pipeline. The pipeline delivers outcomes strictly in the order they were
submitted, each only once its own writes are committed.

Outcomes that are stored by the time the one ahead of them is delivered go
out together, and a room's consecutive board operations for the same people
become one ``wb:ops`` message ({room_id, entries}) instead of one ``wb:op``
each: under load, what one commit stored costs one websocket frame per
person, so a busy server gets cheaper per operation instead of falling behind.
A lone operation still goes out as ``wb:op`` the moment it is stored.

A shared text's updates take the same path under their own key (:data:`TEXT_KEY` and
the room): a failed text write refuses what follows in that text, not on that board.

If a write fails, that outcome and every later one of the same room are
refused (``not_stored``), whatever became of their own writes: they were
numbered after the gap. Before the next delivery the hub puts the affected
rooms' boards back to the last operation stored (:meth:`StoredFirst.discard`
marks, under the session's lock, whatever it queued meanwhile), so no screen
ever shows an operation the case file does not have, and sequence numbers go
on from there.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from errors import ErrorCode
from sessions.events import Notification
from sessions.outcome import BOARD_OP_EVENT, Outcome
from sessions.shared_text import TextEntry
from sessions.whiteboard.log import LoggedOp
from signaling.errors import SignalingError
from signaling.observe import BoardObserver, NoObserver

logger = logging.getLogger(__name__)

BOARD_OPS_EVENT = "wb:ops"
MAX_DELIVERY = 256  # outcomes delivered together at most

TEXT_KEY = "text "  # what keys a room's text's writes (a room id never has a space)

Store = Callable[[str, Sequence[LoggedOp]], Awaitable[None]]  # (room, ops): started
StoreText = Callable[[str, Sequence[TextEntry]], Awaitable[None]]  # (room, updates): started
Deliver = Callable[[Sequence[Outcome[Any]]], Awaitable[None]]  # in order
Recover = Callable[[Mapping[str, int]], Awaitable[None]]  # room -> last op stored


def board_ops(outcome: Outcome[Any]) -> dict[str, list[LoggedOp]]:
    """The board operations an outcome stores, by room, in order."""
    by_room: dict[str, list[LoggedOp]] = {}
    for write in outcome.board_writes:
        by_room.setdefault(write.room_id, []).append(write.entry)
    return by_room


def text_updates(outcome: Outcome[Any]) -> dict[str, list[TextEntry]]:
    """The shared-text updates an outcome stores, by room, in order."""
    by_room: dict[str, list[TextEntry]] = {}
    for write in outcome.text_writes:
        by_room.setdefault(write.room_id, []).append(write.entry)
    return by_room


def stored_first(outcome: Outcome[Any]) -> bool:
    """Whether anything of ``outcome`` must be stored before it is delivered."""
    return bool(outcome.board_writes or outcome.text_writes)


@dataclass(frozen=True, slots=True)
class Message:
    event: str
    payload: Mapping[str, Any]
    recipients: frozenset[str]


def messages(outcomes: Sequence[Outcome[Any]]) -> list[Message]:
    """The notifications of ``outcomes``, in order, with board operations grouped.

    Consecutive board operations of one room for the same recipients become
    one ``wb:ops``; anything else keeps its place between them.
    """

    def board_group(note: Notification) -> tuple[str | None, frozenset[str]] | None:
        return (note.room_id, note.recipients) if note.event == BOARD_OP_EVENT else None

    notes = [note for outcome in outcomes for note in outcome.notifications]
    out: list[Message] = []
    for group, run in groupby(notes, key=board_group):
        same = list(run)
        if group is None or len(same) == 1:
            out.extend(Message(n.event, n.payload, n.recipients) for n in same)
        else:
            room_id, recipients = group
            batch = {"room_id": room_id, "entries": [n.payload for n in same]}
            out.append(Message(BOARD_OPS_EVENT, batch, recipients))
    return out


@dataclass
class _Pending:
    outcome: Outcome[Any]
    writes: Sequence[tuple[str, asyncio.Future[None]]]  # (room, write)
    done: asyncio.Future[Outcome[Any]]
    first: Mapping[str, int]  # room -> sequence number of its first operation here
    stale: bool = False  # numbered after a failed write of one of its rooms: refused
    started: float = 0.0  # loop time at submission (the observer's latency)


def _first_seqs(outcome: Outcome[Any]) -> dict[str, int]:
    first = {room: ops[0].seq for room, ops in board_ops(outcome).items()}
    first.update({TEXT_KEY + room: ups[0].seq for room, ups in text_updates(outcome).items()})
    return first


def _refusal() -> SignalingError:
    return SignalingError(ErrorCode.NOT_STORED, "the drawing could not be saved; please try again")


def _unstored() -> asyncio.Future[None]:
    failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    failed.set_exception(SignalingError(ErrorCode.NOT_STORED, "shared texts are not stored"))
    return failed


async def _settled(item: _Pending) -> set[str]:
    """Waits for ``item``'s writes; the rooms whose write failed."""
    failed = set()
    for room, write in item.writes:
        try:
            await write
        except Exception:
            failed.add(room)
    return failed


def _stored(item: _Pending) -> bool:
    return all(w.done() and not w.cancelled() and w.exception() is None for _r, w in item.writes)


class StoredFirst:
    def __init__(
        self,
        store: Store,
        deliver: Deliver,
        recover: Recover,
        observer: BoardObserver | None = None,
        store_text: StoreText | None = None,
    ) -> None:
        self._store = store
        self._store_text = store_text
        self._deliver = deliver
        self._recover = recover
        self._observer = observer or NoObserver()
        self._queue: deque[_Pending] = deque()
        self._pump: asyncio.Task[None] | None = None

    def submit(self, outcome: Outcome[Any]) -> asyncio.Future[Outcome[Any]]:
        """Start storing ``outcome``'s board operations; resolves once it was delivered.

        Call it under the session's lock, right after the domain produced the
        outcome, so that writes start in sequence-number order.
        """
        writes: list[tuple[str, asyncio.Future[None]]] = [
            (room, asyncio.ensure_future(self._store(room, ops)))
            for room, ops in board_ops(outcome).items()
        ]
        for room, entries in text_updates(outcome).items():
            write = (
                asyncio.ensure_future(self._store_text(room, entries))
                if self._store_text is not None
                else _unstored()
            )
            writes.append((TEXT_KEY + room, write))
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Outcome[Any]] = loop.create_future()
        self._queue.append(
            _Pending(outcome, writes, done, _first_seqs(outcome), False, loop.time())
        )
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._run(), name="stored-first")
        return done

    async def _run(self) -> None:
        while self._queue:
            head = self._queue[0]
            failed = await _settled(head)
            if head.stale:
                self._queue.popleft()
                head.done.set_exception(_refusal())
                self._observe(head, stored=False)
                continue
            if failed:
                self._queue.popleft()
                await self._fail(head, failed)
                continue
            # the head is stored: whatever behind it is stored already goes out with it
            batch = [self._queue.popleft()]
            while (
                self._queue
                and len(batch) < MAX_DELIVERY
                and not self._queue[0].stale
                and _stored(self._queue[0])
            ):
                batch.append(self._queue.popleft())
            try:
                await self._deliver([item.outcome for item in batch])
            except Exception as exc:  # delivery is best effort; the ack says what happened
                logger.exception("delivering stored outcomes failed")
                for item in batch:
                    item.done.set_exception(exc)
                    self._observe(item, stored=True)
                continue
            for item in batch:
                item.done.set_result(item.outcome)
                self._observe(item, stored=True)

    def _observe(self, item: _Pending, *, stored: bool) -> None:
        seconds = asyncio.get_running_loop().time() - item.started
        self._observer.board_ops(len(item.outcome.board_writes), seconds, stored)

    def discard(self, rooms: Iterable[str]) -> None:
        """Everything queued so far for ``rooms`` is refused, stored or not.

        The hub calls it under the session's lock as it puts those rooms'
        boards back to their last stored operation: what it queued before is
        numbered after the gap and must never be shown.
        """
        wanted = set(rooms)
        for item in self._queue:
            if wanted.intersection(item.first):
                item.stale = True

    async def _fail(self, item: _Pending, rooms: set[str]) -> None:
        logger.warning("a board operation could not be stored; its rooms go back to what is")
        self.discard(rooms)
        # Every write started before the reload must be over first, so that the
        # reload sees exactly what the journal will keep.
        pending = [write for queued in self._queue for _room, write in queued.writes]
        await asyncio.gather(*pending, return_exceptions=True)
        try:
            await self._recover({room: item.first[room] - 1 for room in sorted(rooms)})
        except Exception:
            logger.exception("putting a board back after a failed write failed")
        item.done.set_exception(_refusal())
        self._observe(item, stored=False)

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        for item in self._queue:
            for _room, write in item.writes:
                write.cancel()
            if not item.done.done():
                item.done.cancel()
        self._queue.clear()
