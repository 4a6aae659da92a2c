"""What signaling asks of the layers around it, as small Protocols the app factory fills.

Signaling never imports server/: the server hands in an Authenticator (who is
on a connection) and the :class:`HubPorts` of the case file behind a live
session, one narrow port per concern, each taking and returning the domain's
own types: who may take part (:class:`Roster`), whether they agreed
(:class:`ConsentGate`), the tamper-evident log (:class:`AuditTrail`), the boards'
operations (:class:`BoardStore`), the shared documents' state
(:class:`DocumentStore`), what a live session needs to carry on on another node
(:class:`LiveStateStore`), what is kept at the end (:class:`Archive`) and what
follows it (:class:`FollowUp`). Tests
fill them with in-memory fakes and drive a :class:`~signaling.live.LiveHub`
without a database or an HTTP server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from records.agreements.documents import Document
from sessions.chat import ChatMessage
from sessions.documents import SharedDocument
from sessions.durable import DurableState
from sessions.events import AuditEvent
from sessions.shared_text import TextEntry, TextSnapshot
from sessions.text_comments import CommentEvent
from sessions.whiteboard.board import BoardSnapshot
from sessions.whiteboard.log import LoggedOp
from signaling.identity import Identity


@dataclass(frozen=True)
class RosterEntry:
    """Someone who may take part in a session: identity key, role, display name."""

    key: str
    role: str
    display_name: str


@dataclass(frozen=True)
class ChatKeepNotice:
    language: str
    version: int
    sha256: str
    body: str


class Emitter(Protocol):
    """How the hub reaches connections (the namespace): emit to some, close one."""

    async def emit(self, event: str, data: Any, to: str | list[str]) -> None: ...

    async def drop(self, sid: str) -> None: ...


class Authenticator(Protocol):
    async def authenticate(self, auth: Mapping[str, Any], cookies: Mapping[str, str]) -> Identity:
        """The identity behind a connection's auth payload and cookies.

        Raises SignalingError (link_invalid, link_expired, link_revoked,
        session_closed, not_authenticated, forbidden) when it cannot be used.
        """
        ...


class Roster(Protocol):
    """Who may take part in a session, and whether their links still work."""

    async def roster(self, session_id: str) -> Sequence[RosterEntry]:
        """Everyone invited to the session (participants and the case's mediators)."""
        ...

    async def revoke_link(self, session_id: str, key: str) -> None:
        """A removed participant's link stops working until it is re-issued."""
        ...

    async def revoked_links(self, session_id: str, link_ids: Collection[str]) -> set[str]:
        """Which of ``link_ids`` (of this session's connections) no longer work."""
        ...

    async def media_encryption(self, session_id: str) -> str:
        """The case's setting for a browser that cannot encrypt frames end to end:
        ``required`` (it may not take part) or ``allowed``."""
        ...

    async def end_session(self, session_id: str, took_part: Collection[str]) -> None:
        """Store that the session ended (final): every link stops working for it, and
        its parties may answer the questionnaire. With it, in the same write, what follows
        the end is due for ``took_part`` (the keys of everyone ever admitted), so that a
        node stopping before the :class:`FollowUp` ran loses nothing. Called before anyone
        is told it ended; calling it again changes nothing."""
        ...


class ConsentGate(Protocol):
    """What each participant agreed to, in the consent log."""

    async def version(self, session_id: str) -> str:
        """The version of the texts a participant must have accepted (e.g. "c3+p2")."""
        ...

    async def has_consent(self, session_id: str, key: str, version: str) -> bool:
        """Whether ``key`` gave every required consent for ``version``, not withdrawn."""
        ...

    async def observers_allowed(self, session_id: str) -> bool:
        """Whether every party agreed to the presence of observers."""
        ...

    async def withdraw(self, session_id: str, key: str, user_agent: str) -> None:
        """Write the withdrawal entries in the consent log."""
        ...

    async def chat_keep_notice(self, language: str) -> ChatKeepNotice:
        """The text a participant agrees to when the chat is to be kept."""
        ...

    async def record_chat_agreement(
        self, session_id: str, key: str, agreed: bool, language: str, user_agent: str
    ) -> None:
        """A consent-log entry for a participant's agreement (or refusal) to keep the chat."""
        ...


class AuditTrail(Protocol):
    async def append(self, events: Sequence[AuditEvent]) -> None:
        """Append the domain's audit events to the tamper-evident log."""
        ...


class BoardStore(Protocol):
    """Every operation of every board of a session, in order (the board journal)."""

    def store(self, session_id: str, room_id: str, ops: Sequence[LoggedOp]) -> Awaitable[None]:
        """Start storing a room's board operations.

        Called in sequence-number order; the awaitable (a future, or a task
        when the store must first look something up) completes once they are
        stored and raises when they could not be; nothing is shown then.
        """
        ...

    async def load(
        self, session_id: str, room_id: str, keep_through: int | None = None
    ) -> Sequence[LoggedOp]:
        """Every stored operation of a room's board, in order, up to the first that
        cannot be read back (logged); with ``keep_through`` (after a failed write: the
        last operation acknowledged), stored ones after it are deleted first. Once it
        returns, the board may be written again."""
        ...


@dataclass(frozen=True, slots=True)
class StoredText:
    """A room's text as stored: its latest snapshot, if any, and the updates after it."""

    snapshot: TextSnapshot | None
    entries: Sequence[TextEntry]


class TextStore(Protocol):
    """Every accepted update of every shared text of a session, in order (the text journal),
    the texts' snapshots and the comments on them."""

    def store(self, session_id: str, room_id: str, entries: Sequence[TextEntry]) -> Awaitable[None]:
        """Start storing a room's text updates (as :meth:`BoardStore.store` does)."""
        ...

    async def load(
        self, session_id: str, room_id: str, keep_through: int | None = None
    ) -> StoredText:
        """A room's text: its latest snapshot and the stored updates after it, in order
        (as :meth:`BoardStore.load`)."""
        ...

    async def keep_snapshot(self, session_id: str, room_id: str, snapshot: TextSnapshot) -> None:
        """Store a snapshot of a room's text (its updates up to it are stored already)."""
        ...

    async def updates_through(self, session_id: str, room_id: str, seq: int) -> Sequence[TextEntry]:
        """The stored updates 1 to ``seq`` of a room's text (an old version of it)."""
        ...

    async def store_comment(self, session_id: str, room_id: str, event: CommentEvent) -> None:
        """Store one change of the comments on a room's text; returns once stored."""
        ...

    async def load_comments(
        self, session_id: str, room_id: str, keep_through: int | None = None
    ) -> Sequence[CommentEvent]:
        """Every stored change of the comments on a room's text, in order."""
        ...


class DocumentStore(Protocol):
    """How a session's documents are shared: the state outlives the live session."""

    async def save(self, session_id: str, documents: Sequence[SharedDocument]) -> None:
        """Store how the session's documents are shared now, replacing what was stored."""
        ...

    async def load(self, session_id: str) -> Sequence[SharedDocument]:
        """What :meth:`save` stored, for the documents that still exist (a stored state
        that cannot be read back is left out and logged)."""
        ...

    async def discard(self, session_id: str, doc_ids: Sequence[str]) -> None:
        """Delete withdrawn documents (this session's, by id) from the case file, for good;
        an id that is not one of the session's documents is left alone."""
        ...


class LiveStateTaken(Exception):
    """Another node claimed the session's live state since this one did: its writes are
    refused (it lost the session, perhaps without knowing it yet)."""


@dataclass(frozen=True)
class LiveClaim:
    """The right to store a session's live state (``epoch``) and what was stored before."""

    epoch: int
    state: DurableState | None


class LiveStateStore(Protocol):
    """A live session's durable state (:mod:`sessions.durable`), stored as it changes so
    that whichever node takes the session next carries on from it."""

    async def claim(self, session_id: str) -> LiveClaim:
        """Take the right to store the session's state (every earlier claim loses it) and
        read what was stored (None: nothing, or nothing readable, which is logged)."""
        ...

    async def save(self, session_id: str, epoch: int, state: DurableState) -> None:
        """Store ``state``; :class:`LiveStateTaken` if another claim came since ``epoch``'s
        (or the state was dropped): nothing is written then."""
        ...

    async def drop(self, session_id: str) -> None:
        """The session ended: its stored state goes."""
        ...


class Archive(Protocol):
    """What the case file keeps of a session once it ends."""

    async def keep_board(self, session_id: str, board: BoardSnapshot, ended_by: str) -> None:
        """The plenary board, drawn as SVG and PNG, into the case file (what was drawn
        for everyone is kept even if nobody exported it)."""
        ...

    async def keep_chat(self, session_id: str, messages: Sequence[ChatMessage]) -> None:
        """Keep the session's chat in the case file (only when everyone agreed)."""
        ...


class FollowUp(Protocol):
    """What follows a session once its end is stored and everyone was told."""

    async def session_ended(self, session_id: str, took_part: Collection[str]) -> None:
        """The session ended; ``took_part``: the keys of everyone ever admitted. Called
        again for the same session after a takeover or a restart: it must do its work
        once (the parties' questionnaire by e-mail is queued once per party), and say it
        is done to what :meth:`Roster.end_session` stored."""
        ...


@dataclass(frozen=True, slots=True)
class FrozenInfo:
    """A text frozen from a room: its id, the SHA-256 of its canonical form, what it is."""

    text_id: str
    sha256: str
    kind: str
    title: str


class RoomSigning(Protocol):
    """Texts to sign made from a live session's shared text (records.agreements)."""

    async def template(
        self, session_id: str, key: str, kind: str, language: str, timezone: str
    ) -> Document:
        """The organisation's template of ``kind`` filled from the session's case, as the
        mediator ``key`` sees it (NotFound-like errors for a missing template)."""
        ...

    async def freeze(
        self, session_id: str, key: str, room_id: str, kind: str, language: str,
        document: Document,
    ) -> FrozenInfo:  # fmt: skip
        """Freeze ``document`` for the case's parties and the mediator ``key`` (audited,
        with the room's id); refused (validation) if the PDF cannot draw a character."""
        ...

    async def texts(self, session_id: str, key: str) -> list[dict[str, Any]]:
        """The case's texts to sign as ``key`` may see them from the room (a mediator:
        all, with who signed; a participant: theirs, with how many signed)."""
        ...


@dataclass(frozen=True)
class HubPorts:
    """Everything a live session needs from the case file, one port per concern."""

    roster: Roster
    consent: ConsentGate
    audit: AuditTrail
    boards: BoardStore
    documents: DocumentStore
    archive: Archive
    live_states: LiveStateStore | None = None  # None: nothing outlives this process
    follow_up: FollowUp | None = None  # None: nothing follows a session's end
    texts: TextStore | None = None  # None: shared texts cannot be stored, so not edited
    signing: RoomSigning | None = None  # None: no text is frozen from a room
