"""`LiveSession`: the facade the Socket.IO handlers call.

Each method takes the acting participant's id (resolved by the transport from
the authenticated connection, never from the payload), checks the permission
matrix in context, changes the state machines, and returns an
:class:`~sessions.outcome.Outcome`: a typed value plus the audit events to
write, the notifications to emit (each to explicit recipients), the
connections to close and the channel changes. Refusals raise a
:class:`~sessions.errors.SessionError`; a :class:`~sessions.errors.Forbidden`
carries the audit event of the refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sessions.chat import ChatMessage
from sessions.collab import Collaboration
from sessions.core import MediaAudience
from sessions.errors import Forbidden, InvalidPayload
from sessions.lobby import AttachResult, ParticipantView, State
from sessions.outcome import Effects, Outcome
from sessions.permissions import Action
from sessions.roles import Role, is_mediator
from sessions.rooms import PLENARY, RoomView
from sessions.text_signing import TextSigning
from sessions.whiteboard.board import Board, BoardSnapshot

logger = logging.getLogger(__name__)

#: Every kind of track the relay forwards (paused all at once for who may not publish).
ALL_TRACKS = frozenset({"audio", "video", "screen"})


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """What the caller may persist when the session ends."""

    took_part: frozenset[str]
    retained_chat: tuple[ChatMessage, ...]  # empty unless everyone agreed
    plenary_board: BoardSnapshot  # what was shown to everyone


class LiveSession(Collaboration, TextSigning):
    # -- lobby ---------------------------------------------------------------------

    def register(self, pid: str, role: Role) -> ParticipantView:
        """Add a participant from the case file (the role comes from there)."""
        return self.lobby.register(pid, role)

    def _lobby_changed(self, eff: Effects) -> None:
        """The mediators' list of who knocks: the waiting, and anyone whose admitted
        seat another device asks for (``again``: the mediator decides which device)."""
        waiting = [
            {"participant_id": v.participant_id, "role": v.role.value, "again": v.contending}
            for v in self.lobby.participants()
            if v.state is State.WAITING or v.contending
        ]
        eff.notify("lobby:waiting", {"waiting": waiting}, self.admitted_mediators())
        mediator_in = bool(self.admitted_mediators())
        if mediator_in != self._mediator_in:
            # the waiting learn whether a mediator is there to let them in (a session not
            # open yet, or a mediator gone for a while, is not the same wait)
            self._mediator_in = mediator_in
            for v in self.lobby.participants():
                if v.state is State.WAITING and v.connected and not v.contending:
                    self._state(eff, v.participant_id)

    def _state(self, eff: Effects, pid: str, **extra: object) -> None:
        state = self.lobby.get(pid).state
        if state is State.WAITING:
            extra["mediator_present"] = bool(self.admitted_mediators())
        eff.notify("lobby:state", {"state": state.value, **extra}, [pid])

    def connect(
        self, pid: str, connection_id: str, device: str | None = None
    ) -> Outcome[AttachResult]:
        """A connection authenticated as ``pid`` from ``device``; may replace an older one,
        or, for an admitted seat and another device, wait for a mediator."""
        with self._audit_refusal(pid, "connect", pid):
            result = self.lobby.attach(pid, connection_id, device)
        eff = self._effects()
        eff.kick(result.kicked)
        if result.contending:
            eff.audit("lobby.knock_again", actor=pid, subject=pid, reason="another_device")
            logger.info("session %s: %s knocks again from another device", self.session_id, pid)
            self._lobby_changed(eff)  # the contender learns its state from the hello
            return eff.outcome(result)
        if result.kicked is not None:
            eff.audit("connection.replaced", actor=pid, subject=pid)
        room_id = self.rooms.room_of(pid)
        # a mediator's page loaded again (or after a takeover): its panel starts from
        # nothing, so it is sent who waits as well as the rooms
        reloaded = room_id is not None and is_mediator(self.lobby.role_of(pid))
        if self._reconcile(eff) or reloaded:
            self._lobby_changed(eff)
        self._state(eff, pid, room_id=room_id, resumed=result.resumed)
        if reloaded:
            self._overview(eff)
        return eff.outcome(result)

    def disconnect(self, pid: str, connection_id: str) -> Outcome[bool]:
        """A connection closed; the participant keeps their place for the grace period."""
        contending = self.lobby.contender_of(pid) == connection_id
        current = self.lobby.detach(pid, connection_id)
        eff = self._effects()
        if contending:
            self._lobby_changed(eff)
        return eff.outcome(current)

    def link_ended(self, pid: str, reason: str) -> Outcome[None]:
        """``pid``'s link was revoked, replaced or expired (``reason``, a kick code):
        every connection with it closes at once and they leave whatever room they are in."""
        eff = self._effects()
        for kick in self.lobby.link_ended(pid, reason):
            eff.kick(kick)
        eff.audit("lobby.left", subject=pid, reason=reason)
        logger.info("session %s: %s out (%s)", self.session_id, pid, reason)
        self._reconcile(eff)
        self._lobby_changed(eff)
        return eff.outcome(None)

    def tick(self) -> Outcome[list[str]]:
        """Call periodically: participants whose grace period ran out leave."""
        expired = self.lobby.sweep()
        eff = self._effects()
        for pid in expired:
            eff.audit("lobby.left", subject=pid, reason="connection_lost")
        self._reconcile(eff)
        if expired:
            self._lobby_changed(eff)
        return eff.outcome(expired)

    def record_consent(self, pid: str, version: str) -> Outcome[ParticipantView]:
        """The caller wrote the consent log entry for ``version``."""
        return self._effects().outcome(self.lobby.record_consent(pid, version))

    def decline_consent(self, pid: str) -> Outcome[None]:
        """``pid`` declined on the consent page (the caller wrote the log entries): audited,
        and the admitted mediators are told, as for a withdrawal."""
        self.lobby.get(pid)  # someone of the session's
        eff = self._effects()
        eff.audit("consent.declined", actor=pid, subject=pid)
        eff.notify("lobby:consent_declined", {"participant_id": pid}, self.admitted_mediators())
        return eff.outcome(None)

    def withdraw_consent(self, pid: str) -> Outcome[None]:
        """The participant withdrew consent: they leave; mediators are told."""
        previous = self.lobby.withdraw_consent(pid)
        eff = self._effects()
        eff.audit("lobby.left", actor=pid, subject=pid, reason="consent_withdrawn")
        logger.info("session %s: %s withdrew consent", self.session_id, pid)
        self._reconcile(eff, actor=pid)
        payload = {"participant_id": pid, "previous_state": previous.value}
        eff.notify("lobby:consent_withdrawn", payload, self.admitted_mediators())
        self._lobby_changed(eff)
        self._state(eff, pid)
        return eff.outcome(None)

    def knock(self, pid: str) -> Outcome[State]:
        """Ask to enter after the device check; mediators enter directly."""
        with self._audit_refusal(pid, "knock", pid):
            state = self.lobby.knock(pid)
        eff = self._effects()
        if state is State.ADMITTED:
            if self.rooms.room_of(pid) is None:
                eff.audit("lobby.enter", actor=pid, subject=pid)
            self._place(eff, pid, actor=pid)
        else:
            eff.audit("lobby.knock", actor=pid, subject=pid)
        self._lobby_changed(eff)
        self._state(eff, pid, room_id=self.rooms.room_of(pid))
        return eff.outcome(state)

    def call_mediator(self, pid: str) -> Outcome[None]:
        """``pid`` asks for a mediator (a raised hand; on hold while a private meeting goes
        on, nobody else would hear them): only the admitted mediators are told, wherever
        they are, and nobody else learns of it."""
        self._present(pid)
        self._require(Action.CALL_MEDIATOR, pid)
        eff = self._effects()
        eff.audit("lobby.call", actor=pid, subject=pid)
        payload = {"participant_id": pid, "on_hold": self.on_hold(pid)}
        eff.notify("lobby:called", payload, self.admitted_mediators())
        return eff.outcome(None)

    def lobby_list(self, actor: str) -> list[ParticipantView]:
        self._present(actor)
        self._require(Action.VIEW_LOBBY, actor)
        return self.lobby.participants()

    def admit(self, actor: str, pid: str, *, observers_agreed: bool = False) -> Outcome[None]:
        """Let ``pid`` in. An observer needs the agreement of every party to the presence of
        observers (``observers_agreed``, from the consent log): refused and audited without."""
        self._present(actor)
        self._require(Action.ADMIT, actor, target=pid)
        if self.lobby.role_of(pid) is Role.OBSERVER and not observers_agreed:
            raise Forbidden(
                "an observer needs the agreement of every party",
                audit=self._refusal(actor, "admit", pid, "observers_not_agreed"),
            )
        again = self.lobby.get(pid).contending
        eff = self._effects()
        eff.kick(self.lobby.admit(pid))
        eff.audit(
            "lobby.admit", actor=actor, subject=pid, **({"device": "another"} if again else {})
        )
        logger.info("session %s: %s admitted by %s", self.session_id, pid, actor)
        self._place(eff, pid, actor)
        self._lobby_changed(eff)
        self._state(eff, pid, room_id=self.rooms.room_of(pid))
        return eff.outcome(None)

    def decline(self, actor: str, pid: str) -> Outcome[None]:
        """Not let in: final for this session, so the link is revoked (stored, and so it
        holds after a break or a restart). For another device asking for an admitted
        seat, only that device is turned away and the seat stays."""
        self._present(actor)
        self._require(Action.DECLINE, actor, target=pid)
        eff = self._effects()
        if self.lobby.get(pid).contending:
            for kick in self.lobby.decline(pid):
                eff.kick(kick)
            eff.audit("lobby.decline", actor=actor, subject=pid, device="another")
            self._lobby_changed(eff)
            return eff.outcome(None)
        self._state_before_kick(eff, pid, State.DECLINED)
        for kick in self.lobby.decline(pid):
            eff.kick(kick)
        eff.revoke(pid)
        eff.audit("lobby.decline", actor=actor, subject=pid)
        self._lobby_changed(eff)
        return eff.outcome(None)

    def remove(self, actor: str, pid: str) -> Outcome[None]:
        """Remove for the rest of the session: their link is revoked whether or not they
        are connected (during their reconnection grace too)."""
        self._present(actor)
        self._require(Action.REMOVE, actor, target=pid)
        eff = self._effects()
        self._state_before_kick(eff, pid, State.REMOVED)
        for kick in self.lobby.remove(pid):
            eff.kick(kick)
        eff.revoke(pid)
        eff.audit("lobby.remove", actor=actor, subject=pid)
        logger.info("session %s: %s removed by %s", self.session_id, pid, actor)
        self._reconcile(eff, actor)
        self._lobby_changed(eff)
        return eff.outcome(None)

    def _state_before_kick(self, eff: Effects, pid: str, state: State) -> None:
        eff.notify("lobby:state", {"state": state.value}, [pid])

    def leave(self, pid: str) -> Outcome[None]:
        self.lobby.leave(pid)
        eff = self._effects()
        eff.audit("lobby.left", actor=pid, subject=pid, reason="left")
        self._reconcile(eff, pid)
        self._lobby_changed(eff)
        self._state(eff, pid)
        return eff.outcome(None)

    def set_locked(self, actor: str, locked: bool) -> Outcome[None]:
        """Lock the room: nobody else may knock (mediators still enter)."""
        self._present(actor)
        self._require(Action.LOCK_ROOM, actor)
        if locked:
            self.lobby.lock()
        else:
            self.lobby.unlock()
        eff = self._effects()
        eff.audit("session.lock" if locked else "session.unlock", actor=actor)
        self._overview(eff)  # every mediator's panel shows it
        return eff.outcome(None)

    def end(self, actor: str) -> Outcome[SessionSummary]:
        """End the session for everyone; afterwards nobody can join."""
        self._present(actor)
        self._require(Action.END_SESSION, actor)
        eff = self._effects()
        eff.notify("session:ended", {}, self.connected())
        summary = SessionSummary(
            took_part=frozenset(self._took_part),
            retained_chat=tuple(self.chat_log.retained(self._took_part)),
            plenary_board=self._boards[PLENARY].snapshot(),
        )
        for kick in self.lobby.end():
            eff.kick(kick)
        eff.audit("session.end", actor=actor, chat_kept=str(bool(summary.retained_chat)).lower())
        logger.info("session %s: ended by %s", self.session_id, actor)
        present = {
            room_id: self.rooms.members(room_id) for room_id in self.rooms.private_meetings()
        }
        self._reconcile(eff, actor)
        for room_id, members in present.items():
            self.rooms.close_private(actor, room_id)
            self._drop_room(eff, room_id, members)
        return eff.outcome(summary)

    # -- media -----------------------------------------------------------------------

    def may_share_screen(self, pid: str) -> bool:
        """The one rule for screens (the permission matrix, in context): the relay forwards
        a screen track only while this holds, whatever the page does."""
        room_id = self.rooms.room_of(pid)
        return (
            room_id is not None
            and self.may_publish(pid)
            and self._allowed(Action.SHARE_SCREEN, pid, room_id)
        )

    def blocked_tracks(self, pid: str) -> frozenset[str]:
        """What the relay must not forward of ``pid``: everything unless they may publish,
        the kinds a mediator stopped ("audio", "video"), and "screen" unless they may share
        a screen now."""
        if not self.may_publish(pid):
            return ALL_TRACKS
        return self.held(pid) | (frozenset() if self.may_share_screen(pid) else {"screen"})

    def check_media(self, pid: str, labels: Iterable[str] = ()) -> None:
        """The gate of every media negotiation and of what ``pid`` says they send: they
        must be allowed to publish (consent first), be in a room, and each named track must
        be allowed (a screen needs the screen-sharing permission). Refusals are audited."""
        self._require(Action.PUBLISH_MEDIA, pid)
        room_id = self._present(pid)
        if "screen" in set(labels):
            self._require(Action.SHARE_SCREEN, pid, room_id=room_id)

    def set_media_state(self, pid: str, audio: bool, video: bool, screen: bool) -> Outcome[None]:
        """``pid`` tells what they send (shown to the others in their room): what they say
        is on goes through the same gate as the tracks themselves."""
        said = [k for k, on in (("microphone", audio), ("camera", video), ("screen", screen)) if on]
        if said:
            self.check_media(pid, said)
        else:
            self._present(pid)
        return self._effects().outcome(None)

    def _moderate(self, action: Action, track: str, actor: str, pid: str) -> Outcome[None]:
        """A mediator stops ``pid``'s ``track`` ("audio", "video"): held at the relay until
        ``pid`` reopens it, and ``pid``'s page told to turn it off (``media:stop``)."""
        self._present(actor)
        self._present(pid)
        self._require(action, actor, target=pid)
        self._held[track].add(pid)
        eff = self._effects()
        eff.audit(f"media.{action.value}", actor=actor, subject=pid)
        eff.notify("media:stop", {"kind": track, "by": actor}, [pid])
        return eff.outcome(None)

    def mute(self, actor: str, pid: str) -> Outcome[None]:
        """Mute someone's microphone; only they can open it again."""
        return self._moderate(Action.MUTE_OTHER, "audio", actor, pid)

    def stop_camera(self, actor: str, pid: str) -> Outcome[None]:
        return self._moderate(Action.STOP_CAMERA_OTHER, "video", actor, pid)

    def reopen_media(
        self, pid: str, *, audio: bool = True, video: bool = True
    ) -> Outcome[MediaAudience]:
        """The participant reopens their own microphone and/or camera after a
        mediator stopped it (nobody can open someone else's)."""
        self._present(pid)
        self._require(Action.PUBLISH_MEDIA, pid)
        if audio:
            self._held["audio"].discard(pid)
        if video:
            self._held["video"].discard(pid)
        eff = self._effects()
        return eff.outcome(self.audience(pid))

    # -- rooms -------------------------------------------------------------------------

    def _may_move(self, actor: str, pid: str) -> None:
        if pid == actor:
            self._require(Action.CHANGE_ROOM, actor)
        else:
            self._present(pid)
            self._require(Action.MOVE_PARTICIPANT, actor, target=pid)

    def open_private_meeting(
        self, actor: str, members: Iterable[str], label: str = "", *, join: bool = True
    ) -> Outcome[RoomView]:
        """Open a private meeting with exactly ``members`` (plus the actor)."""
        self._present(actor)
        self._require(Action.START_PRIVATE_MEETING, actor)
        chosen = set(members)
        for pid in chosen | ({actor} if join else set()):
            self._may_move(actor, pid)
        room, moves = self.rooms.open_private(actor, chosen, label, join=join)
        self._boards[room.room_id] = Board(room.room_id)
        eff = self._effects()
        eff.audit("room.open", actor=actor, subject=room.room_id)
        logger.info("session %s: %s opened by %s", self.session_id, room.room_id, actor)
        self._moved(eff, moves)
        return eff.outcome(self.rooms.view(room.room_id))

    def close_private_meeting(self, actor: str, room_id: str) -> Outcome[None]:
        """Close a private meeting; its members return to the plenary."""
        self._present(actor)
        self._require(Action.CLOSE_PRIVATE_MEETING, actor, subject=room_id)
        members = self.rooms.members(room_id)
        moves = self.rooms.close_private(actor, room_id)
        eff = self._effects()
        self._drop_room(eff, room_id, members)
        eff.audit("room.close", actor=actor, subject=room_id)
        self._moved(eff, moves)
        return eff.outcome(None)

    def move(self, actor: str, pid: str, room_id: str) -> Outcome[None]:
        """Move a participant (or, for mediators, oneself) to another room."""
        self._present(actor)
        if not self.rooms.exists(room_id):
            raise InvalidPayload(f"no room {room_id}")
        self._may_move(actor, pid)
        move = self.rooms.move(actor, pid, room_id)
        eff = self._effects()
        self._moved(eff, [move] if move else [])
        return eff.outcome(None)

    def return_all_to_plenary(self, actor: str) -> Outcome[None]:
        """Close every private meeting: everyone back in the plenary."""
        self._present(actor)
        self._require(Action.CLOSE_PRIVATE_MEETING, actor)
        present = {
            room_id: self.rooms.members(room_id) for room_id in self.rooms.private_meetings()
        }
        closed, moves = self.rooms.return_all(actor)
        eff = self._effects()
        for room_id in closed:
            self._drop_room(eff, room_id, present[room_id])
            eff.audit("room.close", actor=actor, subject=room_id)
        self._moved(eff, moves)
        return eff.outcome(None)

    def set_plenary_talk(self, actor: str, allowed: bool) -> Outcome[None]:
        """Whether the plenary may talk and chat while no mediator is there."""
        self._present(actor)
        self._require(Action.SET_PLENARY_TALK, actor)
        self.rooms.set_plenary_talk(allowed)
        eff = self._effects()
        eff.audit("room.plenary_talk", actor=actor, allowed=str(allowed).lower())
        self._overview(eff)
        return eff.outcome(None)
