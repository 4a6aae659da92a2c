from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Sequence
from pathlib import Path

import pytest

from errors import ErrorCode
from records.crypto import keys
from records.crypto.envelope import AssociatedData, decrypt, encrypt, new_data_key
from records.crypto.keys import FileKeyProvider, KeyProvider, check_retirable, rewrap
from records.crypto.vault import Sealed, Vault, WrappedKeyRow, rewrap_all, rotate_and_retire
from records.errors import Conflict, CryptoError, NotFound


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "keys.json"


def test_generated_file_is_0600_and_valid(key_path: Path) -> None:
    provider = FileKeyProvider(key_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert isinstance(provider, KeyProvider)
    assert provider.kek_ids() == [provider.current_kek_id]
    assert len(provider.log_hmac_key) == 32
    assert not [p for p in key_path.parent.iterdir() if p.name.endswith(".tmp")]
    doc = json.loads(key_path.read_text())
    assert doc["current"] == provider.current_kek_id


def test_generated_file_is_0600_even_with_permissive_umask(key_path: Path) -> None:
    old = os.umask(0)
    try:
        FileKeyProvider(key_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


def test_reload_gives_same_keys(key_path: Path) -> None:
    first = FileKeyProvider(key_path)
    kek_id, wrapped = first.wrap(b"k" * 32)
    second = FileKeyProvider(key_path, must_exist=True)
    assert second.current_kek_id == first.current_kek_id
    assert second.log_hmac_key == first.log_hmac_key
    assert second.unwrap(kek_id, wrapped) == b"k" * 32


def test_missing_file_when_it_must_exist(key_path: Path) -> None:
    with pytest.raises(CryptoError, match="missing") as info:
        FileKeyProvider(key_path, must_exist=True)
    assert info.value.code is ErrorCode.CRYPTO
    assert not key_path.exists()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666])
def test_refuses_too_permissive_file(key_path: Path, mode: int) -> None:
    FileKeyProvider(key_path)
    key_path.chmod(mode)
    with pytest.raises(CryptoError, match="chmod 600"):
        FileKeyProvider(key_path)


def test_refuses_symlink(key_path: Path, tmp_path: Path) -> None:
    FileKeyProvider(key_path)
    link = tmp_path / "link.json"
    link.symlink_to(key_path)
    with pytest.raises(CryptoError):
        FileKeyProvider(link)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _valid_doc(key_path: Path) -> dict[str, object]:
    FileKeyProvider(key_path)
    doc: dict[str, object] = json.loads(key_path.read_text())
    return doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: "not json", "not JSON"),
        (lambda d: json.dumps([1, 2]), "object"),
        (lambda d: json.dumps({**d, "version": 9}), "version"),
        (lambda d: json.dumps({**d, "keks": []}), "non-empty"),
        (lambda d: json.dumps({**d, "current": "nope"}), "current"),
        (lambda d: json.dumps({**d, "log_hmac_key": "c2hvcnQ="}), "32 bytes"),
        (lambda d: json.dumps({**d, "log_hmac_key": "!!"}), "base64"),
        (
            lambda d: json.dumps({**d, "keks": [{**d["keks"][0], "created": "yesterday"}]}),
            "created",
        ),
        (lambda d: json.dumps({**d, "keks": d["keks"] * 2}), "duplicate"),
    ],
)
def test_refuses_malformed_file(key_path: Path, change: object, message: str) -> None:
    doc = _valid_doc(key_path)
    key_path.unlink()
    _write(key_path, change(doc))  # type: ignore[operator]
    with pytest.raises(CryptoError, match=message):
        FileKeyProvider(key_path)


def test_wrong_kek_and_tampered_wrap(key_path: Path, tmp_path: Path) -> None:
    provider = FileKeyProvider(key_path)
    other = FileKeyProvider(tmp_path / "other.json")
    kek_id, wrapped = provider.wrap(new_data_key())
    with pytest.raises(CryptoError, match="unknown"):
        other.unwrap(kek_id, wrapped)
    for i in range(len(wrapped)):
        bad = bytearray(wrapped)
        bad[i] ^= 0x01
        with pytest.raises(CryptoError):
            provider.unwrap(kek_id, bytes(bad))
    with pytest.raises(CryptoError):
        provider.wrap(b"short")


def test_wrapped_key_is_bound_to_its_kek_id(key_path: Path) -> None:
    provider = FileKeyProvider(key_path)
    old_id, wrapped = provider.wrap(new_data_key())
    provider.rotate()
    # same raw key material under another id must not unwrap: re-label the KEK
    kek = keys.Kek(provider.current_kek_id, keys._utc_now(), os.urandom(32))
    with pytest.raises(CryptoError):
        keys.unwrap_key(kek, wrapped)
    assert provider.unwrap(old_id, wrapped)


