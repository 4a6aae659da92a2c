"""Configuration: one frozen dataclass per section, read once from PALABRE_* variables.

A bad value fails loudly at start; nothing reads the environment afterwards.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from records.crypto.keystore import default_keys_url
from records.db import is_sqlite, sqlite_url
from server.invites.signing import SIGNING_KEY_FILE
from signaling.ice import IceServer


class ConfigError(ValueError):
    """A PALABRE_* variable has a value Palabre cannot use."""


@dataclass(frozen=True)
class HttpConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://localhost:8080"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    trust_forwarded: bool = False
    trusted_proxy_hops: int = 1  # proxies in front of Palabre that append to X-Forwarded-For
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 25 * 1024 * 1024  # a shared document


@dataclass(frozen=True)
class AuthConfig:
    session_hours: int = 12
    login_max_failures: int = 5
    login_window_seconds: int = 900
    login_max_concurrent: int = 2  # argon2 password checks at once (64 MiB each)
    link_grace_hours: int = 2
    # the link-signing key; None: var/signing.key. Several nodes must share one.
    signing_key_file: Path | None = None


@dataclass(frozen=True)
class MediaConfig:
    ice_servers: tuple[IceServer, ...] = ()
    # coturn's REST-API shared secret (use-auth-secret): each connection gets its own
    # credentials for turn_urls, valid turn_ttl_seconds.
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = field(default=None, repr=False)
    turn_ttl_seconds: int = 3600
    # Local addresses the relay gathers ICE host candidates on; None: every
    # interface but loopback (aioice's default).
    host_addresses: tuple[str, ...] | None = None
    # The inclusive UDP port range of the relay's host candidates (a firewall rule can
    # name it); None: ephemeral ports.
    udp_ports: tuple[int, int] | None = None
    # "relay": browsers use TURN only (iceTransportPolicy), for deployments where only
    # the TURN server is reachable; "all": every candidate (the default).
    ice_transport_policy: str = "all"


@dataclass(frozen=True)
class RecordsConfig:
    key_file: Path
    # Where the wrapped data keys live: a SQLite file of its own by default (erasing a
    # key leaves no copy); the main database's URL only by explicit choice.
    keys_database_url: str
    retention_file: Path | None = None
    purge_interval_hours: int = 24
    organisation_id: str = "palabre"
    # The region the satisfaction survey's answers are counted in (PALABRE_REGION): the
    # organisation's, one for the whole installation, never a case's.
    region: str = "unspecified"
    # Reviews of anonymised summaries run the entity pipelines: load them in the background
    # as the node starts (some seconds of CPU), so that the first review does not wait.
    warm_up_entities: bool = True


@dataclass(frozen=True)
class ClusterConfig:
    """This node among several: its name, and how long its claim on a live session lasts.

    ``node_id`` names the node in the session leases, the logs and the metrics (and in
    the load balancer's routing hint, so it must match the name there). A holder renews
    its lease well within ``lease_seconds``; a node that dies loses its sessions to
    another node when that time has passed.
    """

    node_id: str = "node-1"
    lease_seconds: float = 5.0
    # What every key and channel of this deployment's in Redis starts with, so that two
    # deployments (staging and production, say) can share one Redis.
    redis_prefix: str = "palabre"


@dataclass(frozen=True)
class OpsConfig:
    """What the administrator watches: where the metrics are served (None: nowhere; never
    on the public port) and how log lines are written (``text`` or ``json``)."""

    metrics_host: str | None = None
    metrics_port: int = 9108
    log_format: str = "text"


SMTP_SECURITY = ("starttls", "tls", "none")
SMTP_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class SmtpConfig:
    """Where e-mail goes (:mod:`server.mail`). No ``host``: nothing is sent, messages wait
    in the outbox (the mediator can copy them). ``security``: ``starttls`` (upgrade on the
    submission port), ``tls`` (implicit TLS) or ``none`` (a relay on a trusted network)."""

    host: str | None = None
    port: int = 587
    security: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "palabre@localhost"

    @property
    def configured(self) -> bool:
        return self.host is not None


@dataclass(frozen=True)
class SealConfig:
    """The organisation's name (in its texts and on its seal) and the certificate its signed
    agreements are sealed with (PEM files; :mod:`records.agreements.seal`). No certificate:
    a self-signed one is made once under the var directory, for development."""

    organisation_name: str = "Palabre"
    cert: Path | None = None
    key: Path | None = None
    key_password_file: Path | None = None


@dataclass(frozen=True)
class RequestsConfig:
    """The public request form's allowance (:mod:`server.request_limits`): so many
    requests per hour and per day from one client address, and as many for one e-mail."""

    per_hour: int = 3
    per_day: int = 10


@dataclass(frozen=True)
class Config:
    var_dir: Path
    database_url: str
    http: HttpConfig
    auth: AuthConfig
    media: MediaConfig
    records: RecordsConfig
    redis_url: str | None = None
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    ops: OpsConfig = field(default_factory=OpsConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    seal: SealConfig = field(default_factory=SealConfig)
    requests: RequestsConfig = field(default_factory=RequestsConfig)

    @property
    def secure_cookies(self) -> bool:
        return self.http.public_url.startswith("https://")

    @property
    def signing_key_path(self) -> Path:
        return self.auth.signing_key_file or self.var_dir / SIGNING_KEY_FILE

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.auth.session_hours)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _region(env: Mapping[str, str]) -> str:
    """PALABRE_REGION: a short label (letters, digits, spaces, - ' .), 64 at most."""
    raw = (env.get("PALABRE_REGION") or "unspecified").strip()
    if not re.fullmatch(r"[\w][\w '.-]{0,63}", raw):
        raise ConfigError(f"PALABRE_REGION must be a short label, got {raw!r}")
    return raw


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name)
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise ConfigError(f"{name} points to {raw!r}, which is not a readable file")
    return path


def _file_path(env: Mapping[str, str], name: str) -> Path | None:
    """A file that is created if missing (a key generated on first run)."""
    raw = env.get(name)
    return Path(raw).resolve() if raw else None


def _ice_servers(raw: str | None) -> tuple[IceServer, ...]:
    if not raw:
        return ()
    try:
        items = json.loads(raw)
        servers = []
        for item in items:
            urls = item["urls"]
            urls = [urls] if isinstance(urls, str) else list(urls)
            if not all(isinstance(u, str) for u in urls):
                raise ValueError("urls")
            username, credential = item.get("username"), item.get("credential")
            if not all(v is None or isinstance(v, str) for v in (username, credential)):
                raise ValueError("username and credential are strings")
            servers.append(IceServer(tuple(urls), username, credential))  # checks the schemes
        return tuple(servers)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ConfigError(
            'PALABRE_ICE_SERVERS must be JSON like [{"urls": ["stun:host:3478"]}]'
        ) from exc


def _turn(env: Mapping[str, str]) -> tuple[tuple[str, ...], str | None]:
    urls = tuple(u.strip() for u in env.get("PALABRE_TURN_URLS", "").split(",") if u.strip())
    secret = env.get("PALABRE_TURN_SECRET") or None
    if bool(urls) != (secret is not None):
        raise ConfigError("PALABRE_TURN_URLS and PALABRE_TURN_SECRET go together")
    if not all(u.startswith(("turn:", "turns:")) for u in urls):
        raise ConfigError("PALABRE_TURN_URLS must be turn: or turns: URLs, comma-separated")
    return urls, secret


def _addresses(env: Mapping[str, str], name: str) -> tuple[str, ...] | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    out = []
    for part in raw.split(","):
        try:
            out.append(str(ipaddress.ip_address(part.strip())))
        except ValueError as exc:
            raise ConfigError(f"{name} must be a comma-separated list of IP addresses") from exc
    return tuple(out)


def _port_range(env: Mapping[str, str], name: str) -> tuple[int, int] | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    match = re.fullmatch(r"(\d{1,5})\s*-\s*(\d{1,5})", raw)
    if match is None:
        raise ConfigError(f"{name} must be a range of UDP ports like 40000-40999, got {raw!r}")
    low, high = int(match[1]), int(match[2])
    if not 1024 <= low <= high <= 65535:
        raise ConfigError(f"{name} must be low-high with 1024 <= low <= high <= 65535")
    return low, high


def _transport_policy(env: Mapping[str, str], can_relay: bool) -> str:
    policy = env.get("PALABRE_ICE_TRANSPORT_POLICY", "").strip().lower() or "all"
    if policy not in {"all", "relay"}:
        raise ConfigError(f"PALABRE_ICE_TRANSPORT_POLICY must be all or relay, got {policy!r}")
    if policy == "relay" and not can_relay:
        raise ConfigError(
            "PALABRE_ICE_TRANSPORT_POLICY=relay needs a TURN server "
            "(PALABRE_TURN_URLS and PALABRE_TURN_SECRET, or one in PALABRE_ICE_SERVERS)"
        )
    return policy


def load_config(env: Mapping[str, str]) -> Config:
    var_dir = Path(env.get("PALABRE_VAR_DIR") or "var").resolve()
    host = env.get("PALABRE_HOST") or "127.0.0.1"
    port = _int(env, "PALABRE_PORT", 8080, 0, 65535)
    cert, key = _path(env, "PALABRE_TLS_CERT"), _path(env, "PALABRE_TLS_KEY")
    if (cert is None) != (key is None):
        raise ConfigError("PALABRE_TLS_CERT and PALABRE_TLS_KEY go together")
    scheme = "https" if cert else "http"
    shown_host = "localhost" if host in {"127.0.0.1", "0.0.0.0", "::"} else host  # noqa: S104
    public_url = (env.get("PALABRE_PUBLIC_URL") or f"{scheme}://{shown_host}:{port}").rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise ConfigError("PALABRE_PUBLIC_URL must start with http:// or https://")
    http = HttpConfig(
        host=host,
        port=port,
        public_url=public_url,
        tls_cert=cert,
        tls_key=key,
        trust_forwarded=_bool(env, "PALABRE_TRUST_FORWARDED", False),
        trusted_proxy_hops=_int(env, "PALABRE_TRUSTED_PROXY_HOPS", 1, 1, 10),
        max_body_bytes=_int(env, "PALABRE_MAX_BODY_BYTES", 1024 * 1024, 1024, 1 << 30),
        max_upload_bytes=_int(env, "PALABRE_MAX_UPLOAD_MB", 25, 1, 200) * 1024 * 1024,
    )
    auth = AuthConfig(
        session_hours=_int(env, "PALABRE_SESSION_HOURS", 12, 1, 24 * 30),
        login_max_failures=_int(env, "PALABRE_LOGIN_MAX_FAILURES", 5, 1, 1000),
        login_window_seconds=_int(env, "PALABRE_LOGIN_WINDOW_SECONDS", 900, 1, 86400),
        login_max_concurrent=_int(env, "PALABRE_LOGIN_MAX_CONCURRENT", 2, 1, 64),
        link_grace_hours=_int(env, "PALABRE_LINK_GRACE_HOURS", 2, 0, 24 * 14),
        signing_key_file=_file_path(env, "PALABRE_SIGNING_KEY_FILE"),
    )
    turn_urls, turn_secret = _turn(env)
    ice_servers = _ice_servers(env.get("PALABRE_ICE_SERVERS"))
    can_relay = bool(turn_urls) or any(
        url.startswith(("turn:", "turns:")) for server in ice_servers for url in server.urls
    )
    media = MediaConfig(
        ice_servers=ice_servers,
        host_addresses=_addresses(env, "PALABRE_RELAY_HOST_ADDRESSES"),
        turn_urls=turn_urls,
        turn_secret=turn_secret,
        turn_ttl_seconds=_int(env, "PALABRE_TURN_TTL_SECONDS", 3600, 60, 7 * 86400),
        udp_ports=_port_range(env, "PALABRE_RELAY_UDP_PORTS"),
        ice_transport_policy=_transport_policy(env, can_relay),
    )
    database_url = env.get("PALABRE_DATABASE_URL") or sqlite_url(var_dir)
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+asyncpg://" + database_url.removeprefix("postgresql://")
    keys_url = env.get("PALABRE_KEYS_DATABASE_URL") or None
    if keys_url and keys_url.startswith("postgresql://"):
        keys_url = "postgresql+asyncpg://" + keys_url.removeprefix("postgresql://")
    if _bool(env, "PALABRE_KEYS_IN_MAIN_DATABASE", False):
        if keys_url is not None:
            raise ConfigError(
                "PALABRE_KEYS_IN_MAIN_DATABASE and PALABRE_KEYS_DATABASE_URL exclude each other"
            )
        if is_sqlite(database_url):
            raise ConfigError("PALABRE_KEYS_IN_MAIN_DATABASE is for PostgreSQL only")
        keys_url = database_url
    keys_url = keys_url or default_keys_url(database_url, var_dir)
    records = RecordsConfig(
        key_file=Path(env.get("PALABRE_KEY_FILE") or var_dir / "keys.json"),
        keys_database_url=keys_url,
        retention_file=_path(env, "PALABRE_RETENTION_FILE"),
        purge_interval_hours=_int(env, "PALABRE_PURGE_INTERVAL_HOURS", 24, 1, 24 * 30),
        organisation_id=env.get("PALABRE_ORGANISATION_ID") or "palabre",
        region=_region(env),
        warm_up_entities=_bool(env, "PALABRE_WARM_UP_ENTITIES", True),
    )
    return Config(
        var_dir=var_dir,
        records=records,
        database_url=database_url,
        http=http,
        auth=auth,
        media=media,
        redis_url=env.get("PALABRE_REDIS_URL") or None,
        cluster=_cluster(env, port),
        ops=_ops(env, host, port),
        smtp=_smtp(env, public_url),
        seal=_seal(env),
        requests=RequestsConfig(
            per_hour=_int(env, "PALABRE_REQUESTS_PER_HOUR", 3, 1, 10_000),
            per_day=_int(env, "PALABRE_REQUESTS_PER_DAY", 10, 1, 100_000),
        ),
    )


NODE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
REDIS_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


def _cluster(env: Mapping[str, str], port: int) -> ClusterConfig:
    node_id = env.get("PALABRE_NODE_ID") or ""
    if not node_id:  # this machine's name and port, made fit to be one
        derived = re.sub(r"[^a-z0-9-]", "-", f"{socket.gethostname()}-{port}".lower())
        node_id = derived.strip("-")[-63:].strip("-") or "node"
    if not NODE_ID.fullmatch(node_id):
        raise ConfigError(
            f"PALABRE_NODE_ID must be lower-case letters, digits and dashes, got {node_id!r}"
        )
    lease = _int(env, "PALABRE_LEASE_SECONDS", 5, 2, 120)
    prefix = env.get("PALABRE_REDIS_PREFIX") or "palabre"
    if not REDIS_PREFIX.fullmatch(prefix):
        raise ConfigError(
            f"PALABRE_REDIS_PREFIX must be letters, digits, dashes, dots or colons, got {prefix!r}"
        )
    return ClusterConfig(node_id=node_id, lease_seconds=float(lease), redis_prefix=prefix)


LOG_FORMATS = ("text", "json")


def _ops(env: Mapping[str, str], public_host: str, public_port: int) -> OpsConfig:
    """PALABRE_METRICS_ADDRESS (``host:port``, ``[::1]:port``; unset: no metrics) and
    PALABRE_LOG_FORMAT (``text``, the default, or ``json``)."""
    log_format = (env.get("PALABRE_LOG_FORMAT") or "text").strip().lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"PALABRE_LOG_FORMAT must be text or json, got {log_format!r}")
    raw = (env.get("PALABRE_METRICS_ADDRESS") or "").strip()
    if not raw:
        return OpsConfig(log_format=log_format)
    host, sep, port_text = raw.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    try:
        ipaddress.ip_address(host)
        port = int(port_text)
    except ValueError:
        port = -1
    if not sep or not 0 <= port <= 65535:  # 0: any free port (tests)
        raise ConfigError(
            f"PALABRE_METRICS_ADDRESS must be an IP address and a port like 127.0.0.1:9108, "
            f"got {raw!r}"
        )
    if port and port == public_port and (host == public_host or public_host in {"0.0.0.0", "::"}):  # noqa: S104
        raise ConfigError("PALABRE_METRICS_ADDRESS must not be the public address")
    return OpsConfig(metrics_host=host, metrics_port=port, log_format=log_format)


