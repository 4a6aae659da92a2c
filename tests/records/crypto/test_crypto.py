from __future__ import annotations

import os
import random
import uuid

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from errors import ErrorCode
from records.crypto import envelope as crypto
from records.crypto.envelope import (
    AssociatedData,
    decrypt,
    decrypt_stream,
    encrypt,
    encrypt_stream,
    new_data_key,
)
from records.errors import CryptoError

AD = AssociatedData("org-1", "case-1", "item-1", "document", 3)


def test_round_trip_and_format() -> None:
    key = new_data_key()
    assert len(key) == 32 and key != new_data_key()
    blob = encrypt(key, b"confidential", AD)
    assert isinstance(blob, bytes)
    assert blob[0] == crypto.V1
    assert len(blob) == 1 + 12 + len(b"confidential") + 16
    assert decrypt(key, blob, AD) == b"confidential"
    assert decrypt(key, memoryview(blob), AD) == b"confidential"
    assert decrypt(key, encrypt(key, b"", AD), AD) == b""


def test_nonce_is_fresh_per_message() -> None:
    key = new_data_key()
    nonces = {encrypt(key, b"same", AD)[1:13] for _ in range(200)}
    assert len(nonces) == 200


def test_interoperates_with_plain_aesgcm() -> None:
    key = new_data_key()
    blob = encrypt(key, b"abc", AD)
    assert AESGCM(key).decrypt(blob[1:13], blob[13:], AD.encoded) == b"abc"


def test_wrong_key() -> None:
    blob = encrypt(new_data_key(), b"secret", AD)
    with pytest.raises(CryptoError) as info:
        decrypt(new_data_key(), blob, AD)
    assert info.value.code is ErrorCode.CRYPTO
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(CryptoError):
        decrypt(b"short", blob, AD)


def test_every_bit_flip_is_detected() -> None:
    key = new_data_key()
    blob = encrypt(key, b"0123456789", AD)
    for i in range(len(blob)):
        for bit in range(8):
            bad = bytearray(blob)
            bad[i] ^= 1 << bit
            with pytest.raises(CryptoError):
                decrypt(key, bytes(bad), AD)


def test_truncated_or_extended() -> None:
    key = new_data_key()
    blob = encrypt(key, b"0123456789", AD)
    for n in range(len(blob)):
        with pytest.raises(CryptoError):
            decrypt(key, blob[:n], AD)
    with pytest.raises(CryptoError):
        decrypt(key, blob + b"\x00", AD)


@pytest.mark.parametrize(
    "other",
    [
        AssociatedData("org-2", "case-1", "item-1", "document", 3),
        AssociatedData("org-1", "case-2", "item-1", "document", 3),
        AssociatedData("org-1", "case-1", "item-2", "document", 3),
        AssociatedData("org-1", "case-1", "item-1", "note", 3),
        AssociatedData("org-1", "case-1", "item-1", "document", 4),
        AssociatedData("org-1", "case-1", "item-1", "document", 2),
    ],
    ids=["other-org", "other-case", "other-item", "other-kind", "next-version", "prev-version"],
)
def test_ciphertext_moved_elsewhere_fails(other: AssociatedData) -> None:
    key = new_data_key()
    blob = encrypt(key, b"statement of party A", AD)
    with pytest.raises(CryptoError):
        decrypt(key, blob, other)
    stream = b"".join(encrypt_stream(key, [b"x" * 100], AD, chunk_size=16))
    with pytest.raises(CryptoError):
        decrypt(key, stream, other)


