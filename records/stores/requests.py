"""Requests for a mediation sent by the public: received, queued, taken on or declined, shredded.

A request's personal content (who asks, how to reach them, the other party, the
description) is encrypted under a data key of the request's own (``REQUEST_SCOPE`` of
:mod:`records.crypto.keystore`, kept under the request's id): shredding a request is
destroying that key and dropping the ciphertext. In clear stays what the queue sorts by:
when, state, kind of dispute, language.

* Received: the privacy notice's purposes (``PURPOSES``) are recorded in the consent log
  at once, against the exact notice version shown, with the request's id standing for the
  session and the (not yet known) participant: no personal data in those entries.
* Taken: one conditional update makes it the mediator's (two mediators cannot both take
  it); a case opens with the mediator as lead, the requester and the other party (if
  named) as parties with their contact details, the description and the other contact
  details in the case file; the consents are carried to the requester participant, their
  entries naming the request (``session_id``) they come from; then the request is shredded:
  its content now lives in the case.
* Declined: the caller queues the mediator's message to the requester (the outbox, under
  the request's key); the content is shredded at the end of its retention.
* Unanswered for too long, or declined long enough ago: shredded by the purge
  (:func:`records.rights.retention.purge`), the unanswered ones marked expired.

Every reading of a request's content, every decision and every shredding is audited
(``subject`` ``request:<id>``, no personal data).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from records.crypto.envelope import AssociatedData, decrypt, encrypt
from records.crypto.keys import KeyProvider
from records.crypto.keystore import REQUEST_SCOPE, KeyStore
from records.db import Database
from records.encoding import decode, encode
from records.errors import Conflict, Invalid, NotFound, RecordsError, Shredded
from records.logs.audit import AuditLog
from records.logs.consent import ConsentLog, Decision
from records.models import PublicRequestRow, new_id
from records.stores.cases import (
    CaseStore,
    MediationType,
    NewCase,
    NewParticipant,
    ParticipantRole,
)
from records.stores.notices import Language, NoticeKind, NoticeText

logger = logging.getLogger(__name__)

KIND = "public_request"
FORM = "public-request"
CARRIED = "public-request-carried"
WITHDRAWAL = "public-request-withdrawal"
NOTICE: NoticeKind = "request_privacy"


@dataclass(frozen=True)
class Purpose:
    name: str
    required: bool


#: what the requester agrees to on the form, each a checkbox against the request's notice
PURPOSES: tuple[Purpose, ...] = (
    Purpose("request_handling", True),  # handle the request, answer it, open a case if taken
    Purpose("request_contact_other", False),  # the mediator may contact the other party
)


class RequestState(StrEnum):
    NEW = "new"
    TAKEN = "taken"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # by the requester, before anyone answered


@dataclass(frozen=True)
class RequestContent:
    """What is encrypted: never in a log, never in the queue's listing."""

    name: str
    email: str
    phone: str
    other_name: str
    other_contact: str
    description: str


@dataclass(frozen=True)
class NewRequest:
    kind: MediationType
    language: Language
    content: RequestContent
    notice: NoticeText  # the exact version shown on the form
    agreed: frozenset[str]  # the purposes ticked


@dataclass(frozen=True)
class RequestSummary:
    """A line of the queue: no personal content."""

    id: str
    created_at: datetime
    state: RequestState
    kind: MediationType
    language: str
    decided_at: datetime | None
    case_id: str | None
    readable: bool  # its content still exists


@dataclass(frozen=True)
class PublicRequest:
    summary: RequestSummary
    content: RequestContent | None  # None: shredded
    agreed: dict[str, bool]  # purpose -> given, from the consent log


@dataclass(frozen=True)
class Declined:
    """What the caller needs to answer the requester (then forgets)."""

    request_id: str
    email: str
    name: str
    language: str


def _summary(row: PublicRequestRow) -> RequestSummary:
    return RequestSummary(
        row.id, row.created_at, RequestState(row.state), MediationType(row.kind), row.language,
        row.decided_at, row.case_id, row.ciphertext is not None,
    )  # fmt: skip


def _encode(c: RequestContent) -> bytes:
    return encode(
        {"name": c.name, "email": c.email, "phone": c.phone, "other_name": c.other_name,
         "other_contact": c.other_contact, "description": c.description}
    )  # fmt: skip


def _decode(raw: bytes) -> RequestContent:
    d: Any = decode(raw)
    return RequestContent(
        str(d["name"]), str(d["email"]), str(d["phone"]), str(d["other_name"]),
        str(d["other_contact"]), str(d["description"]),
    )  # fmt: skip


