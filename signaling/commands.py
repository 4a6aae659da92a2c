"""What anything not on a socket (a REST route, a node that does not run the session) asks
of a live session: typed, serialisable commands and their answers.

A command names its session; the node that runs that session executes it
(:mod:`signaling.gateway`). They travel between nodes as JSON, so they are validated
when decoded as strictly as a Socket.IO payload: unknown fields, wrong types, oversized
strings are refused with a ``ValueError`` that quotes nothing of what was received.

Two sorts:

- *notifications* (``needs_live = False``): something was already stored (a link
  revoked, consent recorded, a participant erased, the session closed) and a live
  session, if one runs, must act on it now. If no node runs the session, nothing live
  needs doing: the session reads the store when it is next loaded.
- *requests* (``needs_live = True``): questions or actions that only the live session can
  answer (what room am I in, may I see this document, share this document, a board's
  snapshot). If no node runs the session, the asking node claims it and runs it.

Commands carry no permission decision of their own: the REST node checked the caller
(``Caller``) exactly as it did for the local hub, and the live session's own rules
(seat, device, room) are applied by the node that runs it.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sessions.documents import Visibility
from signaling.identity import Identity

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Key = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")]
Device = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{16,64}$")]
Name = Annotated[str, Field(max_length=400)]
MAX_ENCODED = 1024 * 1024  # a command is small; an answer may carry a board (see the bus)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Caller(_Wire):
    """Who asks, as the REST node authenticated them (a link holder or a mediator),
    and the device their request came from (a link holder's browser)."""

    key: Key
    role: Annotated[str, Field(pattern=r"^(mediator|co_mediator|party|counsel|observer)$")]
    display_name: Name
    link_id: Id | None = None
    expires_at: float | None = None
    device: Device | None = None

    @classmethod
    def of(cls, identity: Identity, device: str | None = None) -> Caller:
        return cls(
            key=identity.key, role=identity.role, display_name=identity.display_name,
            link_id=identity.link_id, expires_at=identity.expires_at, device=device,
        )  # fmt: skip

    def identity(self, session_id: str) -> Identity:
        return Identity(
            session_id, self.key, self.role, self.display_name, self.link_id, self.expires_at
        )


class Command(_Wire):
    session_id: Id
    needs_live: ClassVar[bool] = False


# -- notifications: stored already; a live session acts on them now -------------------------


class LinkRevoked(Command):
    """A link of ``key`` was revoked or replaced (``link_id``; None: every link of theirs)."""

    kind: Literal["link_revoked"] = "link_revoked"
    key: Key
    link_id: Id | None = None


class ParticipantErased(Command):
    """``key``'s data was erased, their links with it: they leave the session now."""

    kind: Literal["participant_erased"] = "participant_erased"
    key: Key


class SessionClosed(Command):
    """The session can no longer take place (its case was closed): everyone leaves."""

    kind: Literal["session_closed"] = "session_closed"


class ConsentRecorded(Command):
    kind: Literal["consent_recorded"] = "consent_recorded"
    key: Key


# -- requests: only the live session can answer ---------------------------------------------


class ConsentDeclined(Command):
    """Declining is audited by the live session, and its mediators are told."""

    kind: Literal["consent_declined"] = "consent_declined"
    key: Key
    needs_live: ClassVar[bool] = True


class RoomOf(Command):
    """The room the caller is in (None: in none), from their seat's device."""

    kind: Literal["room_of"] = "room_of"
    caller: Caller
    needs_live: ClassVar[bool] = True


class CheckShare(Command):
    """May the caller share a document now, uploaded for ``room_id``, the session holding
    ``stored`` documents already? (before any byte of it is read)"""

    kind: Literal["check_share"] = "check_share"
    caller: Caller
    room_id: Id | None = None
    stored: Annotated[int, Field(ge=0)]
    needs_live: ClassVar[bool] = True


class ShareDocument(Command):
    """Share the stored document ``doc_id`` in the caller's room; answers the shared document."""

    kind: Literal["share_document"] = "share_document"
    caller: Caller
    doc_id: Id
    title: Name
    visibility: Visibility
    pages: Annotated[int, Field(ge=0)] | None = None
    room_id: Id | None = None
    needs_live: ClassVar[bool] = True


class DocumentAccess(Command):
    """May the caller see ``doc_id`` now, and download it? Answers ``[visible, allowed]``."""

    kind: Literal["document_access"] = "document_access"
    caller: Caller
    doc_id: Id
    needs_live: ClassVar[bool] = True


class BoardOf(Command):
    """A room's board as it is now (a mediator's export): ``{"kind", "snapshot"}``."""

    kind: Literal["board_of"] = "board_of"
    caller: Caller
    room_id: Id
    needs_live: ClassVar[bool] = True


AnyCommand = Annotated[
    LinkRevoked | ParticipantErased | SessionClosed | ConsentRecorded | ConsentDeclined
    | RoomOf | CheckShare | ShareDocument | DocumentAccess | BoardOf,
    Field(discriminator="kind"),
]  # fmt: skip
_COMMAND: TypeAdapter[AnyCommand] = TypeAdapter(AnyCommand)


def encode(command: Command) -> dict[str, Any]:
    return command.model_dump(mode="json")


def decode(data: object) -> Command:
    """A command from the network; ``ValueError`` (naming no value) if it is not one."""
    if not isinstance(data, dict):
        raise ValueError("a command is an object")
    try:
        return _COMMAND.validate_python(_json_strict(data))
    except ValidationError as exc:
        where = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})[:5]
        raise ValueError(f"not a valid command (at {', '.join(where) or '-'})") from None


def _json_strict(data: dict[str, Any]) -> dict[str, Any]:
    """JSON has no enum: strict validation takes the visibility's string value."""
    visibility = data.get("visibility")
    if isinstance(visibility, str) and visibility in {v.value for v in Visibility}:
        return {**data, "visibility": Visibility(visibility)}
    return data
