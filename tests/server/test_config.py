from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.config import ConfigError, load_config
from server.realtime import ice_servers_for_clients, relay_config
from signaling.ice import IceServer


def test_defaults_are_embedded(tmp_path: Path) -> None:
    config = load_config({"PALABRE_VAR_DIR": str(tmp_path)})
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path / 'palabre.db'}"
    assert config.http.public_url == "http://localhost:8080"
    assert not config.secure_cookies
    assert config.media.ice_servers == ()


def test_postgres_url_gets_the_async_driver() -> None:
    config = load_config({"PALABRE_DATABASE_URL": "postgresql://u@db:5432/palabre"})
    assert config.database_url == "postgresql+asyncpg://u@db:5432/palabre"


def test_keys_are_apart_from_the_main_database_by_default(tmp_path: Path) -> None:
    var = {"PALABRE_VAR_DIR": str(tmp_path)}
    on_pg = load_config({**var, "PALABRE_DATABASE_URL": "postgresql://u@db:5432/palabre"})
    assert on_pg.records.keys_database_url == f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    on_sqlite = load_config(var)
    assert on_sqlite.records.keys_database_url == f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    chosen = load_config(
        {
            **var,
            "PALABRE_DATABASE_URL": "postgresql://u@db:5432/palabre",
            "PALABRE_KEYS_IN_MAIN_DATABASE": "true",
        }
    )
    assert chosen.records.keys_database_url == "postgresql+asyncpg://u@db:5432/palabre"
    elsewhere = load_config({**var, "PALABRE_KEYS_DATABASE_URL": "postgresql://k@keys/keys"})
    assert elsewhere.records.keys_database_url == "postgresql+asyncpg://k@keys/keys"


def test_ice_servers_parse() -> None:
    config = load_config(
        {"PALABRE_ICE_SERVERS": '[{"urls": "stun:s:3478"}, {"urls": ["turn:t"], "username": "u"}]'}
    )
    assert config.media.ice_servers == (
        IceServer(("stun:s:3478",)),
        IceServer(("turn:t",), username="u"),
    )
    # one type from the configuration to the browsers and the relay
    assert relay_config(config).ice_servers == config.media.ice_servers
    assert ice_servers_for_clients(config).public() == [{"urls": ["stun:s:3478"]}]
    with pytest.raises(ConfigError):
        load_config({"PALABRE_ICE_SERVERS": '[{"urls": "http://example.org"}]'})


def test_turn_secret_parse() -> None:
    config = load_config(
        {"PALABRE_TURN_URLS": "turn:t:3478, turns:t:5349", "PALABRE_TURN_SECRET": "s3cr3t"}
    )
    assert config.media.turn_urls == ("turn:t:3478", "turns:t:5349")
    assert config.media.turn_ttl_seconds == 3600
    assert "s3cr3t" not in repr(config)


def test_relay_udp_ports_and_transport_policy_parse() -> None:
    assert load_config({}).media.udp_ports is None
    assert load_config({}).media.ice_transport_policy == "all"
    turn = {"PALABRE_TURN_URLS": "turn:t:3478?transport=tcp", "PALABRE_TURN_SECRET": "s"}
    config = load_config(
        {
            **turn,
            "PALABRE_RELAY_UDP_PORTS": "40000-40999",
            "PALABRE_ICE_TRANSPORT_POLICY": "Relay",
        }
    )
    assert config.media.udp_ports == (40000, 40999)
    assert config.media.ice_transport_policy == "relay"
    assert load_config({"PALABRE_RELAY_UDP_PORTS": "50000 - 50000"}).media.udp_ports == (
        50000,
        50000,
    )
    static_turn = '[{"urls": "turn:t:3478", "username": "u", "credential": "p"}]'
    relay_only = {"PALABRE_ICE_SERVERS": static_turn, "PALABRE_ICE_TRANSPORT_POLICY": "relay"}
    assert load_config(relay_only).media.ice_transport_policy == "relay"


@pytest.mark.parametrize(
    "env",
    [
        {"PALABRE_RELAY_UDP_PORTS": "40000"},
        {"PALABRE_RELAY_UDP_PORTS": "40999-40000"},
        {"PALABRE_RELAY_UDP_PORTS": "80-90"},
        {"PALABRE_RELAY_UDP_PORTS": "60000-70000"},
        {"PALABRE_RELAY_UDP_PORTS": "a-b"},
        {"PALABRE_ICE_TRANSPORT_POLICY": "turn-only"},
        # relay only without any TURN server would leave browsers without a candidate
        {"PALABRE_ICE_TRANSPORT_POLICY": "relay"},
        {"PALABRE_ICE_TRANSPORT_POLICY": "relay", "PALABRE_ICE_SERVERS": '[{"urls": "stun:x"}]'},
    ],
)
def test_bad_relay_network_values_fail_loudly(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=next(iter(env))):
        load_config(env)


