"""The one way into a live session for anything not on one of its sockets.

REST routes (and anything else not on a socket) never call the
:class:`~signaling.live.LiveHub` themselves: they hand a
:mod:`~signaling.commands` command to the :class:`SessionGateway`, which asks the
:class:`~signaling.placement.Placement` who runs the session:

- this node: the command runs on the local hub;
- another node: it goes there through the :class:`CommandTransport` (Redis in a cluster,
  ``server``'s implementation); a request waits for the answer, a notification does not;
- no node: a notification needs nothing live (the store, written first, is what a
  session loaded later reads); a request claims the session, and runs where the claim
  says.

A node that is sent a command for a session it does not run (its lease moved meanwhile)
never loads it: a notification is dropped, a request refused with
``session_unavailable`` (503: try again).

With one node (:class:`~signaling.placement.LocalPlacement`, no transport) every
command runs on the local hub, as a direct call would.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol, TypeVar

from errors import ErrorCode
from sessions.documents import SharedDocument, Visibility
from sessions.rooms import RoomKind
from sessions.service import LiveSession
from sessions.whiteboard.board import BoardSnapshot
from sessions.whiteboard.log import BoardObject
from signaling.commands import (
    BoardOf,
    Caller,
    CheckShare,
    Command,
    ConsentDeclined,
    ConsentRecorded,
    DocumentAccess,
    LinkRevoked,
    ParticipantErased,
    RoomOf,
    SessionClosed,
    ShareDocument,
)
from signaling.errors import SignalingError
from signaling.identity import Identity
from signaling.live import LiveHub
from signaling.placement import Placement

logger = logging.getLogger(__name__)

T = TypeVar("T")


class HolderUnavailable(SignalingError):
    """The node that runs the session did not answer in time (or no longer runs it)."""

    def __init__(self, message: str = "the live session is not reachable now: try again") -> None:
        super().__init__(ErrorCode.SESSION_UNAVAILABLE, message)


class CommandTransport(Protocol):
    """Carries commands to the node that runs their session."""

    async def notify(self, node: str, command: Command) -> None:
        """Sends ``command`` to ``node`` without waiting for it to run."""
        ...

    async def request(self, node: str, command: Command) -> Any:
        """Runs ``command`` on ``node`` and answers its JSON result. Raises the coded
        error the node answered, or :class:`HolderUnavailable` if it did not answer in
        time."""
        ...


class SessionGateway:
    def __init__(
        self, hub: LiveHub, placement: Placement, transport: CommandTransport | None = None
    ) -> None:
        self.hub = hub
        self.placement = placement
        self.transport = transport

    # -- routing ---------------------------------------------------------------------------

    async def send(self, command: Command) -> Any:
        """Runs ``command`` where its session runs; its JSON result (None for a notification)."""
        session_id = command.session_id
        holder = await self.placement.holder(session_id)
        if holder is None:
            if not command.needs_live:
                return None  # nothing live: the store, written first, is the truth
            holder = (await self.placement.claim(session_id)).holder
        if holder == self.placement.node_id:
            return await self.execute(command)
        if self.transport is None:
            logger.error("session %s: held by node %s, and no way to reach it", session_id, holder)
            raise HolderUnavailable()
        if command.needs_live:
            return await self.transport.request(holder, command)
        await self.transport.notify(holder, command)
        return None

    async def receive(self, command: Command) -> Any:
        """A command another node sent here: run only if this node runs its session."""
        if await self.placement.holder(command.session_id) != self.placement.node_id:
            logger.info(
                "session %s: a %s command for a session this node does not run",
                command.session_id, type(command).__name__,
            )  # fmt: skip
            if command.needs_live:
                raise HolderUnavailable("the live session moved: try again")
            return None
        return await self.execute(command)

    # -- the dispatcher: one command on the local hub -----------------------------------------

    async def execute(self, command: Command) -> Any:
        """Runs ``command`` on this node's hub; its result as JSON."""
        hub, sid = self.hub, command.session_id
        match command:
            case LinkRevoked(key=key, link_id=link_id):
                await hub.link_revoked(sid, key, link_id)
            case ParticipantErased(key=key):
                await hub.link_revoked(sid, key, None)  # their links are gone with their data
            case SessionClosed():
                await hub.session_closed(sid)
            case ConsentRecorded(key=key):
                await hub.consent_recorded(sid, key)
            case ConsentDeclined(key=key):
                await hub.consent_declined(sid, key)
            case RoomOf(caller=caller):
                return await self._read(command, caller, lambda s, k: s.room_of(k))
            case CheckShare(caller=caller, room_id=room_id, stored=stored):
                await hub.call(
                    caller.identity(sid),
                    lambda s, k: s.check_share_document(k, room_id, stored),
                    device=caller.device,
                    content_only=True,
                )
            case ShareDocument(caller=caller):
                doc = await hub.call(
                    caller.identity(sid),
                    lambda s, k: s.share_document(
                        k, command.doc_id, command.title, command.visibility, command.pages,
                        command.room_id,
                    ),
                    device=caller.device,
                )  # fmt: skip
                return doc.to_record()
            case DocumentAccess(caller=caller, doc_id=doc_id):
                return list(await self._read(command, caller, lambda s, k: _access(s, k, doc_id)))
            case BoardOf(caller=caller, room_id=room_id):
                return await self._read(command, caller, lambda s, _k: _board_of(s, room_id))
            case _:  # pragma: no cover - every command has a case above
                raise TypeError(f"no handler for {type(command).__name__}")
        return None

    async def _read(self, command: Command, caller: Caller, query: Any) -> Any:
        identity = caller.identity(command.session_id)
        result: Any = await self.hub.read(identity, query, device=caller.device)
        return result

    # -- typed calls, for the routes --------------------------------------------------------

    async def room_of(self, identity: Identity, device: str | None) -> str | None:
        room = await self.send(
            RoomOf(session_id=identity.session_id, caller=_caller(identity, device))
        )
        return None if room is None else str(room)

    async def check_share(
        self, identity: Identity, device: str | None, room_id: str | None, stored: int
    ) -> None:
        caller = _caller(identity, device)
        await self.send(
            CheckShare(
                session_id=identity.session_id, caller=caller, room_id=room_id, stored=stored
            )
        )

    async def share_document(
        self,
        identity: Identity,
        device: str | None,
        doc_id: str,
        title: str,
        visibility: Visibility,
        pages: int | None,
        room_id: str | None,
    ) -> SharedDocument:
        record = await self.send(
            ShareDocument(
                session_id=identity.session_id, caller=_caller(identity, device), doc_id=doc_id,
                title=title, visibility=visibility, pages=pages, room_id=room_id,
            )
        )  # fmt: skip
        return SharedDocument.from_record(record)

    async def document_access(
        self, identity: Identity, device: str | None, doc_id: str
    ) -> tuple[bool, bool]:
        caller = _caller(identity, device)
        answer = await self.send(
            DocumentAccess(session_id=identity.session_id, caller=caller, doc_id=doc_id)
        )
        visible, allowed = answer
        return visible is True, allowed is True

    async def board_of(self, identity: Identity, room_id: str) -> tuple[RoomKind, BoardSnapshot]:
        caller = _caller(identity, None)
        answer = await self.send(
            BoardOf(session_id=identity.session_id, caller=caller, room_id=room_id)
        )
        snapshot = answer["snapshot"]
        objects = tuple(BoardObject.from_wire(o) for o in snapshot["objects"])
        return RoomKind(answer["kind"]), BoardSnapshot(
            snapshot["room_id"], snapshot["seq"], objects
        )


def _caller(identity: Identity, device: str | None) -> Caller:
    return Caller.of(identity, device)


def _access(session: LiveSession, key: str, doc_id: str) -> tuple[bool, bool]:
    """May ``key`` see ``doc_id`` now, and download it?"""
    if doc_id not in {d.doc_id for d in session.documents_for(key)}:
        return False, False
    return True, session.can_download(key, doc_id)


def _board_of(session: LiveSession, room_id: str) -> dict[str, Any]:
    if not session.rooms.exists(room_id):
        raise SignalingError(ErrorCode.NOT_FOUND, "no such room in this session")
    snapshot = session.board(room_id).snapshot()
    return {"kind": session.rooms.view(room_id).kind.value, "snapshot": snapshot.to_wire()}
