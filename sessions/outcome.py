"""The typed result of a :class:`~sessions.service.LiveSession` call.

An :class:`Outcome` carries the call's value and everything the transport must
do with it: board operations to store before anything of the outcome is shown
(as the domain's :class:`~sessions.whiteboard.log.LoggedOp`, in order), audit events to
write, notifications to emit (each to an explicit set of participants), connections
to close, links to revoke, room changes, whether the shared documents' state must
be stored again and which withdrawn documents' files to delete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sessions.events import AuditEvent, Clock, Kick, Notification, RoomChange
from sessions.shared_text import TextEntry, encode_update
from sessions.whiteboard.log import LoggedOp

T = TypeVar("T", covariant=True)
V = TypeVar("V")

BOARD_OP_EVENT = "wb:op"  # how a stored board operation is shown to its room
TEXT_UPDATE_EVENT = "text:update"  # how a stored text update is sent to its room


@dataclass(frozen=True, slots=True)
class BoardWrite:
    """A board operation to store before it is shown: the room whose board it is on."""

    room_id: str
    entry: LoggedOp


@dataclass(frozen=True, slots=True)
class TextWrite:
    """A shared text's update to store before it is sent: the room whose text it is."""

    room_id: str
    entry: TextEntry


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    value: T
    board_writes: tuple[BoardWrite, ...] = ()  # stored first, in order, then the rest applies
    audit: tuple[AuditEvent, ...] = ()
    notifications: tuple[Notification, ...] = ()
    kicks: tuple[Kick, ...] = ()
    room_changes: tuple[RoomChange, ...] = ()
    documents_changed: bool = False  # store the shared documents' state again
    revocations: tuple[str, ...] = ()  # participants whose links the caller revokes (stored)
    discard_documents: tuple[str, ...] = ()  # withdrawn documents to delete from the case file
    text_writes: tuple[TextWrite, ...] = ()  # stored first, like board operations

    def for_participant(self, pid: str) -> list[Notification]:
        """Notifications addressed to ``pid`` (handy for tests and fakes)."""
        return [n for n in self.notifications if pid in n.recipients]

    def events_for(self, pid: str) -> list[str]:
        return [n.event for n in self.for_participant(pid)]


class Effects:
    """Collects the effects of one call, then freezes them into an Outcome."""

    def __init__(self, session_id: str, clock: Clock) -> None:
        self.session_id = session_id
        self._clock = clock
        self._audit: list[AuditEvent] = []
        self._board_writes: list[BoardWrite] = []
        self._notifications: list[Notification] = []
        self._kicks: list[Kick] = []
        self._changes: list[RoomChange] = []
        self._revocations: list[str] = []
        self._discards: list[str] = []
        self._text_writes: list[TextWrite] = []
        self.documents_changed = False

    def audit(
        self,
        kind: str,
        *,
        actor: str | None = None,
        subject: str | None = None,
        **details: str,
    ) -> None:
        self._audit.append(
            AuditEvent(kind, self.session_id, self._clock(), actor, subject, details)
        )

    def add_audit(self, event: AuditEvent) -> None:
        self._audit.append(event)

    def notify(
        self,
        event: str,
        payload: Mapping[str, Any],
        recipients: Iterable[str],
        room_id: str | None = None,
    ) -> None:
        to = frozenset(recipients)
        if to:
            self._notifications.append(Notification(event, dict(payload), to, room_id))

    def board_op(self, room_id: str, entry: LoggedOp, recipients: Iterable[str]) -> None:
        """``entry`` was added to ``room_id``'s board: it is to be stored, then shown to
        ``recipients`` (the room's members) with the room it belongs to."""
        self._board_writes.append(BoardWrite(room_id, entry))
        self.notify(BOARD_OP_EVENT, {**entry.to_wire(), "room_id": room_id}, recipients, room_id)

    def text_update(self, room_id: str, entry: TextEntry, recipients: Iterable[str]) -> None:
        """``entry`` was applied to ``room_id``'s text: it is to be stored, then sent to
        ``recipients`` (the room's members but its author, whose editor made it)."""
        self._text_writes.append(TextWrite(room_id, entry))
        payload = {"room_id": room_id, "seq": entry.seq, "update": encode_update(entry.update)}
        self.notify(TEXT_UPDATE_EVENT, payload, recipients, room_id)

    def kick(self, kick: Kick | None) -> None:
        if kick is not None:
            self._kicks.append(kick)

    def revoke(self, pid: str) -> None:
        """``pid``'s links must stop working for this session, connected or not."""
        if pid not in self._revocations:
            self._revocations.append(pid)

    def discard_document(self, doc_id: str) -> None:
        """``doc_id``'s file is to be deleted from the case file (withdrawn, not kept)."""
        if doc_id not in self._discards:
            self._discards.append(doc_id)

    def change(self, change: RoomChange) -> None:
        self._changes.append(change)

    def outcome(self, value: V) -> Outcome[V]:
        return Outcome(
            value=value,
            board_writes=tuple(self._board_writes),
            audit=tuple(self._audit),
            notifications=tuple(self._notifications),
            kicks=tuple(self._kicks),
            room_changes=tuple(self._changes),
            documents_changed=self.documents_changed,
            revocations=tuple(self._revocations),
            discard_documents=tuple(self._discards),
            text_writes=tuple(self._text_writes),
        )