def test_associated_data_encoding_is_unambiguous() -> None:
    # field boundaries are length-prefixed: shifting characters between fields differs
    a = AssociatedData("org", "ab", "c", "k", 1)
    b = AssociatedData("org", "a", "bc", "k", 1)
    assert a.encoded != b.encoded
    u = uuid.uuid4()
    assert (
        AssociatedData(u, 7, "i", "k", 1).encoded
        == AssociatedData(str(u), "7", "i", "k", 1).encoded
    )
    assert AD == AssociatedData("org-1", "case-1", "item-1", "document", 3)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("org", "case", "item", "k", -1), ValueError),
        (("org", "case", "item", "k", True), TypeError),
        (("org", "case", "item", "", 1), ValueError),
        (("", "case", "item", "k", 1), ValueError),
        (("org", None, "item", "k", 1), TypeError),
    ],
)
def test_associated_data_validation(args: tuple[object, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        AssociatedData(*args)  # type: ignore[arg-type]


def test_unknown_version() -> None:
    key = new_data_key()
    blob = bytearray(encrypt(key, b"x", AD))
    blob[0] = 9
    with pytest.raises(CryptoError, match="version"):
        decrypt(key, bytes(blob), AD)
    with pytest.raises(CryptoError):
        decrypt(key, b"", AD)


def test_large_document_round_trip() -> None:
    key = new_data_key()
    doc = os.urandom(3 * 1024 * 1024 + 5)
    assert decrypt(key, encrypt(key, memoryview(doc), AD), AD) == doc


# ------------------------------------------------------------------ streaming


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 64, 100])
def test_stream_round_trip(size: int) -> None:
    key = new_data_key()
    data = os.urandom(size)
    pieces = [data[i : i + 7] for i in range(0, size, 7)]
    blob = list(encrypt_stream(key, pieces, AD, chunk_size=16))
    joined = b"".join(blob)
    assert decrypt(key, joined, AD) == data
    # any re-cut of the ciphertext stream decrypts the same
    recut = [joined[i : i + 5] for i in range(0, len(joined), 5)]
    assert b"".join(decrypt_stream(key, recut, AD)) == data
    assert b"".join(decrypt_stream(key, [joined], AD)) == data


def _chunks(key: bytes, data: bytes, size: int = 16) -> tuple[bytes, list[bytes]]:
    header, *chunks = encrypt_stream(key, [data], AD, chunk_size=size)
    return header, chunks


def test_stream_reordered_chunks_fail() -> None:
    key = new_data_key()
    header, chunks = _chunks(key, os.urandom(64))
    assert len(chunks) == 4
    swapped = [chunks[1], chunks[0], *chunks[2:]]
    with pytest.raises(CryptoError, match="chunk 0"):
        decrypt(key, header + b"".join(swapped), AD)


def test_stream_truncation_fails() -> None:
    key = new_data_key()
    header, chunks = _chunks(key, os.urandom(64))
    for keep in range(len(chunks)):
        with pytest.raises(CryptoError):
            decrypt(key, header + b"".join(chunks[:keep]), AD)


def test_stream_dropped_or_duplicated_chunk_fails() -> None:
    key = new_data_key()
    header, chunks = _chunks(key, os.urandom(64))
    with pytest.raises(CryptoError):
        decrypt(key, header + b"".join([chunks[0], *chunks[2:]]), AD)
    with pytest.raises(CryptoError):
        decrypt(key, header + b"".join([chunks[0], *chunks]), AD)


def test_stream_header_is_authenticated() -> None:
    key = new_data_key()
    blob = bytearray(b"".join(encrypt_stream(key, [b"y" * 40], AD, chunk_size=16)))
    for i in range(crypto.HEADER_V2):
        bad = bytearray(blob)
        bad[i] ^= 0x80
        with pytest.raises(CryptoError):
            decrypt(key, bytes(bad), AD)


def test_stream_bit_flips_detected() -> None:
    key = new_data_key()
    blob = b"".join(encrypt_stream(key, [b"z" * 40], AD, chunk_size=16))
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(CryptoError):
            decrypt(key, bytes(bad), AD)


def test_stream_bad_chunk_size() -> None:
    with pytest.raises(ValueError):
        list(encrypt_stream(new_data_key(), [b"x"], AD, chunk_size=0))


def test_stream_any_piece_sizes() -> None:
    rng = random.Random(1234)
    key = new_data_key()
    for _ in range(200):
        size = rng.randrange(0, 200)
        chunk = rng.randrange(1, 40)
        data = rng.randbytes(size)
        pieces = _cut(rng, data)
        blob = b"".join(encrypt_stream(key, pieces, AD, chunk_size=chunk))
        assert len(blob) == crypto.HEADER_V2 + size + 16 * max(1, -(-size // chunk))
        assert b"".join(decrypt_stream(key, _cut(rng, blob), AD)) == data


def _cut(rng: random.Random, data: bytes) -> list[bytes | bytearray | memoryview]:
    out: list[bytes | bytearray | memoryview] = []
    pos = 0
    while pos < len(data):
        n = rng.choice([0, 1, 2, 3, 7, 16, 17, 33, 64, 500])
        kind = rng.randrange(3)
        part = data[pos : pos + n]
        out.append(part if kind == 0 else bytearray(part) if kind == 1 else memoryview(part))
        pos += n
    return out
