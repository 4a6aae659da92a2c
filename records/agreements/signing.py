"""Texts frozen for signing, their signers, one-time codes and signatures.

A mediator *freezes* a text (a :data:`~records.agreements.documents.Document`): its
written form (:func:`~records.agreements.documents.canonical`) is encrypted under the case
key, its SHA-256 kept in clear, with its kind, language, who froze it and when, and its
signers (the case's parties, the counsel the mediator picks, the mediators chosen). It is
*open* until every signer signed (then *signed*, once its PDF is sealed and stored) or
the mediator *withdraws* it.

A signer signs with a one-time code: six digits, of which only an HMAC is kept (keyed by
a key derived from the master key, salted per code), valid ten minutes; a new code
replaces the previous one; five wrong tries lock the signer for fifteen minutes (in the
database: the lock holds on every node and across restarts), and the code is dropped.
Sending codes is limited per signer (one a minute, five an hour). A signature names the
hash signed: a text whose hash is not the frozen one is refused (``text_changed``); the
mediators sign after everyone else. What is signed (typed name, drawn or typed signature)
is encrypted under the case key; the time, the identification (masked address or code
shown by the mediator), the browser and the hash are in clear, for the evidence page.

Every step is in the case's audit log, in the transaction that stores it, with the
text's hash (ids only: no name, no code, no address).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from errors import ErrorCode
from records.agreements.documents import Document, canonical, parse
from records.crypto.envelope import AssociatedData, decrypt, encrypt
from records.crypto.keys import KeyProvider
from records.crypto.keystore import CASE_SCOPE, KeyStore
from records.db import Database
from records.encoding import decode, encode
from records.errors import Conflict, Invalid, NotFound, RecordsError
from records.logs.audit import AuditLog
from records.models import AgreementSignerRow, AgreementTextRow, new_id, utcnow

CODE_DIGITS = 6
CODE_VALID = timedelta(minutes=10)
MAX_WRONG = 5
LOCK_FOR = timedelta(minutes=15)
RESEND_AFTER = timedelta(minutes=1)
SEND_WINDOW = timedelta(hours=1)
SENDS_PER_WINDOW = 5
MAX_USER_AGENT = 300
KIND_TEXT = "agreement_text"
KIND_SIGNATURE = "agreement_signature"


class TextKind(StrEnum):
    AGREEMENT_TO_MEDIATE = "agreement_to_mediate"
    MEDIATED_AGREEMENT = "mediated_agreement"
    CLOSING_RECORD = "closing_record"
    COURT_REPORT = "court_report"
    FREE = "free"


class TextState(StrEnum):
    OPEN = "open"
    SIGNED = "signed"  # every signer signed, the PDF sealed and stored
    WITHDRAWN = "withdrawn"


class PersonKind(StrEnum):
    PARTICIPANT = "participant"
    MEDIATOR = "mediator"


class Identification(StrEnum):
    EMAIL_OTP = "email_otp"
    CODE_SHOWN = "code_shown_by_mediator"


class SigningRefused(RecordsError):
    """A signature or a code refused: its code says why; ``tries_left`` after a wrong
    code, ``retry_after`` (seconds) for a lock or a code asked too soon."""

    def __init__(
        self, code: ErrorCode, message: str, *, tries_left: int | None = None,
        retry_after: int | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message, code)
        self.tries_left = tries_left
        self.retry_after = retry_after


@dataclass(frozen=True)
class Signer:
    id: str
    person_kind: PersonKind
    person_id: str
    signed_at: datetime | None
    method: str | None
    identified_to: str | None
    code_channel: str | None  # of the last code: "email" or "shown"
    locked_until: datetime | None

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


@dataclass(frozen=True)
class FrozenText:
    id: str
    case_id: str
    kind: TextKind
    language: str
    sha256: str
    state: TextState
    frozen_by: str
    frozen_at: datetime
    closed_at: datetime | None
    sealed_item_id: str | None
    signers: tuple[Signer, ...]

    def signer_of(self, kind: PersonKind, person_id: str) -> Signer | None:
        for s in self.signers:
            if s.person_kind is kind and s.person_id == person_id:
                return s
        return None

    @property
    def all_signed(self) -> bool:
        return all(s.signed for s in self.signers)


@dataclass(frozen=True)
class Signature:
    """What a signer gives (encrypted at rest but for the evidence kept in clear)."""

    sha256: str
    typed_name: str
    code: str
    user_agent: str
    timezone: str
    drawing_png: bytes | None = field(default=None, repr=False)
    typed_signature: str | None = None


@dataclass(frozen=True)
class SignedBy:
    """One signer's signature as the PDF's evidence page shows it."""

    signer: Signer
    typed_name: str
    signed_at: datetime
    timezone: str
    method: str
    identified_to: str
    user_agent: str
    drawing_png: bytes | None = field(default=None, repr=False)


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def mask_address(address: str) -> str:
    """``j•••@example.org``: enough for the signer to recognise, not to read."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def _signer(r: AgreementSignerRow) -> Signer:
    return Signer(
        r.id, PersonKind(r.person_kind), r.person_id, r.signed_at, r.method, r.identified_to,
        r.code_channel, r.locked_until,
    )  # fmt: skip


