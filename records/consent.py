"""The consent log: every decision of every participant, provable (GDPR art. 7(1)).

Each entry says who (participant, session), for what purpose, which decision
(``given``, ``withdrawn`` or ``declined``), on which exact text (notice
version and SHA-256, language), how (``mechanism``: button, checkbox, typed
name...) and when (UTC, set here). A withdrawal is a new entry, never an
update. Tamper-evident through an HMAC chain (``records.logchain``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy import Table, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from records.chain import VerifyReport, utc_iso
from records.db import Database
from records.errors import Invalid
from records.keys import KeyProvider
from records.logchain import LogChain, PurgeResult
from records.models import ConsentLogRow

Decision = Literal["given", "withdrawn", "declined"]
DECISIONS: tuple[str, ...] = get_args(Decision)
Clock = Callable[[], datetime]
_TABLE: Table = ConsentLogRow.__table__  # type: ignore[assignment]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    seq: int
    at: datetime
    session_id: str
    participant_id: str
    purpose: str
    decision: Decision
    text_version: int
    text_sha256: str
    language: str
    mechanism: dict[str, str]
    typed_name: str | None
    mac: str


def _fields(r: Row[Any] | ConsentLogRow) -> dict[str, Any]:
    return {
        "seq": r.seq, "at": r.at, "session_id": r.session_id,
        "participant_id": r.participant_id, "purpose": r.purpose, "decision": r.decision,
        "text_version": r.text_version, "text_sha256": r.text_sha256, "language": r.language,
        "mechanism": json.loads(r.mechanism), "typed_name": r.typed_name,
    }  # fmt: skip


def _entry(r: ConsentLogRow) -> ConsentEntry:
    decision: Decision = r.decision  # type: ignore[assignment]
    return ConsentEntry(
        r.seq, datetime.fromisoformat(r.at), r.session_id, r.participant_id, r.purpose,
        decision, r.text_version, r.text_sha256, r.language, json.loads(r.mechanism),
        r.typed_name, r.mac,
    )  # fmt: skip


class ConsentLog:
    def __init__(self, db: Database, keys: KeyProvider, *, clock: Clock = _now) -> None:
        self._db = db
        self._clock = clock
        self.chain = LogChain("consent", _TABLE, _fields, keys.log_hmac_key)

    async def record(
        self,
        *,
        session_id: str,
        participant_id: str,
        purpose: str,
        decision: Decision,
        text_version: int,
        text_sha256: str,
        language: str,
        mechanism: dict[str, str],
        typed_name: str | None,
    ) -> ConsentEntry:
        for name, value in (("session_id", session_id), ("participant_id", participant_id)):
            if not isinstance(value, str) or not 1 <= len(value) <= 32:
                raise Invalid(f"consent {name} must be an id")
        if not isinstance(purpose, str) or not _TOKEN.match(purpose):
            raise Invalid("consent purpose must be a short token")
        if decision not in DECISIONS:
            raise Invalid(f"consent decision must be one of {', '.join(DECISIONS)}")
        if isinstance(text_version, bool) or not isinstance(text_version, int) or text_version < 1:
            raise Invalid("consent text_version must be a positive int")
        if not isinstance(text_sha256, str) or not _SHA256.match(text_sha256):
            raise Invalid("consent text_sha256 must be 64 lowercase hex digits")
        if not isinstance(language, str) or not _TOKEN.match(language) or len(language) > 16:
            raise Invalid("consent language must be a language tag")
        if (
            not isinstance(mechanism, dict)
            or len(mechanism) > 20
            or not all(
                isinstance(k, str) and isinstance(v, str) and len(k) <= 64 and len(v) <= 200
                for k, v in mechanism.items()
            )
        ):
            raise Invalid("consent mechanism must be a small dict of short strings")
        if typed_name is not None and (not isinstance(typed_name, str) or len(typed_name) > 200):
            raise Invalid("consent typed_name must be at most 200 characters")
        at = utc_iso(self._clock())
        row = {
            "at": at, "session_id": session_id, "participant_id": participant_id,
            "purpose": purpose, "decision": decision, "text_version": text_version,
            "text_sha256": text_sha256, "language": language,
            "mechanism": json.dumps(mechanism, sort_keys=True, ensure_ascii=False),
            "typed_name": typed_name,
        }  # fmt: skip
        async with self._db.transaction() as s:
            done = await self.chain.append(s, {**row, "mechanism": dict(mechanism)}, row)
        return ConsentEntry(
            done.seq, datetime.fromisoformat(at), session_id, participant_id, purpose, decision,
            text_version, text_sha256, language, dict(mechanism), typed_name, done.mac,
        )  # fmt: skip

    async def current(self, session_id: str, participant_id: str) -> dict[str, ConsentEntry]:
        """The latest entry per purpose of one participant in one session."""
        async with self._db.transaction() as s:
            rows = await s.scalars(
                select(ConsentLogRow)
                .where(
                    ConsentLogRow.session_id == session_id,
                    ConsentLogRow.participant_id == participant_id,
                )
                .order_by(ConsentLogRow.seq)
            )
            return {r.purpose: _entry(r) for r in rows}

    async def history(self, participant_id: str) -> list[ConsentEntry]:
        async with self._db.transaction() as s:
            rows = await s.scalars(
                select(ConsentLogRow)
                .where(ConsentLogRow.participant_id == participant_id)
                .order_by(ConsentLogRow.seq)
            )
            return [_entry(r) for r in rows]

    async def verify(self) -> VerifyReport:
        return await self.chain.verify(self._db)

    async def purge_before(self, s: AsyncSession, cutoff: datetime) -> PurgeResult:
        return await self.chain.purge_before(s, utc_iso(cutoff))
