"""The organisation's seal: the certificate and key a signed agreement's PDF is sealed with.

A real certificate (an electronic seal issued to the organisation) is configured by path
(``PALABRE_SEAL_CERT``, ``PALABRE_SEAL_KEY``, PEM; the key's password in
``PALABRE_SEAL_KEY_PASSWORD_FILE`` if it has one). Without them, for development, a
self-signed certificate in the organisation's name and its key (ECDSA P-256) are created
once under the var directory (``seal/``, the key mode 0600, never wider) and read again
at every later start: the PDFs sealed before a restart still validate against it. A
self-signed seal proves the file was not changed since; it does not prove to an outsider
who sealed it: that needs a certificate from a trust service.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder, load_private_key_from_pemder
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

logger = logging.getLogger(__name__)

SEAL_DIR = "seal"  # under the var directory
CERT_FILE = "seal-cert.pem"
KEY_FILE = "seal-key.pem"
VALID_DAYS = 10 * 365


@dataclass(frozen=True)
class OrganisationSeal:
    organisation: str
    cert_path: Path
    key_path: Path
    password: bytes | None = None
    self_signed: bool = False

    def chain(self) -> list[asn1_x509.Certificate]:
        """The certificate file's certificates: the seal's first, then its issuers, if the
        file holds them (they are embedded in each signature)."""
        found = load_certs_from_pemder([str(self.cert_path)])  # type: ignore[no-untyped-call]
        certs: list[asn1_x509.Certificate] = list(found)
        if not certs:
            raise ValueError(f"{self.cert_path} holds no certificate")
        return certs

    def certificate(self) -> asn1_x509.Certificate:
        return self.chain()[0]

    def signer(self) -> SimpleSigner:
        chain = self.chain()
        key = load_private_key_from_pemder(str(self.key_path), passphrase=self.password)
        return SimpleSigner(
            signing_cert=chain[0],
            signing_key=key,
            cert_registry=SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
        )


def _check_private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PermissionError(f"{path} is readable by others (mode {mode:o}); run chmod 600 on it")


def create_self_signed(organisation: str, cert_path: Path, key_path: Path) -> None:
    """A new key (0600) and a self-signed sealing certificate in the organisation's name."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} (cachet, développement)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=True, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def load_or_create_seal(
    organisation: str,
    var_dir: Path,
    *,
    cert: Path | None = None,
    key: Path | None = None,
    password_file: Path | None = None,
) -> OrganisationSeal:
    """The configured seal, else the development one under ``var_dir`` (made on first run).

    Both are read once here, so a wrong path, a wrong password or a key readable by
    others stops the start, not the first signature."""
    if (cert is None) != (key is None):
        raise ValueError("the seal's certificate and key go together")
    password = password_file.read_bytes().strip() if password_file is not None else None
    if cert is not None and key is not None:
        seal = OrganisationSeal(organisation, cert, key, password or None)
    else:
        folder = var_dir / SEAL_DIR
        cert_path, key_path = folder / CERT_FILE, folder / KEY_FILE
        if cert_path.exists() != key_path.exists():
            raise ValueError(f"{folder} holds only one of {CERT_FILE} and {KEY_FILE}")
        if not key_path.exists():
            create_self_signed(organisation, cert_path, key_path)
            logger.warning(
                "created a self-signed sealing certificate at %s (development only: set "
                "PALABRE_SEAL_CERT and PALABRE_SEAL_KEY to the organisation's real one)",
                cert_path,
            )
        seal = OrganisationSeal(organisation, cert_path, key_path, None, self_signed=True)
    _check_private(seal.key_path)
    _check_pair(seal)  # reads both now: a bad file or a wrong password fails at start
    return seal


def _check_pair(seal: OrganisationSeal) -> None:
    """The key is the certificate's (else every seal would fail to validate)."""
    seal.signer()
    cert = x509.load_der_x509_certificate(seal.certificate().dump())
    key = serialization.load_pem_private_key(seal.key_path.read_bytes(), seal.password)
    pem, info = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(pem, info) != cert.public_key().public_bytes(pem, info):
        raise ValueError(f"{seal.key_path} is not the key of {seal.cert_path}")
