"""A real coturn (Debian's ``turnserver``) for the browser tests, on loopback and free ports.

Configured like deploy/coturn/turnserver.conf where it matters (the TURN REST API's
shared secret, fingerprints, no CLI, no multicast peers, TLS 1.2 and up), except what a
one-machine test needs: it listens on 127.0.0.1 only, and ``allow-loopback-peers`` lets
it relay to Palabre's relay on 127.0.0.1 (production denies loopback peers). Its TLS
listener uses a self-signed certificate made here. Its log goes to a file the test reads.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"
REALM = "palabre.test"


@dataclass(frozen=True)
class Coturn:
    port: int  # TURN over UDP and TCP
    tls_port: int  # TURN over TLS
    secret: str  # static-auth-secret, what PALABRE_TURN_SECRET must hold
    log: Path
    cert: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _free_port() -> int:
    """A port free for both TCP and UDP on loopback right now."""
    for _ in range(50):
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "turn-cert.pem", directory / "turn-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def _config(directory: Path, port: int, tls_port: int, secret: str) -> Path:
    cert, key = self_signed(directory)
    lines = [
        "listening-ip=127.0.0.1",
        "relay-ip=127.0.0.1",
        f"listening-port={port}",
        f"tls-listening-port={tls_port}",
        "no-rfc5780",  # no alternate ports, nothing listening but what is asked
        "no-dtls",
        "use-auth-secret",
        f"static-auth-secret={secret}",
        f"realm={REALM}",
        "fingerprint",
        "stale-nonce=600",
        "no-cli",
        "no-multicast-peers",
        "allow-loopback-peers",  # test only: Palabre's relay is on 127.0.0.1 here
        "no-tlsv1",
        "no-tlsv1_1",
        "no-software-attribute",
        "user-quota=12",
        "total-quota=100",
        f"cert={cert}",
        f"pkey={key}",
        f"userdb={directory / 'turndb'}",
        f"pidfile={directory / 'turnserver.pid'}",
        f"log-file={directory / 'turn.log'}",
        "simple-log",
        "no-stdout-log",
        "verbose",  # session lines (allocations, with their usernames): what the test reads
    ]
    path = directory / "turnserver.conf"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)  # it holds the secret
    return path


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def running_coturn(directory: Path) -> Iterator[Coturn]:
    """coturn with a generated configuration in ``directory``, until the block ends (or
    fails): started, waited for until its TCP and TLS listeners answer, stopped."""
    directory.mkdir(parents=True, exist_ok=True)
    port, tls_port = _free_port(), _free_port()
    while tls_port == port:
        tls_port = _free_port()
    secret = secrets.token_urlsafe(24)
    config = _config(directory, port, tls_port, secret)
    turn = Coturn(port, tls_port, secret, directory / "turn.log", directory / "turn-cert.pem")
    proc = subprocess.Popen(
        [TURNSERVER, "-c", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not (_listening(port) and _listening(tls_port)):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"turnserver did not start:\n{turn.log_text()[-3000:]}")
            time.sleep(0.1)
        yield turn
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
