"""What the domain hands back to the transport: audit events, notifications, kicks.

The domain never emits or writes anything itself. Each service call returns
these value objects; the caller writes audit events to the audit log, emits
notifications to exactly the listed recipients and closes kicked connections.
Audit events and notifications never contain message contents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC ``datetime``; injected everywhere."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One entry for the tamper-evident audit log (written by the caller)."""

    kind: str  # e.g. "lobby.admit", "room.move", "permission.refused"
    session_id: str
    at: datetime
    actor: str | None = None  # participant id, None for the system
    subject: str | None = None  # participant, room, document or object concerned
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Notification:
    """An event to emit (``area:verb``) to exactly ``recipients`` (participant ids).

    ``room_id`` is informative (the room the event concerns, if any); delivery
    is always by recipient so that a stale Socket.IO room never leaks a caucus.
    """

    event: str
    payload: Mapping[str, Any]
    recipients: frozenset[str]
    room_id: str | None = None


@dataclass(frozen=True, slots=True)
class Kick:
    """A connection the transport must disconnect, and why (``reason`` is a code)."""

    participant_id: str
    connection_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class RoomChange:
    """A participant changed room: the transport updates its channel membership."""

    participant_id: str
    from_room: str | None
    to_room: str | None
