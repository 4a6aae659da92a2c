"""What a live session needs to carry on after the node running it dies, stored as it changes.

One row per session (``live_states``): the state the live session last stored, as plain
data (participant keys, ids, states, room labels; the layer above never hands a name or
a message), encoded here (:mod:`records.encoding`) and encrypted with AES-256-GCM under
the case's data key, bound to its session: destroying the case key (erasure) makes it
unreadable, deleting the session or the case deletes it.

Writers are fenced by an epoch, not by who wrote last. A node that takes a session
:meth:`LiveStates.claim` s it: the row's ``epoch`` goes up by one and the node writes with
that epoch from then on; :meth:`LiveStates.save` writes only while the row's epoch is still
the writer's, else raises :class:`StaleWriter`. So a node that lost the session without
knowing it yet (its lease expired during a pause, say) can no longer overwrite what the
new holder stored, whatever order their writes arrive in; and a write after the row was
dropped (the session ended, the case erased) is refused rather than bringing it back.
``revision`` goes up by one at every write (a count for whoever reads the row).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from records.crypto.envelope import AssociatedData, decrypt, encrypt
from records.crypto.keys import KeyProvider
from records.crypto.keystore import CASE_SCOPE, KeyStore
from records.db import Database
from records.encoding import decode, encode
from records.errors import Conflict, CryptoError
from records.models import LiveStateRow, utcnow

logger = logging.getLogger(__name__)

KIND = "live_state"


class StaleWriter(Conflict):
    """Another node claimed the session's state since this writer did (or it was dropped)."""

    def __init__(self, message: str = "another node holds this live session") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Claim:
    """A node's right to write a session's state: ``epoch``, and what was stored when it
    claimed (``data`` None: nothing yet, or nothing readable)."""

    epoch: int
    revision: int
    data: Any | None


class LiveStates:
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
        self._case_keys: dict[str, tuple[str, bytes]] = {}  # the last key of each case

    def _ad(self, case_id: str, session_id: str) -> AssociatedData:
        return AssociatedData(self._org, case_id, f"live:{session_id}", KIND, 1)

    def _open(
        self, case_id: str, session_id: str, key: bytes | None, ciphertext: bytes | None
    ) -> Any | None:
        if ciphertext is None or key is None:
            return None
        try:
            return decode(decrypt(key, ciphertext, self._ad(case_id, session_id)))
        except (CryptoError, ValueError):
            logger.warning("session %s: the stored live state is unreadable", session_id)
            return None

    async def _key_of(self, key_id: str | None, session_id: str) -> bytes | None:
        if key_id is None:
            return None
        try:
            return await self._keystore.get_key(self._keys, key_id)
        except CryptoError:  # destroyed (the case erased)
            logger.warning("session %s: the stored live state's key is gone", session_id)
            return None

    async def claim(self, case_id: str, session_id: str) -> Claim:
        """Take the right to write ``session_id``'s state (every earlier claim loses it) and
        read what was stored."""
        for _attempt in range(2):
            try:
                async with self._db.transaction() as s:
                    row = (
                        await s.execute(
                            update(LiveStateRow)
                            .where(LiveStateRow.session_id == session_id)
                            .values(epoch=LiveStateRow.epoch + 1)
                            .returning(
                                LiveStateRow.case_id,
                                LiveStateRow.epoch,
                                LiveStateRow.revision,
                                LiveStateRow.key_id,
                                LiveStateRow.ciphertext,
                            )
                        )
                    ).first()
                    if row is None:
                        await s.execute(
                            insert(LiveStateRow).values(
                                session_id=session_id, case_id=case_id, epoch=1, revision=0,
                                key_id=None, ciphertext=None, updated_at=utcnow(),
                            )
                        )  # fmt: skip
                        return Claim(1, 0, None)
            except IntegrityError:  # claimed at the same time by another node: again
                continue
            stored_case, epoch, revision, key_id, ciphertext = row
            if stored_case != case_id:
                return Claim(epoch, revision, None)
            key = await self._key_of(key_id, session_id)
            return Claim(epoch, revision, self._open(case_id, session_id, key, ciphertext))
        raise StaleWriter("the live session was claimed by another node at the same time")

    async def save(self, case_id: str, session_id: str, epoch: int, data: Any) -> int:
        """Store ``data`` as ``session_id``'s state, if ``epoch`` still holds it; returns the
        new revision. :class:`StaleWriter` if another node claimed it since (or it was
        dropped): nothing is written then."""
        known = self._case_keys.get(case_id)
        if known is None:
            known = await self._keystore.get_or_create(self._keys, case_id, CASE_SCOPE)
            self._case_keys[case_id] = known
        key_id, key = known
        ciphertext = encrypt(key, encode(data), self._ad(case_id, session_id))
        async with self._db.transaction() as s:
            revision = (
                await s.execute(
                    update(LiveStateRow)
                    .where(
                        LiveStateRow.session_id == session_id,
                        LiveStateRow.case_id == case_id,
                        LiveStateRow.epoch == epoch,
                    )
                    .values(
                        revision=LiveStateRow.revision + 1,
                        key_id=key_id,
                        ciphertext=ciphertext,
                        updated_at=utcnow(),
                    )
                    .returning(LiveStateRow.revision)
                )
            ).scalar()
        if revision is None:
            raise StaleWriter()
        return int(revision)

    async def load(self, case_id: str, session_id: str) -> tuple[int, Any] | None:
        """What is stored (revision, data), without claiming; None if nothing readable."""
        async with self._db.transaction() as s:
            row = (
                await s.execute(
                    select(
                        LiveStateRow.revision, LiveStateRow.key_id, LiveStateRow.ciphertext
                    ).where(LiveStateRow.session_id == session_id, LiveStateRow.case_id == case_id)
                )
            ).first()
        if row is None:
            return None
        revision, key_id, ciphertext = row
        data = self._open(case_id, session_id, await self._key_of(key_id, session_id), ciphertext)
        return None if data is None else (int(revision), data)

    async def drop(self, session_id: str) -> bool:
        """The session ended: its state goes (a later write by anyone is refused)."""
        async with self._db.transaction() as s:
            result = await s.execute(
                delete(LiveStateRow).where(LiveStateRow.session_id == session_id)
            )
        return bool(getattr(result, "rowcount", 0))

    async def drop_case(self, case_id: str) -> int:
        """Every live state of a case (a participant erased: nobody comes back from it)."""
        self._case_keys.pop(case_id, None)
        async with self._db.transaction() as s:
            result = await s.execute(delete(LiveStateRow).where(LiveStateRow.case_id == case_id))
        return int(getattr(result, "rowcount", 0) or 0)
