"""The nodes alive now, and the refusal of a node whose secrets differ from theirs."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from server.app import create_app, setup_code_for
from server.node_registry import NodeRegistry, SecretsDiffer, secret_fingerprints
from tests.redis import redis_url_or_skip
from tests.server.conftest import make_config
from tests.signaling.fakes import FakeRelay


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    client = Redis.from_url(redis_url_or_skip())
    prefix = f"test-{secrets.token_hex(6)}"
    yield client, prefix
    keys = [k async for k in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_nodes_with_the_same_secrets_run_together_and_a_different_one_is_refused(
    redis: tuple[Redis, str],
) -> None:
    client, prefix = redis
    signing, log_key = secrets.token_bytes(32), secrets.token_bytes(32)
    same = secret_fingerprints(signing, log_key)
    n1 = NodeRegistry(client, prefix, "n1", same)
    n2 = NodeRegistry(client, prefix, "n2", same)
    await n1.start()
    await n2.start()
    assert set(await n1.live_nodes()) == {"n1", "n2"}
    assert 0 < await client.ttl(f"{prefix}:node:n1") <= 30  # a killed node drops out
    stored = b"".join([await client.get(f"{prefix}:node:{n}") or b"" for n in ("n1", "n2")])
    assert signing.hex().encode() not in stored and log_key.hex().encode() not in stored

    other_links = NodeRegistry(
        client, prefix, "n3", secret_fingerprints(secrets.token_bytes(32), log_key)
    )
    with pytest.raises(SecretsDiffer, match="signing_key") as info:
        await other_links.start()
    assert "master_key" not in str(info.value)
    other_files = NodeRegistry(
        client, prefix, "n3", secret_fingerprints(signing, secrets.token_bytes(32))
    )
    with pytest.raises(SecretsDiffer, match="master_key"):
        await other_files.start()
    assert set(await n1.live_nodes()) == {"n1", "n2"}  # the refused node is not announced

    # every node stopped: new secrets may start (a rotation)
    await n1.stop()
    await n2.stop()
    assert await n1.live_nodes() == {}
    await other_links.start()
    await other_links.stop()


async def test_a_node_started_with_another_signing_key_does_not_serve(
    tmp_path: Path, sqlite_url: str, redis: tuple[Redis, str]
) -> None:
    """Links issued by the running node would be invalid on this one: it refuses to start."""
    _, prefix = redis
    env = {"PALABRE_REDIS_URL": redis_url_or_skip(), "PALABRE_REDIS_PREFIX": prefix}
    first = make_config(tmp_path, sqlite_url, PALABRE_NODE_ID="n1", **env)
    stranger = make_config(
        tmp_path,
        sqlite_url,
        PALABRE_NODE_ID="n2",
        PALABRE_SIGNING_KEY_FILE=str(tmp_path / "elsewhere" / "signing.key"),
        **env,
    )
    twin = make_config(tmp_path, sqlite_url, PALABRE_NODE_ID="n3", **env)

    async with TestServer(await create_app(first, relay_factory=lambda s: FakeRelay())):
        with pytest.raises(SecretsDiffer, match="n2 does not share signing_key"):
            await create_app(stranger, relay_factory=lambda s: FakeRelay())
        async with TestServer(await create_app(twin, relay_factory=lambda s: FakeRelay())):
            pass  # the same files: it runs beside the first


def test_every_node_of_a_deployment_prints_the_same_setup_code() -> None:
    key = secrets.token_bytes(32)
    code = setup_code_for(key)
    assert code == setup_code_for(key)
    assert len(code) == 10 and code.isalnum() and code.isupper()
    assert setup_code_for(secrets.token_bytes(32)) != code
