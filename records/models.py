"""SQLAlchemy models of the foundation: accounts, cases, sessions, invite links.

Rows never leave the records package: repositories return dataclasses.
Identifiers are random hex strings so that nothing is enumerable from a URL.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base


def new_id() -> str:
    return secrets.token_hex(12)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC on every backend and always returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


class MediatorRow(Base):
    __tablename__ = "mediators"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # An organisation administrator: publishes the legal texts, changes organisation settings.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthSessionRow(Base):
    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    mediator_id: Mapped[str] = mapped_column(
        ForeignKey("mediators.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    public_title: Mapped[str] = mapped_column(String(200))
    mediation_type: Mapped[str] = mapped_column(String(32))
    # legacy plaintext column: always "" since 0002, the description is an encrypted item
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[str] = mapped_column(ForeignKey("mediators.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # "required": a browser that cannot encrypt frames end to end may not take part; "allowed"
    media_encryption: Mapped[str] = mapped_column(
        String(16), default="required", server_default="required"
    )
    # hours before each session that invited participants get a reminder (0: none), 0012
    reminder_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")


class CaseMediatorRow(Base):
    __tablename__ = "case_mediators"

    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    mediator_id: Mapped[str] = mapped_column(
        ForeignKey("mediators.id"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))  # "lead" or "co"


class ParticipantRow(Base):
    __tablename__ = "participants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(120))
    # legacy clear address: NULL once the start has sealed it into ``email_sealed`` (0018)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    role: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # the address, AES-GCM under the participant's own data key (records.stores.addresses)
    email_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    contact_key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class SessionRow(Base):
    __tablename__ = "mediation_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the .ics SEQUENCE: one more at each move or cancellation (0013)
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # who took part (JSON list of keys) while what follows its end is still to do (0020)
    follow_up_due: Mapped[str | None] = mapped_column(Text, nullable=True)


class InviteLinkRow(Base):
    __tablename__ = "invite_links"

    jti: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("mediation_sessions.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# ------------------------------------------------------------- records (0002)


class CaseItemRow(Base):
    """A confidential item of a case file; its versions hold the ciphertexts."""

    __tablename__ = "case_items"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    provided_by: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    session_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseItemVersionRow(Base):
    __tablename__ = "case_item_versions"

    item_id: Mapped[str] = mapped_column(
        ForeignKey("case_items.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LogHeadRow(Base):
    """The head of one HMAC chain (locked when appending) and its purge checkpoint."""

    __tablename__ = "log_heads"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    mac: Mapped[str] = mapped_column(String(64))
    first_seq: Mapped[int] = mapped_column(BigInteger)
    first_prev: Mapped[str] = mapped_column(String(64))


class ConsentLogRow(Base):
    __tablename__ = "consent_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40), index=True)
    session_id: Mapped[str] = mapped_column(String(32), index=True)
    participant_id: Mapped[str] = mapped_column(String(32), index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))
    text_version: Mapped[int] = mapped_column(Integer)
    text_sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    mechanism: Mapped[str] = mapped_column(Text)  # how, without personal data (format 2)
    # legacy: the typed name in clear (format 1); always NULL once sealed (0007)
    typed_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    mac: Mapped[str] = mapped_column(String(64))
    prev_mac: Mapped[str] = mapped_column(String(64))
    # 0007: typed name and personal mechanism fields, AES-GCM under the participant's key;
    # the chain MACs personal_sha256, so erasure may drop the ciphertext and the key
    entry_format: Mapped[int] = mapped_column(Integer, default=2, server_default="1")
    personal: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    personal_key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    personal_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditLogRow(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    session_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(80), nullable=True)
    detail: Mapped[str] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(120))
    mac: Mapped[str] = mapped_column(String(64))
    prev_mac: Mapped[str] = mapped_column(String(64))


class NoticeTextRow(Base):
    __tablename__ = "notice_texts"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    published_by: Mapped[str] = mapped_column(String(120))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ------------------------------------------------------- case outcome (0003)


class CaseOutcomeRow(Base):
    """How a case was closed: the structured part of its summary (no names, no free text).

    The free-text summary is an encrypted case-file item (``summary_item_id``);
    ``review`` holds the mediator's edits of its anonymised version as offsets
    and replacement ids only (JSON), never text.
    """

    __tablename__ = "case_outcomes"

    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    outcome: Mapped[str] = mapped_column(String(32))
    referral: Mapped[str] = mapped_column(String(32))
    party_kinds: Mapped[str] = mapped_column(String(120))
    departement: Mapped[str] = mapped_column(String(3))
    region: Mapped[str] = mapped_column(String(64))
    session_minutes: Mapped[str] = mapped_column(Text)
    court_reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str] = mapped_column(String(2))
    summary_item_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    review: Mapped[str] = mapped_column(Text, default="[]")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str] = mapped_column(String(32))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ------------------------------------------------------------ board journal (0004)


class BoardOpRow(Base):
    """One whiteboard operation of a live session's room, encrypted under the case key."""

    __tablename__ = "board_ops"

    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ------------------------------------------------------------ shared documents (0005)


