"""State and shared helpers of a live session (the base of :class:`LiveSession`).

Holds one lobby, the rooms, a whiteboard per room, the chat and the shared
documents of a session, and the helpers every action uses: permission checks
with the situation's context, presence checks, and the effects of room moves.
What must outlive the process is read with :meth:`SessionCore.durable_state` and put back
into a fresh session with :meth:`SessionCore.resume` (see :mod:`sessions.durable`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sessions.chat import ChatLog
from sessions.documents import Documents, SharedDocument
from sessions.durable import DurableState, ParticipantState, RoomState
from sessions.errors import Forbidden, NotInRoom, NotJoined, SessionClosed
from sessions.events import AuditEvent, Clock, utc_now
from sessions.lobby import DEFAULT_GRACE, DEFAULT_RESUME_GRACE, Lobby, ParticipantView, Seat, State
from sessions.outcome import Effects
from sessions.permissions import Action, PermissionContext, is_allowed, require
from sessions.roles import Role, is_mediator
from sessions.rooms import PLENARY, Move, Rooms
from sessions.shared_text import SharedText
from sessions.text_comments import CommentBook
from sessions.whiteboard.board import Board
from sessions.whiteboard.log import LoggedOp

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MediaAudience:
    """Whom the relay forwards a participant's tracks to."""

    video: frozenset[str]
    audio: frozenset[str]


