"""How a session's documents are shared, kept while the session is not in memory.

A live session lives in memory while someone is connected. When everyone has
left (a lunch break, a dropped network, a restart of the server) it is let
go; when it is picked up again its documents must be on the table as they
were: same visibility, same private-meeting audience, same download leave.

Each shared document has one row, its state (the domain's record of it:
title, owner, room, audience...) encrypted with AES-256-GCM under the same
data key as the document itself (the key its stored version names: its own, or
its provider's for a document stored before per-document keys), so that
destroying that key (the document deleted, its provider erased) makes its
title unreadable too. The row references the case-file item:
deleting the document (erasure, retention) deletes the row with it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select

from records.crypto.envelope import AssociatedData, decrypt, encrypt
from records.crypto.keys import KeyProvider
from records.crypto.keystore import KeyStore
from records.db import Database
from records.encoding import decode, encode
from records.errors import CryptoError, Shredded
from records.models import CaseItemRow, CaseItemVersionRow, SharedDocumentRow, utcnow
from records.stores.casefile import ItemKind

logger = logging.getLogger(__name__)

KIND = "document_share"


class DocumentShares:
    def __init__(
        self,
        db: Database,
        keystore: KeyStore,
        keys: KeyProvider,
        *,
        organisation_id: str = "palabre",
    ) -> None:
        self._db = db
        self._keystore = keystore
        self._keys = keys
        self._org = organisation_id

    def _ad(self, case_id: str, session_id: str, doc_id: str) -> AssociatedData:
        return AssociatedData(self._org, case_id, f"share:{session_id}:{doc_id}", KIND, 1)

    async def save(self, case_id: str, session_id: str, shares: Sequence[Mapping[str, Any]]) -> int:
        """Make the stored state of ``session_id`` exactly ``shares`` (records with a
        ``doc_id``). Only documents of this case uploaded in this session are kept
        (one that was erased meanwhile is left out). Returns how many rows are stored."""
        wanted = {str(r["doc_id"]): r for r in shares}
        async with self._db.transaction() as s:
            items = (
                await s.execute(
                    select(CaseItemRow.id, CaseItemVersionRow.key_id)
                    .join(
                        CaseItemVersionRow,
                        (CaseItemVersionRow.item_id == CaseItemRow.id)
                        & (CaseItemVersionRow.version == CaseItemRow.current_version),
                    )
                    .where(
                        CaseItemRow.id.in_(list(wanted)),
                        CaseItemRow.case_id == case_id,
                        CaseItemRow.session_id == session_id,
                        CaseItemRow.kind == ItemKind.DOCUMENT.value,
                    )
                )
            ).all()
            # keys first (the one each document's stored version names), so that the
            # writes come last and stay short
            keys: dict[str, bytes | None] = {}
            now = utcnow()
            rows = []
            for item_id, key_id in items:
                if key_id not in keys:
                    try:
                        keys[key_id] = await self._keystore.get_key(self._keys, key_id)
                    except Shredded:  # deleted meanwhile: nothing to share
                        keys[key_id] = None
                key = keys[key_id]
                if key is None:
                    continue
                content = encode(dict(wanted[item_id]))
                rows.append(
                    SharedDocumentRow(
                        doc_id=item_id, case_id=case_id, session_id=session_id, key_id=key_id,
                        ciphertext=encrypt(key, content, self._ad(case_id, session_id, item_id)),
                        updated_at=now,
                    )
                )  # fmt: skip
            await s.execute(
                delete(SharedDocumentRow).where(SharedDocumentRow.session_id == session_id)
            )
            s.add_all(rows)
        return len(rows)

    async def load(self, case_id: str, session_id: str) -> list[dict[str, Any]]:
        """The stored records of ``session_id``, oldest share first; a row whose key
        was destroyed (the party's erasure) is left out."""
        async with self._db.transaction() as s:
            rows = (
                await s.execute(
                    select(
                        SharedDocumentRow.doc_id,
                        SharedDocumentRow.key_id,
                        SharedDocumentRow.ciphertext,
                    )
                    .join(CaseItemRow, CaseItemRow.id == SharedDocumentRow.doc_id)
                    .where(
                        SharedDocumentRow.case_id == case_id,
                        SharedDocumentRow.session_id == session_id,
                    )
                    .order_by(CaseItemRow.created_at, CaseItemRow.id)
                )
            ).all()
        out = []
        for doc_id, key_id, ciphertext in rows:
            try:
                key = await self._keystore.get_key(self._keys, key_id)
                record = decode(decrypt(key, ciphertext, self._ad(case_id, session_id, doc_id)))
            except (CryptoError, ValueError):  # a destroyed key is a CryptoError (Shredded)
                logger.warning("shared documents: a stored share of a session is unreadable")
                continue
            if isinstance(record, dict):
                out.append(record)
        return out
