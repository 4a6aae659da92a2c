"""Envelope encryption glued to a ``KeyProvider``: what a repository calls.

``Vault.seal`` makes a fresh data key per item, encrypts, wraps the data key
under the current KEK and returns a ``Sealed`` (store its three fields side by
side: ``kek_id`` text, ``wrapped_key`` and ``ciphertext`` blobs). ``Vault.open``
undoes it. KEK rotation re-wraps only the small data keys, through the
``WrappedKeyStore`` Protocol that the repository implements; ciphertexts are
never rewritten.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from records.crypto.envelope import AssociatedData, decrypt, encrypt, new_data_key
from records.crypto.keys import KeyProvider, rewrap

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sealed:
    """An encrypted item as stored: KEK id, wrapped data key, ciphertext."""

    kek_id: str
    wrapped_key: bytes
    ciphertext: bytes

    def __repr__(self) -> str:
        return f"Sealed(kek_id={self.kek_id!r}, ciphertext=<{len(self.ciphertext)} bytes>)"


@dataclass(frozen=True, slots=True)
class WrappedKeyRow:
    """One stored wrapped data key, identified by the repository's row key."""

    row_id: str | int
    kek_id: str
    wrapped_key: bytes


class WrappedKeyStore(Protocol):
    """What rotation needs from the database (one transaction per call)."""

    async def get_wrapped_keys_not_under(self, kek_id: str, limit: int) -> Sequence[WrappedKeyRow]:
        """Up to ``limit`` rows whose KEK is not ``kek_id``."""
        ...

    async def set_wrapped_keys(self, rows: Sequence[WrappedKeyRow]) -> None:
        """Store the new ``(kek_id, wrapped_key)`` of each row."""
        ...

    async def get_kek_ids_in_use(self) -> set[str]:
        """``SELECT DISTINCT kek_id`` over every table holding wrapped keys."""
        ...


class Vault:
    """Seal and open record items under a ``KeyProvider``."""

    def __init__(self, keys: KeyProvider) -> None:
        self._keys = keys

    @property
    def keys(self) -> KeyProvider:
        return self._keys

    def seal(self, plaintext: bytes | bytearray | memoryview, ad: AssociatedData) -> Sealed:
        data_key = new_data_key()
        kek_id, wrapped = self._keys.wrap(data_key)
        return Sealed(kek_id, wrapped, encrypt(data_key, plaintext, ad))

    def open(self, sealed: Sealed, ad: AssociatedData) -> bytes:
        data_key = self._keys.unwrap(sealed.kek_id, sealed.wrapped_key)
        return decrypt(data_key, sealed.ciphertext, ad)

    def rewrap(self, sealed: Sealed) -> Sealed:
        """The same ciphertext with its data key wrapped under the current KEK."""
        kek_id, wrapped = rewrap(self._keys, sealed.kek_id, sealed.wrapped_key)
        return Sealed(kek_id, wrapped, sealed.ciphertext)


async def rewrap_all(keys: KeyProvider, store: WrappedKeyStore, *, batch: int = 500) -> int:
    """Re-wrap every stored data key under the current KEK; returns how many.

    Safe to interrupt and run again: each batch is written in its own call.
    """
    done = 0
    while True:
        current = keys.current_kek_id  # re-read: another process may rotate meanwhile
        rows = await store.get_wrapped_keys_not_under(current, batch)
        if not rows:
            break
        updated = []
        for row in rows:
            kek_id, wrapped = rewrap(keys, row.kek_id, row.wrapped_key)
            updated.append(WrappedKeyRow(row.row_id, kek_id, wrapped))
        await store.set_wrapped_keys(updated)
        done += len(updated)
    logger.info("re-wrapped %d data keys under KEK %s", done, keys.current_kek_id)
    return done


async def rotate_and_retire(keys: KeyProvider, store: WrappedKeyStore) -> list[str]:
    """Rotate to a new KEK, re-wrap everything, retire every unused old KEK.

    Returns the retired KEK ids. A KEK still in use (say, rows written by a
    process that had not seen the rotation yet) is kept.
    """
    keys.rotate()
    await rewrap_all(keys, store)
    in_use = await store.get_kek_ids_in_use()
    retired = []
    for kek_id in keys.kek_ids():
        if kek_id != keys.current_kek_id and kek_id not in in_use:
            keys.retire(kek_id, in_use)
            retired.append(kek_id)
    return retired
