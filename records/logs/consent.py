"""The consent log: every decision of every participant, provable (GDPR art. 7(1)).

Each entry says who (participant, session), for what purpose, which decision
(``given``, ``withdrawn`` or ``declined``), on which exact text (notice
version and SHA-256, language), how (``mechanism``: button, checkbox, typed
name...) and when (UTC, set here). A withdrawal is a new entry, never an
update. Tamper-evident through an HMAC chain (``records.logs.table``).

What in an entry is personal — the typed name and every mechanism field but
the form's own tokens (``CLEAR_MECHANISM``: so the browser string and the
observers' names) — is sealed (AES-256-GCM) under the participant's own data
key in their case, the key that erasure destroys (``records.crypto.keystore``). The
chain MACs the SHA-256 of that ciphertext, not the plaintext: erasure drops the
key and the ciphertext and leaves a pseudonymous entry (participant id,
session, purpose, decision, text version and hash, language, form, time) that
still verifies and still proves the decision. Entries written before this
(format 1, name in clear, MACed in clear) are sealed and the chain MACed again
at the next start (``seal_legacy``), once the chain has verified.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from hashlib import sha256
from types import SimpleNamespace
from typing import Any, Literal, get_args

from sqlalchemy import Table, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from records.crypto.envelope import AssociatedData, decrypt, encrypt, new_data_key
from records.crypto.keys import KeyProvider
from records.crypto.keystore import KeyStore, checkpoint, participant_scope
from records.db import Database
from records.errors import Invalid, NotFound, RecordsError, Shredded
from records.logs.audit import AuditLog
from records.logs.chain import VerifyReport, canonical, utc_iso
from records.logs.table import LogChain, PurgeResult, Rechained
from records.models import ConsentLogRow, ParticipantRow

logger = logging.getLogger(__name__)

Decision = Literal["given", "withdrawn", "declined"]
DECISIONS: tuple[str, ...] = get_args(Decision)
Clock = Callable[[], datetime]
_TABLE: Table = ConsentLogRow.__table__  # type: ignore[assignment]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# mechanism fields that name the form itself (tokens chosen by the server), kept in clear;
# any other field (the browser string, the observers' names...) is personal and sealed
CLEAR_MECHANISM = frozenset({"form", "kind", "label_key"})
LEGACY_FORMAT = 1
FORMAT = 2
_SEAL_KIND = "consent_personal"


def _now() -> datetime:
    return datetime.now(UTC)


class Personal(StrEnum):
    """What a read shows of an entry's personal fields."""

    NONE = "none"  # the entry holds none (no typed name, nothing personal in the mechanism)
    READ = "read"  # decrypted (or, format 1 not yet sealed, stored in clear): shown
    SEALED = "sealed"  # present, not decrypted by this read
    ERASED = "erased"  # the participant's key and the ciphertext were destroyed


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
    mechanism: dict[str, str]  # the personal fields only when ``personal`` is READ
    typed_name: str | None  # only when ``personal`` is READ
    mac: str
    personal: Personal = Personal.NONE


@dataclass(frozen=True, slots=True)
class Erased:
    """What ``erase_personal`` did for one participant."""

    sealed: int  # entries whose sealed personal fields were dropped
    clear: int  # format-1 entries still holding them in clear (the chain did not verify)


def _fields(r: Any) -> dict[str, Any]:
    """The MACed fields of a stored entry (a Row, or anything with its attributes)."""
    out = {
        "seq": r.seq, "at": r.at, "session_id": r.session_id,
        "participant_id": r.participant_id, "purpose": r.purpose, "decision": r.decision,
        "text_version": r.text_version, "text_sha256": r.text_sha256, "language": r.language,
        "mechanism": json.loads(r.mechanism),
    }  # fmt: skip
    if r.entry_format == LEGACY_FORMAT:
        out["typed_name"] = r.typed_name
        return out
    out["format"] = r.entry_format
    out["personal_sha256"] = r.personal_sha256
    return out


