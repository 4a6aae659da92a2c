"""What of a live session must outlive the process that runs it (pure: no I/O here).

A live session runs on one node. When that node dies (or the server restarts) another
one picks the session up and must carry on where it stood, from what was stored as it
changed, never from guesses: who is admitted, waiting, removed or declined, with what
consent and bound to which device; which private meetings are open and who is in which
room; the lock; whether the plenary may talk without a mediator; who stopped whose
microphone or camera; who took part (the session's summary), the agreements to keep the
chat and the chat message numbers reserved (a message number is never given twice); and
whether the session ended.

:class:`DurableState` is that value, made by
:meth:`~sessions.core.SessionCore.durable_state` and put back into a fresh session by
:meth:`~sessions.core.SessionCore.resume`. Its record form (:meth:`DurableState.to_record`)
holds participant keys, ids, states and room labels, never a name or a message; records
encodes and encrypts it. What is not here is either kept elsewhere as it changes (boards,
shared documents, the consent log) or belongs to a connection and does not outlive it
(connections, a device asking for a seat, what each page was last shown).

Room ids are random (:func:`~sessions.rooms.new_private_room_id`), so a meeting opened
after a resume never takes the id of one opened before (DESIGN.md rule 14).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sessions.errors import InvalidPayload
from sessions.lobby import State
from sessions.rooms import PLENARY

RECORD_VERSION = 1


@dataclass(frozen=True, slots=True)
class ParticipantState:
    """One participant's place: lobby state, the consent version recorded (None: none),
    the device their seat is bound to, their room (None: in none), and since when a
    waiting or admitted participant is disconnected (a clock timestamp; None: connected)."""

    participant_id: str
    state: State
    consent_version: str | None = None
    device: str | None = None
    room_id: str | None = None
    dropped_at: float | None = None


@dataclass(frozen=True, slots=True)
class RoomState:
    """An open private meeting: its id, the label the mediator gave it, who opened it."""

    room_id: str
    label: str = ""
    opened_by: str | None = None


@dataclass(frozen=True, slots=True)
class DurableState:
    participants: tuple[ParticipantState, ...] = ()  # by participant id
    rooms: tuple[RoomState, ...] = ()  # open private meetings, in the order opened
    locked: bool = False
    ended: bool = False
    plenary_talk: bool = False
    took_part: frozenset[str] = frozenset()
    held_audio: frozenset[str] = frozenset()  # microphones a mediator stopped
    held_video: frozenset[str] = frozenset()  # cameras a mediator stopped
    chat_keep: bool = False  # the mediator proposes to keep the chat
    chat_agreements: tuple[tuple[str, bool], ...] = ()  # by participant id
    chat_reserved: int = 0  # chat message numbers possibly given (never given again)

    def participant(self, pid: str) -> ParticipantState | None:
        for p in self.participants:
            if p.participant_id == pid:
                return p
        return None

    # -- record form ---------------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        """Plain data for the store (keys, ids, states; no names, no messages)."""
        return {
            "v": RECORD_VERSION,
            "participants": [
                [
                    p.participant_id,
                    p.state.value,
                    p.consent_version,
                    p.device,
                    p.room_id,
                    p.dropped_at,
                ]
                for p in self.participants
            ],
            "rooms": [[r.room_id, r.label, r.opened_by] for r in self.rooms],
            "locked": self.locked,
            "ended": self.ended,
            "plenary_talk": self.plenary_talk,
            "took_part": sorted(self.took_part),
            "held_audio": sorted(self.held_audio),
            "held_video": sorted(self.held_video),
            "chat_keep": self.chat_keep,
            "chat_agreements": [[pid, agreed] for pid, agreed in self.chat_agreements],
            "chat_reserved": self.chat_reserved,
        }

    @classmethod
    def from_record(cls, record: object) -> DurableState:
        """The state :meth:`to_record` gave; ``InvalidPayload`` for anything else (a
        placement in a room that is not open, a state that is not one, ...)."""
        try:
            return _parse(record)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidPayload(f"unreadable live state ({type(exc).__name__})") from None


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("text expected")
    return value


def _optional(value: object) -> str | None:
    return None if value is None else _text(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("boolean expected")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError("count expected")
    return value


def _keys(value: object) -> frozenset[str]:
    if not isinstance(value, list):
        raise TypeError("list expected")
    return frozenset(_text(v) for v in value)


def _parse(record: object) -> DurableState:
    if not isinstance(record, Mapping) or record["v"] != RECORD_VERSION:
        raise ValueError("not a live state of this version")
    rooms: list[RoomState] = []
    for room_id, label, opened_by in record["rooms"]:
        if not isinstance(label, str):
            raise TypeError("label")
        rooms.append(RoomState(_text(room_id), label, _optional(opened_by)))
    open_ids = {r.room_id for r in rooms}
    if PLENARY in open_ids or len(open_ids) != len(rooms):
        raise ValueError("room ids")
    participants: list[ParticipantState] = []
    for pid, state, consent, device, room_id, dropped_at in record["participants"]:
        where = _optional(room_id)
        if where is not None and where != PLENARY and where not in open_ids:
            raise ValueError("a participant in a room that is not open")
        if dropped_at is not None and (
            isinstance(dropped_at, bool) or not isinstance(dropped_at, int | float)
        ):
            raise TypeError("dropped_at")
        participants.append(
            ParticipantState(
                _text(pid), State(state), _optional(consent), _optional(device), where,
                None if dropped_at is None else float(dropped_at),
            )
        )  # fmt: skip
    if len({p.participant_id for p in participants}) != len(participants):
        raise ValueError("a participant twice")
    agreements = tuple((_text(pid), _flag(agreed)) for pid, agreed in record["chat_agreements"])
    return DurableState(
        participants=tuple(participants),
        rooms=tuple(rooms),
        locked=_flag(record["locked"]),
        ended=_flag(record["ended"]),
        plenary_talk=_flag(record["plenary_talk"]),
        took_part=_keys(record["took_part"]),
        held_audio=_keys(record["held_audio"]),
        held_video=_keys(record["held_video"]),
        chat_keep=_flag(record["chat_keep"]),
        chat_agreements=agreements,
        chat_reserved=_count(record["chat_reserved"]),
    )
