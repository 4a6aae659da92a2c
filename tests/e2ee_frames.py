"""A Python reference of Palabre's end-to-end media encryption (docs/e2ee.md), for tests and
benchmarks only: the server never holds a room key and never decrypts.

Frame format (spec 1): ``prefix || AES-GCM-256(key, iv, rest, aad=prefix) || iv || keyIndex``
where the clear prefix is 10 bytes for a VP8 key frame, 3 for a VP8 delta frame and 1
for Opus (the whole frame when shorter). A VP8 frame of 3 bytes or more goes out with the
first partition's size in its frame tag set to the largest value (every decoder refuses the
frame as truncated: a decoder without the key decodes nothing, not noise), and its three
tag bytes as they were at the start of what is encrypted. Key wrap (spec 2): ECDH P-256,
HKDF-SHA256 with the wrap context as info, AES-GCM-256 with the same context as additional
data.
Verification code (spec 3): the first 6 bytes of SHA-256 over the members' public keys.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

Kind = Literal["audio", "video"]

VERSION = "palabre-e2ee-v1"
IV_SIZE = 12
TAG_SIZE = 16
KEY_SIZE = 32
TRAILER = IV_SIZE + 1  # iv, then the key index
VIDEO_KEY_PREFIX = 10
VIDEO_DELTA_PREFIX = 3
AUDIO_PREFIX = 1


class E2eeError(ValueError):
    """A frame or a wrapped key that cannot be opened."""


class MissingKeyError(E2eeError):
    """No key for the frame's key index: the receiver drops the frame."""


class AuthenticationError(E2eeError):
    """AES-GCM refused the frame or the wrapped key (wrong key, tampered, wrong context)."""


# --- base64url ---------------------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- frames ------------------------------------------------------------------------------


def is_vp8_keyframe(frame: bytes) -> bool:
    """VP8 payload header: bit 0 of the first byte is 0 on a key frame (RFC 6386 9.1)."""
    return bool(frame) and frame[0] & 0x01 == 0


def clear_prefix(kind: Kind, keyframe: bool, size: int) -> int:
    """How many leading bytes of a frame of ``size`` bytes stay in clear."""
    if kind == "video":
        nominal = VIDEO_KEY_PREFIX if keyframe else VIDEO_DELTA_PREFIX
    elif kind == "audio":
        nominal = AUDIO_PREFIX
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return min(nominal, size)


TAG_BYTES = 3  # a VP8 frame tag: key frame bit, version, show frame, first partition size
MASKED_MIN = 2 * TAG_BYTES  # a received video frame with a masked tag has this much before it


def mask_tag(prefix: bytes) -> bytes:
    """The prefix with the VP8 first partition size (19 bits of the frame tag) all ones;
    the key frame bit, the version and the show frame bit are kept."""
    return bytes([prefix[0] | 0xE0, 0xFF, 0xFF]) + prefix[TAG_BYTES:]


def encrypt_frame(key: bytes, index: int, frame: bytes, kind: Kind, keyframe: bool) -> bytes:
    """One encoded frame as a browser's sender transform writes it (a fresh random iv)."""
    prefix = frame[: clear_prefix(kind, keyframe, len(frame))]
    rest = frame[len(prefix) :]
    if kind == "video" and len(frame) >= TAG_BYTES:
        rest = frame[:TAG_BYTES] + rest
        prefix = mask_tag(prefix)
    iv = os.urandom(IV_SIZE)
    sealed = AESGCM(key).encrypt(iv, rest, prefix)
    return prefix + sealed + iv + bytes([index & 0xFF])


def key_index(data: bytes) -> int:
    """The key index an encrypted frame names (its last byte)."""
    if len(data) < TAG_SIZE + TRAILER:
        raise E2eeError("frame too short to be encrypted")
    return data[-1]


