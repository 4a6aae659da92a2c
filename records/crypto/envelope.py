"""Envelope encryption of record items: AES-256-GCM bound to where the item lives.

Each item has its own random 32-byte data key (``new_data_key``), stored wrapped
by a ``records.crypto.keys.KeyProvider``. The ciphertext binds an ``AssociatedData``
(organisation, case, item, kind, version): a ciphertext copied to another
case, item or version does not decrypt.

Formats (one version byte first, so older blobs stay readable)::

    v1  0x01 | nonce (12) | ciphertext | tag (16)
    v2  0x02 | chunk size (4, big-endian) | nonce prefix (7)
             | chunk 0 ciphertext + tag | chunk 1 ... | last chunk + tag

v2 is the chunked form for streaming large documents (``encrypt_stream`` /
``decrypt_stream``): chunk ``i`` uses the nonce ``prefix | i (4 bytes) | final
flag (1 byte)`` and the header as part of its associated data, so chunks can be
neither reordered, dropped, duplicated nor the stream truncated. ``decrypt``
reads both versions.
"""

from __future__ import annotations

import itertools
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from records.errors import CryptoError

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
V1 = 1
V2 = 2
HEADER_V1 = 1 + NONCE_BYTES
OVERHEAD_V1 = HEADER_V1 + TAG_BYTES
_PREFIX_BYTES = 7
HEADER_V2 = 1 + 4 + _PREFIX_BYTES
DEFAULT_CHUNK = 1 << 20
MAX_CHUNK = 64 << 20  # bounds what a forged header can make the reader buffer
_AD_DOMAIN = b"palabre/records/item/v1"
_V1_BYTE = bytes((V1,))
_COPY_FREE_ABOVE = 64 * 1024

Id = str | int | UUID


def new_data_key() -> bytes:
    """A fresh random 32-byte AES-256 data key."""
    return os.urandom(KEY_BYTES)


def _id_bytes(name: str, value: Id) -> bytes:
    if isinstance(value, bool) or not isinstance(value, str | int | UUID):
        raise TypeError(f"AssociatedData.{name} must be str, int or UUID")
    text = str(value)
    if not text:
        raise ValueError(f"AssociatedData.{name} must not be empty")
    return text.encode()


@dataclass(frozen=True, slots=True)
class AssociatedData:
    """Where a ciphertext belongs; authenticated but not encrypted.

    Ids may be ``str``, ``int`` or ``UUID`` (encoded as ``str(id)``, so a UUID
    and its canonical string are the same id). ``encoded`` is the canonical
    encoding: a domain label then each field as 4-byte length and UTF-8 bytes.
    """

    organisation_id: Id
    case_id: Id
    item_id: Id
    kind: str
    version: int
    encoded: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.version, bool) or not isinstance(self.version, int):
            raise TypeError("AssociatedData.version must be an int")
        if self.version < 0:
            raise ValueError("AssociatedData.version must be >= 0")
        if not isinstance(self.kind, str) or not self.kind:
            raise ValueError("AssociatedData.kind must be a non-empty str")
        parts = (
            _id_bytes("organisation_id", self.organisation_id),
            _id_bytes("case_id", self.case_id),
            _id_bytes("item_id", self.item_id),
            self.kind.encode(),
            str(self.version).encode(),
        )
        encoded = _AD_DOMAIN + b"".join([len(p).to_bytes(4, "big") + p for p in parts])
        object.__setattr__(self, "encoded", encoded)


def _check_key(data_key: bytes) -> AESGCM:
    if len(data_key) != KEY_BYTES:
        raise CryptoError(f"a data key is {KEY_BYTES} bytes, got {len(data_key)}")
    return AESGCM(data_key)


def encrypt(
    data_key: bytes, plaintext: bytes | bytearray | memoryview, ad: AssociatedData
) -> bytes:
    """Encrypt in one pass (format v1); ``plaintext`` is never copied."""
    aead = _check_key(data_key)
    nonce = os.urandom(NONCE_BYTES)
    if len(plaintext) < _COPY_FREE_ABOVE:  # small: one concatenation is cheapest
        return _V1_BYTE + nonce + aead.encrypt(nonce, plaintext, ad.encoded)
    # large: encrypt straight into the final buffer, one allocation, one pass
    out = bytearray(HEADER_V1 + len(plaintext) + TAG_BYTES)
    out[0] = V1
    out[1:HEADER_V1] = nonce
    aead.encrypt_into(nonce, plaintext, ad.encoded, memoryview(out)[HEADER_V1:])
    return bytes(out)