class SharedDocumentRow(Base):
    """How a case-file document is shared in a live session, encrypted like the document.

    Deleting the document (withdrawal by erasure, retention) deletes this row.
    """

    __tablename__ = "shared_documents"

    doc_id: Mapped[str] = mapped_column(
        ForeignKey("case_items.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(String(32), index=True)
    key_id: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ------------------------------------------------------------ live sessions' state (0008)


class LiveStateRow(Base):
    """What a live session needs to carry on after its node dies, encrypted under the case
    key (see :mod:`records.stores.live`). Goes with the session and the case."""

    __tablename__ = "live_states"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("mediation_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    epoch: Mapped[int] = mapped_column(Integer)  # who may write: the latest node to claim it
    revision: Mapped[int] = mapped_column(Integer)  # one more at every write
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ------------------------------------------------------------ mail outbox (0010)


class MailRow(Base):
    """One e-mail of a case, stored before it is sent (see :mod:`records.stores.outbox`).

    In clear only what says where it stands: kind, language, state, attempts, times, the
    server's last reply (its code and text, the recipient's address masked). Recipient,
    subject, bodies and attachments (a personal link among them) are AES-GCM under the
    recipient participant's data key: erasing that person or the case makes them unreadable.
    """

    __tablename__ = "mail_outbox"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # 0015: a message answers either a case's participant or a public request (request_id)
    case_id: Mapped[str | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=True
    )
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("mediation_sessions.id", ondelete="CASCADE"), nullable=True
    )
    participant_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    request_id: Mapped[str | None] = mapped_column(
        ForeignKey("public_requests.id", ondelete="CASCADE"), index=True, nullable=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    message_id: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))  # waiting, sending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_reply: Mapped[str | None] = mapped_column(String(500), nullable=True)
    key_id: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # what makes a message one of a kind (a reminder: session, person, start time): a
    # unique index, so two nodes or a restart never queue it twice; None: no such rule (0013)
    dedup_key: Mapped[str | None] = mapped_column(
        String(160), nullable=True, unique=True, index=True
    )


# ------------------------------------------------------ satisfaction survey (0011)


class SurveyIssuedRow(Base):
    """That a personal link got its one survey ballot (never which ballot)."""

    __tablename__ = "survey_issued"

    link_id: Mapped[str] = mapped_column(
        ForeignKey("invite_links.jti", ondelete="CASCADE"), primary_key=True
    )


class SurveyBallotRow(Base):
    """An unused ballot: the SHA-256 of its random token and its bucket, nothing else.
    No rowid on SQLite: rows are kept in hash order, not in the order they were issued."""

    __tablename__ = "survey_ballots"
    __table_args__ = ({"sqlite_with_rowid": False},)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    mediation_type: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM


class SurveyAnswerRow(Base):
    """One answer: the answers and the bucket under a random id. No rowid on SQLite, no
    time finer than the month, no participant, case, session or link."""

    __tablename__ = "survey_answers"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    mediation_type: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    heard: Mapped[int] = mapped_column(Integer)
    understood: Mapped[int] = mapped_column(Integer)
    tool_worked: Mapped[int] = mapped_column(Integer)
    recommend: Mapped[str] = mapped_column(String(8))  # yes, partly, no
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)


