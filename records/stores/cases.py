"""Cases (dossiers): their participants and mediators. Only a case's mediators see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from records.db import Database
from records.errors import Invalid, NotFound
from records.models import (
    CaseMediatorRow,
    CaseRow,
    MediatorRow,
    ParticipantRow,
    SessionRow,
)
from records.stores.casefile import CaseFile, ItemKind

# How long before each session its invited participants may be reminded, at most (a week).
MAX_REMINDER_HOURS = 168


class MediationType(StrEnum):
    FAMILY = "family"
    NEIGHBOURHOOD = "neighbourhood"
    WORKPLACE = "workplace"
    COMMERCIAL = "commercial"
    CONSUMER = "consumer"
    JUDICIAL = "judicial"
    TERRITORIAL = "territorial"
    COLLECTIVE = "collective"
    OTHER = "other"


class MediaEncryption(StrEnum):
    """Whether a browser that cannot encrypt frames end to end may take part in the case."""

    REQUIRED = "required"  # it is refused, with a page that says why and what to use
    ALLOWED = "allowed"  # it may join; its room is encrypted only as far as the server


class ParticipantRole(StrEnum):
    PARTY = "party"
    COUNSEL = "counsel"
    OBSERVER = "observer"


@dataclass(frozen=True)
class NewParticipant:
    display_name: str
    role: ParticipantRole
    email: str | None = None


@dataclass(frozen=True)
class NewCase:
    reference: str
    title: str
    public_title: str
    mediation_type: MediationType
    description: str
    participants: list[NewParticipant]
    co_mediator_ids: list[str]
    media_encryption: MediaEncryption = MediaEncryption.REQUIRED


@dataclass(frozen=True)
class Participant:
    id: str
    display_name: str
    email: str | None
    role: ParticipantRole


@dataclass(frozen=True)
class CaseMediator:
    id: str
    display_name: str
    email: str
    role: str  # "lead" or "co"


@dataclass(frozen=True)
class CaseSummary:
    id: str
    reference: str
    title: str
    mediation_type: MediationType
    status: str
    created_at: datetime


@dataclass(frozen=True)
class Case:
    id: str
    reference: str
    title: str
    public_title: str
    mediation_type: MediationType
    description: str
    status: str
    created_at: datetime
    participants: list[Participant]
    mediators: list[CaseMediator]
    media_encryption: MediaEncryption = MediaEncryption.REQUIRED


def _summary(row: CaseRow) -> CaseSummary:
    return CaseSummary(
        row.id, row.reference, row.title, MediationType(row.mediation_type), row.status,
        row.created_at,
    )  # fmt: skip


async def require_case_mediator(s: AsyncSession, case_id: str, mediator_id: str) -> CaseRow:
    """The case row, or NotFound when it is absent or not this mediator's (same answer)."""
    row = await s.scalar(
        select(CaseRow)
        .join(CaseMediatorRow, CaseMediatorRow.case_id == CaseRow.id)
        .where(CaseRow.id == case_id, CaseMediatorRow.mediator_id == mediator_id)
    )
    if row is None:
        raise NotFound("no such case")
    return row


