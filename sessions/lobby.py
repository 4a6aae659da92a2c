"""The lobby: per-session state machine of participants and their connections.

States::

    invited --consent--> consented --knock--> waiting --admit--> admitted
                                                  \\--decline--> declined (final)
    any non-final --remove--> removed (final)
    waiting/admitted --leave / withdraw consent / grace expired--> left
    left --knock--> waiting (admission again)

Mediators and co-mediators skip ``waiting`` (knock admits them) and the room
lock. Knocking needs consent recorded for the *current* version of the text.
A participant who drops keeps their place for ``grace`` (10 s by default) and
comes back without re-admission while the session is open, from the same
device. An admitted seat is bound to the device that was let in (a random id
the browser keeps for the link): a connection with the same link from another
device (a forwarded invitation, a shared mailbox) does not take the seat; it
waits as a *contender* until a mediator lets it in (the old connection is
then closed) or not (the contender is closed, the seat stays). Before
admission a new connection simply replaces the old one, which is kicked.
A revoked or expired link closes the person's connections and takes them out
(they may come back through the lobby with a new link); removal and decline
are final for the session, and the caller revokes the link so that they stay
so after a break or a restart. After :meth:`Lobby.end` nobody can attach,
knock or be admitted.

What must outlive the process (each seat's state, consent, bound device; the lock; whether
it ended) is read with :meth:`Lobby.seats` and put back into a fresh lobby with
:meth:`Lobby.resume_seat`: a resumed seat is dropped at the resume and kept for
``resume_grace`` (60 s by default, long enough for another node to take the session over)
instead of ``grace``; its holder comes back from the same device without knocking again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sessions.errors import (
    PARTICIPANT_DECLINED,
    PARTICIPANT_REMOVED,
    Conflict,
    ConsentRequired,
    Forbidden,
    InvalidPayload,
    InvalidState,
    NotFound,
    NotJoined,
    RoomLocked,
    SessionClosed,
)
from sessions.events import Clock, Kick, utc_now
from sessions.roles import Role, enters_directly

DEFAULT_GRACE = timedelta(seconds=10)
DEFAULT_RESUME_GRACE = timedelta(seconds=60)

# Kick reasons (codes the client shows a message for).
KICK_REPLACED = "replaced_by_new_connection"
KICK_DECLINED = "declined"
KICK_REMOVED = "removed"
KICK_SESSION_ENDED = "session_closed"
KICK_LINK_REVOKED = "link_revoked"
KICK_LINK_EXPIRED = "link_expired"
KICK_NOT_LET_IN = "not_let_in"  # another device's request to take the seat was declined


class State(StrEnum):
    INVITED = "invited"
    CONSENTED = "consented"
    WAITING = "waiting"
    ADMITTED = "admitted"
    LEFT = "left"
    REMOVED = "removed"
    DECLINED = "declined"


FINAL_STATES = frozenset({State.REMOVED, State.DECLINED})
PRESENT_STATES = frozenset({State.WAITING, State.ADMITTED})


@dataclass(slots=True)
class _Record:
    pid: str
    role: Role
    state: State = State.INVITED
    consent_version: str | None = None
    connection: str | None = None
    dropped_at_s: float | None = None  # clock timestamp (seconds) of the drop
    device: str | None = None  # the device the seat is bound to (once admitted)
    contender: str | None = None  # another device's connection asking for the seat
    contender_device: str | None = None
    grace_s: float | None = None  # this drop's grace, if not the lobby's (a resumed seat)


@dataclass(frozen=True, slots=True)
class Seat:
    """What outlives the process of one participant's place in the lobby."""

    participant_id: str
    state: State
    consent_version: str | None
    device: str | None
    dropped_at_s: float | None = None  # waiting or admitted, and disconnected since then


@dataclass(frozen=True, slots=True)
class ParticipantView:
    participant_id: str
    role: Role
    state: State
    consented: bool  # for the current version of the text
    connected: bool
    contending: bool = False  # another device asks to take this admitted seat


