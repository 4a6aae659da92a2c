"""Erasure and retention in the case file: keys destroyed, then ciphertexts dropped.

Destroying a key is what makes erasure hold in backups, dead rows and a WAL: a
case's keys (a whole case shredded), a participant's own key and their
documents' keys (one person erased), the own key of each item retention
deletes, and, at each purge, any per-item key whose item is gone. Each step is
audited in the transaction that drops the rows. Mixed into
:class:`records.stores.casefile.CaseFile`, whose store it works on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from records.crypto.keystore import (
    ITEM_SCOPE_PREFIX,
    KeyStore,
    checkpoint,
    item_scope,
    participant_scope,
)
from records.db import Database
from records.logs.audit import AuditLog
from records.models import CaseItemRow, CaseItemVersionRow, CaseRow, utcnow
from records.stores.items import MEDIATOR_KINDS, ItemKind

logger = logging.getLogger("records.stores.casefile")

# a per-item key with no item this long after it was made is left over (a failed write,
# a deletion whose key destruction failed): the purge destroys it
ORPHAN_KEY_GRACE = timedelta(hours=1)


class CaseFileErasure:
    """What the case file destroys; its store (database, keys, audit) is the case file's."""

    _db: Database
    _keystore: KeyStore
    _audit: AuditLog

    async def _shred_item_keys(self, case_id: str, item_ids: list[str]) -> int:
        """Destroy the own keys of items whose rows are gone. Rows first, keys second: a
        failure in between leaves a key with nothing to open, never an item that cannot
        be read; such a key is destroyed by the next purge (``shred_orphan_keys``)."""
        try:
            return await self._keystore.shred_scopes(case_id, [item_scope(i) for i in item_ids])
        except Exception as exc:
            logger.warning(
                "case %s: the keys of %d deleted item(s) not destroyed yet (%s)",
                case_id, len(item_ids), type(exc).__name__,
            )  # fmt: skip
            return 0

    async def shred_case(self, case_id: str, *, actor: str, via: str) -> int:
        """Destroy every data key of a case, then drop its ciphertexts; returns keys destroyed."""
        shredded = await self._keystore.shred(case_id)
        async with self._db.transaction() as s:
            count = await self._drop_items(s, case_id, None)
            await self._audit.append_in(
                s, actor=actor, action="case.shred", case_id=case_id,
                detail={"keys": shredded, "items": count}, via=via,
            )  # fmt: skip
        await checkpoint(self._db)
        return shredded

    async def shred_participant(
        self, case_id: str, participant_id: str, *, actor: str, via: str
    ) -> int:
        """Destroy the keys of what this participant provided (their own key and each of
        their documents' keys); returns items made unreadable."""
        async with self._db.transaction() as s:
            ids = list(await s.scalars(self._provided_by(case_id, participant_id)))
        scopes = [participant_scope(participant_id), *(item_scope(i) for i in ids)]
        await self._keystore.shred_scopes(case_id, scopes)
        async with self._db.transaction() as s:
            count = await self._drop_items(s, case_id, participant_id)
            await self._audit.append_in(
                s, actor=actor, action="participant.shred", case_id=case_id,
                subject=f"participant:{participant_id}", detail={"items": count}, via=via,
            )  # fmt: skip
        await checkpoint(self._db)
        return count

    @staticmethod
    def _provided_by(case_id: str, participant_id: str) -> Select[Any]:
        """The ids of what a participant provided (what the mediators write excepted)."""
        return select(CaseItemRow.id).where(
            CaseItemRow.case_id == case_id,
            CaseItemRow.provided_by == participant_id,
            CaseItemRow.kind.not_in([k.value for k in MEDIATOR_KINDS]),
        )

    async def _drop_items(self, s: AsyncSession, case_id: str, provided_by: str | None) -> int:
        q: Select[Any] = select(CaseItemRow.id).where(CaseItemRow.case_id == case_id)
        if provided_by is not None:
            q = self._provided_by(case_id, provided_by)
        ids = list(await s.scalars(q))
        if ids:
            await s.execute(delete(CaseItemVersionRow).where(CaseItemVersionRow.item_id.in_(ids)))
            await s.execute(delete(CaseItemRow).where(CaseItemRow.id.in_(ids)))
        return len(ids)

    async def drop_items_older_than(
        self, kinds: set[ItemKind], cutoff: datetime, *, exclude_held: bool = True
    ) -> int:
        """Retention: delete items of ``kinds`` last written before ``cutoff``."""
        async with self._db.transaction() as s:
            q = (
                select(CaseItemRow.id, CaseItemRow.case_id, CaseItemRow.kind)
                .join(CaseRow, CaseRow.id == CaseItemRow.case_id)
                .where(
                    CaseItemRow.kind.in_([k.value for k in kinds]),
                    CaseItemRow.updated_at < cutoff,
                )
            )
            if exclude_held:
                q = q.where(CaseRow.legal_hold.is_(False))
            rows = (await s.execute(q)).all()
            ids = [r.id for r in rows]
            by_case: dict[str, list[str]] = {}
            for r in rows:
                by_case.setdefault(r.case_id, []).append(r.id)
            if ids:
                await s.execute(
                    delete(CaseItemVersionRow).where(CaseItemVersionRow.item_id.in_(ids))
                )
                await s.execute(delete(CaseItemRow).where(CaseItemRow.id.in_(ids)))
                await self._audit.append_in(
                    s, actor="system", action="retention.items", case_id=None,
                    detail={"items": len(ids), "kinds": ",".join(sorted(k.value for k in kinds))},
                    via="purge",
                )  # fmt: skip
        if ids:
            await checkpoint(self._db)
        for case_id, item_ids in by_case.items():
            await self._shred_item_keys(case_id, item_ids)
        return len(ids)

    async def shred_orphan_keys(self) -> int:
        """Destroy per-item keys whose item no longer exists (a failed write, or a
        deletion whose key destruction failed), once ``ORPHAN_KEY_GRACE`` has passed
        (a write in progress is never touched). Returns how many."""
        made = await self._keystore.item_scopes_created_before(utcnow() - ORPHAN_KEY_GRACE)
        by_case: dict[str, list[str]] = {}
        for case_id, scope in made:
            by_case.setdefault(case_id, []).append(scope[len(ITEM_SCOPE_PREFIX) :])
        count = 0
        for case_id, item_ids in by_case.items():
            present: set[str] = set()
            async with self._db.transaction() as s:
                for start in range(0, len(item_ids), 500):  # bounded IN lists
                    chunk = item_ids[start : start + 500]
                    present.update(
                        await s.scalars(
                            select(CaseItemRow.id).where(
                                CaseItemRow.case_id == case_id, CaseItemRow.id.in_(chunk)
                            )
                        )
                    )
            gone = [i for i in item_ids if i not in present]
            if gone:
                count += await self._keystore.shred_scopes(case_id, [item_scope(i) for i in gone])
        return count
