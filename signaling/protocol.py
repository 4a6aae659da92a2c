"""The Socket.IO wire protocol: event payload schemas and the ack envelope.

Every client-to-server event takes an ack answering ``{"ok": true, ...}`` or
``{"ok": false, "error": {"code", "message"}}``. Payloads are validated here,
at the edge: unknown fields, wrong types, oversized strings or arrays are
refused before a handler sees them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from errors import ErrorCode
from signaling.errors import SignalingError

MAX_SDP = 64 * 1024
Ack = dict[str, Any]
M = TypeVar("M", bound="Payload")


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Empty(Payload):
    pass


Mid = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
TrackLabel = Literal["camera", "microphone", "screen"]


class RtcOffer(Payload):
    sdp: Annotated[str, Field(min_length=1, max_length=MAX_SDP)]
    labels: Annotated[dict[Mid, TrackLabel], Field(max_length=16)] = Field(default_factory=dict)


class RtcAnswer(Payload):
    sdp: Annotated[str, Field(min_length=1, max_length=MAX_SDP)]


class IceCandidate(Payload):
    candidate: Annotated[str, Field(max_length=1024)]
    sdpMid: Annotated[str, Field(max_length=32)] | None = None  # the browser's field names
    sdpMLineIndex: Annotated[int, Field(ge=0, le=64)] | None = None
    usernameFragment: Annotated[str, Field(max_length=256)] | None = None


class RtcCandidate(Payload):
    candidate: IceCandidate | None  # None: end of candidates


class MediaState(Payload):
    audio: bool
    video: bool
    screen: bool


def parse(model: type[M], data: Any) -> M:
    """The validated payload, or a SignalingError naming the fields (never their values)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SignalingError(ErrorCode.VALIDATION, "payload must be an object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors(include_input=False, include_url=False)[:5]:
            where = ".".join(str(p) for p in err["loc"]) or "payload"
            parts.append(f"{where}: {err['msg']}")
        raise SignalingError(ErrorCode.VALIDATION, "; ".join(parts)) from None


def ok(**data: Any) -> Ack:
    return {"ok": True, **data}


def fail(code: ErrorCode, message: str) -> Ack:
    return {"ok": False, "error": {"code": code.value, "message": message}}


Key = Annotated[str, Field(pattern=r"^[pm]-[0-9a-f]{1,32}$")]
RoomId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class KeyRef(Payload):
    key: Key


class Locked(Payload):
    locked: bool


class CaucusOpen(Payload):
    members: Annotated[list[Key], Field(min_length=1, max_length=8)]
    label: Annotated[str, Field(max_length=60)] = ""


class CaucusRoom(Payload):
    room_id: RoomId


class CaucusMove(Payload):
    key: Key
    room_id: RoomId


class PlenaryTalk(Payload):
    allowed: bool


class MediaReopen(Payload):
    audio: bool
    video: bool