@pytest.mark.parametrize(
    "env",
    [
        {"PALABRE_PORT": "eighty"},
        {"PALABRE_PORT": "70000"},
        {"PALABRE_TRUST_FORWARDED": "maybe"},
        {"PALABRE_TRUSTED_PROXY_HOPS": "0"},
        {"PALABRE_LOGIN_MAX_CONCURRENT": "0"},
        {"PALABRE_PUBLIC_URL": "ftp://x"},
        {"PALABRE_TLS_CERT": "/nonexistent.pem", "PALABRE_TLS_KEY": "/nonexistent.key"},
        {"PALABRE_ICE_SERVERS": "stun:x"},
        {"PALABRE_ICE_SERVERS": '[{"url": "stun:x"}]'},
        {"PALABRE_ICE_SERVERS": '[{"urls": "http://x"}]'},
        {"PALABRE_ICE_SERVERS": '[{"urls": "turn:x", "credential": 5}]'},
        {"PALABRE_ICE_SERVERS": '["stun:x"]'},
        {"PALABRE_KEYS_IN_MAIN_DATABASE": "true", "PALABRE_KEYS_DATABASE_URL": "sqlite:///k"},
        {"PALABRE_KEYS_IN_MAIN_DATABASE": "perhaps"},
        {"PALABRE_TURN_URLS": "turn:t:3478"},
        {"PALABRE_TURN_SECRET": "s"},
        {"PALABRE_TURN_URLS": "stun:t:3478", "PALABRE_TURN_SECRET": "s"},
        {
            "PALABRE_TURN_URLS": "turn:t",
            "PALABRE_TURN_SECRET": "s",
            "PALABRE_TURN_TTL_SECONDS": "9",
        },
    ],
)
def test_bad_values_fail_loudly(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        load_config(env)


def test_tls_gives_https_and_secure_cookies(tmp_path: Path) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("y")
    config = load_config({"PALABRE_TLS_CERT": str(cert), "PALABRE_TLS_KEY": str(key)})
    assert config.http.public_url == "https://localhost:8080"
    assert config.secure_cookies
    with pytest.raises(ConfigError):
        load_config({"PALABRE_TLS_CERT": str(cert)})


def test_a_node_has_a_name_fit_for_leases_logs_and_routing(tmp_path: Path) -> None:
    var = {"PALABRE_VAR_DIR": str(tmp_path)}
    named = load_config({**var, "PALABRE_NODE_ID": "n2", "PALABRE_LEASE_SECONDS": "8"})
    assert named.cluster.node_id == "n2"
    assert named.cluster.lease_seconds == 8.0
    derived = load_config({**var, "PALABRE_PORT": "8123"}).cluster.node_id
    assert derived.endswith("-8123")
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", derived)
    for bad in ("N2", "n 2", "-n2", "n2/..", "x" * 64):
        with pytest.raises(ConfigError, match="PALABRE_NODE_ID"):
            load_config({**var, "PALABRE_NODE_ID": bad})
    with pytest.raises(ConfigError, match="PALABRE_LEASE_SECONDS"):
        load_config({**var, "PALABRE_LEASE_SECONDS": "1"})
    assert named.cluster.redis_prefix == "palabre"
    staging = load_config({**var, "PALABRE_REDIS_PREFIX": "palabre-staging"})
    assert staging.cluster.redis_prefix == "palabre-staging"
    for bad in ("", " x", "a b", "*"):
        if bad:
            with pytest.raises(ConfigError, match="PALABRE_REDIS_PREFIX"):
                load_config({**var, "PALABRE_REDIS_PREFIX": bad})


def test_the_signing_key_file_may_be_shared_by_the_nodes(tmp_path: Path) -> None:
    var = {"PALABRE_VAR_DIR": str(tmp_path)}
    assert load_config(var).signing_key_path == tmp_path / "signing.key"
    shared = tmp_path / "shared" / "signing.key"
    config = load_config({**var, "PALABRE_SIGNING_KEY_FILE": str(shared)})
    assert config.signing_key_path == shared


def test_the_survey_region_is_a_short_label(tmp_path: Path) -> None:
    var = {"PALABRE_VAR_DIR": str(tmp_path)}
    assert load_config(var).records.region == "unspecified"
    chosen = load_config({**var, "PALABRE_REGION": " Provence-Alpes-Côte d'Azur "})
    assert chosen.records.region == "Provence-Alpes-Côte d'Azur"
    for bad in ("<b>", "x" * 65, "-lead", "a\nb"):
        with pytest.raises(ConfigError, match="PALABRE_REGION"):
            load_config({**var, "PALABRE_REGION": bad})