@dataclass(frozen=True, slots=True)
class AttachResult:
    state: State
    resumed: bool  # came back within the grace period, no re-admission needed
    kicked: Kick | None  # the previous connection, replaced by this one
    contending: bool = False  # another device: waits for a mediator, the seat is not taken


class Lobby:
    def __init__(
        self,
        session_id: str,
        consent_version: str,
        *,
        clock: Clock = utc_now,
        grace: timedelta = DEFAULT_GRACE,
        resume_grace: timedelta = DEFAULT_RESUME_GRACE,
    ) -> None:
        if not consent_version:
            raise InvalidPayload("consent version required")
        self.session_id = session_id
        self._consent_version = consent_version
        self._clock = clock
        self._grace = grace.total_seconds()
        self._resume_grace = resume_grace.total_seconds()
        self._records: dict[str, _Record] = {}
        self._locked = False
        self._open = True

    # -- queries ---------------------------------------------------------------

    @property
    def consent_version(self) -> str:
        return self._consent_version

    @property
    def locked(self) -> bool:
        return self._locked

    @property
    def is_open(self) -> bool:
        return self._open

    def _get(self, pid: str) -> _Record:
        record = self._records.get(pid)
        if record is None:
            raise NotFound(f"unknown participant {pid}")
        return record

    def _view(self, r: _Record) -> ParticipantView:
        return ParticipantView(
            participant_id=r.pid,
            role=r.role,
            state=r.state,
            consented=r.consent_version == self._consent_version,
            connected=r.connection is not None,
            contending=r.contender is not None,
        )

    def get(self, pid: str) -> ParticipantView:
        return self._view(self._get(pid))

    def role_of(self, pid: str) -> Role:
        return self._get(pid).role

    def connection_of(self, pid: str) -> str | None:
        return self._get(pid).connection

    def connections(self) -> dict[str, str]:
        """The seated connection of everyone connected: pid -> connection."""
        return {r.pid: r.connection for r in self._records.values() if r.connection is not None}

    def contender_of(self, pid: str) -> str | None:
        return self._get(pid).contender

    def device_of(self, pid: str) -> str | None:
        """The device ``pid``'s seat is bound to (None: none recognisable)."""
        return self._get(pid).device

    def participants(self) -> list[ParticipantView]:
        return [self._view(r) for r in self._records.values()]

    def in_state(self, state: State) -> list[str]:
        return [r.pid for r in self._records.values() if r.state is state]

    def waiting(self) -> list[str]:
        return self.in_state(State.WAITING)

    def admitted(self) -> list[str]:
        return self.in_state(State.ADMITTED)

    def has_consent(self, pid: str) -> bool:
        return self._get(pid).consent_version == self._consent_version

    def can_publish(self, pid: str) -> bool:
        """The media gate: admitted, with consent for the current text version."""
        record = self._records.get(pid)
        return (
            record is not None
            and record.state is State.ADMITTED
            and record.consent_version == self._consent_version
        )

    # -- set-up and consent ----------------------------------------------------

    def register(self, pid: str, role: Role) -> ParticipantView:
        """Add an invited participant; the role comes from the case file."""
        if pid in self._records:
            raise Conflict(f"participant {pid} already registered")
        record = _Record(pid=pid, role=role)
        self._records[pid] = record
        return self._view(record)

    def set_consent_version(self, version: str) -> None:
        """A new text: every recorded consent becomes stale until given again."""
        if not version:
            raise InvalidPayload("consent version required")
        self._consent_version = version

    def _not_final(self, record: _Record) -> None:
        if record.state is State.REMOVED:
            raise Forbidden("participant removed", PARTICIPANT_REMOVED)
        if record.state is State.DECLINED:
            raise Forbidden("participant declined", PARTICIPANT_DECLINED)

    def record_consent(self, pid: str, version: str) -> ParticipantView:
        """The caller recorded consent for ``version`` in the consent log."""
        record = self._get(pid)
        self._not_final(record)
        if version != self._consent_version:
            raise Conflict("consent given for an outdated version of the text")
        record.consent_version = version
        if record.state is State.INVITED:
            record.state = State.CONSENTED
        return self._view(record)

    def withdraw_consent(self, pid: str) -> State:
        """Consent withdrawn: the participant leaves; returns the previous state."""
        record = self._get(pid)
        self._not_final(record)
        previous = record.state
        record.consent_version = None
        if record.state in PRESENT_STATES:
            record.state = State.LEFT
        elif record.state is State.CONSENTED:
            record.state = State.INVITED
        return previous

    # -- connections -------------------------------------------------------------

    def _now(self) -> float:
        return self._clock().timestamp()

    def _expired(self, record: _Record) -> bool:
        grace = self._grace if record.grace_s is None else record.grace_s
        return (
            record.connection is None
            and record.dropped_at_s is not None
            and self._now() - record.dropped_at_s > grace
        )

    def _expire(self, record: _Record) -> bool:
        if record.state in PRESENT_STATES and self._expired(record):
            record.state = State.LEFT
            record.dropped_at_s = None
            record.grace_s = None
            return True
        return False

    def attach(self, pid: str, connection_id: str, device: str | None = None) -> AttachResult:
        """A connection authenticated as ``pid`` (via their link) from ``device``
        (None: a device that cannot be recognised again, never the same as another)."""
        if not self._open:
            raise SessionClosed("the session has ended")
        record = self._get(pid)
        self._not_final(record)
        self._expire(record)
        if (
            record.state is State.ADMITTED
            and not enters_directly(record.role)
            and (device is None or device != record.device)
        ):
            # Another device wants an admitted seat: it waits for a mediator.
            kicked = None
            if record.contender is not None and record.contender != connection_id:
                kicked = Kick(pid, record.contender, KICK_REPLACED)
            record.contender = connection_id
            record.contender_device = device
            return AttachResult(State.WAITING, resumed=False, kicked=kicked, contending=True)
        kicked = None
        if record.connection is not None and record.connection != connection_id:
            kicked = Kick(pid, record.connection, KICK_REPLACED)
        resumed = record.connection is None and record.dropped_at_s is not None
        resumed = resumed and record.state in PRESENT_STATES
        record.connection = connection_id
        record.device = device
        record.dropped_at_s = None
        record.grace_s = None
        return AttachResult(state=record.state, resumed=resumed, kicked=kicked)

    def detach(self, pid: str, connection_id: str) -> bool:
        """A connection closed; False if it was not the seated one (replaced, contender)."""
        record = self._records.get(pid)
        if record is None:
            return False
        if record.contender == connection_id:
            record.contender = record.contender_device = None
            return False
        if record.connection != connection_id:
            return False
        record.connection = None
        record.dropped_at_s = self._now() if record.state in PRESENT_STATES else None
        record.grace_s = None
        return True

    def _close_all(self, record: _Record, reason: str) -> list[Kick]:
        """Every connection of ``record`` closes (seat and contender)."""
        kicks = [Kick(record.pid, c, reason) for c in (record.connection, record.contender) if c]
        record.connection = record.contender = record.contender_device = None
        record.dropped_at_s = None
        return kicks

    def link_ended(self, pid: str, reason: str) -> list[Kick]:
        """``pid``'s link was revoked, replaced or expired: their connections close and
        they are out of the session (a new link brings them back through the lobby)."""
        record = self._get(pid)
        kicks = self._close_all(record, reason)
        if record.state in PRESENT_STATES:
            record.state = State.LEFT
        record.device = None
        return kicks

    def sweep(self) -> list[str]:
        """Participants whose grace period ran out; they are now ``left``."""
        return [r.pid for r in self._records.values() if self._expire(r)]

    # -- transitions ---------------------------------------------------------------

    def knock(self, pid: str) -> State:
        """Ask to enter (after the device check); mediators enter directly."""
        if not self._open:
            raise SessionClosed("the session has ended")
        record = self._get(pid)
        self._not_final(record)
        if record.connection is None:
            raise NotJoined("knock from a connection that is not attached")
        if record.state in PRESENT_STATES:
            return record.state
        if enters_directly(record.role):
            record.state = State.ADMITTED
            return record.state
        if record.consent_version != self._consent_version:
            raise ConsentRequired("consent for the current text is required")
        if self._locked:
            raise RoomLocked("the room is locked")
        record.state = State.WAITING
        return record.state

    def _require(self, record: _Record, *states: State) -> None:
        if record.state not in states:
            wanted = "/".join(s.value for s in states)
            raise InvalidState(f"participant is {record.state.value}, not {wanted}")

    def admit(self, pid: str) -> Kick | None:
        """Let ``pid`` in; for another device asking for an admitted seat, that device
        takes the seat and the old connection is returned, to be closed."""
        if not self._open:
            raise SessionClosed("the session has ended")
        record = self._get(pid)
        if record.state is State.ADMITTED and record.contender is not None:
            kicked = Kick(pid, record.connection, KICK_REPLACED) if record.connection else None
            record.connection, record.device = record.contender, record.contender_device
            record.contender = record.contender_device = None
            record.dropped_at_s = None
            return kicked
        self._require(record, State.WAITING)
        if self._expire(record):
            raise InvalidState("participant left the lobby")
        record.state = State.ADMITTED
        return None

    def _final(self, record: _Record, state: State, reason: str) -> list[Kick]:
        kicks = self._close_all(record, reason)
        record.state = state
        return kicks

    def decline(self, pid: str) -> list[Kick]:
        """Not let in: final for the session (the caller revokes the link). For another
        device asking for an admitted seat, only that device is turned away."""
        record = self._get(pid)
        if record.state is State.ADMITTED and record.contender is not None:
            kick = Kick(pid, record.contender, KICK_NOT_LET_IN)
            record.contender = record.contender_device = None
            return [kick]
        self._require(record, State.WAITING)
        return self._final(record, State.DECLINED, KICK_DECLINED)

    def remove(self, pid: str) -> list[Kick]:
        """Remove for the rest of the session (the caller also revokes the link)."""
        record = self._get(pid)
        self._not_final(record)
        return self._final(record, State.REMOVED, KICK_REMOVED)

    def leave(self, pid: str) -> None:
        record = self._get(pid)
        self._require(record, State.WAITING, State.ADMITTED)
        record.state = State.LEFT
        record.dropped_at_s = None

    # -- what outlives the process ------------------------------------------------------

    def seats(self) -> list[Seat]:
        """Every participant's durable place: state, consent, the device the seat is bound
        to (connections, contenders and grace clocks do not outlive the process)."""
        return [
            Seat(r.pid, r.state, r.consent_version, r.device, r.dropped_at_s)
            for r in self._records.values()
        ]

    def resume_seat(self, seat: Seat) -> None:
        """Put back a registered participant's place as :meth:`seats` gave it. A waiting or
        admitted seat is disconnected from now and kept for the resume grace: its holder
        comes back from the same device without knocking again (or leaves once it runs
        out). One that had already dropped more than the resume grace before (everyone
        gone for a long break: the session was let go) is lost, as its grace ran out."""
        record = self._get(seat.participant_id)
        record.state = seat.state
        record.consent_version = seat.consent_version
        record.device = seat.device
        record.connection = record.contender = record.contender_device = None
        record.dropped_at_s = record.grace_s = None
        if seat.state in PRESENT_STATES and self._open:
            now = self._now()
            long_gone = (
                seat.dropped_at_s is not None and now - seat.dropped_at_s > self._resume_grace
            )
            record.dropped_at_s = seat.dropped_at_s if long_gone else now
            record.grace_s = self._resume_grace

    def resume_ended(self) -> None:
        """The session had ended before: it stays ended (nobody attaches, knocks, enters)."""
        self._open = False
        for record in self._records.values():
            self._close_all(record, KICK_SESSION_ENDED)
            if record.state in PRESENT_STATES:
                record.state = State.LEFT

    def lock(self) -> None:
        self._locked = True

    def unlock(self) -> None:
        self._locked = False

    def end(self) -> list[Kick]:
        """End the session for everyone; returns the connections to close."""
        if not self._open:
            raise SessionClosed("the session has already ended")
        self._open = False
        kicks: list[Kick] = []
        for record in self._records.values():
            kicks.extend(self._close_all(record, KICK_SESSION_ENDED))
            if record.state in PRESENT_STATES:
                record.state = State.LEFT
        return kicks
