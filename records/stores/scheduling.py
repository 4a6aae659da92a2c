"""Scheduled mediation sessions (séances) and the registry of personal invite links.

Links themselves are signed tokens minted by the server; this registry keeps
each token id (jti) so that revocation is checked server-side.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from errors import ErrorCode
from records.db import Database
from records.errors import Conflict, NotFound
from records.models import (
    CaseMediatorRow,
    CaseRow,
    InviteLinkRow,
    MediatorRow,
    ParticipantRow,
    SessionRow,
    utcnow,
)
from records.stores.cases import ParticipantRole, require_case_mediator

# How a live session names each person: by key, in its roster, its events and the
# authors of its board operations.
PARTICIPANT_PREFIX = "p-"
MEDIATOR_PREFIX = "m-"


def participant_key(participant_id: str) -> str:
    return PARTICIPANT_PREFIX + participant_id


def mediator_key(mediator_id: str) -> str:
    return MEDIATOR_PREFIX + mediator_id


def participant_id_of(key: str) -> str | None:
    return key.removeprefix(PARTICIPANT_PREFIX) if key.startswith(PARTICIPANT_PREFIX) else None


@dataclass(frozen=True)
class ScheduledSession:
    id: str
    case_id: str
    starts_at: datetime
    timezone: str
    duration_minutes: int
    status: str  # scheduled, open, ended (final), cancelled (final)
    sequence: int = 0  # the .ics SEQUENCE of its event: one more at each move or cancellation


@dataclass(frozen=True)
class InviteLink:
    jti: str
    session_id: str
    participant_id: str
    role: ParticipantRole
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class JoinInfo:
    """What a link's holder may learn: no other participant's contact details."""

    link: InviteLink
    participant_name: str
    case_public_title: str
    mediator_names: list[str]
    lead_mediator_email: str
    session: ScheduledSession
    observer_names: list[str]  # parties are asked to agree to their presence
    media_encryption: str = "required"  # the case's setting for browsers that cannot encrypt


@dataclass(frozen=True)
class Roster:
    session: ScheduledSession
    participants: list[tuple[str, str, ParticipantRole]]  # id, display name, role
    mediators: list[tuple[str, str, str]]  # id, display name, "lead" or "co"


def _session(row: SessionRow) -> ScheduledSession:
    return ScheduledSession(
        row.id, row.case_id, row.starts_at, row.timezone, row.duration_minutes, row.status,
        row.sequence,
    )  # fmt: skip


FINAL = ("ended", "cancelled")  # a session's status that nothing changes any more


def _keys(stored: str) -> list[str]:
    """``follow_up_due`` read back; a value this code did not write counts as nobody."""
    try:
        keys = json.loads(stored)
    except ValueError:
        return []
    return [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []


def require_changeable(session: ScheduledSession) -> None:
    """A session may still be moved or cancelled: neither ended nor cancelled."""
    if session.status == "ended":
        raise Conflict("this session has ended", ErrorCode.SESSION_CLOSED)
    if session.status == "cancelled":
        raise Conflict("this session was cancelled", ErrorCode.SESSION_CANCELLED)


def _link(row: InviteLinkRow) -> InviteLink:
    return InviteLink(
        row.jti, row.session_id, row.participant_id, ParticipantRole(row.role),
        row.issued_at, row.expires_at, row.revoked_at,
    )  # fmt: skip


class ScheduleStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def schedule_session(
        self,
        case_id: str,
        mediator_id: str,
        starts_at: datetime,
        timezone: str,
        duration_minutes: int,
    ) -> ScheduledSession:
        async with self._db.transaction() as s:
            await require_case_mediator(s, case_id, mediator_id)
            row = SessionRow(
                case_id=case_id,
                starts_at=starts_at,
                timezone=timezone,
                duration_minutes=duration_minutes,
            )
            s.add(row)
            await s.flush()
            return _session(row)

    async def list_sessions(self, case_id: str, mediator_id: str) -> list[ScheduledSession]:
        async with self._db.transaction() as s:
            await require_case_mediator(s, case_id, mediator_id)
            rows = await s.scalars(
                select(SessionRow)
                .where(SessionRow.case_id == case_id)
                .order_by(SessionRow.starts_at)
            )
            return [_session(r) for r in rows]

    async def get_session(self, session_id: str, mediator_id: str) -> ScheduledSession:
        async with self._db.transaction() as s:
            row = await self._own_session(s, session_id, mediator_id)
            return _session(row)

    async def get_mediator_role(
        self, session_id: str, mediator_id: str
    ) -> tuple[ScheduledSession, str]:
        """The session and the mediator's role in its case ("lead" or "co")."""
        async with self._db.transaction() as s:
            row = await s.get(SessionRow, session_id)
            if row is None:
                raise NotFound("no such session")
            role = await s.scalar(
                select(CaseMediatorRow.role).where(
                    CaseMediatorRow.case_id == row.case_id,
                    CaseMediatorRow.mediator_id == mediator_id,
                )
            )
            if role is None:
                raise NotFound("no such session")
            return _session(row), role

    async def get_roster(self, session_id: str) -> Roster:
        """Everyone who may take part in a session: the case's participants and mediators."""
        async with self._db.transaction() as s:
            row = await s.get(SessionRow, session_id)
            if row is None:
                raise NotFound("no such session")
            parts = await s.scalars(
                select(ParticipantRow)
                .where(ParticipantRow.case_id == row.case_id)
                .order_by(ParticipantRow.position)
            )
            meds = await s.execute(
                select(MediatorRow.id, MediatorRow.display_name, CaseMediatorRow.role)
                .join(CaseMediatorRow, CaseMediatorRow.mediator_id == MediatorRow.id)
                .where(CaseMediatorRow.case_id == row.case_id)
            )
            return Roster(
                session=_session(row),
                participants=[(p.id, p.display_name, ParticipantRole(p.role)) for p in parts],
                mediators=[(m.id, m.display_name, m.role) for m in meds],
            )

    async def media_encryption(self, session_id: str) -> str:
        """The setting of the session's case for browsers that cannot encrypt frames."""
        async with self._db.transaction() as s:
            policy = await s.scalar(
                select(CaseRow.media_encryption)
                .join(SessionRow, SessionRow.case_id == CaseRow.id)
                .where(SessionRow.id == session_id)
            )
            if policy is None:
                raise NotFound("no such session")
            return str(policy)

    async def revoke_participant_links(self, session_id: str, participant_id: str) -> int:
        """Revokes every active link of a participant for a session (removal from the room)."""
        async with self._db.transaction() as s:
            result = await s.execute(
                update(InviteLinkRow)
                .where(
                    InviteLinkRow.session_id == session_id,
                    InviteLinkRow.participant_id == participant_id,
                    InviteLinkRow.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def revoked_links(self, jtis: Collection[str]) -> set[str]:
        """Which of ``jtis`` no longer work: revoked, or unknown (erased with their case)."""
        wanted = set(jtis)
        if not wanted:
            return set()
        async with self._db.transaction() as s:
            active = await s.scalars(
                select(InviteLinkRow.jti).where(
                    InviteLinkRow.jti.in_(sorted(wanted)), InviteLinkRow.revoked_at.is_(None)
                )
            )
            return wanted - set(active)

    async def set_status(self, session_id: str, status: str) -> None:
        """``open`` when the room is in use, ``ended`` when the mediator ends it (final; a
        cancelled session stays cancelled: :meth:`cancel_session`)."""
        if status not in {"scheduled", "open", "ended"}:
            raise ValueError(f"unknown session status {status!r}")
        async with self._db.transaction() as s:
            row = await s.get(SessionRow, session_id)
            if row is None:
                raise NotFound("no such session")
            if row.status not in FINAL:
                row.status = status

    async def end_session(self, session_id: str, took_part: Collection[str]) -> None:
        """The session ended (final) and, in the same transaction, what follows its end is
        due for ``took_part`` (the keys of who took part) until :meth:`follow_up_done`.
        Ending an ended or cancelled session changes nothing."""
        async with self._db.transaction() as s:
            row = await s.get(SessionRow, session_id)
            if row is None:
                raise NotFound("no such session")
            if row.status not in FINAL:
                row.status = "ended"
                row.follow_up_due = json.dumps(sorted(took_part))

    async def follow_ups_due(self, limit: int = 100) -> list[tuple[str, list[str]]]:
        """Ended sessions whose follow-up is still to do, each with who took part (oldest
        first: ids are random, the start time orders them)."""
        async with self._db.transaction() as s:
            rows = await s.execute(
                select(SessionRow.id, SessionRow.follow_up_due)
                .where(SessionRow.follow_up_due.is_not(None))
                .order_by(SessionRow.starts_at, SessionRow.id)
                .limit(limit)
            )
            return [(sid, _keys(due)) for sid, due in rows if due is not None]

    async def follow_up_done(self, session_id: str) -> None:
        async with self._db.transaction() as s:
            await s.execute(
                update(SessionRow).where(SessionRow.id == session_id).values(follow_up_due=None)
            )

    async def list_links(self, session_id: str, mediator_id: str) -> list[InviteLink]:
        """The current (latest) link of each participant of the session's case."""
        async with self._db.transaction() as s:
            await self._own_session(s, session_id, mediator_id)
            rows = await s.scalars(
                select(InviteLinkRow)
                .where(InviteLinkRow.session_id == session_id)
                .order_by(InviteLinkRow.issued_at, InviteLinkRow.jti)
            )
            latest: dict[str, InviteLink] = {}
            for r in rows:
                latest[r.participant_id] = _link(r)
            return list(latest.values())

    async def issue_link(
        self,
        session_id: str,
        participant_id: str,
        mediator_id: str,
        jti: str,
        expires_at: datetime,
    ) -> InviteLink:
        """Registers a new link and revokes the participant's earlier ones for the session."""
        async with self._db.transaction() as s:
            session = await self._own_session(s, session_id, mediator_id)
            part = await s.get(ParticipantRow, participant_id)
            # an erased person is nobody to invite any more
            if part is None or part.case_id != session.case_id or part.erased_at is not None:
                raise NotFound("no such participant in this case")
            now = utcnow()
            await s.execute(
                update(InviteLinkRow)
                .where(
                    InviteLinkRow.session_id == session_id,
                    InviteLinkRow.participant_id == participant_id,
                    InviteLinkRow.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            row = InviteLinkRow(
                jti=jti,
                session_id=session_id,
                participant_id=participant_id,
                role=part.role,
                issued_at=now,
                expires_at=expires_at,
            )
            s.add(row)
            await s.flush()
            return _link(row)

    async def revoke_link(self, jti: str, mediator_id: str) -> InviteLink:
        async with self._db.transaction() as s:
            row = await s.get(InviteLinkRow, jti)
            if row is None:
                raise NotFound("no such link")
            await self._own_session(s, row.session_id, mediator_id)
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _link(row)

    async def get_join_info(self, jti: str) -> JoinInfo:
        async with self._db.transaction() as s:
            link = await s.get(InviteLinkRow, jti)
            if link is None:
                raise NotFound("no such link")
            session = await s.get(SessionRow, link.session_id)
            part = await s.get(ParticipantRow, link.participant_id)
            assert session is not None and part is not None
            case = await s.get(CaseRow, session.case_id)
            assert case is not None
            meds = (
                await s.execute(
                    select(MediatorRow.display_name, MediatorRow.email, CaseMediatorRow.role)
                    .join(CaseMediatorRow, CaseMediatorRow.mediator_id == MediatorRow.id)
                    .where(CaseMediatorRow.case_id == case.id)
                    .order_by(CaseMediatorRow.role.desc(), MediatorRow.display_name)
                )
            ).all()
            lead_email = next((m.email for m in meds if m.role == "lead"), "")
            observers = await s.scalars(
                select(ParticipantRow.display_name)
                .where(
                    ParticipantRow.case_id == case.id,
                    ParticipantRow.role == ParticipantRole.OBSERVER.value,
                )
                .order_by(ParticipantRow.position)
            )
            return JoinInfo(
                link=_link(link),
                participant_name=part.display_name,
                case_public_title=case.public_title,
                mediator_names=[m.display_name for m in meds],
                lead_mediator_email=lead_email,
                session=_session(session),
                observer_names=list(observers),
                media_encryption=case.media_encryption,
            )

    # -- moving and cancelling a session ---------------------------------------------------

    async def move_session(
        self,
        session_id: str,
        mediator_id: str,
        starts_at: datetime,
        timezone: str,
        duration_minutes: int,
        link_expires_at: datetime,
    ) -> ScheduledSession:
        """The session at its new time (its event's sequence one more); the links that
        still work follow it (``link_expires_at``: when they stop working now). Refused
        (``Conflict``) once the session ended or was cancelled."""
        async with self._db.transaction() as s:
            row = await self._own_session(s, session_id, mediator_id)
            require_changeable(_session(row))
            row.starts_at, row.timezone = starts_at, timezone
            row.duration_minutes, row.sequence = duration_minutes, row.sequence + 1
            await s.execute(
                update(InviteLinkRow)
                .where(InviteLinkRow.session_id == session_id, InviteLinkRow.revoked_at.is_(None))
                .values(expires_at=link_expires_at)
            )
            await s.flush()
            return _session(row)

    async def cancel_session(self, session_id: str, mediator_id: str) -> ScheduledSession:
        """The session cancelled (final: its links stop working); ``Conflict`` once it
        ended or was cancelled already."""
        async with self._db.transaction() as s:
            row = await self._own_session(s, session_id, mediator_id)
            require_changeable(_session(row))
            row.status, row.sequence = "cancelled", row.sequence + 1
            await s.flush()
            return _session(row)

    async def current_link(self, session_id: str, participant_id: str) -> InviteLink | None:
        """A participant's latest link for a session (whatever its state); None if they
        have none, or were erased (nobody to write to any more)."""
        async with self._db.transaction() as s:
            part = await s.get(ParticipantRow, participant_id)
            if part is None or part.erased_at is not None:
                return None
            row = await s.scalar(
                select(InviteLinkRow)
                .where(
                    InviteLinkRow.session_id == session_id,
                    InviteLinkRow.participant_id == participant_id,
                )
                .order_by(InviteLinkRow.issued_at.desc(), InviteLinkRow.jti.desc())
                .limit(1)
            )
            return None if row is None else _link(row)

    async def sessions_starting(
        self, after: datetime, until: datetime
    ) -> list[tuple[ScheduledSession, int]]:
        """Scheduled sessions starting in (``after``, ``until``], each with its case's
        reminder setting (hours before; only cases that want reminders)."""
        async with self._db.transaction() as s:
            rows = (
                await s.execute(
                    select(SessionRow, CaseRow.reminder_hours)
                    .join(CaseRow, CaseRow.id == SessionRow.case_id)
                    .where(
                        SessionRow.status == "scheduled",
                        SessionRow.starts_at > after,
                        SessionRow.starts_at <= until,
                        CaseRow.reminder_hours > 0,
                        CaseRow.status == "open",
                    )
                    .order_by(SessionRow.starts_at)
                )
            ).all()
            return [(_session(r), int(hours)) for r, hours in rows]

    async def _own_session(self, s: AsyncSession, session_id: str, mediator_id: str) -> SessionRow:
        row = await s.get(SessionRow, session_id)
        if row is None:
            raise NotFound("no such session")
        await require_case_mediator(s, row.case_id, mediator_id)
        return row
