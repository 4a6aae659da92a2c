"""Participants' contact details, sealed under each participant's own data key.

A participant's e-mail address is stored AES-256-GCM under that person's data key in
their case (``participant_scope`` of :mod:`records.crypto.keystore`), bound by associated
data to the case, the participant and the field: a ciphertext copied to another person
or another field does not decrypt, and erasing the person (their key destroyed) makes it
unreadable, in dead rows, a WAL and backups too. :class:`records.stores.cases.CaseStore`
seals on write and opens on read, so callers keep getting ``Participant.email``.

Rows written before 0018 hold the address in the legacy clear column ``email``; the
start seals them (:meth:`ParticipantAddresses.seal_legacy`, in batches, idempotent, safe
with several nodes starting at once) and empties that column. Nothing is looked up by
address, so there is no blind index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select, update

from records.crypto.envelope import AssociatedData, decrypt, encrypt
from records.crypto.keys import KeyProvider
from records.crypto.keystore import KeyStore, checkpoint, participant_scope
from records.db import Database
from records.models import ParticipantRow

logger = logging.getLogger(__name__)

EMAIL = "participant.email"  # the field, as the associated data names it
LEGACY_BATCH = 200


class ParticipantAddresses:
    """Seals and opens the contact details of participants (no transaction of its own on
    the main database: the caller writes and reads the rows)."""

    def __init__(
        self, db: Database, keystore: KeyStore, keys: KeyProvider, *, organisation_id: str
    ) -> None:
        self._db = db
        self._keystore = keystore
        self._keys = keys
        self._org = organisation_id

    def _ad(self, case_id: str, participant_id: str, field: str) -> AssociatedData:
        return AssociatedData(self._org, case_id, f"participant:{participant_id}", field, 1)

    async def seal_email(self, case_id: str, participant_id: str, email: str) -> tuple[str, bytes]:
        """``(key_id, ciphertext)`` of an address under the participant's own key."""
        key_id, key = await self._keystore.get_or_create(
            self._keys, case_id, participant_scope(participant_id)
        )
        return key_id, encrypt(key, email.encode("utf-8"), self._ad(case_id, participant_id, EMAIL))

    async def open_emails(self, rows: Iterable[ParticipantRow]) -> dict[str, str | None]:
        """Each row's address by participant id: None when it has none, or when its key was
        destroyed (the person erased, the case shredded). A ciphertext that does not
        authenticate raises ``CryptoError``."""
        rows = list(rows)
        keys = await self._keystore.get_keys(
            self._keys, {r.contact_key_id for r in rows if r.contact_key_id is not None}
        )
        out: dict[str, str | None] = {}
        for row in rows:
            if row.email_sealed is None or row.contact_key_id is None:
                out[row.id] = row.email  # before the start sealed it (legacy clear column)
                continue
            key = keys.get(row.contact_key_id)  # absent: destroyed
            if key is None:
                out[row.id] = None
                continue
            plain = decrypt(key, row.email_sealed, self._ad(row.case_id, row.id, EMAIL))
            out[row.id] = plain.decode("utf-8")
        return out

    async def seal_legacy(self) -> int:
        """Seal the addresses still in the clear column (rows from before 0018) and empty
        it; returns how many were sealed. An erased person's left-over address is only
        dropped. Idempotent: a row is written only while its clear address is the one read,
        so two nodes doing this at once write it once."""
        sealed = dropped = 0
        after = ""
        while True:
            async with self._db.transaction() as s:
                batch = list(
                    await s.scalars(
                        select(ParticipantRow)
                        .where(ParticipantRow.email.is_not(None), ParticipantRow.id > after)
                        .order_by(ParticipantRow.id)
                        .limit(LEGACY_BATCH)
                    )
                )
            if not batch:
                break
            after = batch[-1].id
            for row in batch:
                assert row.email is not None
                values: dict[str, object] = {"email": None}
                if row.erased_at is None:
                    key_id, blob = await self.seal_email(row.case_id, row.id, row.email)
                    values.update(email_sealed=blob, contact_key_id=key_id)
                async with self._db.transaction() as s:
                    done = await s.execute(
                        update(ParticipantRow)
                        .where(ParticipantRow.id == row.id, ParticipantRow.email == row.email)
                        .values(**values)
                    )
                if getattr(done, "rowcount", 0):
                    if row.erased_at is None:
                        sealed += 1
                    else:
                        dropped += 1
        if sealed or dropped:
            await checkpoint(self._db)
            logger.info(
                "participants: %d address(es) from before 0018 sealed, %d of erased "
                "participants dropped", sealed, dropped,
            )  # fmt: skip
        return sealed
