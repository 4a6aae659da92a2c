"""The case file: confidential items stored encrypted, every access audited.

Kinds: ``description``, ``private_note``, ``document``, ``whiteboard_export``,
``chat``, ``agreement``, ``closing_summary``. Each item has versions; each version is AES-256-GCM
under a data key of its case (``records.crypto.keystore``), with associated data
binding organisation, case, item, kind and version, so a ciphertext moved
anywhere else fails to decrypt. What a participant provided is under that
participant's own key in the case, so erasing one person is also a key
destruction. A shared document has a key of its own (``OWN_KEY_KINDS``):
deleting it (withdrawn, retention, erasure of its provider) destroys its key,
so its ciphertext left in dead rows, a WAL or a backup is unreadable. Reads use
the key id each stored version names, so documents stored under their
provider's key before keep working.

Every read and write appends to the audit log *in the same transaction* (a
write that fails leaves no audit entry and no item; a read is logged only if
it happened; a failed decryption is logged on its own). Permission checks
(only the case's mediators) are the caller's: this layer knows actors, not
accounts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from records.crypto.envelope import AssociatedData, decrypt, encrypt
from records.crypto.keys import KeyProvider
from records.crypto.keystore import (
    CASE_SCOPE,
    ITEM_SCOPE_PREFIX,
    KeyStore,
    checkpoint,
    item_scope,
    participant_scope,
)
from records.db import Database
from records.errors import CryptoError, Invalid, NotFound
from records.logs.audit import AuditLog, AuditRecord
from records.models import CaseItemRow, CaseItemVersionRow, CaseRow, new_id, utcnow
from records.stores.erasure import CaseFileErasure
from records.stores.items import MEDIATOR_KINDS as MEDIATOR_KINDS  # the case file's kinds
from records.stores.items import OWN_KEY_KINDS
from records.stores.items import ItemKind as ItemKind

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
MAX_ITEM_BYTES = 256 * 1024 * 1024
ENCRYPT_IN_THREAD_BYTES = 256 * 1024  # larger items are (de)crypted in a worker thread


@dataclass(frozen=True, slots=True)
class ItemInfo:
    id: str
    case_id: str
    kind: ItemKind
    version: int
    provided_by: str | None
    session_id: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    size: int


@dataclass(frozen=True, slots=True)
class Item:
    info: ItemInfo
    content: bytes

    def __repr__(self) -> str:
        return f"Item({self.info!r}, content=<{len(self.content)} bytes>)"

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


def _info(item: CaseItemRow, ver: CaseItemVersionRow) -> ItemInfo:
    return ItemInfo(
        item.id, item.case_id, ItemKind(item.kind), ver.version, item.provided_by,
        item.session_id, ver.created_by, item.created_at, ver.created_at, ver.size,
    )  # fmt: skip


class CaseFile(CaseFileErasure):
    def __init__(
        self,
        db: Database,
        keystore: KeyStore,
        keys: KeyProvider,
        audit: AuditLog,
        *,
        organisation_id: str = "palabre",
        clock: Clock = utcnow,
    ) -> None:
        self._db = db
        self._keystore = keystore
        self._keys = keys
        self._audit = audit
        self._org = organisation_id
        self._clock = clock

    @property
    def keystore(self) -> KeyStore:
        return self._keystore

    @property
    def audit(self) -> AuditLog:
        return self._audit

    def _ad(self, case_id: str, item_id: str, kind: str, version: int) -> AssociatedData:
        return AssociatedData(self._org, case_id, item_id, kind, version)

    @staticmethod
    def key_scope(kind: ItemKind, provided_by: str | None, item_id: str) -> str:
        """Which key new versions of an item are under: its own for a shared document, a
        party's own for anything else they provided, else the case's."""
        if kind in OWN_KEY_KINDS:
            return item_scope(item_id)
        if kind in MEDIATOR_KINDS or provided_by is None:
            return CASE_SCOPE
        return participant_scope(provided_by)

    # ------------------------------------------------------------------ writing

    async def put_item(
        self,
        case_id: str,
        kind: ItemKind,
        content: bytes,
        *,
        actor: str,
        via: str,
        session_id: str | None = None,
        provided_by: str | None = None,
        item_id: str | None = None,
    ) -> ItemInfo:
        """Store a new item, or a new version of ``item_id``; one transaction."""
        kind = ItemKind(kind)
        if len(content) > MAX_ITEM_BYTES:
            raise Invalid(f"an item is at most {MAX_ITEM_BYTES} bytes")
        made: list[str] = []
        try:
            async with self._db.transaction() as s:
                return await self.put_item_in(
                    s, case_id, kind, content, actor=actor, via=via, session_id=session_id,
                    provided_by=provided_by, item_id=item_id, own_keys=made,
                )  # fmt: skip
        except BaseException:
            await self._drop_own_keys(case_id, made)
            raise

    async def put_item_in(
        self,
        s: AsyncSession,
        case_id: str,
        kind: ItemKind,
        content: bytes,
        *,
        actor: str,
        via: str,
        session_id: str | None = None,
        provided_by: str | None = None,
        item_id: str | None = None,
        key_cache: dict[str, tuple[str, bytes]] | None = None,
        pending_audit: list[AuditRecord] | None = None,
        own_keys: list[str] | None = None,
    ) -> ItemInfo:
        """``put_item`` inside the caller's transaction.

        With ``pending_audit`` the audit record is collected there for the caller
        to append in the same transaction (``put_items``) instead of at once. The
        scope of a key made for a new item alone is added to ``own_keys``: if the
        caller's transaction fails, it destroys them (else the purge does, later).
        """
        if await s.get(CaseRow, case_id) is None:
            raise NotFound("no such case")
        now = self._clock()
        if item_id is None:
            item = CaseItemRow(
                id=new_id(), case_id=case_id, kind=kind.value, provided_by=provided_by,
                session_id=session_id, current_version=1, created_at=now, updated_at=now,
            )  # fmt: skip
            s.add(item)
        else:
            found = await s.get(CaseItemRow, item_id, with_for_update=True)
            if found is None or found.case_id != case_id or found.kind != kind.value:
                raise NotFound("no such item")
            item = found
            item.current_version += 1
            item.updated_at = now
        scope = self.key_scope(kind, item.provided_by, item.id)
        cached = key_cache.get(scope) if key_cache is not None else None
        if cached is None:
            if item_id is None and own_keys is not None and scope.startswith(ITEM_SCOPE_PREFIX):
                own_keys.append(scope)
            cached = await self._keystore.get_or_create(self._keys, case_id, scope)
            if key_cache is not None:
                key_cache[scope] = cached
        key_id, data_key = cached
        ad = self._ad(case_id, item.id, kind.value, item.current_version)
        if len(content) > ENCRYPT_IN_THREAD_BYTES:  # a large file: not in the event loop
            ciphertext = await asyncio.to_thread(encrypt, data_key, content, ad)
        else:
            ciphertext = encrypt(data_key, content, ad)
        ver = CaseItemVersionRow(
            item_id=item.id, version=item.current_version, key_id=key_id, size=len(content),
            ciphertext=ciphertext, created_by=actor, created_at=now,
        )  # fmt: skip
        await s.flush()
        s.add(ver)
        record = AuditRecord(
            actor, "item.write", case_id, session_id,
            item.provided_by and f"participant:{item.provided_by}",
            {"item": item.id, "kind": kind.value, "version": ver.version, "size": len(content)},
            via,
        )  # fmt: skip
        if pending_audit is not None:
            pending_audit.append(record)
            return _info(item, ver)
        await self._audit.append_many_in(s, [record])
        await s.flush()
        return _info(item, ver)

    async def put_items(
        self,
        case_id: str,
        items: list[tuple[ItemKind, bytes, str | None]],
        *,
        actor: str,
        via: str,
        session_id: str | None = None,
        summary: tuple[str, dict[str, Any]] | None = None,
    ) -> list[ItemInfo]:
        """Store many new items ``(kind, content, provided_by)`` in one transaction.

        For what a session leaves at its end (chat kept by choice, exports);
        every item still gets its own audit entry, and ``summary`` (an action and its
        detail) one more, in the same transaction, naming the items stored.
        """
        cache: dict[str, tuple[str, bytes]] = {}
        pending: list[AuditRecord] = []
        made: list[str] = []
        try:
            async with self._db.transaction() as s:
                infos = [
                    await self.put_item_in(
                        s,
                        case_id,
                        ItemKind(kind),
                        content,
                        actor=actor,
                        via=via,
                        session_id=session_id,
                        provided_by=provided_by,
                        key_cache=cache,
                        pending_audit=pending,
                        own_keys=made,
                    )
                    for kind, content, provided_by in items
                ]
                if summary is not None:
                    action, detail = summary
                    detail = {**detail, "items": ",".join(info.id for info in infos)}
                    pending.append(
                        AuditRecord(actor, action, case_id, session_id, None, detail, via)
                    )
                await s.flush()
                await self._audit.append_many_in(s, pending)
                return infos
        except BaseException:
            await self._drop_own_keys(case_id, made)
            raise

    async def _drop_own_keys(self, case_id: str, scopes: list[str]) -> None:
        """After a failed write: destroy the keys made for its new items (best effort)."""
        if not scopes:
            return
        try:
            await self._keystore.shred_scopes(case_id, scopes)
        except Exception as exc:  # the purge destroys them later
            logger.warning(
                "case %s: %d unused item key(s) not destroyed yet (%s)",
                case_id, len(scopes), type(exc).__name__,
            )  # fmt: skip

    async def delete_item(self, item_id: str, *, actor: str, via: str) -> None:
        """Delete every version (SQLite overwrites them: ``secure_delete``), then destroy
        the item's own key (a shared document's): what is left of its ciphertext
        anywhere (PostgreSQL dead rows and WAL, backups) can no longer be read. An item
        stored under a shared key (its provider's, before per-document keys) is deleted
        only; its key goes with its provider's erasure or the case's."""
        async with self._db.transaction() as s:
            item = await s.get(CaseItemRow, item_id)
            if item is None:
                raise NotFound("no such item")
            case_id, kind = item.case_id, item.kind
            await s.execute(delete(CaseItemVersionRow).where(CaseItemVersionRow.item_id == item_id))
            await s.delete(item)
            await self._audit.append_in(
                s, actor=actor, action="item.delete", case_id=case_id,
                detail={"item": item_id, "kind": kind}, via=via,
            )  # fmt: skip
        await checkpoint(self._db)
        await self._shred_item_keys(case_id, [item_id])

    # ------------------------------------------------------------------ reading

    async def get_item(
        self,
        item_id: str,
        *,
        actor: str,
        via: str,
        session_id: str | None = None,
        version: int | None = None,
        case_id: str | None = None,
    ) -> Item:
        """Decrypt one item (its latest version by default); the read is audited."""
        async with self._db.transaction() as s:
            item = await s.get(CaseItemRow, item_id)
            if item is None or (case_id is not None and item.case_id != case_id):
                raise NotFound("no such item")
            ver = await s.get(CaseItemVersionRow, (item_id, version or item.current_version))
            if ver is None:
                raise NotFound("no such version")
            content = await self._open(item, ver, actor=actor, via=via)
            await self._audit_read(s, [(item, ver)], actor, via, session_id)
            return Item(_info(item, ver), content)

    async def read_items(
        self,
        case_id: str,
        *,
        kinds: set[ItemKind] | None = None,
        provided_by: str | None = None,
        actor: str,
        via: str,
        session_id: str | None = None,
    ) -> list[Item]:
        """Decrypt the latest version of every matching item of a case, oldest first."""
        async with self._db.transaction() as s:
            pairs = await self._latest(s, case_id, kinds, provided_by)
            out = []
            cache: dict[str, bytes] = {}
            for item, ver in pairs:
                content = await self._open(item, ver, actor=actor, via=via, cache=cache)
                out.append(Item(_info(item, ver), content))
            await self._audit_read(s, pairs, actor, via, session_id)
            return out

    async def list_items(
        self,
        case_id: str,
        *,
        kinds: set[ItemKind] | None = None,
        provided_by: str | None = None,
        session_id: str | None = None,
    ) -> list[ItemInfo]:
        """Metadata only (no content is decrypted, so nothing to audit)."""
        async with self._db.transaction() as s:
            found = await self._latest(s, case_id, kinds, provided_by)
        return [_info(i, v) for i, v in found if session_id is None or i.session_id == session_id]

    async def count_items(self, case_id: str, kind: ItemKind, *, session_id: str) -> int:
        """How many items of ``kind`` a session stored (what a cap counts)."""
        async with self._db.transaction() as s:
            q = select(func.count(CaseItemRow.id)).where(
                CaseItemRow.case_id == case_id,
                CaseItemRow.kind == ItemKind(kind).value,
                CaseItemRow.session_id == session_id,
            )
            return int(await s.scalar(q) or 0)

    async def _latest(
        self,
        s: AsyncSession,
        case_id: str,
        kinds: set[ItemKind] | None,
        provided_by: str | None,
    ) -> list[tuple[CaseItemRow, CaseItemVersionRow]]:
        q = (
            select(CaseItemRow, CaseItemVersionRow)
            .join(
                CaseItemVersionRow,
                (CaseItemVersionRow.item_id == CaseItemRow.id)
                & (CaseItemVersionRow.version == CaseItemRow.current_version),
            )
            .where(CaseItemRow.case_id == case_id)
            .order_by(CaseItemRow.created_at, CaseItemRow.id)
        )
        if kinds is not None:
            q = q.where(CaseItemRow.kind.in_([k.value for k in kinds]))
        if provided_by is not None:
            q = q.where(CaseItemRow.provided_by == provided_by)
        return [(r[0], r[1]) for r in await s.execute(q)]

    async def _open(
        self,
        item: CaseItemRow,
        ver: CaseItemVersionRow,
        *,
        actor: str,
        via: str,
        cache: dict[str, bytes] | None = None,
    ) -> bytes:
        try:
            data_key = cache.get(ver.key_id) if cache is not None else None
            if data_key is None:
                data_key = await self._keystore.get_key(self._keys, ver.key_id)
                if cache is not None:
                    cache[ver.key_id] = data_key
            ad = self._ad(item.case_id, item.id, item.kind, ver.version)
            if len(ver.ciphertext) > ENCRYPT_IN_THREAD_BYTES:
                return await asyncio.to_thread(decrypt, data_key, ver.ciphertext, ad)
            return decrypt(data_key, ver.ciphertext, ad)
        except CryptoError as exc:
            logger.warning("case %s item %s: %s", item.case_id, item.id, exc.code)
            await self._audit.append(
                actor=actor, action="item.read_failed", case_id=item.case_id, session_id=None,
                subject=None, detail={"item": item.id, "reason": exc.code.value}, via=via,
            )  # fmt: skip
            raise

    async def _audit_read(
        self,
        s: AsyncSession,
        pairs: list[tuple[CaseItemRow, CaseItemVersionRow]],
        actor: str,
        via: str,
        session_id: str | None,
    ) -> None:
        await self._audit.append_many_in(
            s,
            [
                AuditRecord(
                    actor,
                    "item.read",
                    item.case_id,
                    session_id,
                    item.provided_by and f"participant:{item.provided_by}",
                    {"item": item.id, "kind": item.kind, "version": ver.version},
                    via,
                )
                for item, ver in pairs
            ],
        )

    # ---------------------------------------------------------------- legacy

    async def encrypt_legacy_descriptions(self) -> int:
        """Move plaintext ``cases.description`` values (before 0002) into encrypted items."""
        async with self._db.transaction() as s:
            rows = list(await s.execute(select(CaseRow.id, CaseRow.description).where(
                func.length(CaseRow.description) > 0)))  # fmt: skip
        for case_id, text in rows:
            async with self._db.transaction() as s:
                existing = await s.scalar(
                    select(CaseItemRow.id).where(
                        CaseItemRow.case_id == case_id,
                        CaseItemRow.kind == ItemKind.DESCRIPTION.value,
                    )
                )
                await self.put_item_in(
                    s, case_id, ItemKind.DESCRIPTION, text.encode("utf-8"), actor="system",
                    via="migration:0002", item_id=existing,
                )  # fmt: skip
                await s.execute(update(CaseRow).where(CaseRow.id == case_id).values(description=""))
        if rows:
            await checkpoint(self._db)
            logger.info("encrypted %d plaintext case description(s)", len(rows))
        return len(rows)
