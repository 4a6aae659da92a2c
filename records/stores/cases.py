"""Cases (dossiers): their participants and mediators. Only a case's mediators see it.

A participant's address is stored sealed under their own data key
(:mod:`records.stores.addresses`) and opened on every read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    new_id,
)
from records.stores.addresses import ParticipantAddresses
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
    """Cases; the confidential description is an encrypted item of the ``CaseFile``,
    participants' addresses are sealed by ``addresses``.

    Without them (tools and tests that need no encryption) a case can only have an
    empty description and participants without an address.
    """

    def __init__(
        self,
        db: Database,
        casefile: CaseFile | None = None,
        addresses: ParticipantAddresses | None = None,
    ) -> None:
        self._db = db
        self._casefile = casefile
        self._addresses = addresses

    @property
    def encrypts(self) -> bool:
        """Whether this store can keep a description and addresses (it has the keys)."""
        return self._casefile is not None and self._addresses is not None

    async def _new_row(self, case_id: str, p: NewParticipant, position: int) -> ParticipantRow:
        """A participant's row, its address sealed (the key is made before the row exists:
        the key store is a database of its own)."""
        row = ParticipantRow(
            id=new_id(), case_id=case_id, display_name=p.display_name, email=None,
            role=p.role.value, position=position,
        )  # fmt: skip
        if p.email:
            if self._addresses is None:
                raise Invalid("a participant's address needs the encrypted case file")
            row.contact_key_id, row.email_sealed = await self._addresses.seal_email(
                case_id, row.id, p.email
            )
        return row

    async def _participants(self, rows: list[ParticipantRow]) -> list[Participant]:
        if self._addresses is None:
            emails = {r.id: r.email for r in rows}
        else:
            emails = await self._addresses.open_emails(rows)
        return [
            Participant(r.id, r.display_name, emails[r.id], ParticipantRole(r.role)) for r in rows
        ]

    async def create_case(self, creator_id: str, new: NewCase, *, via: str = "api") -> Case:
        if new.description and self._casefile is None:
            raise Invalid("a case description needs the encrypted case file")
        case_id = new_id()
        people = [await self._new_row(case_id, p, i) for i, p in enumerate(new.participants)]
        async with self._db.transaction() as s:
            row = CaseRow(
                id=case_id,
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
            s.add_all(people)
            await s.flush()
            if new.description and self._casefile is not None:
                await self._casefile.put_item_in(
                    s, row.id, ItemKind.DESCRIPTION, new.description.encode("utf-8"),
                    actor=f"mediator:{creator_id}", via=via,
                )  # fmt: skip
            loaded = await self._load(s, row, new.description)
        return await self._opened(loaded)

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
            loaded = await self._load(s, row, description)
        return await self._opened(loaded)

    async def get_case_header(self, case_id: str, mediator_id: str) -> Case:
        """The case without its description (no case-file item is read, so nothing to
        audit; addresses are opened as on every read): names, roles and reference, as a
        text made from a template needs them."""
        async with self._db.transaction() as s:
            row = await require_case_mediator(s, case_id, mediator_id)
            loaded = await self._load(s, row, "")
        return await self._opened(loaded)

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
        return (await self._participants([row]))[0]

    async def add_participant(
        self, case_id: str, mediator_id: str, new: NewParticipant
    ) -> Participant:
        async with self._db.transaction() as s:
            await require_case_mediator(s, case_id, mediator_id)
        row = await self._new_row(case_id, new, 0)
        async with self._db.transaction() as s:
            await require_case_mediator(s, case_id, mediator_id)
            existing = await s.scalars(
                select(ParticipantRow.position).where(ParticipantRow.case_id == case_id)
            )
            row.position = max(existing, default=-1) + 1
            s.add(row)
            await s.flush()
        return (await self._participants([row]))[0]

    async def case_id_of_session(self, session_id: str) -> str | None:
        async with self._db.transaction() as s:
            row = await s.get(SessionRow, session_id)
            return None if row is None else row.case_id

    async def _opened(self, loaded: tuple[Case, list[ParticipantRow]]) -> Case:
        """The case with its participants, their addresses opened (outside the transaction:
        the keys are in a database of their own)."""
        case, rows = loaded
        return replace(case, participants=await self._participants(rows))

    async def _load(
        self, s: AsyncSession, row: CaseRow, description: str
    ) -> tuple[Case, list[ParticipantRow]]:
        parts = list(
            await s.scalars(
                select(ParticipantRow)
                .where(ParticipantRow.case_id == row.id)
                .order_by(ParticipantRow.position)
            )
        )
        meds = await s.execute(
            select(MediatorRow, CaseMediatorRow.role)
            .join(CaseMediatorRow, CaseMediatorRow.mediator_id == MediatorRow.id)
            .where(CaseMediatorRow.case_id == row.id)
            .order_by(CaseMediatorRow.role.desc(), MediatorRow.display_name)
        )
        case = Case(
            id=row.id,
            reference=row.reference,
            title=row.title,
            public_title=row.public_title,
            mediation_type=MediationType(row.mediation_type),
            description=description,
            status=row.status,
            created_at=row.created_at,
            participants=[],
            mediators=[CaseMediator(m.id, m.display_name, m.email, role) for m, role in meds],
            media_encryption=MediaEncryption(row.media_encryption),
        )
        return case, parts
