"""A node among several refuses to start unless it shares the database and the keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.cluster.checks import check_cluster
from server.cluster.nginx import standalone, upstreams
from server.config import ConfigError, load_config

PG = "postgresql://palabre@127.0.0.1/palabre"


def _config(tmp_path: Path, **env: str) -> None:
    check_cluster(load_config({"PALABRE_VAR_DIR": str(tmp_path), **env}))


def test_one_node_needs_nothing_shared(tmp_path: Path) -> None:
    _config(tmp_path)


def test_several_nodes_on_sqlite_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PostgreSQL"):
        _config(tmp_path, PALABRE_REDIS_URL="redis://127.0.0.1:6379/0")


def test_several_nodes_with_keys_of_their_own_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PALABRE_KEYS_DATABASE_URL"):
        _config(tmp_path, PALABRE_REDIS_URL="redis://x/0", PALABRE_DATABASE_URL=PG)


def test_several_nodes_sharing_database_and_keys_start(tmp_path: Path) -> None:
    _config(
        tmp_path, PALABRE_REDIS_URL="redis://x/0", PALABRE_DATABASE_URL=PG,
        PALABRE_KEYS_IN_MAIN_DATABASE="true",
    )  # fmt: skip
    _config(
        tmp_path, PALABRE_REDIS_URL="redis://x/0", PALABRE_DATABASE_URL=PG,
        PALABRE_KEYS_DATABASE_URL="postgresql://palabre@127.0.0.1/palabre_keys",
    )  # fmt: skip


def test_the_nginx_configuration_sends_a_hinted_socket_to_its_node_first() -> None:
    text = upstreams({"n1": "127.0.0.1:9001", "n2": "127.0.0.1:9002"})
    assert "    n1 palabre_node_n1;" in text
    node_1 = text.split("upstream palabre_node_n1 {", 1)[1].split("}", 1)[0]
    assert node_1.split("\n")[1].strip().startswith("server 127.0.0.1:9001 ")
    assert "server 127.0.0.1:9002 backup;" in node_1
    assert "hash $arg_session consistent;" in text
    whole = standalone({"n1": "127.0.0.1:9001"}, 9100, "/tmp/x")
    assert "proxy_set_header Upgrade $http_upgrade;" in whole
    with pytest.raises(ValueError, match="node id"):
        upstreams({"N 1; evil": "127.0.0.1:1"})
