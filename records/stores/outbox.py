"""The mail outbox: each e-mail of a case is stored here before anything tries to send it.

A message is *waiting* until it is due (``next_attempt_at``); a sender *claims* it
(state *sending*, a lease until a given time and a token of its own), tries it, then marks
it *sent* (the server accepted it), *waiting* again with a later due time (the server
refused for now, or could not be reached) or *failed* (for good, with the server's
reason). A claim is one conditional UPDATE, so two senders (two nodes) never hold the
same message; a sender that dies while sending leaves a lease that runs out, and the
message is claimed again. Only the lease's holder can record the outcome.

What is personal (recipient, subject, bodies, attachments: a personal link is a secret)
is encoded here (:mod:`records.encoding`) and encrypted with AES-256-GCM under the
recipient participant's data key, bound to the message's id: erasing that person, or
shredding the case, makes it unreadable. Queueing and each outcome are in the case's
audit log, in the transaction that writes the row (ids only).

A message may also answer a public request (:mod:`records.stores.requests`): no case,
no participant, its ``request_id`` instead, encrypted under the request's own key, so
that shredding the request makes it unreadable too (:meth:`Outbox.create_request_mail`).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from errors import ErrorCode
from records.crypto.envelope import AssociatedData, decrypt, encrypt
from records.crypto.keys import KeyProvider
from records.crypto.keystore import REQUEST_SCOPE, KeyStore, participant_scope
from records.db import Database
from records.encoding import decode, encode
from records.errors import Conflict, CryptoError, NotFound, RecordsError
from records.logs.audit import AuditLog
from records.models import MailRow, ParticipantRow, SessionRow, new_id

KIND = "mail"
REPLY_LIMIT = 500
# The kinds of message that invite someone to a session (whoever got one is told when it
# moves or is cancelled, and reminded before it).
INVITING = ("invitation", "new_link")
# The kinds of message for their recipient's eyes only: nobody copies them from the case page
# (a one-time signing code: whoever read it could sign in the recipient's name).
SEALED_KINDS = ("signing_code",)


class MailState(StrEnum):
    WAITING = "waiting"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar"
    data: bytes


@dataclass(frozen=True)
class MailContents:
    """What is encrypted: never in a log, never in a listing."""

    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class NewMail:
    case_id: str
    session_id: str | None
    participant_id: str
    kind: str  # "invitation"
    language: str
    message_id: str
    contents: MailContents
    note: str | None = None  # shown until the first attempt ("no SMTP server configured")
    # one of a kind: a second message with the same key is not queued (a reminder for one
    # person and one start time, a notice for one move); None: no such rule
    dedup_key: str | None = None


@dataclass(frozen=True)
class MailStatus:
    """A message as the case page lists it: no address, no subject, no body."""

    id: str
    case_id: str
    session_id: str | None
    participant_id: str | None
    recipient_name: str | None
    kind: str
    language: str
    state: MailState
    attempts: int
    last_code: int | None
    last_reply: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class ClaimedMail:
    """A message a sender holds until ``lease_until``; ``contents`` None: unreadable (its
    key was destroyed: the person or the case erased)."""

    id: str
    case_id: str | None  # None: it answers a public request (request_id)
    message_id: str
    token: str
    attempts: int  # before this one
    created_at: datetime
    lease_until: datetime
    contents: MailContents | None = field(repr=False)
    request_id: str | None = None


def _encode(c: MailContents) -> bytes:
    return encode(
        {
            "to": c.to, "subject": c.subject, "text": c.text, "html": c.html,
            "attachments": [
                {"filename": a.filename, "type": a.content_type,
                 "data": base64.b64encode(a.data).decode()}
                for a in c.attachments
            ],
        }
    )  # fmt: skip


def _decode(raw: bytes) -> MailContents:
    d: Any = decode(raw)
    return MailContents(
        to=str(d["to"]), subject=str(d["subject"]), text=str(d["text"]), html=str(d["html"]),
        attachments=tuple(
            Attachment(str(a["filename"]), str(a["type"]), base64.b64decode(a["data"]))
            for a in d["attachments"]
        ),
    )  # fmt: skip


class Outbox:
    def __init__(
        self,
        db: Database,
        keystore: KeyStore,
        keys: KeyProvider,
        audit: AuditLog,
        *,
        organisation_id: str = "palabre",
    ) -> None:
        self._db = db
        self._keystore = keystore
        self._keys = keys
        self._audit = audit
        self._org = organisation_id

    def _ad(self, case_id: str, mail_id: str) -> AssociatedData:
        """``case_id``: the case's id, or the request's for a message answering a request."""
        return AssociatedData(self._org, case_id, f"mail:{mail_id}", KIND, 1)

    async def create_mail(self, new: NewMail, now: datetime, *, actor: str, via: str) -> MailStatus:
        """Store a message, due now (audited ``mail.queued``)."""
        queued = await self.create_mail_once(new, now, actor=actor, via=via)
        if queued is None:
            raise Conflict("this message was queued already")
        return queued

    async def create_mail_once(
        self, new: NewMail, now: datetime, *, actor: str, via: str
    ) -> MailStatus | None:
        """Store a message, due now (audited ``mail.queued``); None when one with the same
        ``dedup_key`` is stored already (by this node or any other, at any time)."""
        key_id, key = await self._keystore.get_or_create(
            self._keys, new.case_id, participant_scope(new.participant_id)
        )
        mail_id = new_id()
        row = MailRow(
            id=mail_id, case_id=new.case_id, session_id=new.session_id,
            participant_id=new.participant_id, kind=new.kind, language=new.language,
            message_id=new.message_id, state=MailState.WAITING.value, attempts=0,
            next_attempt_at=now, last_reply=new.note, key_id=key_id,
            ciphertext=encrypt(key, _encode(new.contents), self._ad(new.case_id, mail_id)),
            created_at=now, dedup_key=new.dedup_key,
        )  # fmt: skip
        try:
            async with self._db.transaction() as s:
                s.add(row)
                await s.flush()  # the unique dedup key: before the audit log's lock
                await self._audit.append_in(
                    s, actor=actor, action="mail.queued", case_id=new.case_id,
                    session_id=new.session_id, subject=f"participant:{new.participant_id}",
                    detail={"mail": mail_id, "kind": new.kind, "language": new.language},
                    via=via,
                )  # fmt: skip
        except IntegrityError:
            # a duplicate only if the key is there: any other refusal is not "sent already"
            if new.dedup_key is None or not await self.queued_keys([new.dedup_key]):
                raise
            return None
        return (await self.list_mail(new.case_id, mail_id=mail_id))[0]

    async def get_language(self, case_id: str, participant_id: str, kind: str) -> str | None:
        """The language of the latest message of ``kind`` to the participant, if any."""
        async with self._db.transaction() as s:
            language: str | None = await s.scalar(
                select(MailRow.language)
                .where(
                    MailRow.case_id == case_id, MailRow.participant_id == participant_id,
                    MailRow.kind == kind,
                )
                .order_by(MailRow.created_at.desc())
                .limit(1)
            )  # fmt: skip
        return language

    # -- who was invited by e-mail -------------------------------------------------------

    async def list_invited(self, session_id: str) -> dict[str, str]:
        """The participants invited to a session by e-mail (an invitation or a new link
        for it that did not fail), each with the language of the latest one."""
        async with self._db.transaction() as s:
            rows = (
                await s.execute(
                    select(MailRow.participant_id, MailRow.language)
                    .where(
                        MailRow.session_id == session_id,
                        MailRow.kind.in_(INVITING),
                        MailRow.state != MailState.FAILED.value,
                        MailRow.participant_id.is_not(None),
                    )
                    .order_by(MailRow.created_at, MailRow.id)
                )
            ).all()
        return {str(pid): str(lang) for pid, lang in rows}

    async def last_invited_at(self, session_id: str, participant_id: str) -> datetime | None:
        """When the participant's latest invitation (or new link) to the session that did
        not fail was queued; None if they were never invited by e-mail."""
        async with self._db.transaction() as s:
            at = await s.scalar(
                select(MailRow.created_at)
                .where(
                    MailRow.session_id == session_id,
                    MailRow.participant_id == participant_id,
                    MailRow.kind.in_(INVITING),
                    MailRow.state != MailState.FAILED.value,
                )
                .order_by(MailRow.created_at.desc())
                .limit(1)
            )
        return at

    async def queued_keys(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` some stored message already has as its dedup key."""
        if not keys:
            return set()
        async with self._db.transaction() as s:
            found = await s.scalars(select(MailRow.dedup_key).where(MailRow.dedup_key.in_(keys)))
            return {k for k in found if k is not None}

    async def create_request_mail(
        self, request_id: str, kind: str, language: str, message_id: str,
        contents: MailContents, now: datetime, *, actor: str, via: str,
    ) -> str:  # fmt: skip
        """Store a message answering a public request, under the request's key, due now
        (audited ``mail.queued``, subject the request); returns its id."""
        key_id, key = await self._keystore.get_or_create(self._keys, request_id, REQUEST_SCOPE)
        mail_id = new_id()
        row = MailRow(
            id=mail_id, case_id=None, session_id=None, participant_id=None,
            request_id=request_id, kind=kind, language=language, message_id=message_id,
            state=MailState.WAITING.value, attempts=0, next_attempt_at=now, key_id=key_id,
            ciphertext=encrypt(key, _encode(contents), self._ad(request_id, mail_id)),
            created_at=now,
        )  # fmt: skip
        async with self._db.transaction() as s:
            s.add(row)
            await s.flush()
            await self._audit.append_in(
                s, actor=actor, action="mail.queued", subject=f"request:{request_id}",
                detail={"mail": mail_id, "kind": kind, "language": language}, via=via,
            )  # fmt: skip
        return mail_id

    async def request_mail_states(self, request_id: str) -> list[MailState]:
        """The states of the messages answering a request (oldest first)."""
        async with self._db.transaction() as s:
            rows = await s.scalars(
                select(MailRow.state)
                .where(MailRow.request_id == request_id)
                .order_by(MailRow.created_at, MailRow.id)
            )
            return [MailState(r) for r in rows]

    async def purge_before(self, cut: datetime) -> int:
        """Delete the messages queued before ``cut`` that are done with (sent or failed)
        and whose session, if any, started before ``cut`` too: a message about a session
        still to come is kept, since who was invited by e-mail is told when it moves.
        Returns how many were deleted."""
        past = select(SessionRow.id).where(SessionRow.starts_at < cut)
        async with self._db.transaction() as s:
            done = await s.execute(
                delete(MailRow).where(
                    MailRow.created_at < cut,
                    MailRow.state.in_((MailState.SENT.value, MailState.FAILED.value)),
                    or_(MailRow.session_id.is_(None), MailRow.session_id.in_(past)),
                )
            )
        return int(getattr(done, "rowcount", 0) or 0)

    async def list_mail(self, case_id: str, *, mail_id: str | None = None) -> list[MailStatus]:
        """The case's messages, newest first (or the one ``mail_id``)."""
        q = (
            select(MailRow, ParticipantRow.display_name, ParticipantRow.erased_at)
            .outerjoin(ParticipantRow, ParticipantRow.id == MailRow.participant_id)
            .where(MailRow.case_id == case_id)
            .order_by(MailRow.created_at.desc(), MailRow.id)
        )
        if mail_id is not None:
            q = q.where(MailRow.id == mail_id)
        async with self._db.transaction() as s:
            rows = (await s.execute(q)).all()
        return [
            MailStatus(
                r.id,
                case_id,
                r.session_id,
                r.participant_id,
                None if erased is not None else name,
                r.kind,
                r.language,
                MailState(r.state),
                r.attempts,
                r.last_code,
                r.last_reply,
                r.created_at,
                r.next_attempt_at,
                r.sent_at,
            )
            for r, name, erased in rows
        ]

    async def get_contents(self, case_id: str, mail_id: str) -> MailContents:
        """A message's contents (the mediator copies it when nothing sends mail);
        ``NotFound``, or ``Shredded`` when its key was destroyed."""
        async with self._db.transaction() as s:
            row = await s.get(MailRow, mail_id)
            if row is None or row.case_id != case_id:
                raise NotFound("no such message")
            if row.kind in SEALED_KINDS:
                raise RecordsError("this message is for its recipient only", ErrorCode.FORBIDDEN)
            key_id, ciphertext = row.key_id, row.ciphertext
        key = await self._keystore.get_key(self._keys, key_id)
        return _decode(decrypt(key, ciphertext, self._ad(case_id, mail_id)))

    async def claim_due(
        self, now: datetime, lease: timedelta, *, limit: int = 10
    ) -> list[ClaimedMail]:
        """Take up to ``limit`` messages that are due (waiting, or sending with a lease
        that ran out): each is this caller's alone until ``now + lease``."""
        due = or_(
            and_(MailRow.state == MailState.WAITING.value, MailRow.next_attempt_at <= now),
            and_(MailRow.state == MailState.SENDING.value, MailRow.lease_until <= now),
        )
        async with self._db.transaction() as s:
            ids = list(
                await s.scalars(
                    select(MailRow.id).where(due).order_by(MailRow.next_attempt_at).limit(limit)
                )
            )
        claimed: list[ClaimedMail] = []
        for mail_id in ids:
            token = secrets.token_hex(12)
            async with self._db.transaction() as s:
                row = (
                    await s.execute(
                        update(MailRow)
                        .where(MailRow.id == mail_id, due)  # still due: nobody took it meanwhile
                        .values(
                            state=MailState.SENDING.value, lease_until=now + lease,
                            lease_token=token,
                        )
                        .returning(
                            MailRow.case_id, MailRow.message_id, MailRow.attempts,
                            MailRow.created_at, MailRow.key_id, MailRow.ciphertext,
                            MailRow.request_id,
                        )
                    )
                ).first()  # fmt: skip
            if row is None:
                continue
            case_id, message_id, attempts, created_at, key_id, ciphertext, request_id = row
            contents: MailContents | None
            try:
                key = await self._keystore.get_key(self._keys, key_id)
                bound = self._ad(case_id or request_id or "", mail_id)
                contents = _decode(decrypt(key, ciphertext, bound))
            except (CryptoError, ValueError, KeyError, TypeError):
                contents = None
            claimed.append(
                ClaimedMail(
                    mail_id, case_id, message_id, token, attempts, created_at, now + lease,
                    contents, request_id,
                )
            )  # fmt: skip
        return claimed

    async def get_next_due(self) -> datetime | None:
        """When the next message falls due (a waiting one, or a lease that runs out)."""
        async with self._db.transaction() as s:
            waiting = await s.scalar(
                select(func.min(MailRow.next_attempt_at)).where(
                    MailRow.state == MailState.WAITING.value
                )
            )
            leased = await s.scalar(
                select(func.min(MailRow.lease_until)).where(
                    MailRow.state == MailState.SENDING.value
                )
            )
        times = [t for t in (waiting, leased) if t is not None]
        # min() over a custom column type comes back naive on some backends
        return min(t if t.tzinfo else t.replace(tzinfo=UTC) for t in times) if times else None

    async def _finish(
        self, mail: ClaimedMail, values: dict[str, Any], action: str | None, detail: dict[str, Any]
    ) -> bool:
        async with self._db.transaction() as s:
            row = (
                await s.execute(
                    update(MailRow)
                    .where(
                        MailRow.id == mail.id,
                        MailRow.state == MailState.SENDING.value,
                        MailRow.lease_token == mail.token,
                    )
                    .values(lease_until=None, lease_token=None, **values)
                    .returning(MailRow.session_id, MailRow.participant_id)
                )
            ).first()
            if row is None:  # the lease ran out and another sender holds it
                return False
            if action is not None:
                subject = (
                    f"request:{mail.request_id}" if mail.request_id is not None
                    else f"participant:{row.participant_id}"
                )  # fmt: skip
                await self._audit.append_in(
                    s, actor="system", action=action, case_id=mail.case_id,
                    session_id=row.session_id, subject=subject,
                    detail={"mail": mail.id, **detail}, via="mail",
                )  # fmt: skip
        return True

    async def set_sent(self, mail: ClaimedMail, code: int, reply: str, now: datetime) -> bool:
        """The server accepted the message (audited ``mail.sent``). False: this caller's
        lease was lost (nothing written)."""
        return await self._finish(
            mail,
            dict(state=MailState.SENT.value, attempts=mail.attempts + 1, last_code=code,
                 last_reply=reply[:REPLY_LIMIT], sent_at=now),
            "mail.sent", {"code": code, "attempts": mail.attempts + 1},
        )  # fmt: skip

    async def set_retry(
        self, mail: ClaimedMail, code: int | None, reply: str, next_attempt_at: datetime
    ) -> bool:
        """Not sent this time: due again at ``next_attempt_at`` (the first deferral is
        audited ``mail.deferred``; the later ones only count)."""
        attempts = mail.attempts + 1
        return await self._finish(
            mail,
            dict(state=MailState.WAITING.value, attempts=attempts, last_code=code,
                 last_reply=reply[:REPLY_LIMIT], next_attempt_at=next_attempt_at),
            "mail.deferred" if attempts == 1 else None, {"code": code, "attempts": attempts},
        )  # fmt: skip

    async def set_failed(self, mail: ClaimedMail, code: int | None, reply: str) -> bool:
        """Given up, with the server's reason (audited ``mail.failed``)."""
        return await self._finish(
            mail,
            dict(state=MailState.FAILED.value, attempts=mail.attempts + 1, last_code=code,
                 last_reply=reply[:REPLY_LIMIT]),
            "mail.failed", {"code": code, "attempts": mail.attempts + 1},
        )  # fmt: skip