def _split(mechanism: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    clear = {k: v for k, v in mechanism.items() if k in CLEAR_MECHANISM}
    for k, v in clear.items():
        if not _TOKEN.match(v):
            raise Invalid(f"consent mechanism {k!r} must be a short token")
    return clear, {k: v for k, v in mechanism.items() if k not in CLEAR_MECHANISM}


def _personal(typed_name: str | None, private: dict[str, str]) -> bytes | None:
    if typed_name is None and not private:
        return None
    return canonical({"typed_name": typed_name, "mechanism": private})


def _sha(blob: bytes) -> str:
    return sha256(blob).hexdigest()


class ConsentLog:
    def __init__(
        self,
        db: Database,
        keys: KeyProvider,
        keystore: KeyStore,
        *,
        organisation_id: str = "palabre",
        clock: Clock = _now,
    ) -> None:
        self._db = db
        self._keys = keys
        self._keystore = keystore
        self._org = organisation_id
        self._clock = clock
        self.chain = LogChain("consent", _TABLE, _fields, keys.log_hmac_key)

    def _ad(self, case_id: str, r: Any) -> AssociatedData:
        """Binds a sealed part to its entry: another entry's ciphertext does not open here."""
        where = f"consent/{r.participant_id}/{r.session_id}/{r.purpose}/{r.decision}/{r.at}"
        return AssociatedData(self._org, case_id, where, _SEAL_KIND, FORMAT)

    async def _case_of(self, s: AsyncSession, participant_id: str) -> ParticipantRow | None:
        return await s.get(ParticipantRow, participant_id)

    async def _seal(
        self, case_id: str, participant_id: str, plain: bytes, r: Any
    ) -> dict[str, Any]:
        key_id, key = await self._keystore.get_or_create(
            self._keys, case_id, participant_scope(participant_id)
        )
        blob = encrypt(key, plain, self._ad(case_id, r))
        return {"personal": blob, "personal_key_id": key_id, "personal_sha256": _sha(blob)}

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
        clear, private = _split(mechanism)
        plain = _personal(typed_name, private)
        at = utc_iso(self._clock())
        row: dict[str, Any] = {
            "at": at, "session_id": session_id, "participant_id": participant_id,
            "purpose": purpose, "decision": decision, "text_version": text_version,
            "text_sha256": text_sha256, "language": language,
            "mechanism": json.dumps(clear, sort_keys=True, ensure_ascii=False),
            "typed_name": None, "entry_format": FORMAT, "personal": None,
            "personal_key_id": None, "personal_sha256": None,
        }  # fmt: skip
        if plain is not None:
            async with self._db.transaction() as s:
                who = await self._case_of(s, participant_id)
            if who is None:
                raise NotFound("no such participant")
            row.update(await self._seal(who.case_id, participant_id, plain, SimpleNamespace(**row)))
        fields = _fields(SimpleNamespace(**row, seq=0))
        del fields["seq"]
        async with self._db.transaction() as s:
            done = await self.chain.append(s, fields, row)
        return ConsentEntry(
            done.seq, datetime.fromisoformat(at), session_id, participant_id, purpose, decision,
            text_version, text_sha256, language, dict(mechanism), typed_name, done.mac,
            Personal.NONE if plain is None else Personal.READ,
        )  # fmt: skip

    # ------------------------------------------------------------------ reading

    async def current(
        self, session_id: str, participant_id: str, *, decrypt: bool = False
    ) -> dict[str, ConsentEntry]:
        """The latest entry per purpose of one participant in one session."""
        async with self._db.transaction() as s:
            rows = list(
                await s.scalars(
                    select(ConsentLogRow)
                    .where(
                        ConsentLogRow.session_id == session_id,
                        ConsentLogRow.participant_id == participant_id,
                    )
                    .order_by(ConsentLogRow.seq)
                )
            )
        return {e.purpose: e for e in await self._entries(rows, decrypt)}

    async def history(self, participant_id: str, *, decrypt: bool = False) -> list[ConsentEntry]:
        """Every entry of a participant, oldest first; ``decrypt`` opens the personal fields."""
        async with self._db.transaction() as s:
            rows = list(
                await s.scalars(
                    select(ConsentLogRow)
                    .where(ConsentLogRow.participant_id == participant_id)
                    .order_by(ConsentLogRow.seq)
                )
            )
        return await self._entries(rows, decrypt)

    async def _entries(self, rows: Iterable[ConsentLogRow], decrypt: bool) -> list[ConsentEntry]:
        cases: dict[str, str | None] = {}
        keys: dict[str, bytes | None] = {}
        out = []
        for r in rows:
            mechanism: dict[str, str] = json.loads(r.mechanism)
            typed_name: str | None = None
            if r.entry_format == LEGACY_FORMAT:
                typed_name = r.typed_name
                private = {k for k in mechanism if k not in CLEAR_MECHANISM}
                state = Personal.READ if typed_name is not None or private else Personal.NONE
            elif r.personal_sha256 is None:
                state = Personal.NONE
            elif r.personal is None or r.personal_key_id is None:
                state = Personal.ERASED
            elif not decrypt:
                state = Personal.SEALED
            else:
                opened = await self._open(r, cases, keys)
                if opened is None:
                    state = Personal.ERASED
                else:
                    state = Personal.READ
                    typed_name = opened.get("typed_name")
                    mechanism = {**mechanism, **opened.get("mechanism", {})}
            decision: Decision = r.decision  # type: ignore[assignment]
            entry = ConsentEntry(
                r.seq, datetime.fromisoformat(r.at), r.session_id, r.participant_id, r.purpose,
                decision, r.text_version, r.text_sha256, r.language, mechanism, typed_name,
                r.mac, state,
            )  # fmt: skip
            out.append(entry)
        return out

    async def _open(
        self, r: ConsentLogRow, cases: dict[str, str | None], keys: dict[str, bytes | None]
    ) -> dict[str, Any] | None:
        """The sealed fields, or None once the participant's key is gone."""
        assert r.personal is not None and r.personal_key_id is not None
        if r.participant_id not in cases:
            async with self._db.transaction() as s:
                who = await self._case_of(s, r.participant_id)
            cases[r.participant_id] = None if who is None else who.case_id
        case_id = cases[r.participant_id]
        if case_id is None:
            return None  # the case was deleted, and its keys with it
        if r.personal_key_id not in keys:
            try:
                keys[r.personal_key_id] = await self._keystore.get_key(
                    self._keys, r.personal_key_id
                )
            except Shredded:
                keys[r.personal_key_id] = None
        key = keys[r.personal_key_id]
        if key is None:
            return None
        try:
            opened: dict[str, Any] = json.loads(decrypt(key, r.personal, self._ad(case_id, r)))
        except RecordsError:
            logger.warning("consent entry %d: its personal fields do not decrypt", r.seq)
            raise
        return opened

    # ---------------------------------------------------------------- erasure

    async def erase_personal(self, s: AsyncSession, participant_id: str) -> Erased:
        """Drop the sealed personal fields of a participant's entries (their key is destroyed
        by the caller); the chain still verifies, since it MACs their digest."""
        result = await s.execute(
            update(ConsentLogRow)
            .where(
                ConsentLogRow.participant_id == participant_id,
                ConsentLogRow.personal.is_not(None),
            )
            .values(personal=None, personal_key_id=None)
        )
        clear = await s.scalar(
            select(func.count())
            .select_from(ConsentLogRow)
            .where(
                ConsentLogRow.participant_id == participant_id,
                ConsentLogRow.entry_format == LEGACY_FORMAT,
            )
        )
        return Erased(int(getattr(result, "rowcount", 0) or 0), int(clear or 0))

    # ---------------------------------------------------------------- legacy

    async def seal_legacy(self, audit: AuditLog) -> Rechained | None:
        """Seal the personal fields of entries written before 0007 and MAC the chain again.

        Their MAC covers the typed name in clear, so sealing it changes what the
        chain signs: the whole chain is verified first (a broken chain is left as
        it is, and said so), then, under the head lock, every entry from the
        first legacy one to the head is rewritten and MACed again, and the old and
        new heads are returned for the audit log. A participant whose key was
        already destroyed (erased, case shredded) gets only the digest of a
        sealing under a key that is thrown away at once.
        """
        async with self._db.transaction() as s:
            first = await s.scalar(
                select(func.min(ConsentLogRow.seq)).where(
                    ConsentLogRow.entry_format == LEGACY_FORMAT
                )
            )
        if first is None:
            return None
        report = await self.verify()
        if not report.ok:
            logger.error(
                "consent log does not verify (%s at seq %s): its entries from before migration "
                "0007 keep the typed name and browser in clear until it is repaired",
                report.problem, report.seq,
            )  # fmt: skip
            return None
        known: dict[str, tuple[str, bool] | None] = {}

        async def who(s: AsyncSession, pid: str) -> tuple[str, bool] | None:
            """(case id, whether the person's key may still be used), or None if gone."""
            if pid not in known:
                p = await self._case_of(s, pid)
                if p is None:
                    known[pid] = None
                else:
                    has_key = bool(await self._keystore.key_ids(p.case_id, participant_scope(pid)))
                    known[pid] = (p.case_id, p.erased_at is None or has_key)
            return known[pid]

        async with self._db.transaction() as s:

            async def rewrite(r: Row[Any]) -> dict[str, Any] | None:
                if r.entry_format != LEGACY_FORMAT:
                    return None
                mechanism: dict[str, str] = json.loads(r.mechanism)
                clear = {k: v for k, v in mechanism.items() if k in CLEAR_MECHANISM}
                private = {k: v for k, v in mechanism.items() if k not in CLEAR_MECHANISM}
                values: dict[str, Any] = {
                    "entry_format": FORMAT, "typed_name": None, "personal": None,
                    "personal_key_id": None, "personal_sha256": None,
                    "mechanism": json.dumps(clear, sort_keys=True, ensure_ascii=False),
                }  # fmt: skip
                plain = _personal(r.typed_name, private)
                if plain is None:
                    return values
                found = await who(s, r.participant_id)
                if found is not None and found[1]:
                    values.update(await self._seal(found[0], r.participant_id, plain, r))
                else:  # erased already: keep only the digest of what cannot be opened
                    values["personal_sha256"] = _sha(
                        encrypt(new_data_key(), plain, self._ad(os.urandom(8).hex(), r))
                    )
                return values

            done = await self.chain.rewrite(s, first, rewrite)
            # via: the id this migration had when the first entries were written (now 0007)
            await audit.append_in(
                s, actor="system", action="consent.seal_legacy", via="migration:0014",
                detail={
                    "entries": done.changed, "remaced": done.remaced, "from_seq": done.from_seq,
                    "head_seq": done.new_head.seq, "old_head_mac": done.old_head.mac,
                    "new_head_mac": done.new_head.mac,
                },
            )  # fmt: skip
        await checkpoint(self._db)
        logger.info("consent log: %d entries from before 0007 sealed", done.changed)
        return done

    async def verify(self) -> VerifyReport:
        return await self.chain.verify(self._db)

    async def purge_before(self, s: AsyncSession, cutoff: datetime) -> PurgeResult:
        return await self.chain.purge_before(s, utc_iso(cutoff))