def decrypt_frame(keys: Mapping[int, bytes], data: bytes, kind: Kind, keyframe: bool) -> bytes:
    """The clear frame, or :class:`MissingKeyError` / :class:`AuthenticationError`.

    The prefix length is computed from the received frame; a frame whose clear frame was
    shorter than its nominal prefix has all of it as prefix and an empty ciphertext, so the
    prefix is never taken longer than what precedes the tag.
    """
    index = key_index(data)
    key = keys.get(index)
    if key is None:
        raise MissingKeyError(f"no key for index {index}")
    iv = data[-TRAILER:-1]
    body = data[:-TRAILER]
    clear = len(body) - TAG_SIZE  # the clear prefix and what was encrypted, together
    masked = kind == "video" and clear >= MASKED_MIN
    prefix_size = min(clear_prefix(kind, keyframe, len(body)), clear - (TAG_BYTES if masked else 0))
    prefix = body[:prefix_size]
    try:
        rest = AESGCM(key).decrypt(iv, body[prefix_size:], prefix)
    except InvalidTag:
        raise AuthenticationError("frame authentication failed") from None
    if masked:  # the frame tag as it was, then the rest of the prefix, then the rest
        return rest[:TAG_BYTES] + prefix[TAG_BYTES:] + rest[TAG_BYTES:]
    return prefix + rest


def new_room_key() -> bytes:
    return os.urandom(KEY_SIZE)


# --- key wrap ------------------------------------------------------------------------------


def generate_key_pair() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_key_b64(private_key: ec.EllipticCurvePrivateKey) -> str:
    """The page's public key as on the wire: raw uncompressed point, base64url."""
    raw = private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64url_encode(raw)


def wrap_info(session_id: str, group: str, epoch: int, sender: str, recipient: str) -> bytes:
    return f"{VERSION} wrap|{session_id}|{group}|{epoch}|{sender}|{recipient}".encode()


def _kek(private_key: ec.EllipticCurvePrivateKey, peer_public_b64: str, info: bytes) -> AESGCM:
    peer = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), b64url_decode(peer_public_b64)
    )
    shared = private_key.exchange(ec.ECDH(), peer)  # the x coordinate, as deriveBits(256)
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=VERSION.encode(), info=info)
    return AESGCM(hkdf.derive(shared))


def wrap_room_key(
    private_key: ec.EllipticCurvePrivateKey,
    peer_public_b64: str,
    room_key: bytes,
    session_id: str,
    group: str,
    epoch: int,
    sender: str,
    recipient: str,
) -> dict[str, str]:
    """The distributor's ``{iv, data}`` for one recipient."""
    info = wrap_info(session_id, group, epoch, sender, recipient)
    iv = os.urandom(IV_SIZE)
    data = _kek(private_key, peer_public_b64, info).encrypt(iv, room_key, info)
    return {"iv": b64url_encode(iv), "data": b64url_encode(data)}


def unwrap_room_key(
    private_key: ec.EllipticCurvePrivateKey,
    peer_public_b64: str,
    wrapped: Mapping[str, str],
    session_id: str,
    group: str,
    epoch: int,
    sender: str,
    recipient: str,
) -> bytes:
    """The room key, or :class:`AuthenticationError` (wrong keys or wrong context)."""
    info = wrap_info(session_id, group, epoch, sender, recipient)
    try:
        return _kek(private_key, peer_public_b64, info).decrypt(
            b64url_decode(wrapped["iv"]), b64url_decode(wrapped["data"]), info
        )
    except InvalidTag:
        raise AuthenticationError("wrapped key authentication failed") from None


# --- verification code ------------------------------------------------------------------------


def verification_code_bytes(members: Mapping[str, str | None]) -> bytes:
    """6 bytes over the members that have a public key (``{member key: public key}``)."""
    lines = "".join(f"{k}:{members[k]}\n" for k in sorted(members) if members[k] is not None)
    return hashlib.sha256(f"{VERSION} code\n{lines}".encode()).digest()[:6]


def verification_code_hex(members: Mapping[str, str | None]) -> str:
    """The ``data-code`` attribute's value."""
    return verification_code_bytes(members).hex()