def case_description(content: RequestContent, created_at: datetime, language: str) -> str:
    """The case's description made of a taken request: its text and how to reach people."""
    en = language == "en"
    lines = [
        (f"Request received on {created_at:%Y-%m-%d}." if en
         else f"Demande reçue le {created_at:%d/%m/%Y}."),
        "",
        content.description,
        "",
        f"{'Requester' if en else 'Demandeur'}: {content.name} <{content.email}>"
        + (f", {content.phone}" if content.phone else ""),
    ]  # fmt: skip
    if content.other_name:
        other = f"{'Other party' if en else 'Autre partie'}: {content.other_name}"
        lines.append(other + (f" ({content.other_contact})" if content.other_contact else ""))
    return "\n".join(lines)


def _looks_like_email(value: str) -> bool:
    local, at, domain = value.partition("@")
    return bool(at and local and "." in domain and " " not in value)


async def _from_new(
    s: AsyncSession, request_id: str, state: RequestState, now: datetime, by: str | None = None
) -> bool:
    """Moves a request that is still new to ``state`` (decided now, by ``by``); False when
    it was not new any more (taken, declined, withdrawn or expired meanwhile)."""
    done = await s.execute(
        update(PublicRequestRow)
        .where(PublicRequestRow.id == request_id, PublicRequestRow.state == RequestState.NEW.value)
        .values(state=state.value, decided_at=now, decided_by=by)
    )
    return bool(getattr(done, "rowcount", 0))