class CaseStore:
    """Cases; the confidential description is an encrypted item of the ``CaseFile``.

    Without a case file (tools and tests that need no encryption) a case can
    only have an empty description.
    """

    def __init__(self, db: Database, casefile: CaseFile | None = None) -> None:
        self._db = db
        self._casefile = casefile

    async def create_case(self, creator_id: str, new: NewCase, *, via: str = "api") -> Case:
        if new.description and self._casefile is None:
            raise Invalid("a case description needs the encrypted case file")
        async with self._db.transaction() as s:
            row = CaseRow(
                reference=new.reference,
                title=new.title,
                public_title=new.public_title,
                mediation_type=new.mediation_type.value,
                description="",
                created_by=creator_id,
                media_encryption=new.media_encryption.value,
            )
            s.add(row)
            await s.flush()
            s.add(CaseMediatorRow(case_id=row.id, mediator_id=creator_id, role="lead"))
            for co_id in dict.fromkeys(new.co_mediator_ids):
                if co_id == creator_id:
                    continue
                if await s.get(MediatorRow, co_id) is None:
                    raise NotFound("no such co-mediator account")
                s.add(CaseMediatorRow(case_id=row.id, mediator_id=co_id, role="co"))
            for position, p in enumerate(new.participants):
                s.add(_participant_row(row.id, p, position))
            await s.flush()
            if new.description and self._casefile is not None:
                await self._casefile.put_item_in(
                    s, row.id, ItemKind.DESCRIPTION, new.description.encode("utf-8"),
                    actor=f"mediator:{creator_id}", via=via,
                )  # fmt: skip
            return await self._load(s, row, new.description)

    async def list_cases(self, mediator_id: str) -> list[CaseSummary]:
        async with self._db.transaction() as s:
            rows = await s.scalars(
                select(CaseRow)
                .join(CaseMediatorRow, CaseMediatorRow.case_id == CaseRow.id)
                .where(CaseMediatorRow.mediator_id == mediator_id)
                .order_by(CaseRow.created_at.desc(), CaseRow.id)
            )
            return [_summary(r) for r in rows]

    async def get_case(self, case_id: str, mediator_id: str, *, via: str = "api") -> Case:
        """The case with its description decrypted (an audited read)."""
        async with self._db.transaction() as s:
            row = await require_case_mediator(s, case_id, mediator_id)
        description = ""
        if self._casefile is not None:
            items = await self._casefile.read_items(
                case_id, kinds={ItemKind.DESCRIPTION}, actor=f"mediator:{mediator_id}", via=via
            )
            description = items[-1].text if items else ""
        async with self._db.transaction() as s:
            row = await require_case_mediator(s, case_id, mediator_id)
            return await self._load(s, row, description)

    async def get_case_header(self, case_id: str, mediator_id: str) -> Case:
        """The case without its description (nothing is decrypted, so nothing to audit):
        names, roles and reference, as a text made from a template needs them."""
        async with self._db.transaction() as s:
            row = await require_case_mediator(s, case_id, mediator_id)
            return await self._load(s, row, "")

    async def set_legal_hold(
        self, case_id: str, mediator_id: str, on: bool, *, via: str = "api"
    ) -> None:
        """A legal hold suspends purge and erasure of the case file."""
        async with self._db.transaction() as s:
            row = await require_case_mediator(s, case_id, mediator_id)
            row.legal_hold = on
            if self._casefile is not None:
                await self._casefile.audit.append_in(
                    s, actor=f"mediator:{mediator_id}", action="case.legal_hold", case_id=case_id,
                    detail={"on": on}, via=via,
                )  # fmt: skip

    async def set_media_encryption(
        self, case_id: str, mediator_id: str, policy: MediaEncryption, *, via: str = "api"
    ) -> None:
        """Whether a browser that cannot encrypt frames may take part (audited); a live
        session applies it to whoever announces such a browser from now on."""
        async with self._db.transaction() as s:
            row = await require_case_mediator(s, case_id, mediator_id)
            row.media_encryption = policy.value
            if self._casefile is not None:
                await self._casefile.audit.append_in(
                    s, actor=f"mediator:{mediator_id}", action="case.media_encryption",
                    case_id=case_id, detail={"policy": policy.value}, via=via,
                )  # fmt: skip

    # -- reminders before each session (0013) ------------------------------------------

    async def get_reminder_hours(self, case_id: str, mediator_id: str) -> int:
        """How long before each session its invited participants are reminded (0: never)."""
        async with self._db.transaction() as s:
            row = await require_case_mediator(s, case_id, mediator_id)
            return int(row.reminder_hours)

    async def set_reminder_hours(
        self, case_id: str, mediator_id: str, hours: int, *, via: str = "api"
    ) -> None:
        """0 (no reminder) or 1 to :data:`MAX_REMINDER_HOURS` hours before (audited)."""
        if not 0 <= hours <= MAX_REMINDER_HOURS:
            raise Invalid(f"hours: 0 (none) to {MAX_REMINDER_HOURS}")
        async with self._db.transaction() as s:
            row = await require_case_mediator(s, case_id, mediator_id)
            row.reminder_hours = hours
            if self._casefile is not None:
                await self._casefile.audit.append_in(
                    s, actor=f"mediator:{mediator_id}", action="case.reminder",
                    case_id=case_id, detail={"hours": hours}, via=via,
                )  # fmt: skip

    async def require_mediator(self, case_id: str, mediator_id: str) -> None:
        """``NotFound`` unless the case exists and this mediator is one of its mediators."""
        async with self._db.transaction() as s:
            await require_case_mediator(s, case_id, mediator_id)

    async def get_participant(self, case_id: str, participant_id: str) -> Participant:
        async with self._db.transaction() as s:
            row = await s.get(ParticipantRow, participant_id)
            if row is None or row.case_id != case_id:
                raise NotFound("no such participant")
            return _participant(row)

    async def add_participant(
        self, case_id: str, mediator_id: str, new: NewParticipant
    ) -> Participant:
        async with self._db.transaction() as s:
            await require_case_mediator(s, case_id, mediator_id)
            existing = await s.scalars(
                select(ParticipantRow.position).where(ParticipantRow.case_id == case_id)
            )
            row = _participant_row(case_id, new, max(existing, default=-1) + 1)
            s.add(row)
            await s.flush()
            return _participant(row)

    async def case_id_of_session(self, session_id: str) -> str | None:
        async with self._db.transaction() as s:
            row = await s.get(SessionRow, session_id)
            return None if row is None else row.case_id

    async def _load(self, s: AsyncSession, row: CaseRow, description: str) -> Case:
        parts = await s.scalars(
            select(ParticipantRow)
            .where(ParticipantRow.case_id == row.id)
            .order_by(ParticipantRow.position)
        )
        meds = await s.execute(
            select(MediatorRow, CaseMediatorRow.role)
            .join(CaseMediatorRow, CaseMediatorRow.mediator_id == MediatorRow.id)
            .where(CaseMediatorRow.case_id == row.id)
            .order_by(CaseMediatorRow.role.desc(), MediatorRow.display_name)
        )
        return Case(
            id=row.id,
            reference=row.reference,
            title=row.title,
            public_title=row.public_title,
            mediation_type=MediationType(row.mediation_type),
            description=description,
            status=row.status,
            created_at=row.created_at,
            participants=[_participant(p) for p in parts],
            mediators=[CaseMediator(m.id, m.display_name, m.email, role) for m, role in meds],
            media_encryption=MediaEncryption(row.media_encryption),
        )


def _participant_row(case_id: str, p: NewParticipant, position: int) -> ParticipantRow:
    return ParticipantRow(
        case_id=case_id,
        display_name=p.display_name,
        email=p.email,
        role=p.role.value,
        position=position,
    )


def _participant(row: ParticipantRow) -> Participant:
    return Participant(row.id, row.display_name, row.email, ParticipantRole(row.role))
