"""Key-encryption keys (KEKs) and the log HMAC key, behind a small Protocol.

Envelope encryption: every record item has its own random data key (see
``records.crypto.envelope``); the data key is stored *wrapped* under a KEK held by a
``KeyProvider``. Rotating a KEK means re-wrapping the (small) data keys, never
re-encrypting the ciphertexts. A KEK may be retired only once no wrapped data
key refers to it: the caller (a repository) passes the set of KEK ids still in
use, typically ``SELECT DISTINCT kek_id``.

The default ``FileKeyProvider`` keeps the keys in a JSON file with mode 0600.
It is a development default: in production keep the key file on another
volume than the database, or put a KMS behind the same Protocol.

Wrapped data key format (AES-256-GCM, the KEK id bound as associated data)::

    0x01 | nonce (12 bytes) | wrapped key + tag (32 + 16 bytes)
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import logging
import os
import secrets
import stat
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from records.errors import Conflict, CryptoError, NotFound

logger = logging.getLogger(__name__)

KEY_BYTES = 32
WRAP_VERSION = 1
_NONCE_BYTES = 12
_TAG_BYTES = 16
WRAPPED_BYTES = 1 + _NONCE_BYTES + KEY_BYTES + _TAG_BYTES
_WRAP_AD_PREFIX = b"palabre/records/kek-wrap/v1\x00"
_FILE_FORMAT = "palabre-keyfile"
_FILE_VERSION = 1

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@runtime_checkable
class KeyProvider(Protocol):
    """Key-encryption keys by id, and the HMAC key of the tamper-evident logs."""

    @property
    def current_kek_id(self) -> str:
        """The KEK that ``wrap`` uses."""
        ...

    @property
    def log_hmac_key(self) -> bytes:
        """The 32-byte key of the consent and audit log chains."""
        ...

    def kek_ids(self) -> list[str]:
        """Ids of every KEK that can still unwrap, oldest first."""
        ...

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """Wrap ``data_key`` under the current KEK; returns ``(kek_id, wrapped)``."""
        ...

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        """Return the data key; ``CryptoError`` for an unknown KEK or a bad blob."""
        ...

    def rotate(self) -> str:
        """Add a new KEK, make it current and return its id."""
        ...

    def retire(self, kek_id: str, in_use: Collection[str]) -> None:
        """Destroy KEK ``kek_id``; ``Conflict`` if it is current or in ``in_use``."""
        ...


@dataclass(frozen=True, slots=True)
class Kek:
    """One key-encryption key. ``repr`` never shows the key material."""

    id: str
    created: datetime
    key: bytes

    def __repr__(self) -> str:
        return f"Kek(id={self.id!r}, created={self.created.isoformat()!r})"


def wrap_key(kek: Kek, data_key: bytes) -> bytes:
    """Wrap a 32-byte data key under ``kek`` (AES-256-GCM, KEK id as AD)."""
    if len(data_key) != KEY_BYTES:
        raise CryptoError(f"a data key is {KEY_BYTES} bytes, got {len(data_key)}")
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(kek.key).encrypt(nonce, data_key, _wrap_ad(kek.id))
    return bytes((WRAP_VERSION,)) + nonce + sealed


def unwrap_key(kek: Kek, wrapped: bytes) -> bytes:
    """Inverse of ``wrap_key``; any failure is a ``CryptoError``."""
    if len(wrapped) != WRAPPED_BYTES or wrapped[0] != WRAP_VERSION:
        raise CryptoError(f"malformed wrapped data key (KEK {kek.id})")
    view = memoryview(wrapped)
    try:
        return AESGCM(kek.key).decrypt(
            view[1 : 1 + _NONCE_BYTES], view[1 + _NONCE_BYTES :], _wrap_ad(kek.id)
        )
    except InvalidTag:
        raise CryptoError(f"cannot unwrap data key with KEK {kek.id}") from None


def _wrap_ad(kek_id: str) -> bytes:
    return _WRAP_AD_PREFIX + kek_id.encode()


def rewrap(provider: KeyProvider, kek_id: str, wrapped: bytes) -> tuple[str, bytes]:
    """Re-wrap one data key under the provider's current KEK.

    Returns the input unchanged if it is already under the current KEK. The
    ciphertext the data key protects is untouched.
    """
    current = provider.current_kek_id
    if kek_id == current:
        return kek_id, wrapped
    return provider.wrap(provider.unwrap(kek_id, wrapped))


def check_retirable(provider: KeyProvider, kek_id: str, in_use: Collection[str]) -> None:
    """Raise unless ``kek_id`` can be destroyed without losing data."""
    if kek_id not in provider.kek_ids():
        raise NotFound(f"no KEK {kek_id!r}")
    if kek_id == provider.current_kek_id:
        raise Conflict(f"KEK {kek_id!r} is current: rotate first")
    if kek_id in in_use:
        raise Conflict(f"KEK {kek_id!r} still wraps data keys: re-wrap them first")


def new_kek_id(now: datetime) -> str:
    return f"kek-{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}"


# --------------------------------------------------------------------------- file


_warned_paths: set[Path] = set()


class FileKeyProvider:
    """KEKs and the log HMAC key in a JSON file, mode 0600, created on first use.

    ``must_exist=True`` is for a database that already holds wrapped keys: a
    missing file is then an error rather than a silently generated new key.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, must_exist: bool = False, clock: Clock = _utc_now
    ) -> None:
        self._path = Path(path)
        self._clock = clock
        if not self._path.exists():
            if must_exist:
                raise CryptoError(
                    f"key file {self._path} is missing but wrapped keys exist: "
                    "restore it from backup (a new key cannot decrypt existing records)"
                )
            self._create()
        self._keks: dict[str, Kek] = {}
        self._retired: list[dict[str, str]] = []
        self._current = ""
        self._hmac_key = b""
        self._stamp: tuple[int, int, int] = (0, 0, 0)
        self.reload()
        if self._path not in _warned_paths:
            _warned_paths.add(self._path)
            logger.warning(
                "encryption keys are read from the key file %s: a development default; "
                "in production keep it apart from the database or use a KMS",
                self._path,
            )

    @property
    def path(self) -> Path:
        return self._path

    @property
    def current_kek_id(self) -> str:
        return self._current

    @property
    def log_hmac_key(self) -> bytes:
        return self._hmac_key

    def kek_ids(self) -> list[str]:
        return list(self._keks)

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        self._reload_if_changed()  # never wrap under a KEK another process retired
        return self._current, wrap_key(self._keks[self._current], data_key)

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        kek = self._keks.get(kek_id)
        if kek is None:
            self.reload()  # another process may have rotated
            kek = self._keks.get(kek_id)
        if kek is None:
            retired = any(r["id"] == kek_id for r in self._retired)
            state = "was retired" if retired else "is unknown"
            raise CryptoError(f"KEK {kek_id!r} {state} in key file {self._path}")
        return unwrap_key(kek, wrapped)

    def rotate(self) -> str:
        with self._locked():
            self.reload()
            now = self._clock()
            kek = Kek(new_kek_id(now), now, os.urandom(KEY_BYTES))
            self._keks[kek.id] = kek
            self._current = kek.id
            self._save()
        logger.info("key file %s: new current KEK %s", self._path, kek.id)
        return kek.id

    def retire(self, kek_id: str, in_use: Collection[str]) -> None:
        with self._locked():
            self.reload()
            check_retirable(self, kek_id, in_use)
            del self._keks[kek_id]
            self._retired.append({"id": kek_id, "retired": self._clock().isoformat()})
            self._save()
        logger.info("key file %s: KEK %s retired and destroyed", self._path, kek_id)

    def reload(self) -> None:
        """Read the key file again (after a rotation by another process)."""
        raw, self._stamp = _read_private(self._path)
        doc = _parse(self._path, raw)
        self._keks, self._current, self._hmac_key, self._retired = doc

    def _reload_if_changed(self) -> None:
        try:
            st = os.stat(self._path)
        except OSError:
            return  # keep what we have; the next reload reports the problem
        if (st.st_ino, st.st_mtime_ns, st.st_size) != self._stamp:
            self.reload()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise read-modify-write of the key file between processes."""
        lock = self._path.with_name(f".{self._path.name}.lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    # ----------------------------------------------------------------- writing

    def _create(self) -> None:
        now = self._clock()
        kek = Kek(new_kek_id(now), now, os.urandom(KEY_BYTES))
        self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = _dump({kek.id: kek}, kek.id, os.urandom(KEY_BYTES), [])
        tmp = self._write_temp(data)
        try:
            os.link(tmp, self._path)  # atomic, never replaces a concurrent winner
        except FileExistsError:
            return  # another process created it first: use theirs
        finally:
            os.unlink(tmp)
        logger.info("generated key file %s with KEK %s", self._path, kek.id)

    def _save(self) -> None:
        tmp = self._write_temp(_dump(self._keks, self._current, self._hmac_key, self._retired))
        os.replace(tmp, self._path)

    def _write_temp(self, data: bytes) -> Path:
        tmp = self._path.with_name(f".{self._path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
        try:
            os.fchmod(fd, 0o600)  # exact, whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        os.close(fd)
        return tmp


def _read_private(path: Path) -> tuple[bytes, tuple[int, int, int]]:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise CryptoError(f"key file {path} is missing") from None
    except OSError as exc:
        raise CryptoError(f"cannot open key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise CryptoError(f"key file {path} is not a regular file")
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            raise CryptoError(
                f"key file {path} has mode {mode:04o}: refusing to use it; "
                f"it must be readable by its owner only (chmod 600 {path})"
            )
        return f.read(), (st.st_ino, st.st_mtime_ns, st.st_size)


def _dump(
    keks: dict[str, Kek], current: str, hmac_key: bytes, retired: list[dict[str, str]]
) -> bytes:
    doc = {
        "format": _FILE_FORMAT,
        "version": _FILE_VERSION,
        "current": current,
        "keks": [
            {"id": k.id, "created": k.created.isoformat(), "key": _b64(k.key)}
            for k in keks.values()
        ],
        "log_hmac_key": _b64(hmac_key),
        "retired": retired,
    }
    return json.dumps(doc, indent=2).encode() + b"\n"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _parse(path: Path, raw: bytes) -> tuple[dict[str, Kek], str, bytes, list[dict[str, str]]]:
    def bad(why: str) -> CryptoError:
        return CryptoError(f"malformed key file {path}: {why}")

    try:
        doc: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad("not JSON") from None
    if not isinstance(doc, dict):
        raise bad("not a JSON object")
    if doc.get("format") != _FILE_FORMAT or doc.get("version") != _FILE_VERSION:
        raise bad(f"expected format {_FILE_FORMAT!r} version {_FILE_VERSION}")
    keks: dict[str, Kek] = {}
    entries = doc.get("keks")
    if not isinstance(entries, list) or not entries:
        raise bad("'keks' must be a non-empty list")
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise bad("each KEK needs a string 'id'")
        kek_id: str = entry["id"]
        if not kek_id or kek_id in keks:
            raise bad(f"empty or duplicate KEK id {kek_id!r}")
        try:
            created = datetime.fromisoformat(entry["created"])
        except (KeyError, TypeError, ValueError):
            raise bad(f"KEK {kek_id!r}: 'created' must be an ISO 8601 time") from None
        keks[kek_id] = Kek(kek_id, created, _key_field(entry.get("key"), f"KEK {kek_id!r}", bad))
    current = doc.get("current")
    if not isinstance(current, str) or current not in keks:
        raise bad("'current' must name one of the KEKs")
    hmac_key = _key_field(doc.get("log_hmac_key"), "'log_hmac_key'", bad)
    retired = doc.get("retired", [])
    if not isinstance(retired, list) or not all(
        isinstance(r, dict) and isinstance(r.get("id"), str) for r in retired
    ):
        raise bad("'retired' must be a list of {'id': ...}")
    return keks, current, hmac_key, retired


def _key_field(value: object, what: str, bad: Callable[[str], CryptoError]) -> bytes:
    if not isinstance(value, str):
        raise bad(f"{what}: key must be a base64 string")
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise bad(f"{what}: key is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise bad(f"{what}: key must be {KEY_BYTES} bytes, got {len(key)}")
    return key
