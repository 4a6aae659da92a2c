"""Chat of a live session: plain-text messages per room, and their retention.

Messages are sanitised (:func:`sessions.text.clean_text`), bounded and never
HTML. A room's history is read only by the room's current members (the
service checks). Chat is kept after the session only if the mediator enabled
keeping it *and* every participant of the session agreed; otherwise
:meth:`ChatLog.retained` returns nothing and the messages die with the session.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from errors import ErrorCode
from sessions.errors import OVER_BUDGET, Conflict, InvalidPayload
from sessions.events import Clock, utc_now
from sessions.text import clean_text

MAX_MESSAGE_LENGTH = 2_000
MAX_RAW_LENGTH = 4 * MAX_MESSAGE_LENGTH  # refuse before sanitising anything larger
MAX_MESSAGES_PER_ROOM = 10_000
# Message numbers are reserved by blocks in the session's durable state: a session resumed
# elsewhere numbers its messages after the block, never again a number used before.
SEQ_BLOCK = 1000
# One person's share of a room's messages: well below the room's capacity, so that
# one person can never fill a room's chat for the others.
MAX_MESSAGES_PER_PERSON = 1_000


@dataclass(frozen=True, slots=True)
class ChatMessage:
    seq: int  # session-wide order
    room_id: str
    author: str
    text: str
    at: datetime

    def to_wire(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "room_id": self.room_id,
            "author": self.author,
            "text": self.text,
            "at": self.at.isoformat(),
        }


def sanitize_message(raw: str) -> str:
    """Clean a message; raise ``InvalidPayload`` if empty or too long."""
    if len(raw) > MAX_RAW_LENGTH:
        raise InvalidPayload("message too long")
    try:
        text = clean_text(raw, max_length=MAX_MESSAGE_LENGTH)
    except ValueError as exc:
        raise InvalidPayload(str(exc)) from None
    if not text:
        raise InvalidPayload("empty message")
    return text


class ChatLog:
    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._rooms: dict[str, list[ChatMessage]] = {}
        self._posted: dict[tuple[str, str], int] = {}  # (room, author) -> messages
        self._seq = 0
        self._reserved = 0  # message numbers up to this one are taken (see SEQ_BLOCK)
        self._keep_enabled = False
        self._agreements: dict[str, bool] = {}

    def post(self, room_id: str, author: str, raw: str) -> ChatMessage:
        text = sanitize_message(raw)
        messages = self._rooms.setdefault(room_id, [])
        posted = self._posted.get((room_id, author), 0)
        if posted >= MAX_MESSAGES_PER_PERSON:
            raise Conflict(
                f"you have sent {MAX_MESSAGES_PER_PERSON} messages in this room, the most one "
                "person may",
                OVER_BUDGET,
            )
        if len(messages) >= MAX_MESSAGES_PER_ROOM:
            raise Conflict("this room's chat is full", ErrorCode.CHAT_FULL)
        self._posted[(room_id, author)] = posted + 1
        self._seq += 1
        if self._seq > self._reserved:
            self._reserved = self._seq + SEQ_BLOCK - 1
        message = ChatMessage(self._seq, room_id, author, text, self._clock())
        messages.append(message)
        return message

    @property
    def reserved(self) -> int:
        """The highest message number this log may have given (what outlives the process)."""
        return self._reserved

    def resume_after(self, reserved: int) -> None:
        """Carry on after a log that may have given every number up to ``reserved``."""
        self._seq = self._reserved = max(self._reserved, reserved)

    def history(self, room_id: str, since: int = 0) -> list[ChatMessage]:
        """A room's messages with ``seq`` greater than ``since``."""
        return [m for m in self._rooms.get(room_id, []) if m.seq > since]

    # -- retention ---------------------------------------------------------------

    @property
    def keep_enabled(self) -> bool:
        return self._keep_enabled

    def set_keep_enabled(self, enabled: bool) -> None:
        """The mediator proposes (or stops proposing) to keep the chat."""
        self._keep_enabled = enabled

    def set_agreement(self, pid: str, agreed: bool) -> None:
        """A participant agrees to (or refuses) keeping the chat; revocable."""
        self._agreements[pid] = agreed

    def agreed(self, pid: str) -> bool:
        return self._agreements.get(pid, False)

    def agreements(self) -> dict[str, bool]:
        """Every participant's answer so far (a copy), as :meth:`set_agreement` recorded it."""
        return dict(self._agreements)

    def keep_after_session(self, participants: Iterable[str]) -> bool:
        """Enabled by the mediator and agreed by every one of ``participants``."""
        everyone = list(participants)
        return self._keep_enabled and bool(everyone) and all(self.agreed(p) for p in everyone)

    def retained(self, participants: Iterable[str]) -> list[ChatMessage]:
        """Messages to keep after the session (all rooms, in order), or none."""
        if not self.keep_after_session(participants):
            return []
        return sorted((m for ms in self._rooms.values() for m in ms), key=lambda m: m.seq)
