"""Rooms of a live session: the plenary and private meetings (caucus).

Only members of a room see, hear or read anything of it: every audience query
here is computed from membership, and the transport delivers by recipient.
Nobody wanders into a private meeting: membership changes only through the
explicit moves below, each of which yields a :class:`Move` to audit. Observers
are never put into a private meeting implicitly; only an explicit member list
or move by a mediator does that (the permission matrix guards who may move).

After a takeover or a restart :meth:`Rooms.resume` puts back the private meetings that
were open and who was in which room, exactly as stored: nobody is placed by a guess.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sessions.errors import Conflict, InvalidPayload, InvalidState, NotFound, NotInRoom
from sessions.events import AuditEvent, Clock, RoomChange, utc_now
from sessions.roles import Role, is_mediator

PLENARY = "plenary"
MAX_PRIVATE_MEETINGS = 20
MAX_LABEL_LENGTH = 80
PRIVATE_PREFIX = "private-"


def new_private_room_id() -> str:
    """A private meeting's id: random, so never reused for the life of the case, across
    breaks, restarts and nodes (what is stored of a meeting is keyed by it)."""
    return PRIVATE_PREFIX + secrets.token_hex(8)


class RoomKind(StrEnum):
    PLENARY = "plenary"
    PRIVATE = "private"


@dataclass(slots=True)
class _Room:
    room_id: str
    kind: RoomKind
    label: str
    opened_by: str | None
    members: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class RoomView:
    room_id: str
    kind: RoomKind
    label: str
    opened_by: str | None
    members: frozenset[str]


@dataclass(frozen=True, slots=True)
class Move:
    """One participant changed room (``None`` = outside the session)."""

    participant_id: str
    from_room: str | None
    to_room: str | None
    actor: str | None
    at: datetime

    def audit(self, session_id: str) -> AuditEvent:
        return AuditEvent(
            kind="room.move",
            session_id=session_id,
            at=self.at,
            actor=self.actor,
            subject=self.participant_id,
            details={"from": self.from_room or "-", "to": self.to_room or "-"},
        )

    def change(self) -> RoomChange:
        return RoomChange(self.participant_id, self.from_room, self.to_room)


class Rooms:
    def __init__(
        self,
        session_id: str,
        *,
        clock: Clock = utc_now,
        new_id: Callable[[], str] = new_private_room_id,
    ) -> None:
        self.session_id = session_id
        self._clock = clock
        self._new_id = new_id
        self._rooms: dict[str, _Room] = {
            PLENARY: _Room(PLENARY, RoomKind.PLENARY, "plenary", opened_by=None)
        }
        self._where: dict[str, str] = {}
        self._roles: dict[str, Role] = {}
        self._opened: set[str] = set()  # every private meeting id this object handed out
        self._plenary_talk = False

    # -- queries ---------------------------------------------------------------

    def _room(self, room_id: str) -> _Room:
        room = self._rooms.get(room_id)
        if room is None:
            raise NotFound(f"no room {room_id}")
        return room

    def exists(self, room_id: str) -> bool:
        return room_id in self._rooms

    def room_of(self, pid: str) -> str | None:
        return self._where.get(pid)

    def require_room_of(self, pid: str) -> str:
        room_id = self._where.get(pid)
        if room_id is None:
            raise NotInRoom("participant is not in any room")
        return room_id

    def placed(self) -> dict[str, str]:
        """Every participant in a room: pid -> room id."""
        return dict(self._where)

    def role_of(self, pid: str) -> Role | None:
        return self._roles.get(pid)

    def members(self, room_id: str) -> frozenset[str]:
        return frozenset(self._room(room_id).members)

    def view(self, room_id: str) -> RoomView:
        r = self._room(room_id)
        return RoomView(r.room_id, r.kind, r.label, r.opened_by, frozenset(r.members))

    def rooms(self) -> list[RoomView]:
        return [self.view(room_id) for room_id in self._rooms]

    def open_room_ids(self) -> list[str]:
        return list(self._rooms)

    def private_meetings(self) -> list[str]:
        return [r.room_id for r in self._rooms.values() if r.kind is RoomKind.PRIVATE]

    def is_private(self, room_id: str) -> bool:
        return self._room(room_id).kind is RoomKind.PRIVATE

    def mediators_in(self, room_id: str) -> frozenset[str]:
        return frozenset(p for p in self._room(room_id).members if is_mediator(self._roles[p]))

    @property
    def plenary_talk_allowed(self) -> bool:
        return self._plenary_talk

    def is_live(self, room_id: str) -> bool:
        """Whether members may talk: a private meeting, or the plenary with a
        mediator present or with the mediator's leave to talk while away."""
        room = self._room(room_id)
        if room.kind is RoomKind.PRIVATE:
            return True
        return self._plenary_talk or any(is_mediator(self._roles[p]) for p in room.members)

    # -- changes ---------------------------------------------------------------

    def set_plenary_talk(self, allowed: bool) -> None:
        self._plenary_talk = allowed

    def resume(
        self,
        private: Iterable[tuple[str, str, str | None]],
        placed: Iterable[tuple[str, Role, str]],
    ) -> None:
        """Put back the private meetings that were open (``(room_id, label, opened_by)``,
        in the order they were opened) and who was in which room (``(pid, role, room_id)``),
        into rooms with nobody placed yet. A placement in a room that is not among them
        is refused (``InvalidPayload``) rather than guessed."""
        if self._where or len(self._rooms) > 1:
            raise InvalidState("rooms are resumed only into a fresh session")
        for room_id, label, opened_by in private:
            if room_id == PLENARY or room_id in self._rooms:
                raise InvalidPayload(f"room {room_id} twice")
            self._opened.add(room_id)
            self._rooms[room_id] = _Room(room_id, RoomKind.PRIVATE, label, opened_by=opened_by)
        for pid, role, room_id in placed:
            if room_id not in self._rooms:
                raise InvalidPayload(f"no room {room_id} to put a participant back in")
            self._roles[pid] = role
            self._rooms[room_id].members.add(pid)
            self._where[pid] = room_id

    def _move(self, pid: str, to_room: str | None, actor: str | None) -> Move | None:
        from_room = self._where.get(pid)
        if from_room == to_room:
            return None
        if from_room is not None:
            self._rooms[from_room].members.discard(pid)
        if to_room is None:
            del self._where[pid]
            del self._roles[pid]
        else:
            self._rooms[to_room].members.add(pid)
            self._where[pid] = to_room
        return Move(pid, from_room, to_room, actor, self._clock())

    def place(self, pid: str, role: Role, actor: str | None = None) -> Move | None:
        """An admitted participant enters the plenary (no-op if already placed,
        e.g. after a reconnection within the grace period)."""
        if pid in self._where:
            return None
        self._roles[pid] = role
        return self._move(pid, PLENARY, actor)

    def withdraw(self, pid: str, actor: str | None = None) -> Move | None:
        """The participant left the session (left, removed, consent withdrawn)."""
        if pid not in self._where:
            return None
        return self._move(pid, None, actor)

    def open_private(
        self, actor: str, members: Iterable[str], label: str = "", *, join: bool = True
    ) -> tuple[RoomView, list[Move]]:
        """Open a private meeting with exactly ``members`` (plus ``actor`` if ``join``)."""
        wanted = set(members)
        if join:
            wanted.add(actor)
        if not wanted - {actor}:
            raise InvalidPayload("a private meeting needs at least one other member")
        for pid in wanted:
            if pid not in self._where:
                raise NotInRoom(f"participant {pid} is not in the session")
        label = label.strip()
        if len(label) > MAX_LABEL_LENGTH:
            raise InvalidPayload("label too long")
        if len(self.private_meetings()) >= MAX_PRIVATE_MEETINGS:
            raise Conflict("too many private meetings")
        room_id = self._new_id()
        if room_id == PLENARY or room_id in self._opened:
            raise InvalidState("a private meeting id came up twice")
        self._opened.add(room_id)
        self._rooms[room_id] = _Room(room_id, RoomKind.PRIVATE, label, opened_by=actor)
        moves = [m for pid in sorted(wanted) if (m := self._move(pid, room_id, actor))]
        return self.view(room_id), moves

    def move(self, actor: str, pid: str, to_room: str) -> Move | None:
        """Move a participant (or oneself) to an existing room."""
        self._room(to_room)
        if pid not in self._where:
            raise NotInRoom(f"participant {pid} is not in the session")
        return self._move(pid, to_room, actor)

    def close_private(self, actor: str, room_id: str) -> list[Move]:
        """Close a private meeting; its members return to the plenary."""
        room = self._room(room_id)
        if room.kind is not RoomKind.PRIVATE:
            raise InvalidState("the plenary cannot be closed")
        moves = [m for pid in sorted(room.members) if (m := self._move(pid, PLENARY, actor))]
        del self._rooms[room_id]
        return moves

    def return_all(self, actor: str) -> tuple[list[str], list[Move]]:
        """Close every private meeting: everyone back to the plenary."""
        closed = self.private_meetings()
        moves: list[Move] = []
        for room_id in closed:
            moves.extend(self.close_private(actor, room_id))
        return closed, moves