SMTP_HOST = re.compile(r"[A-Za-z0-9._:\[\]-]{1,253}")
MAIL_ADDRESS = re.compile(r"[^@\s<>\"(),;:]{1,64}@[A-Za-z0-9.-]{1,253}")


def _smtp(env: Mapping[str, str], public_url: str) -> SmtpConfig:
    """PALABRE_SMTP_HOST (unset: no e-mail is sent), _PORT, _SECURITY (starttls, tls,
    none), _USER with _PASSWORD or _PASSWORD_FILE, and _SENDER (the From address)."""
    host = (env.get("PALABRE_SMTP_HOST") or "").strip() or None
    security = (env.get("PALABRE_SMTP_SECURITY") or "starttls").strip().lower()
    if security not in SMTP_SECURITY:
        raise ConfigError(f"PALABRE_SMTP_SECURITY must be starttls, tls or none, got {security!r}")
    if host is not None and not SMTP_HOST.fullmatch(host):
        raise ConfigError(f"PALABRE_SMTP_HOST must be a host name or an address, got {host!r}")
    port = _int(env, "PALABRE_SMTP_PORT", SMTP_DEFAULT_PORTS[security], 1, 65535)
    user = env.get("PALABRE_SMTP_USER") or None
    password = env.get("PALABRE_SMTP_PASSWORD") or None
    password_file = _path(env, "PALABRE_SMTP_PASSWORD_FILE")
    if password is not None and password_file is not None:
        raise ConfigError("PALABRE_SMTP_PASSWORD and PALABRE_SMTP_PASSWORD_FILE exclude each other")
    if password_file is not None:
        password = password_file.read_text().strip() or None
    if (user is None) != (password is None):
        raise ConfigError(
            "PALABRE_SMTP_USER and PALABRE_SMTP_PASSWORD (or _PASSWORD_FILE) go together"
        )
    default_sender = f"palabre@{urlsplit(public_url).hostname or 'localhost'}"
    sender = (env.get("PALABRE_SMTP_SENDER") or "").strip() or default_sender
    if not MAIL_ADDRESS.fullmatch(sender):
        raise ConfigError(
            f"PALABRE_SMTP_SENDER must be one e-mail address like palabre@example.org, "
            f"got {sender!r}"
        )
    return SmtpConfig(
        host=host, port=port, security=security, user=user, password=password, sender=sender
    )


def _seal(env: Mapping[str, str]) -> SealConfig:
    """PALABRE_ORGANISATION_NAME, and PALABRE_SEAL_CERT with PALABRE_SEAL_KEY (PEM files;
    the key's password, if any, in PALABRE_SEAL_KEY_PASSWORD_FILE)."""
    name = " ".join((env.get("PALABRE_ORGANISATION_NAME") or "Palabre").split())
    if len(name) > 120 or not name.isprintable():
        raise ConfigError("PALABRE_ORGANISATION_NAME must be one line of 120 characters at most")
    cert, key = _path(env, "PALABRE_SEAL_CERT"), _path(env, "PALABRE_SEAL_KEY")
    if (cert is None) != (key is None):
        raise ConfigError("PALABRE_SEAL_CERT and PALABRE_SEAL_KEY go together")
    password_file = _path(env, "PALABRE_SEAL_KEY_PASSWORD_FILE")
    if password_file is not None and key is None:
        raise ConfigError("PALABRE_SEAL_KEY_PASSWORD_FILE is the password of PALABRE_SEAL_KEY")
    return SealConfig(organisation_name=name, cert=cert, key=key, key_password_file=password_file)