class SessionCore:
    def __init__(
        self,
        session_id: str,
        consent_version: str,
        *,
        clock: Clock = utc_now,
        grace: timedelta = DEFAULT_GRACE,
        resume_grace: timedelta = DEFAULT_RESUME_GRACE,
    ) -> None:
        self.session_id = session_id
        self._clock = clock
        self.lobby = Lobby(
            session_id, consent_version, clock=clock, grace=grace, resume_grace=resume_grace
        )
        self.rooms = Rooms(session_id, clock=clock)
        self.chat_log = ChatLog(clock=clock)
        self.documents = Documents()
        self._boards: dict[str, Board] = {PLENARY: Board(PLENARY)}
        self._texts: dict[str, SharedText] = {}  # a room's text, from its first use
        self._comment_books: dict[str, CommentBook] = {}  # comments on a room's text
        self._took_part: set[str] = set()  # everyone ever admitted
        # Muted / camera stopped by a mediator, until the participant reopens it.
        self._held: dict[str, set[str]] = {"audio": set(), "video": set()}
        # Whether a mediator was in the session when the waiting were last told.
        self._mediator_in = False

    # -- queries ---------------------------------------------------------------

    def participant(self, pid: str) -> ParticipantView:
        return self.lobby.get(pid)

    def role_of(self, pid: str) -> Role:
        return self.lobby.role_of(pid)

    def room_of(self, pid: str) -> str | None:
        return self.rooms.room_of(pid)

    def members(self, room_id: str) -> frozenset[str]:
        return self.rooms.members(room_id)

    def media_room(self, pid: str) -> str | None:
        """Where ``pid``'s camera and microphone are forwarded, and from whom they receive:
        their room; alone (``hold-<pid>``) while on hold in a plenary that may not talk,
        seeing and hearing nobody; nowhere unless admitted, connected and in a room. The
        relay's forwarding rooms are exactly these."""
        if self.lobby.connection_of(pid) is None or self.lobby.get(pid).state is not State.ADMITTED:
            return None
        if self.on_hold(pid):
            return f"hold-{pid}"
        return self.rooms.room_of(pid)

    def on_hold(self, pid: str) -> bool:
        """``pid`` waits in a plenary that may not talk (no mediator there, no leave to
        talk): they see, hear and are told of nobody until it may again."""
        return self.rooms.room_of(pid) == PLENARY and not self.rooms.is_live(PLENARY)

    def may_publish(self, pid: str) -> bool:
        """The one rule for camera and microphone (the permission matrix, in context): the
        relay forwards nothing of ``pid``'s while this does not hold."""
        return self.lobby.can_publish(pid) and self._allowed(Action.PUBLISH_MEDIA, pid)

    def audience(self, pid: str) -> MediaAudience:
        """Who receives ``pid``'s video and audio: the others in their media room, nobody
        unless they may publish, and nobody for a track a mediator stopped until ``pid``
        reopens it (what the relay does, from :meth:`media_room` and the pauses)."""
        here = self.media_room(pid)
        if here is None or not self.may_publish(pid):
            return MediaAudience(frozenset(), frozenset())
        together = frozenset(
            other
            for other in self.rooms.placed()
            if other != pid and self.media_room(other) == here
        )
        video = frozenset() if pid in self._held["video"] else together
        audio = frozenset() if pid in self._held["audio"] else together
        return MediaAudience(video, audio)

    def held(self, pid: str) -> frozenset[str]:
        """The kinds ("audio", "video") a mediator stopped for ``pid``, until ``pid`` reopens."""
        return frozenset(kind for kind, pids in self._held.items() if pid in pids)

    def audible_to(self, pid: str) -> frozenset[str]:
        """Who hears ``pid`` (the relay forwards ``pid``'s audio to them)."""
        return self.audience(pid).audio

    def sources_for(self, pid: str) -> MediaAudience:
        """The other side: whose video and audio ``pid`` receives."""
        placed = self.rooms.placed()
        video: set[str] = set()
        audio: set[str] = set()
        for other in placed:
            heard = self.audience(other)
            if pid in heard.video:
                video.add(other)
            if pid in heard.audio:
                audio.add(other)
        return MediaAudience(frozenset(video), frozenset(audio))

    def board(self, room_id: str) -> Board:
        self.rooms.members(room_id)  # raises NotFound for a closed room
        return self._boards[room_id]

    def text(self, room_id: str) -> SharedText:
        """``room_id``'s shared text (empty until someone writes in it); NotFound for a
        room that is not open."""
        self.rooms.members(room_id)  # raises NotFound for a closed room
        text = self._texts.get(room_id)
        if text is None:
            text = self._texts[room_id] = SharedText(room_id)
        return text

    def rooms_with_boards(self) -> frozenset[str]:
        return frozenset(self._boards)

    def restore_board(self, room_id: str, log: Iterable[LoggedOp]) -> int:
        """Put back a room's board from its stored log (after a restart or a failed write);
        how many entries were taken (a log that breaks is taken up to the break)."""
        return self.board(room_id).restore(log)

    def restore_documents(self, docs: Iterable[SharedDocument]) -> bool:
        """Share again the documents stored before the live session was let go.

        Returns whether the documents' state changed (shared in a private meeting
        that is gone) and must be stored again.
        """
        return self.documents.restore(list(docs), self.rooms.open_room_ids())

    def participants_who_took_part(self) -> frozenset[str]:
        return frozenset(self._took_part)

    def admitted_mediators(self) -> frozenset[str]:
        return frozenset(p for p in self.lobby.admitted() if is_mediator(self.lobby.role_of(p)))

    def connected(self) -> frozenset[str]:
        return frozenset(v.participant_id for v in self.lobby.participants() if v.connected)

    # -- what outlives the process ---------------------------------------------------

    def durable_state(self) -> DurableState:
        """What another node needs to carry the session on (:mod:`sessions.durable`)."""
        placed = self.rooms.placed()
        participants = tuple(
            ParticipantState(s.participant_id, s.state, s.consent_version, s.device,
                             placed.get(s.participant_id), s.dropped_at_s)
            for s in sorted(self.lobby.seats(), key=lambda s: s.participant_id)
        )  # fmt: skip
        private = [self.rooms.view(room_id) for room_id in self.rooms.private_meetings()]
        return DurableState(
            participants=participants,
            rooms=tuple(RoomState(r.room_id, r.label, r.opened_by) for r in private),
            locked=self.lobby.locked,
            ended=not self.lobby.is_open,
            plenary_talk=self.rooms.plenary_talk_allowed,
            took_part=frozenset(self._took_part),
            held_audio=frozenset(self._held["audio"]),
            held_video=frozenset(self._held["video"]),
            chat_keep=self.chat_log.keep_enabled,
            chat_agreements=tuple(sorted(self.chat_log.agreements().items())),
            chat_reserved=self.chat_log.reserved,
        )

    def resume(self, state: DurableState) -> None:
        """Carry on from ``state`` in this fresh session (participants registered, nothing
        else done yet). Someone in ``state`` who is no longer registered (erased, no longer
        invited) does not come back. The admitted are put back in their room, disconnected,
        for the resume grace: they come back from the same device without knocking; the
        waiting still wait; removal and decline stay final; an ended session stays ended."""
        known = {v.participant_id for v in self.lobby.participants()}
        kept = [p for p in state.participants if p.participant_id in known]
        if state.ended:
            self.lobby.resume_ended()
        for p in kept:
            self.lobby.resume_seat(
                Seat(p.participant_id, p.state, p.consent_version, p.device, p.dropped_at)
            )
        if state.locked:
            self.lobby.lock()
        self.rooms.set_plenary_talk(state.plenary_talk)
        rooms = () if state.ended else state.rooms
        admitted = {
            p.participant_id: p.room_id
            for p in kept
            if p.room_id is not None
            and not state.ended
            and self.lobby.get(p.participant_id).state is State.ADMITTED
        }
        self.rooms.resume(
            [(r.room_id, r.label, r.opened_by) for r in rooms],
            [(pid, self.lobby.role_of(pid), room_id) for pid, room_id in admitted.items()],
        )
        for room in rooms:
            self._boards[room.room_id] = Board(room.room_id)
        self._took_part |= state.took_part & known
        self._held["audio"] |= state.held_audio & admitted.keys()
        self._held["video"] |= state.held_video & admitted.keys()
        self.chat_log.set_keep_enabled(state.chat_keep)
        for pid, agreed in state.chat_agreements:
            if pid in known:
                self.chat_log.set_agreement(pid, agreed)
        self.chat_log.resume_after(state.chat_reserved)
        self._mediator_in = bool(self.admitted_mediators())

    # -- helpers ---------------------------------------------------------------

    def _effects(self) -> Effects:
        return Effects(self.session_id, self._clock)

    def _present(self, pid: str) -> str:
        """``pid`` is admitted and in a room; returns the room."""
        if not self.lobby.is_open:
            raise SessionClosed("the session has ended")
        room_id = self.rooms.room_of(pid)
        if self.lobby.get(pid).state is not State.ADMITTED or room_id is None:
            raise NotJoined("participant has not joined the session")
        return room_id

    def _present_in(self, pid: str, aimed_at: str | None, what: str) -> str:
        """``pid`` is present; returns their room. ``aimed_at``: the room the client
        meant (a drawing, a message, an upload is bound to the room it was made in):
        if ``pid`` has moved since, it is refused rather than shown elsewhere."""
        room_id = self._present(pid)
        if aimed_at is not None and aimed_at != room_id:
            raise NotInRoom(f"this {what} was meant for another room; it was not shared")
        return room_id

    def _context(
        self, actor: str, room_id: str | None = None, target: str | None = None
    ) -> PermissionContext:
        return PermissionContext(
            role=self.lobby.role_of(actor),
            in_room=room_id is None or self.rooms.room_of(actor) == room_id,
            room_live=room_id is None or self.rooms.is_live(room_id),
            consented=self.lobby.has_consent(actor),
            target_role=None if target is None else self.lobby.role_of(target),
        )

    def _allowed(self, action: Action, actor: str, room_id: str | None = None) -> bool:
        return is_allowed(action, self._context(actor, room_id))

    def _require(
        self,
        action: Action,
        actor: str,
        *,
        room_id: str | None = None,
        target: str | None = None,
        subject: str | None = None,
    ) -> None:
        require(
            action,
            self._context(actor, room_id, target),
            session_id=self.session_id,
            actor=actor,
            at=self._clock(),
            subject=subject or target or room_id,
        )

    @contextmanager
    def _audit_refusal(self, actor: str, action: str, subject: str | None = None) -> Iterator[None]:
        """Give any :class:`Forbidden` raised inside (by a state machine rather
        than the matrix) the audit event of the refusal."""
        try:
            yield
        except Forbidden as exc:
            if exc.audit is None:
                exc.audit = self._refusal(actor, action, subject, str(exc.code))
            raise

    def _refusal(self, actor: str, action: str, subject: str | None, reason: str) -> AuditEvent:
        """The audit event of a refusal the matrix does not decide alone."""
        return AuditEvent(
            kind="permission.refused",
            session_id=self.session_id,
            at=self._clock(),
            actor=actor,
            subject=subject,
            details={"action": action, "reason": reason},
        )

    def _moved(self, eff: Effects, moves: Iterable[Move]) -> None:
        """Audit, channel changes, what the mover is shown and the mediators' overview."""
        for move in moves:
            eff.add_audit(move.audit(self.session_id))
            eff.change(move.change())
            self.documents.room_changed(move.participant_id)
            if move.to_room is not None:
                shown = self.documents.presentation(move.to_room)
                eff.notify(
                    "room:entered",
                    {
                        "room_id": move.to_room,
                        "kind": self.rooms.view(move.to_room).kind.value,
                        "presentation": shown.to_wire() if shown else None,
                        "documents": [
                            d.to_wire()
                            for d in self.documents.visible(
                                move.participant_id,
                                self.lobby.role_of(move.participant_id),
                                move.to_room,
                            )
                        ],
                    },
                    [move.participant_id],
                    move.to_room,
                )
        self._overview(eff)

    def _overview(self, eff: Effects) -> None:
        """The mediators' overview: every room, and whether the session is locked (each
        member learns their own room from the transport's ``room:view``)."""
        overview = [
            {
                "room_id": r.room_id,
                "kind": r.kind.value,
                "label": r.label,
                "members": sorted(r.members),
            }
            for r in self.rooms.rooms()
        ]
        payload = {"rooms": overview, "locked": self.lobby.locked}
        eff.notify("room:overview", payload, self.admitted_mediators())

    def _place(self, eff: Effects, pid: str, actor: str | None) -> None:
        self._took_part.add(pid)
        move = self.rooms.place(pid, self.lobby.role_of(pid), actor)
        if move is not None:
            self._moved(eff, [move])

    def _reconcile(self, eff: Effects, actor: str | None = None) -> list[str]:
        """Take out of the rooms whoever is no longer admitted; returns them."""
        gone: list[str] = []
        moves: list[Move] = []
        for pid in sorted(self.rooms.placed()):
            if self.lobby.get(pid).state is not State.ADMITTED:
                move = self.rooms.withdraw(pid, actor)
                for held in self._held.values():
                    held.discard(pid)
                if move is not None:
                    moves.append(move)
                    gone.append(pid)
        if moves:
            self._moved(eff, moves)
        return gone

    def _drop_room(self, eff: Effects, room_id: str, members: Iterable[str]) -> None:
        """A private meeting closed; ``members``: who was in it when it closed."""
        self._boards.pop(room_id, None)
        self._texts.pop(room_id, None)
        self._comment_books.pop(room_id, None)
        if self.documents.room_closed(room_id, members):
            eff.documents_changed = True