# ---------------------------------------------------------- agenda feeds (0012)


class AgendaFeedRow(Base):
    """A mediator's private calendar subscription: the SHA-256 of its random token, never
    the token. One per mediator: a new one replaces it, revoking deletes it."""

    __tablename__ = "agenda_feeds"

    mediator_id: Mapped[str] = mapped_column(
        ForeignKey("mediators.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# ------------------------------------------------------------ text templates (0014)


class TextTemplateRow(Base):
    """One saved version of an organisation's template (:mod:`records.agreements.templates`).

    Every save is a new version, kept: who saved it, when. ``body`` NULL: that version
    went back to the built-in text.
    """

    __tablename__ = "text_templates"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    edited_by: Mapped[str] = mapped_column(String(80))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ------------------------------------------------------ public requests (0015)


class PublicRequestRow(Base):
    """A request for a mediation sent from the public form (see :mod:`records.stores.requests`).

    In clear only what the queue sorts by: when, its state, the kind of dispute and the
    requester's language. Who asks, how to reach them, the other party and the description
    are AES-GCM under a data key of the request's own: destroying that key (taken: the
    content moved into the case; declined or unanswered: at the end of its retention)
    leaves this row pseudonymous, its ciphertext dropped.
    """

    __tablename__ = "public_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)  # new, taken, declined, expired
    kind: Mapped[str] = mapped_column(String(32))  # a mediation type
    language: Mapped[str] = mapped_column(String(8))
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    case_id: Mapped[str | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), nullable=True
    )
    shredded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# ------------------------------------------------------------ shared texts (0016)


class TextUpdateRow(Base):
    """One update of a live session's room's shared text (a Yjs update and its author),
    encrypted under the case key, like a board operation."""

    __tablename__ = "text_updates"

    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TextCommentRow(Base):
    """One change of the comments on a room's shared text (a comment, a reply, a
    resolution), numbered per room and encrypted under the case key like a text update."""

    __tablename__ = "text_comments"

    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TextSnapshotRow(Base):
    """A room's shared text as it stood after update ``seq`` (the document's state and its
    version history), encrypted under the case key: opening reads it and the later updates."""

    __tablename__ = "text_snapshots"

    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ------------------------------------------------- texts to sign, signatures (0017)


class AgreementTextRow(Base):
    """A text frozen for signing (:mod:`records.agreements.signing`): its written form under
    the case key; in clear only its kind, language, SHA-256, who froze it and its state."""

    __tablename__ = "agreement_texts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16))  # open, signed, withdrawn
    frozen_by: Mapped[str] = mapped_column(String(80))
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sealed_item_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class AgreementSignerRow(Base):
    """One signer of a frozen text: who (a participant or a mediator, by id), their
    one-time code (its HMAC, never the code), its tries and lock, and once they signed,
    how (in clear: time, method, masked address, browser, the hash signed; their typed
    name and signature encrypted under the case key)."""

    __tablename__ = "agreement_signers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    text_id: Mapped[str] = mapped_column(
        ForeignKey("agreement_texts.id", ondelete="CASCADE"), index=True
    )
    person_kind: Mapped[str] = mapped_column(String(16))  # participant, mediator
    person_id: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    code_salt: Mapped[str | None] = mapped_column(String(32), nullable=True)
    code_channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    code_to: Mapped[str | None] = mapped_column(String(120), nullable=True)  # masked
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    wrong_tries: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_in_window: Mapped[int] = mapped_column(Integer, default=0)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    signed_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    method: Mapped[str | None] = mapped_column(String(32), nullable=True)
    identified_to: Mapped[str | None] = mapped_column(String(120), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
