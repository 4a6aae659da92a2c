"""A mediator's agenda: the sessions of every case they mediate, and its calendar feed.

The feed is a private subscription URL that calendar apps fetch without a session
cookie. Its token is random (256 bits) and only its SHA-256 is stored: a fetch finds
the feed by that hash (no comparison of secrets in Python, nothing to time), and a
stolen database does not give working URLs. One feed per mediator: a new one replaces
the old (whose URL stops working), revoking deletes it. Creating and revoking are
audited as account-level entries (no case).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from records.db import Database
from records.logs.audit import AuditLog
from records.models import (
    AgendaFeedRow,
    CaseMediatorRow,
    CaseRow,
    MailRow,
    MediatorRow,
    ParticipantRow,
    SessionRow,
    utcnow,
)
from records.stores.scheduling import ScheduledSession

# The longest a session lasts (server/rest/sessions.py: 720 minutes): a session that
# started this long before a window's start cannot overlap it.
LONGEST_SESSION = timedelta(minutes=720)
MAX_ENTRIES = 500  # the most a window shows, the earliest first
# A fetch rewrites "last used" at most this often (calendar apps poll).
USE_RESOLUTION = timedelta(minutes=10)


@dataclass(frozen=True)
class AgendaEntry:
    """A session as the mediator's agenda shows it: its case by reference and public
    title (never the private title or a party's name), and how many were invited."""

    session: ScheduledSession
    case_reference: str
    case_public_title: str
    case_status: str
    role: str  # the mediator's in the case: "lead" or "co"
    participants: int  # not erased
    invited: int  # of them, those whose invitation e-mail for this session went out
    modified_at: datetime  # when the session was scheduled (the store keeps no later time)
    sequence: int  # the .ics SEQUENCE: one more at each move or cancellation


@dataclass(frozen=True)
class FeedState:
    created_at: datetime
    last_used_at: datetime | None
    language: str


@dataclass(frozen=True)
class FeedOwner:
    mediator_id: str
    language: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """43 URL-safe characters: 256 random bits, beyond guessing."""
    return secrets.token_urlsafe(32)


class AgendaStore:
    def __init__(self, db: Database, audit: AuditLog) -> None:
        self._db = db
        self._audit = audit

    async def list_sessions(
        self, mediator_id: str, start: datetime, end: datetime
    ) -> list[AgendaEntry]:
        """The sessions of the mediator's cases that overlap [start, end), by start time
        (at most :data:`MAX_ENTRIES`)."""
        async with self._db.transaction() as s:
            rows = (
                await s.execute(
                    select(SessionRow, CaseRow, CaseMediatorRow.role)
                    .join(CaseRow, CaseRow.id == SessionRow.case_id)
                    .join(CaseMediatorRow, CaseMediatorRow.case_id == CaseRow.id)
                    .where(
                        CaseMediatorRow.mediator_id == mediator_id,
                        SessionRow.starts_at >= start - LONGEST_SESSION,
                        SessionRow.starts_at < end,
                    )
                    .order_by(SessionRow.starts_at, SessionRow.id)
                )
            ).all()
            chosen = [
                r for r in rows if r[0].starts_at + timedelta(minutes=r[0].duration_minutes) > start
            ][:MAX_ENTRIES]
            counts = await _participant_counts(s, {r[1].id for r in chosen})
            invited = await _invited_counts(s, [r[0].id for r in chosen])
            return [
                AgendaEntry(
                    session=ScheduledSession(
                        row.id,
                        row.case_id,
                        row.starts_at,
                        row.timezone,
                        row.duration_minutes,
                        row.status,
                    ),
                    case_reference=case.reference,
                    case_public_title=case.public_title,
                    case_status=case.status,
                    role=role,
                    participants=counts.get(case.id, 0),
                    invited=invited.get(row.id, 0),
                    modified_at=row.created_at,
                    sequence=row.sequence,
                )
                for row, case, role in chosen
            ]

    # -- the calendar feed ---------------------------------------------------------------

    async def create_feed(self, mediator_id: str, language: str, *, via: str) -> str:
        """A new feed token for the mediator (returned once); any earlier one stops working."""
        token = new_token()
        async with self._db.transaction() as s:
            row = await s.get(AgendaFeedRow, mediator_id)
            replaced = row is not None
            if row is None:
                s.add(
                    AgendaFeedRow(
                        mediator_id=mediator_id, token_hash=token_hash(token), language=language,
                        created_at=utcnow(),
                    )
                )  # fmt: skip
            else:
                row.token_hash = token_hash(token)
                row.language = language
                row.created_at = utcnow()
                row.last_used_at = None
            await self._audit.append_in(
                s, actor=f"mediator:{mediator_id}", action="agenda_feed.create",
                subject=f"mediator:{mediator_id}", detail={"replaced": replaced}, via=via,
            )  # fmt: skip
        return token

    async def revoke_feed(self, mediator_id: str, *, via: str) -> bool:
        """Deletes the mediator's feed; False if they had none (nothing audited then)."""
        async with self._db.transaction() as s:
            result = await s.execute(
                delete(AgendaFeedRow).where(AgendaFeedRow.mediator_id == mediator_id)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            await self._audit.append_in(
                s, actor=f"mediator:{mediator_id}", action="agenda_feed.revoke",
                subject=f"mediator:{mediator_id}", via=via,
            )  # fmt: skip
            return True

    async def get_feed(self, mediator_id: str) -> FeedState | None:
        async with self._db.transaction() as s:
            row = await s.get(AgendaFeedRow, mediator_id)
            return (
                None if row is None else FeedState(row.created_at, row.last_used_at, row.language)
            )

    async def feed_owner(self, token: str) -> FeedOwner | None:
        """Whose feed the token opens (and notes the use), or None: unknown, revoked,
        replaced, or the account disabled."""
        if not token or len(token) > 200:
            return None
        async with self._db.transaction() as s:
            row = await s.scalar(
                select(AgendaFeedRow)
                .join(MediatorRow, MediatorRow.id == AgendaFeedRow.mediator_id)
                .where(
                    AgendaFeedRow.token_hash == token_hash(token), MediatorRow.disabled.is_(False)
                )
            )
            if row is None:
                return None
            now = utcnow()
            if row.last_used_at is None or now - row.last_used_at >= USE_RESOLUTION:
                row.last_used_at = now
            return FeedOwner(row.mediator_id, row.language)


async def _participant_counts(s: AsyncSession, case_ids: set[str]) -> dict[str, int]:
    if not case_ids:
        return {}
    rows = await s.execute(
        select(ParticipantRow.case_id, func.count())
        .where(ParticipantRow.case_id.in_(sorted(case_ids)), ParticipantRow.erased_at.is_(None))
        .group_by(ParticipantRow.case_id)
    )
    return {case_id: int(n) for case_id, n in rows.all()}


async def _invited_counts(s: AsyncSession, session_ids: list[str]) -> dict[str, int]:
    """Per session, how many participants' invitation e-mail was sent."""
    if not session_ids:
        return {}
    rows = await s.execute(
        select(MailRow.session_id, func.count(func.distinct(MailRow.participant_id)))
        .join(ParticipantRow, ParticipantRow.id == MailRow.participant_id)
        .where(
            MailRow.session_id.in_(sorted(set(session_ids))),
            MailRow.kind == "invitation",
            MailRow.state == "sent",
            ParticipantRow.erased_at.is_(None),
        )
        .group_by(MailRow.session_id)
    )
    return {str(session_id): int(n) for session_id, n in rows.all()}