def test_rotation_rewraps_without_touching_ciphertexts(key_path: Path) -> None:
    provider = FileKeyProvider(key_path)
    ad = AssociatedData("org-1", "case-1", "item-1", "document", 1)
    stored = []
    for i in range(5):
        dk = new_data_key()
        kek_id, wrapped = provider.wrap(dk)
        stored.append((kek_id, wrapped, encrypt(dk, f"doc {i}".encode(), ad)))
    old = provider.current_kek_id
    new = provider.rotate()
    assert new != old and provider.current_kek_id == new
    assert provider.kek_ids() == [old, new]
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600

    in_use = {kek_id for kek_id, _, _ in stored}
    with pytest.raises(Conflict, match="still wraps"):
        provider.retire(old, in_use)
    with pytest.raises(Conflict, match="current"):
        provider.retire(new, set())
    with pytest.raises(NotFound):
        check_retirable(provider, "kek-nope", set())

    rewrapped = [(*rewrap(provider, k, w), ct) for k, w, ct in stored]
    assert all(k == new for k, _, _ in rewrapped)
    assert rewrap(provider, *rewrapped[0][:2]) == rewrapped[0][:2]  # idempotent
    provider.retire(old, {k for k, _, _ in rewrapped})
    assert provider.kek_ids() == [new]

    # a fresh process sees the rotation; old KEK is gone; ciphertexts unchanged
    reopened = FileKeyProvider(key_path, must_exist=True)
    for i, ((kek_id, wrapped, ct), (_, _, ct_before)) in enumerate(
        zip(rewrapped, stored, strict=True)
    ):
        assert ct is ct_before
        assert decrypt(reopened.unwrap(kek_id, wrapped), ct, ad) == f"doc {i}".encode()
    with pytest.raises(CryptoError, match="retired"):
        reopened.unwrap(old, stored[0][1])


def test_unwrap_reloads_after_rotation_elsewhere(key_path: Path) -> None:
    a = FileKeyProvider(key_path)
    b = FileKeyProvider(key_path)
    b.rotate()
    kek_id, wrapped = b.wrap(b"d" * 32)
    assert a.unwrap(kek_id, wrapped) == b"d" * 32


def test_development_warning_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "warn.json"
    with caplog.at_level(logging.WARNING, logger="records.crypto.keys"):
        FileKeyProvider(path)
        FileKeyProvider(path)
    warnings = [r for r in caplog.records if "development default" in r.getMessage()]
    assert len(warnings) == 1


def test_kek_repr_hides_key() -> None:
    kek = keys.Kek("kek-1", keys._utc_now(), b"\x01" * 32)
    assert "\\x01" not in repr(kek) and "key" not in repr(kek).replace("Kek", "")


# ------------------------------------------------------------------ vault


class FakeWrappedKeyStore:
    """In-memory stand-in for the repository's wrapped-key columns."""

    def __init__(self) -> None:
        self.rows: dict[int, WrappedKeyRow] = {}
        self.writes = 0

    async def get_wrapped_keys_not_under(self, kek_id: str, limit: int) -> list[WrappedKeyRow]:
        return [r for r in self.rows.values() if r.kek_id != kek_id][:limit]

    async def set_wrapped_keys(self, rows: Sequence[WrappedKeyRow]) -> None:
        self.writes += 1
        for row in rows:
            self.rows[int(row.row_id)] = row

    async def get_kek_ids_in_use(self) -> set[str]:
        return {r.kek_id for r in self.rows.values()}


def test_vault_seal_open(key_path: Path) -> None:
    vault = Vault(FileKeyProvider(key_path))
    ad = AssociatedData("org", "case", "item", "note", 1)
    sealed = vault.seal(b"private note", ad)
    assert sealed.kek_id == vault.keys.current_kek_id
    assert b"private" not in sealed.ciphertext and "private" not in repr(sealed)
    assert vault.open(sealed, ad) == b"private note"
    with pytest.raises(CryptoError):
        vault.open(sealed, AssociatedData("org", "case", "item", "note", 2))
    vault.keys.rotate()
    moved = vault.rewrap(sealed)
    assert moved.ciphertext is sealed.ciphertext and moved.kek_id != sealed.kek_id
    assert vault.open(moved, ad) == b"private note"


async def test_rotate_and_retire_through_store(key_path: Path) -> None:
    provider = FileKeyProvider(key_path)
    vault = Vault(provider)
    store = FakeWrappedKeyStore()
    ad = AssociatedData("org", "case", "item", "document", 1)
    ciphertexts = {}
    for i in range(12):
        sealed = vault.seal(f"doc {i}".encode(), ad)
        store.rows[i] = WrappedKeyRow(i, sealed.kek_id, sealed.wrapped_key)
        ciphertexts[i] = sealed.ciphertext
    first = provider.current_kek_id

    assert await rewrap_all(provider, store, batch=5) == 0  # nothing to do yet
    retired = await rotate_and_retire(provider, store)
    assert retired == [first]
    assert provider.kek_ids() == [provider.current_kek_id]
    assert await store.get_kek_ids_in_use() == {provider.current_kek_id}
    for i, row in store.rows.items():
        opened = vault.open(Sealed(row.kek_id, row.wrapped_key, ciphertexts[i]), ad)
        assert opened == f"doc {i}".encode()


async def test_rotate_keeps_kek_still_in_use(key_path: Path) -> None:
    provider = FileKeyProvider(key_path)
    first = provider.current_kek_id

    class LateWriterStore(FakeWrappedKeyStore):
        async def get_kek_ids_in_use(self) -> set[str]:
            return {first}  # a process that had not seen the rotation wrote a row

    assert await rotate_and_retire(provider, LateWriterStore()) == []
    assert first in provider.kek_ids()


def test_rotations_from_two_processes_keep_every_kek(key_path: Path) -> None:
    a = FileKeyProvider(key_path)
    b = FileKeyProvider(key_path)  # holds a stale view after a rotates
    first = a.current_kek_id
    ka = a.rotate()
    kb = b.rotate()
    assert FileKeyProvider(key_path).kek_ids() == [first, ka, kb]


def test_stale_process_never_wraps_under_a_retired_kek(key_path: Path) -> None:
    stale = FileKeyProvider(key_path)
    admin = FileKeyProvider(key_path)
    old = admin.current_kek_id
    new = admin.rotate()
    admin.retire(old, set())
    kek_id, wrapped = stale.wrap(new_data_key())
    assert kek_id == new
    assert admin.unwrap(kek_id, wrapped)
