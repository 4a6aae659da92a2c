"""Payloads of the whiteboard, chat and shared-document events (validated at the edge).

Whiteboard operations themselves are validated by the domain's strict schemas
(:mod:`sessions.whiteboard.ops`); here only their envelope is.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from signaling.protocol import Payload, RoomId

DocId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Language = Literal["fr", "en"]


class WbOp(Payload):
    op: dict[str, Any]
    room_id: RoomId | None = None  # the board the author drew on: refused if they moved since


class WbSync(Payload):
    since: Annotated[int, Field(ge=0)] | None = None


class WbCopy(Payload):
    from_room: RoomId


class ChatSend(Payload):
    text: Annotated[str, Field(min_length=1, max_length=8_000)]
    room_id: RoomId  # the room it was typed in: refused if the sender has moved since


class ChatHistory(Payload):
    since: Annotated[int, Field(ge=0)] = 0


class ChatKeep(Payload):
    enabled: bool


class ChatNotice(Payload):
    language: Language


class ChatAgree(Payload):
    agreed: bool
    language: Language


class DocRef(Payload):
    doc_id: DocId


class DocWithdraw(Payload):
    doc_id: DocId
    keep: bool = False  # mediators only: keep the file in the case file


class DocReshare(Payload):
    doc_id: DocId
    visibility: Literal["room", "private_meeting_members", "mediators"] = "room"


class DocDownload(Payload):
    doc_id: DocId
    allowed: bool


class DocPresent(Payload):
    doc_id: DocId
    page: Annotated[int, Field(ge=1, le=10_000)]
    zoom: Annotated[float, Field(ge=0.1, le=10.0)] = 1.0


class DocFollow(Payload):
    following: bool


MODELS: list[type[Payload]] = [
    WbOp, WbSync, WbCopy, ChatSend, ChatHistory, ChatKeep, ChatNotice, ChatAgree, DocRef,
    DocWithdraw, DocReshare, DocDownload, DocPresent, DocFollow,
]  # fmt: skip
