"""The audit log: who read or wrote what, when, and through which path.

Append-only and tamper-evident (an HMAC chain, see ``records.logs.table``).
Entries carry identifiers, actions and small details, never contents or
personal data: ``actor`` is ``"mediator:<id>"``, ``"participant:<id>"``,
``"system"`` or ``"cli"``; ``via`` is the API route or ``"session:<id>"``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from records.crypto.keys import KeyProvider
from records.db import Database
from records.errors import Invalid
from records.logs.chain import VerifyReport, utc_iso
from records.logs.table import LogChain, PurgeResult
from records.models import AuditLogRow

Detail = dict[str, str | int | bool | None]
Clock = Callable[[], datetime]
_TABLE: Table = AuditLogRow.__table__  # type: ignore[assignment]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    case_id: str | None
    session_id: str | None
    subject: str | None
    detail: Detail
    via: str
    mac: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One entry to append (see ``AuditLog.append_many_in``)."""

    actor: str
    action: str
    case_id: str | None
    session_id: str | None
    subject: str | None
    detail: Detail
    via: str


def _fields(r: Row[Any] | AuditLogRow) -> dict[str, Any]:
    return {
        "seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action, "case_id": r.case_id,
        "session_id": r.session_id, "subject": r.subject, "detail": json.loads(r.detail),
        "via": r.via,
    }  # fmt: skip


def _entry(r: AuditLogRow) -> AuditEntry:
    return AuditEntry(
        r.seq, datetime.fromisoformat(r.at), r.actor, r.action, r.case_id, r.session_id,
        r.subject, json.loads(r.detail), r.via, r.mac,
    )  # fmt: skip


def _check(name: str, value: str | None, limit: int, required: bool = False) -> None:
    if value is None:
        if required:
            raise Invalid(f"audit {name} is required")
        return
    if not isinstance(value, str) or len(value) > limit or (required and not value):
        raise Invalid(f"audit {name} must be a string of at most {limit} characters")


class AuditLog:
    def __init__(self, db: Database, keys: KeyProvider, *, clock: Clock = _now) -> None:
        self._db = db
        self._clock = clock
        self.chain = LogChain("audit", _TABLE, _fields, keys.log_hmac_key)

    async def append(
        self,
        *,
        actor: str,
        action: str,
        case_id: str | None,
        session_id: str | None,
        subject: str | None,
        detail: Detail,
        via: str,
    ) -> AuditEntry:
        async with self._db.transaction() as s:
            return await self.append_in(
                s, actor=actor, action=action, case_id=case_id, session_id=session_id,
                subject=subject, detail=detail, via=via,
            )  # fmt: skip

    async def append_in(
        self,
        s: AsyncSession,
        *,
        actor: str,
        action: str,
        case_id: str | None = None,
        session_id: str | None = None,
        subject: str | None = None,
        detail: Detail | None = None,
        via: str,
    ) -> AuditEntry:
        """Append inside the caller's transaction (commits or rolls back with it)."""
        return (
            await self.append_many_in(
                s, [AuditRecord(actor, action, case_id, session_id, subject, detail or {}, via)]
            )
        )[0]

    async def append_many_in(self, s: AsyncSession, records: list[AuditRecord]) -> list[AuditEntry]:
        """Several entries under one lock of the chain head, in the caller's transaction."""
        prepared: list[tuple[dict[str, Any], dict[str, Any]]] = []
        kept: list[tuple[str, Detail]] = []
        for r in records:
            _check("actor", r.actor, 80, True)
            _check("action", r.action, 64, True)
            _check("case_id", r.case_id, 32)
            _check("session_id", r.session_id, 32)
            _check("subject", r.subject, 80)
            _check("via", r.via, 120, True)
            detail = dict(r.detail)
            for k, v in detail.items():
                if not isinstance(k, str) or not (v is None or isinstance(v, str | int | bool)):
                    raise Invalid("audit detail values must be str, int, bool or None")
                if isinstance(v, str) and len(v) > 200:
                    raise Invalid("audit detail strings are at most 200 characters")
            row = {
                "at": utc_iso(self._clock()), "actor": r.actor, "action": r.action,
                "case_id": r.case_id, "session_id": r.session_id, "subject": r.subject,
                "detail": json.dumps(detail, sort_keys=True, ensure_ascii=False), "via": r.via,
            }  # fmt: skip
            prepared.append(({**row, "detail": detail}, row))
            kept.append((str(row["at"]), detail))
        done = await self.chain.append_many(s, prepared)
        return [
            AuditEntry(
                d.seq,
                datetime.fromisoformat(at),
                r.actor,
                r.action,
                r.case_id,
                r.session_id,
                r.subject,
                detail,
                r.via,
                d.mac,
            )
            for d, r, (at, detail) in zip(done, records, kept, strict=True)
        ]

    async def for_case(
        self, case_id: str, limit: int = 100, before_seq: int | None = None
    ) -> list[AuditEntry]:
        """Newest first."""
        async with self._db.transaction() as s:
            q = select(AuditLogRow).where(AuditLogRow.case_id == case_id)
            if before_seq is not None:
                q = q.where(AuditLogRow.seq < before_seq)
            rows = await s.scalars(
                q.order_by(AuditLogRow.seq.desc()).limit(max(1, min(limit, 500)))
            )
            return [_entry(r) for r in rows]

    async def for_subject(self, subject: str) -> list[AuditEntry]:
        async with self._db.transaction() as s:
            rows = await s.scalars(
                select(AuditLogRow).where(AuditLogRow.subject == subject).order_by(AuditLogRow.seq)
            )
            return [_entry(r) for r in rows]

    async def verify(self) -> VerifyReport:
        return await self.chain.verify(self._db)

    async def purge_before(self, s: AsyncSession, cutoff: datetime) -> PurgeResult:
        return await self.chain.purge_before(s, utc_iso(cutoff))