class RequestStore:
    def __init__(
        self,
        db: Database,
        keystore: KeyStore,
        keys: KeyProvider,
        audit: AuditLog,
        consent: ConsentLog,
        cases: CaseStore,
        *,
        organisation_id: str = "palabre",
    ) -> None:
        self._db = db
        self._keystore = keystore
        self._keys = keys
        self._audit = audit
        self._consent = consent
        self._cases = cases
        self._org = organisation_id

    def _ad(self, request_id: str) -> AssociatedData:
        return AssociatedData(self._org, request_id, f"request:{request_id}", KIND, 1)

    # ------------------------------------------------------------------ receiving

    async def create_request(self, new: NewRequest, now: datetime) -> str:
        """Store a request (state new) and its consents; returns its id."""
        if new.notice.kind != NOTICE or new.notice.language != new.language:
            raise Invalid("the request's notice must be its own, in the request's language")
        missing = [p.name for p in PURPOSES if p.required and p.name not in new.agreed]
        if missing:
            raise Invalid(f"required consent not given: {', '.join(missing)}")
        unknown = new.agreed - {p.name for p in PURPOSES}
        if unknown:
            raise Invalid("unknown consent purpose")
        request_id = new_id()
        key_id, key = await self._keystore.get_or_create(self._keys, request_id, REQUEST_SCOPE)
        async with self._db.transaction() as s:
            s.add(
                PublicRequestRow(
                    id=request_id, created_at=now, state=RequestState.NEW.value,
                    kind=new.kind.value, language=new.language, key_id=key_id,
                    ciphertext=encrypt(key, _encode(new.content), self._ad(request_id)),
                )
            )  # fmt: skip
            await s.flush()
            await self._audit.append_in(
                s, actor="public", action="request.received", subject=f"request:{request_id}",
                detail={"kind": new.kind.value, "language": new.language}, via="request-form",
            )  # fmt: skip
        for p in PURPOSES:
            await self._record_consent(
                request_id, request_id, p.name, "given" if p.name in new.agreed else "declined",
                new.notice.version, new.notice.sha256, new.language, {"form": FORM},
            )  # fmt: skip
        return request_id

    async def _record_consent(
        self, session_id: str, participant_id: str, purpose: str, decision: Decision,
        version: int, sha: str, language: str, mechanism: dict[str, str],
    ) -> None:  # fmt: skip
        await self._consent.record(
            session_id=session_id, participant_id=participant_id, purpose=purpose,
            decision=decision, text_version=version, text_sha256=sha, language=language,
            mechanism=mechanism, typed_name=None,
        )  # fmt: skip

    # ------------------------------------------------------------------ reading

    async def list_requests(self, states: set[RequestState] | None = None) -> list[RequestSummary]:
        """The queue, oldest first (no personal content: nothing decrypted, not audited)."""
        q = select(PublicRequestRow).order_by(PublicRequestRow.created_at, PublicRequestRow.id)
        if states:
            q = q.where(PublicRequestRow.state.in_([s.value for s in states]))
        async with self._db.transaction() as s:
            return [_summary(r) for r in await s.scalars(q)]

    async def get_request(self, request_id: str, mediator_id: str, *, via: str) -> PublicRequest:
        """One request with its content decrypted (an audited read)."""
        async with self._db.transaction() as s:
            row = await s.get(PublicRequestRow, request_id)
            if row is None:
                raise NotFound("no such request")
            summary, key_id, blob = _summary(row), row.key_id, row.ciphertext
            await self._audit.append_in(
                s, actor=f"mediator:{mediator_id}", action="request.read",
                subject=f"request:{request_id}", detail={"readable": blob is not None}, via=via,
            )  # fmt: skip
        content = await self._open(request_id, key_id, blob)
        entries = await self._consent.current(request_id, request_id)
        agreed = {
            p.name: entries[p.name].decision == "given" for p in PURPOSES if p.name in entries
        }
        return PublicRequest(summary, content, agreed)

    async def _open(
        self, request_id: str, key_id: str | None, blob: bytes | None
    ) -> RequestContent | None:
        if key_id is None or blob is None:
            return None
        try:
            key = await self._keystore.get_key(self._keys, key_id)
        except Shredded:
            return None
        return _decode(decrypt(key, blob, self._ad(request_id)))

    # ------------------------------------------------------------------ deciding

    async def _claim(self, request_id: str, mediator_id: str, state: RequestState, now: datetime
                     ) -> PublicRequestRow:  # fmt: skip
        """Move a new request to ``state`` for this mediator, or Conflict/NotFound."""
        async with self._db.transaction() as s:
            moved = await _from_new(s, request_id, state, now, mediator_id)
            row = await s.get(PublicRequestRow, request_id)
            if row is None:
                raise NotFound("no such request")
            if not moved:
                raise Conflict(f"this request was already {row.state}")
            s.expunge(row)
            return row

    async def take(self, request_id: str, mediator_id: str, now: datetime, *, via: str) -> str:
        """Open a case from a new request (this mediator its lead); returns the case id."""
        row = await self._claim(request_id, mediator_id, RequestState.TAKEN, now)
        try:
            content = await self._open(request_id, row.key_id, row.ciphertext)
            if content is None:
                raise Shredded("this request's content no longer exists")
            case_id = await self._open_case(row, content, mediator_id, via)
        except BaseException:
            await self._give_back(request_id)
            raise
        async with self._db.transaction() as s:
            await s.execute(
                update(PublicRequestRow)
                .where(PublicRequestRow.id == request_id)
                .values(case_id=case_id)
            )
            await self._audit.append_in(
                s, actor=f"mediator:{mediator_id}", action="request.taken", case_id=case_id,
                subject=f"request:{request_id}", detail={}, via=via,
            )  # fmt: skip
        await self._shred(request_id, "taken", now, via)
        return case_id

    async def _open_case(
        self, row: PublicRequestRow, content: RequestContent, mediator_id: str, via: str
    ) -> str:
        en = row.language == "en"
        people = [NewParticipant(content.name, ParticipantRole.PARTY, content.email)]
        if content.other_name:
            other_email = (
                content.other_contact if _looks_like_email(content.other_contact) else None
            )
            people.append(NewParticipant(content.other_name, ParticipantRole.PARTY, other_email))
        title = content.name + (f" / {content.other_name}" if content.other_name else "")
        case = await self._cases.create_case(
            mediator_id,
            NewCase(
                reference=f"D-{row.created_at:%Y%m%d}-{row.id[:6]}",
                title=title[:200],
                public_title="Mediation" if en else "Médiation",
                mediation_type=MediationType(row.kind),
                description=case_description(content, row.created_at, row.language),
                participants=people,
                co_mediator_ids=[],
            ),
            via=via,
        )
        requester = case.participants[0].id
        entries = await self._consent.current(row.id, row.id)
        for p in PURPOSES:
            entry = entries.get(p.name)
            if entry is None:
                continue
            await self._record_consent(
                row.id, requester, p.name, entry.decision, entry.text_version,
                entry.text_sha256, entry.language, {"form": CARRIED, "kind": f"seq-{entry.seq}"},
            )  # fmt: skip
        return case.id

    async def decline(
        self, request_id: str, mediator_id: str, now: datetime, *, via: str,
        answer: Callable[[Declined], Awaitable[None]],
    ) -> Declined:  # fmt: skip
        """Decline a new request and ``answer`` the requester (the caller queues the message).

        If the answer cannot be queued the request goes back to the queue, as a take that
        fails does: a request is never declined without its answer. The content stays until
        the end of its retention (the answer is being sent meanwhile).
        """
        row = await self._claim(request_id, mediator_id, RequestState.DECLINED, now)
        declined = None
        try:
            content = await self._open(request_id, row.key_id, row.ciphertext)
            if content is not None:  # shredded meanwhile: nobody left to answer
                declined = Declined(request_id, content.email, content.name, row.language)
                await answer(declined)
        except BaseException:
            await self._give_back(request_id)
            raise
        async with self._db.transaction() as s:
            await self._audit.append_in(
                s, actor=f"mediator:{mediator_id}", action="request.declined",
                subject=f"request:{request_id}", detail={}, via=via,
            )  # fmt: skip
        if declined is None:
            raise Shredded("this request's content no longer exists")
        return declined

    async def _give_back(self, request_id: str) -> None:
        """A request claimed by a take or a decline that failed half-way is new again."""
        async with self._db.transaction() as s:
            await s.execute(
                update(PublicRequestRow)
                .where(PublicRequestRow.id == request_id)
                .values(state=RequestState.NEW.value, decided_at=None, decided_by=None)
            )

    async def withdraw(self, request_id: str, now: datetime) -> RequestState:
        """The requester withdraws their request while nobody has answered it: the consents
        they gave are withdrawn in the consent log and its content is destroyed at once
        (audited ``request.withdrawn``, then ``request.shredded``). Returns the state it is
        in now: ``withdrawn``, or what was made of it before (taken: a case now, for its
        mediator; declined or expired: destroyed at the end of its retention or already).
        NotFound if no such request was ever stored."""
        async with self._db.transaction() as s:
            moved = await _from_new(s, request_id, RequestState.WITHDRAWN, now)
            row = await s.get(PublicRequestRow, request_id)
            if row is None:
                raise NotFound("no such request")
            if not moved:
                return RequestState(row.state)
            await self._audit.append_in(
                s, actor="public", action="request.withdrawn", subject=f"request:{request_id}",
                detail={}, via="request-form",
            )  # fmt: skip
        entries = await self._consent.current(request_id, request_id)
        for p in PURPOSES:
            entry = entries.get(p.name)
            if entry is not None and entry.decision == "given":
                await self._record_consent(
                    request_id, request_id, p.name, "withdrawn", entry.text_version,
                    entry.text_sha256, entry.language, {"form": WITHDRAWAL},
                )  # fmt: skip
        await self._shred(request_id, "withdrawn", now, "request-form")
        return RequestState.WITHDRAWN

    # ------------------------------------------------------------------ shredding

    async def _shred(self, request_id: str, reason: str, now: datetime, via: str) -> None:
        """Destroy the request's key, then drop its ciphertext (audited)."""
        await self._keystore.shred(request_id, REQUEST_SCOPE)
        async with self._db.transaction() as s:
            await s.execute(
                update(PublicRequestRow)
                .where(PublicRequestRow.id == request_id)
                .values(ciphertext=None, key_id=None, shredded_at=now)
            )
            await self._audit.append_in(
                s, actor="system", action="request.shredded", subject=f"request:{request_id}",
                detail={"reason": reason}, via=via,
            )  # fmt: skip

    async def purge(
        self, now: datetime, unanswered_before: datetime | None, declined_before: datetime | None
    ) -> dict[str, int]:
        """Shred what is past retention: requests unanswered since before
        ``unanswered_before`` (marked expired) and declined before ``declined_before``."""
        conditions = []
        if unanswered_before is not None:
            conditions.append(
                (PublicRequestRow.state == RequestState.NEW.value)
                & (PublicRequestRow.created_at < unanswered_before)
            )
        if declined_before is not None:
            conditions.append(
                (PublicRequestRow.state == RequestState.DECLINED.value)
                & (PublicRequestRow.decided_at < declined_before)
                & (PublicRequestRow.shredded_at.is_(None))
            )
        # taken, but its shredding failed then (the content lives in the case): shred now
        conditions.append(
            (PublicRequestRow.state == RequestState.TAKEN.value)
            & (PublicRequestRow.shredded_at.is_(None))
        )
        counts = {"requests_unanswered": 0, "requests_declined": 0}
        async with self._db.transaction() as s:
            due = list(
                (
                    await s.execute(
                        select(PublicRequestRow.id, PublicRequestRow.state).where(or_(*conditions))
                    )
                ).all()
            )
        for request_id, state in due:
            if state == RequestState.NEW.value:
                async with self._db.transaction() as s:
                    moved = await _from_new(s, request_id, RequestState.EXPIRED, now)
                if not moved:
                    continue  # taken or declined meanwhile
                await self._shred(request_id, "expired", now, "purge")
                counts["requests_unanswered"] += 1
            elif state == RequestState.DECLINED.value:
                await self._shred(request_id, "declined", now, "purge")
                counts["requests_declined"] += 1
            else:
                await self._shred(request_id, "taken", now, "purge")
        return counts

    async def is_readable(self, request_id: str) -> bool:
        """Whether the content still decrypts (tests and diagnostics)."""
        async with self._db.transaction() as s:
            row = await s.get(PublicRequestRow, request_id)
            if row is None:
                raise NotFound("no such request")
            key_id, blob = row.key_id, row.ciphertext
        try:
            return await self._open(request_id, key_id, blob) is not None
        except RecordsError:
            return False