def _text(r: AgreementTextRow, signers: Sequence[AgreementSignerRow]) -> FrozenText:
    return FrozenText(
        r.id, r.case_id, TextKind(r.kind), r.language, r.sha256, TextState(r.state),
        r.frozen_by, r.frozen_at, r.closed_at, r.sealed_item_id,
        tuple(_signer(s) for s in sorted(signers, key=lambda s: s.position)),
    )  # fmt: skip


class SigningStore:
    def __init__(
        self,
        db: Database,
        keystore: KeyStore,
        keys: KeyProvider,
        audit: AuditLog,
        *,
        organisation_id: str = "palabre",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = db
        self._keystore = keystore
        self._keys = keys
        self._audit = audit
        self._org = organisation_id
        self.clock = clock  # tests move it to expire codes and locks

    # ------------------------------------------------------------------ helpers

    def _code_mac(self, signer_id: str, salt: str, code: str) -> str:
        key = hmac.new(self._keys.log_hmac_key, b"palabre:signing-code", "sha256").digest()
        msg = f"{signer_id}:{salt}:{code}".encode()
        return hmac.new(key, msg, hashlib.sha256).hexdigest()

    def _ad(self, case_id: str, item: str, kind: str) -> AssociatedData:
        return AssociatedData(self._org, case_id, item, kind, 1)

    async def _case_key(self, case_id: str) -> tuple[str, bytes]:
        return await self._keystore.get_or_create(self._keys, case_id, CASE_SCOPE)

    async def _load(self, s: AsyncSession, case_id: str, text_id: str) -> AgreementTextRow:
        row = await s.get(AgreementTextRow, text_id, with_for_update=True)
        if row is None or row.case_id != case_id:
            raise NotFound("no such text to sign in this case")
        return row

    async def _signers(self, s: AsyncSession, text_id: str) -> list[AgreementSignerRow]:
        found = await s.execute(
            select(AgreementSignerRow)
            .where(AgreementSignerRow.text_id == text_id)
            .order_by(AgreementSignerRow.position)
            .with_for_update()
        )
        return list(found.scalars())

    async def _audit_in(
        self, s: AsyncSession, row: AgreementTextRow, action: str, *, actor: str, via: str,
        signer: str | None = None, user_agent: str = "", **more: str | int | None,
    ) -> None:  # fmt: skip
        detail: dict[str, str | int | bool | None] = {
            "text": row.id, "kind": row.kind, "sha256": row.sha256,
            "user_agent": user_agent[:200], **more,
        }  # fmt: skip
        if signer is not None:
            detail["signer"] = signer
        await self._audit.append_in(
            s, actor=actor, action=action, case_id=row.case_id, subject=f"text:{row.id}",
            detail=detail, via=via,
        )  # fmt: skip

    # ------------------------------------------------------------------ freezing

    async def freeze(
        self,
        case_id: str,
        *,
        kind: TextKind,
        language: str,
        document: Document,
        signers: Sequence[tuple[PersonKind, str]],
        actor: str,
        via: str,
        user_agent: str = "",
        room_id: str | None = None,
    ) -> FrozenText:
        """Freeze ``document`` for ``signers`` (audited ``text.frozen`` with its hash, and
        ``room_id`` when it is a live session's room's text)."""
        if not document:
            raise Invalid("a text to sign needs some text")
        if not signers or len(set(signers)) != len(signers):
            raise Invalid("a text to sign needs distinct signers")
        written = canonical(document)
        sha = hashlib.sha256(written.encode("utf-8")).hexdigest()
        text_id = new_id()
        key_id, key = await self._case_key(case_id)
        now = self.clock()
        content = encode({"text": written})
        row = AgreementTextRow(
            id=text_id, case_id=case_id, kind=kind.value, language=language, sha256=sha,
            key_id=key_id, ciphertext=encrypt(key, content, self._ad(case_id, text_id, KIND_TEXT)),
            state=TextState.OPEN.value, frozen_by=actor, frozen_at=now,
        )  # fmt: skip
        rows = [
            AgreementSignerRow(
                id=new_id(),
                text_id=text_id,
                person_kind=pk.value,
                person_id=pid,
                position=i,
                wrong_tries=0,
                sent_in_window=0,
            )
            for i, (pk, pid) in enumerate(signers)
        ]
        async with self._db.transaction() as s:
            s.add(row)
            await s.flush()
            s.add_all(rows)
            await s.flush()
            await self._audit_in(s, row, "text.frozen", actor=actor, via=via,
                                 user_agent=user_agent, signers=len(rows),
                                 room_id=room_id)  # fmt: skip
            if kind is not TextKind.FREE:
                await self._supersede(s, row, actor=actor, via=via, user_agent=user_agent)
        return _text(row, rows)

    async def _supersede(
        self, s: AsyncSession, newer: AgreementTextRow, *, actor: str, via: str, user_agent: str
    ) -> None:
        """A case has one text of each kind to sign (free texts aside): freezing a new
        version withdraws the earlier ones still open, signed by some or none, so that
        nobody signs a version the mediator has replaced (audited ``text.withdrawn`` with
        ``superseded_by``)."""
        found = await s.execute(
            select(AgreementTextRow)
            .where(
                AgreementTextRow.case_id == newer.case_id,
                AgreementTextRow.kind == newer.kind,
                AgreementTextRow.state == TextState.OPEN.value,
                AgreementTextRow.id != newer.id,
            )
            .with_for_update()
        )
        for older in found.scalars():
            older.state, older.closed_at = TextState.WITHDRAWN.value, newer.frozen_at
            await self._audit_in(s, older, "text.withdrawn", actor=actor, via=via,
                                 user_agent=user_agent, superseded_by=newer.id)  # fmt: skip

    async def list_texts(self, case_id: str) -> list[FrozenText]:
        async with self._db.transaction() as s:
            texts = list(
                (
                    await s.execute(
                        select(AgreementTextRow)
                        .where(AgreementTextRow.case_id == case_id)
                        .order_by(AgreementTextRow.frozen_at, AgreementTextRow.id)
                    )
                ).scalars()
            )
            ids = [t.id for t in texts]
            signers = list(
                (
                    await s.execute(
                        select(AgreementSignerRow).where(AgreementSignerRow.text_id.in_(ids))
                    )
                ).scalars()
            ) if ids else []  # fmt: skip
        return [_text(t, [r for r in signers if r.text_id == t.id]) for t in texts]

    async def get_text(self, case_id: str, text_id: str) -> FrozenText:
        async with self._db.transaction() as s:
            row = await s.get(AgreementTextRow, text_id)
            if row is None or row.case_id != case_id:
                raise NotFound("no such text to sign in this case")
            signers = list(
                (
                    await s.execute(
                        select(AgreementSignerRow).where(AgreementSignerRow.text_id == text_id)
                    )
                ).scalars()
            )
        return _text(row, signers)

    async def read_document(self, case_id: str, text_id: str) -> Document:
        """The frozen text's blocks (decrypted; the caller checks who may read it)."""
        async with self._db.transaction() as s:
            row = await s.get(AgreementTextRow, text_id)
            if row is None or row.case_id != case_id:
                raise NotFound("no such text to sign in this case")
            key_id, ciphertext = row.key_id, row.ciphertext
        key = await self._keystore.get_key(self._keys, key_id)
        content: Any = decode(decrypt(key, ciphertext, self._ad(case_id, text_id, KIND_TEXT)))
        return parse(str(content["text"]))

    async def withdraw(self, case_id: str, text_id: str, *, actor: str, via: str,
                       user_agent: str = "") -> FrozenText:  # fmt: skip
        async with self._db.transaction() as s:
            row = await self._load(s, case_id, text_id)
            if row.state != TextState.OPEN.value:
                raise Conflict(f"this text is {row.state}: it cannot be withdrawn")
            row.state, row.closed_at = TextState.WITHDRAWN.value, self.clock()
            await self._audit_in(s, row, "text.withdrawn", actor=actor, via=via,
                                 user_agent=user_agent)  # fmt: skip
        return await self.get_text(case_id, text_id)

    # ------------------------------------------------------------------ codes

    def _open_or_refuse(self, row: AgreementTextRow) -> None:
        if row.state == TextState.WITHDRAWN.value:
            raise SigningRefused(ErrorCode.TEXT_WITHDRAWN, "the mediator withdrew this text")
        if row.state == TextState.SIGNED.value:
            raise SigningRefused(ErrorCode.ALREADY_SIGNED, "this text is signed already")

    async def new_code(
        self,
        case_id: str,
        text_id: str,
        signer_id: str,
        *,
        channel: str,
        masked_to: str = "",
        actor: str,
        via: str,
        user_agent: str = "",
    ) -> tuple[str, datetime]:
        """A new one-time code for the signer (the previous one no longer works) and when
        it expires. ``channel``: ``email`` (the caller queues it to ``masked_to``'s real
        address) or ``shown`` (the mediator shows it on screen). Refused while locked, too
        soon after the last one, or past five in an hour (``throttled``, ``retry_after``)."""
        if channel not in ("email", "shown"):
            raise Invalid("a code is sent by e-mail or shown by the mediator")
        now = self.clock()
        code = new_code()
        async with self._db.transaction() as s:
            row = await self._load(s, case_id, text_id)
            self._open_or_refuse(row)
            signer = next((r for r in await self._signers(s, text_id) if r.id == signer_id), None)
            if signer is None:
                raise NotFound("no such signer of this text")
            if signer.signed_at is not None:
                raise SigningRefused(ErrorCode.ALREADY_SIGNED, "you have signed this text already")
            if signer.locked_until is not None and signer.locked_until > now:
                raise SigningRefused(
                    ErrorCode.SIGNER_LOCKED, "too many wrong codes: wait before trying again",
                    retry_after=_seconds(signer.locked_until - now),
                )  # fmt: skip
            if signer.last_sent_at is not None and now - signer.last_sent_at < RESEND_AFTER:
                raise SigningRefused(
                    ErrorCode.THROTTLED, "a code was sent less than a minute ago",
                    retry_after=_seconds(signer.last_sent_at + RESEND_AFTER - now),
                )  # fmt: skip
            if signer.window_start is None or now - signer.window_start >= SEND_WINDOW:
                signer.window_start, signer.sent_in_window = now, 0
            if signer.sent_in_window >= SENDS_PER_WINDOW:
                raise SigningRefused(
                    ErrorCode.THROTTLED, "too many codes asked in an hour",
                    retry_after=_seconds(signer.window_start + SEND_WINDOW - now),
                )  # fmt: skip
            salt = secrets.token_hex(16)
            signer.code_salt, signer.code_hash = salt, self._code_mac(signer.id, salt, code)
            signer.code_channel, signer.code_to = channel, masked_to or None
            signer.code_expires_at = now + CODE_VALID
            signer.last_sent_at, signer.sent_in_window = now, signer.sent_in_window + 1
            action = "text.code_sent" if channel == "email" else "text.code_shown"
            await self._audit_in(s, row, action, actor=actor, via=via, signer=signer.id,
                                 user_agent=user_agent)  # fmt: skip
        return code, now + CODE_VALID

    # ------------------------------------------------------------------ signing

    async def sign(
        self, case_id: str, text_id: str, signer_id: str, signature: Signature, *,
        actor: str, via: str,
    ) -> FrozenText:  # fmt: skip
        """Record the signer's signature, or :class:`SigningRefused` (the refusal audited):
        withdrawn, signed already, another hash than the frozen one, a mediator before the
        others, locked, no code or an expired one, a wrong one (five: locked)."""
        now = self.clock()
        refused: SigningRefused | None = None
        async with self._db.transaction() as s:
            row = await self._load(s, case_id, text_id)
            signers = await self._signers(s, text_id)
            signer = next((r for r in signers if r.id == signer_id), None)
            if signer is None:
                raise NotFound("no such signer of this text")
            try:
                self._check(row, signers, signer, signature, now)
            except SigningRefused as exc:
                refused = exc
                await self._audit_in(
                    s, row, "text.sign_refused", actor=actor, via=via, signer=signer.id,
                    user_agent=signature.user_agent, reason=exc.code.value,
                    sha256_given=signature.sha256[:64],
                )  # fmt: skip
            else:
                await self._record(s, row, signer, signature, now)
                await self._audit_in(s, row, "text.signed", actor=actor, via=via,
                                     signer=signer.id, user_agent=signature.user_agent,
                                     method=signer.method)  # fmt: skip
        if refused is not None:
            raise refused
        return await self.get_text(case_id, text_id)

    def _check(
        self, row: AgreementTextRow, signers: list[AgreementSignerRow],
        signer: AgreementSignerRow, signature: Signature, now: datetime,
    ) -> None:  # fmt: skip
        """Whether the signature may be recorded; updates the code's tries and lock."""
        self._open_or_refuse(row)
        if signer.signed_at is not None:
            raise SigningRefused(ErrorCode.ALREADY_SIGNED, "you have signed this text already")
        if not hmac.compare_digest(signature.sha256.encode(), row.sha256.encode()):
            raise SigningRefused(
                ErrorCode.TEXT_CHANGED,
                "this is not the text that was frozen: read it again and sign what is shown",
            )  # fmt: skip
        if signer.person_kind == PersonKind.MEDIATOR.value and any(
            r.signed_at is None for r in signers if r.person_kind != PersonKind.MEDIATOR.value
        ):
            raise SigningRefused(
                ErrorCode.MEDIATOR_SIGNS_LAST, "the mediator signs once every other signer has"
            )
        if signer.locked_until is not None and signer.locked_until > now:
            raise SigningRefused(
                ErrorCode.SIGNER_LOCKED, "too many wrong codes: wait before trying again",
                retry_after=_seconds(signer.locked_until - now),
            )  # fmt: skip
        if signer.code_hash is None or signer.code_salt is None:
            raise SigningRefused(ErrorCode.CODE_EXPIRED, "ask for a code first")
        if signer.code_expires_at is None or signer.code_expires_at <= now:
            raise SigningRefused(ErrorCode.CODE_EXPIRED, "this code has expired: ask a new one")
        given = self._code_mac(signer.id, signer.code_salt, signature.code.strip())
        if not hmac.compare_digest(given, signer.code_hash):
            signer.wrong_tries += 1
            if signer.wrong_tries >= MAX_WRONG:
                signer.locked_until = now + LOCK_FOR
                signer.wrong_tries = 0
                signer.code_hash = signer.code_salt = signer.code_expires_at = None
                raise SigningRefused(
                    ErrorCode.SIGNER_LOCKED, "too many wrong codes: wait before trying again",
                    retry_after=_seconds(LOCK_FOR), tries_left=0,
                )  # fmt: skip
            left = MAX_WRONG - signer.wrong_tries
            raise SigningRefused(
                ErrorCode.CODE_WRONG, f"wrong code: {left} tries left", tries_left=left
            )

    async def _record(
        self, s: AsyncSession, row: AgreementTextRow, signer: AgreementSignerRow,
        signature: Signature, now: datetime,
    ) -> None:  # fmt: skip
        key_id, key = await self._case_key(row.case_id)
        content = encode(
            {
                "typed_name": signature.typed_name,
                "typed_signature": signature.typed_signature,
                "drawing": base64.b64encode(signature.drawing_png).decode()
                if signature.drawing_png else None,
            }
        )  # fmt: skip
        signer.key_id = key_id
        signer.ciphertext = encrypt(key, content, self._ad(row.case_id, signer.id, KIND_SIGNATURE))
        signer.signed_at, signer.signed_sha256 = now, row.sha256
        email = signer.code_channel == "email"
        signer.method = (Identification.EMAIL_OTP if email else Identification.CODE_SHOWN).value
        signer.identified_to = signer.code_to if email else None
        signer.user_agent = signature.user_agent[:MAX_USER_AGENT]
        signer.timezone = signature.timezone[:64]
        signer.code_hash = signer.code_salt = signer.code_expires_at = None
        signer.wrong_tries = 0

    async def signatures(self, case_id: str, text_id: str) -> list[SignedBy]:
        """Every signature of the text, decrypted, in signing order (for its PDF)."""
        async with self._db.transaction() as s:
            row = await s.get(AgreementTextRow, text_id)
            if row is None or row.case_id != case_id:
                raise NotFound("no such text to sign in this case")
            signers = list(
                (
                    await s.execute(
                        select(AgreementSignerRow).where(
                            AgreementSignerRow.text_id == text_id,
                            AgreementSignerRow.signed_at.is_not(None),
                        )
                    )
                ).scalars()
            )
        out = []
        for r in sorted(signers, key=lambda r: (r.signed_at, r.position)):
            assert r.key_id is not None and r.ciphertext is not None and r.signed_at is not None
            key = await self._keystore.get_key(self._keys, r.key_id)
            content: Any = decode(
                decrypt(key, r.ciphertext, self._ad(case_id, r.id, KIND_SIGNATURE))
            )
            drawing = content.get("drawing")
            out.append(
                SignedBy(
                    _signer(r), str(content["typed_name"]), r.signed_at, r.timezone or "UTC",
                    r.method or "", r.identified_to or "", r.user_agent or "",
                    base64.b64decode(drawing) if drawing else None,
                )
            )  # fmt: skip
        return out

    async def set_sealed(
        self, case_id: str, text_id: str, item_id: str, *, actor: str, via: str
    ) -> bool:
        """The text is signed: its sealed PDF is the case file's ``item_id`` (audited
        ``text.sealed``). False if it was not open and fully signed any more."""
        async with self._db.transaction() as s:
            row = await self._load(s, case_id, text_id)
            signers = await self._signers(s, text_id)
            if row.state != TextState.OPEN.value or any(r.signed_at is None for r in signers):
                return False
            row.state, row.closed_at = TextState.SIGNED.value, self.clock()
            row.sealed_item_id = item_id
            await self._audit_in(s, row, "text.sealed", actor=actor, via=via, item=item_id)
        return True

    async def audit(
        self, case_id: str, text_id: str, action: str, *, actor: str, via: str,
        signer: str | None = None, user_agent: str = "",
    ) -> None:  # fmt: skip
        """Another step of a text in the audit log (``text.downloaded``)."""
        async with self._db.transaction() as s:
            row = await s.get(AgreementTextRow, text_id)
            if row is None or row.case_id != case_id:
                raise NotFound("no such text to sign in this case")
            await self._audit_in(s, row, action, actor=actor, via=via, signer=signer,
                                 user_agent=user_agent)  # fmt: skip


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))
