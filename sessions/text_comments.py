"""Comments on a room's shared text: threads anchored to a range of the text.

A comment is anchored by two Yjs *relative positions* (what ``Y.encodeRelativePosition``
makes, base64 on the wire): they name the characters the range starts and ends at, not an
offset, so the range follows the text as people edit around it. A range whose text was
deleted resolves to nothing in the editor, which shows the comment as "text removed"
(the server keeps the comment as it was). A thread takes replies and is resolved once,
by its author or a mediator.

Each change is one :class:`CommentEvent`, numbered in its room (``seq``), stored before
anyone is sent it; a room's comments are its events applied in order. Pure: who may do
what is the caller's business (:mod:`sessions.commenting`).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field, replace
from typing import Any

from sessions.errors import InvalidPayload, NotFound

MAX_BODY = 2000  # characters of a comment or a reply
MAX_ANCHOR_BYTES = 96  # a relative position: a type or item id, an association
MAX_THREADS = 500  # comments in one room's text
MAX_REPLIES = 100  # replies in one thread
ADD, REPLY, RESOLVE = "add", "reply", "resolve"
_ID = re.compile(r"^[0-9a-f]{32}$")


def _varuint(data: bytes, at: int) -> int:
    """The end of the variable-length unsigned integer starting at ``at``."""
    for i in range(at, min(len(data), at + 8)):
        if not data[i] & 0x80:
            return i + 1
    raise ValueError("truncated")


def _varstring(data: bytes, at: int) -> int:
    length, shift, i = 0, 0, at
    while True:
        if i >= len(data) or i - at >= 5:
            raise ValueError("truncated")
        byte = data[i]
        length |= (byte & 0x7F) << shift
        shift += 7
        i += 1
        if not byte & 0x80:
            break
    if i + length > len(data):
        raise ValueError("truncated")
    return i + length


def decode_anchor(value: str) -> bytes:
    """The bytes of a relative position (base64), checked to be one: Yjs writes a tag (0:
    an item id, client and clock; 1: a root type's name; 2: a type's id), then an
    association; InvalidPayload otherwise."""
    if not isinstance(value, str) or len(value) > (MAX_ANCHOR_BYTES * 4) // 3 + 4:
        raise InvalidPayload("an anchor is a short base64 relative position")
    try:
        data = base64.b64decode(value, validate=True)
        if not data:
            raise ValueError("empty")
        tag, at = data[0], 1
        if tag in (0, 2):
            at = _varuint(data, _varuint(data, at))
        elif tag == 1:
            at = _varstring(data, at)
        else:
            raise ValueError("tag")
        if at < len(data):
            at = _varuint(data, at)  # the association (Yjs >= 13.5 writes one)
        if at != len(data):
            raise ValueError("trailing bytes")
    except (binascii.Error, ValueError):
        raise InvalidPayload("an anchor must be a Yjs relative position (base64)") from None
    return data


def check_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise InvalidPayload("a comment cannot be empty")
    if len(text) > MAX_BODY:
        raise InvalidPayload(f"a comment is at most {MAX_BODY} characters")
    return text


@dataclass(frozen=True, slots=True)
class CommentEvent:
    """One change of a room's comments: a thread added, a reply, a thread resolved."""

    seq: int
    kind: str  # ADD, REPLY, RESOLVE
    thread: str  # the thread's id (32 hex digits)
    by: str  # participant key
    at: float
    body: str = ""  # ADD, REPLY
    anchor: tuple[str, str] | None = None  # ADD: (start, end), base64 relative positions
    reply: str = ""  # REPLY: the reply's id

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "kind": self.kind, "thread": self.thread, "by": self.by, "at": round(self.at, 3),
        }  # fmt: skip
        if self.body:
            record["body"] = self.body
        if self.anchor is not None:
            record["anchor"] = list(self.anchor)
        if self.reply:
            record["reply"] = self.reply
        return record

    @classmethod
    def from_record(cls, seq: int, data: Any) -> CommentEvent:
        try:
            kind, thread, by, at = data["kind"], data["thread"], data["by"], data["at"]
            anchor = data.get("anchor")
            event = cls(
                seq, str(kind), str(thread), str(by), float(at), str(data.get("body", "")),
                None if anchor is None else (str(anchor[0]), str(anchor[1])),
                str(data.get("reply", "")),
            )  # fmt: skip
        except (KeyError, TypeError, ValueError, IndexError):
            raise InvalidPayload("not a stored comment") from None
        if kind not in (ADD, REPLY, RESOLVE) or not _ID.match(event.thread):
            raise InvalidPayload("not a stored comment")
        return event


