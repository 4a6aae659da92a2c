"""The organisation's seal: configured by path, or made once for development and kept."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from records.agreements.seal import CERT_FILE, KEY_FILE, SEAL_DIR, load_or_create_seal
from server.config import ConfigError, load_config


def test_a_self_signed_seal_is_made_once_and_read_again(tmp_path: Path) -> None:
    first = load_or_create_seal("Médiation Exemple", tmp_path)
    assert first.self_signed
    assert first.key_path == tmp_path / SEAL_DIR / KEY_FILE
    assert stat.S_IMODE(first.key_path.stat().st_mode) == 0o600
    subject = first.certificate().subject.native
    assert subject["organization_name"] == "Médiation Exemple"
    cert_bytes, key_bytes = first.cert_path.read_bytes(), first.key_path.read_bytes()
    again = load_or_create_seal("Médiation Exemple", tmp_path)  # a restart
    assert again.certificate().dump() == first.certificate().dump()
    assert (again.cert_path.read_bytes(), again.key_path.read_bytes()) == (cert_bytes, key_bytes)


def test_a_key_readable_by_others_stops_the_start(tmp_path: Path) -> None:
    seal = load_or_create_seal("Org", tmp_path)
    seal.key_path.chmod(0o644)
    with pytest.raises(PermissionError):
        load_or_create_seal("Org", tmp_path)


def test_half_a_development_seal_is_refused_not_replaced(tmp_path: Path) -> None:
    seal = load_or_create_seal("Org", tmp_path)
    seal.cert_path.unlink()
    with pytest.raises(ValueError, match=CERT_FILE):
        load_or_create_seal("Org", tmp_path)


def test_a_configured_seal_with_a_password_is_used(tmp_path: Path) -> None:
    made = load_or_create_seal("Org", tmp_path / "made")
    key = serialization.load_pem_private_key(made.key_path.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    locked = tmp_path / "key.pem"
    locked.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    locked.chmod(0o600)
    password = tmp_path / "password"
    password.write_text("s3cret\n")
    config = load_config(
        {
            "PALABRE_VAR_DIR": str(tmp_path / "var"),
            "PALABRE_ORGANISATION_NAME": "Org",
            "PALABRE_SEAL_CERT": str(made.cert_path),
            "PALABRE_SEAL_KEY": str(locked),
            "PALABRE_SEAL_KEY_PASSWORD_FILE": str(password),
        }
    )
    seal = load_or_create_seal(
        config.seal.organisation_name, config.var_dir, cert=config.seal.cert,
        key=config.seal.key, password_file=config.seal.key_password_file,
    )  # fmt: skip
    assert not seal.self_signed and seal.key_path == locked
    assert not (tmp_path / "var" / SEAL_DIR).exists()  # nothing made beside it
    password.write_text("wrong")
    with pytest.raises(ValueError):
        load_or_create_seal("Org", tmp_path, cert=made.cert_path, key=locked,
                            password_file=password)  # fmt: skip


def test_the_seal_settings_go_together(tmp_path: Path) -> None:
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    with pytest.raises(ConfigError, match="go together"):
        load_config({"PALABRE_VAR_DIR": str(tmp_path), "PALABRE_SEAL_CERT": str(cert)})
    with pytest.raises(ConfigError, match="not a readable file"):
        load_config({"PALABRE_VAR_DIR": str(tmp_path), "PALABRE_SEAL_CERT": str(tmp_path / "no"),
                     "PALABRE_SEAL_KEY": str(cert)})  # fmt: skip


def test_a_key_that_is_not_the_certificate_s_is_refused(tmp_path: Path) -> None:
    one = load_or_create_seal("Org", tmp_path / "one")
    two = load_or_create_seal("Org", tmp_path / "two")
    with pytest.raises(ValueError, match="is not the key of"):
        load_or_create_seal("Org", tmp_path, cert=one.cert_path, key=two.key_path)