def decrypt(data_key: bytes, blob: bytes | bytearray | memoryview, ad: AssociatedData) -> bytes:
    """Decrypt a v1 or v2 blob; ``CryptoError`` for any key, AD or integrity failure."""
    aead = _check_key(data_key)
    view = memoryview(blob)
    if len(view) < 1:
        raise CryptoError("empty ciphertext")
    version = view[0]
    if version == V2:
        return b"".join(decrypt_stream(data_key, (view,), ad))
    if version != V1:
        raise CryptoError(f"unknown ciphertext format version {version}")
    if len(view) < OVERHEAD_V1:
        raise CryptoError("ciphertext too short")
    try:
        return aead.decrypt(view[1:HEADER_V1], view[HEADER_V1:], ad.encoded)
    except InvalidTag:
        raise CryptoError(
            "ciphertext does not authenticate: wrong key, tampered or moved"
        ) from None


def plaintext_size(blob_size: int) -> int:
    """Plaintext length of a v1 blob of ``blob_size`` bytes."""
    return blob_size - OVERHEAD_V1


# ------------------------------------------------------------------ streaming (v2)


def _chunk_nonce(prefix: bytes, index: int, final: bool) -> bytes:
    if index >= 1 << 32:
        raise CryptoError("too many chunks")
    return prefix + struct.pack(">IB", index, 1 if final else 0)


def encrypt_stream(
    data_key: bytes,
    chunks: Iterable[bytes | bytearray | memoryview],
    ad: AssociatedData,
    *,
    chunk_size: int = DEFAULT_CHUNK,
) -> Iterator[bytes]:
    """Encrypt a stream of plaintext pieces (format v2); yields ciphertext pieces.

    Input pieces of any size are re-cut into ``chunk_size`` chunks; the first
    piece yielded is the header. Joining every piece gives a blob ``decrypt``
    accepts. Memory use is about one chunk.
    """
    aead = _check_key(data_key)
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise ValueError(f"chunk_size must be in 1..{MAX_CHUNK}")
    prefix = os.urandom(_PREFIX_BYTES)
    header = struct.pack(">BI", V2, chunk_size) + prefix
    chunk_ad = ad.encoded + header
    yield header
    index = 0

    def seal(data: bytes | bytearray | memoryview, final: bool) -> bytes:
        return aead.encrypt(_chunk_nonce(prefix, index, final), data, chunk_ad)

    # a chunk is sealed as non-final only once we know more bytes follow it
    held = bytearray()  # at most chunk_size bytes, copied only at piece boundaries
    for piece in chunks:
        view = memoryview(piece).cast("B")
        if held:
            take = chunk_size - len(held)
            held += view[:take]
            view = view[take:]
            if not view:
                continue
            yield seal(held, False)
            index += 1
            held = bytearray()
        pos = 0
        while len(view) - pos > chunk_size:  # whole chunks straight from the input
            yield seal(view[pos : pos + chunk_size], False)
            index += 1
            pos += chunk_size
        held = bytearray(view[pos:])
    yield seal(held, True)


def decrypt_stream(
    data_key: bytes, pieces: Iterable[bytes | bytearray | memoryview], ad: AssociatedData
) -> Iterator[bytes]:
    """Decrypt a v2 stream given as pieces of any size; yields plaintext chunks.

    A chunk is yielded only once authenticated; a truncated, reordered or
    tampered stream raises ``CryptoError`` (possibly after earlier chunks were
    yielded: callers must discard partial output on error).
    """
    aead = _check_key(data_key)
    it = iter(pieces)
    header = bytearray()
    rest = memoryview(b"")
    for piece in it:
        view = memoryview(piece).cast("B")
        need = HEADER_V2 - len(header)
        header += view[:need]
        if len(header) == HEADER_V2:
            rest = view[need:]
            break
    if len(header) < HEADER_V2 or header[0] != V2:
        raise CryptoError("not a chunked (v2) ciphertext or truncated header")
    (chunk_size,) = struct.unpack(">I", header[1:5])
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise CryptoError("bad chunk size in ciphertext header")
    prefix = bytes(header[5:])
    chunk_ad = ad.encoded + header
    sealed = chunk_size + TAG_BYTES
    index = 0

    def open_chunk(data: bytes | bytearray | memoryview, final: bool) -> bytes:
        try:
            return aead.decrypt(_chunk_nonce(prefix, index, final), data, chunk_ad)
        except InvalidTag:
            raise CryptoError(
                f"chunk {index} does not authenticate: wrong key, tampered, moved, "
                "reordered or truncated"
            ) from None

    held = bytearray()  # at most one sealed chunk, copied only at piece boundaries
    views = itertools.chain((rest,), (memoryview(p).cast("B") for p in it))
    for view in views:
        if held:
            take = sealed - len(held)
            held += view[:take]
            view = view[take:]
            if not view:
                continue
            yield open_chunk(held, False)
            index += 1
            held = bytearray()
        pos = 0
        while len(view) - pos > sealed:  # more follows: this chunk is not the last
            yield open_chunk(view[pos : pos + sealed], False)
            index += 1
            pos += sealed
        held = bytearray(view[pos:])
    if len(held) < TAG_BYTES:
        raise CryptoError("ciphertext truncated")
    # a full-size remainder may still be the final chunk (plaintext a multiple of size)
    yield open_chunk(held, True)