@dataclass(frozen=True, slots=True)
class Reply:
    id: str
    by: str
    at: float
    body: str

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "by": self.by, "at": self.at, "body": self.body}


@dataclass(frozen=True, slots=True)
class Thread:
    """A comment and its replies, as the room sees it."""

    id: str
    by: str
    at: float
    body: str
    anchor: tuple[str, str]
    replies: tuple[Reply, ...] = ()
    resolved_by: str | None = None
    resolved_at: float | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id, "by": self.by, "at": self.at, "body": self.body,
            "anchor": {"start": self.anchor[0], "end": self.anchor[1]},
            "replies": [r.to_wire() for r in self.replies],
            "resolved": None if self.resolved_by is None
            else {"by": self.resolved_by, "at": self.resolved_at},
        }  # fmt: skip


@dataclass(slots=True)
class CommentBook:
    """One room's comment threads, from its events."""

    room_id: str
    seq: int = 0
    loaded: bool = False  # read back from the store (the transport's business)
    failed_after: int | None = None  # a write after this change failed: stored ones beyond go
    threads: dict[str, Thread] = field(default_factory=dict)

    def thread(self, thread_id: str) -> Thread:
        found = self.threads.get(thread_id)
        if found is None:
            raise NotFound("no such comment in this text")
        return found

    def check(self, event: CommentEvent) -> None:
        """Refuses an event that does not apply (InvalidPayload, NotFound)."""
        if event.seq != self.seq + 1:
            raise InvalidPayload("comments out of order")
        if event.kind == ADD:
            if event.thread in self.threads:
                raise InvalidPayload("this comment exists already")
            if len(self.threads) >= MAX_THREADS:
                raise InvalidPayload(f"a text takes at most {MAX_THREADS} comments")
            if event.anchor is None:
                raise InvalidPayload("a comment needs a range of the text")
            return
        thread = self.thread(event.thread)
        if thread.resolved_by is not None:
            raise InvalidPayload("this comment is resolved")
        if event.kind == REPLY and len(thread.replies) >= MAX_REPLIES:
            raise InvalidPayload(f"a comment takes at most {MAX_REPLIES} replies")

    def after(self, event: CommentEvent) -> Thread:
        """The thread as ``event`` would leave it (checked; nothing changes)."""
        self.check(event)
        if event.kind == ADD:
            assert event.anchor is not None
            thread = Thread(event.thread, event.by, event.at, event.body, event.anchor)
        elif event.kind == REPLY:
            old = self.threads[event.thread]
            reply = Reply(event.reply, event.by, event.at, event.body)
            thread = replace(old, replies=(*old.replies, reply))
        else:
            thread = replace(self.threads[event.thread], resolved_by=event.by, resolved_at=event.at)
        return thread

    def apply(self, event: CommentEvent) -> Thread:
        """Applies an event; the thread as it now stands."""
        thread = self.after(event)
        self.seq = event.seq
        self.threads[event.thread] = thread
        return thread

    def restore(self, events: list[CommentEvent]) -> int:
        """Puts back the comments from stored events (up to the first that does not
        apply); how many were taken."""
        self.seq, self.threads = 0, {}
        for event in events:
            try:
                self.apply(event)
            except (InvalidPayload, NotFound):
                break
        self.loaded = True
        self.failed_after = None
        return self.seq

    def listing(self) -> list[Thread]:
        return sorted(self.threads.values(), key=lambda t: (t.at, t.id))
