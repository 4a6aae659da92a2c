"""Session leases in Redis: one holder at a time, renewed while held, lost at once."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from server.cluster.leases import RedisPlacement, connect

REDIS_URL = os.environ.get("PALABRE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    if not _redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis at 127.0.0.1:6379 is unreachable under CI=true")
        pytest.skip("Redis unreachable")
    prefix = f"palabre-test-{secrets.token_hex(4)}:"
    yield prefix
    redis = Redis.from_url(REDIS_URL)
    keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def _node(name: str, prefix: str, lease: float = 2.0) -> RedisPlacement:
    return RedisPlacement(connect(REDIS_URL, lease), name, lease, prefix=prefix)


async def test_one_node_holds_a_session_and_the_others_are_told_which(prefix: str) -> None:
    a, b = _node("a", prefix), _node("b", prefix)
    try:
        first = await a.claim("s1")
        second = await b.claim("s1")
        again = await a.claim("s1")
        assert (first.holder, first.mine) == ("a", True)
        assert (second.holder, second.mine) == ("a", False)
        assert again.mine
        assert await b.holder("s1") == "a"
        assert await b.holder("s2") is None
    finally:
        await a.close()
        await b.close()


async def test_a_released_lease_goes_to_the_next_claimant_with_a_higher_epoch(prefix: str) -> None:
    a, b = _node("a", prefix), _node("b", prefix)
    try:
        await a.claim("s1")
        epoch = a.epoch("s1")
        await b.release("s1")  # not b's: nothing happens
        assert await b.holder("s1") == "a"
        await a.release("s1")
        assert await a.holder("s1") is None
        claim = await b.claim("s1")
        assert claim.mine
        assert epoch is not None and (b.epoch("s1") or 0) > epoch
    finally:
        await a.close()
        await b.close()


async def test_a_held_lease_is_renewed_past_its_length(prefix: str) -> None:
    a, b = _node("a", prefix, lease=2.0), _node("b", prefix, lease=2.0)
    try:
        await a.claim("s1")
        await asyncio.sleep(3.0)  # one and a half leases: renewed twice meanwhile
        assert not (await b.claim("s1")).mine
        assert await b.holder("s1") == "a"
    finally:
        await a.close()
        await b.close()


async def test_a_lease_taken_away_is_lost_at_the_next_renewal(prefix: str) -> None:
    a, b = _node("a", prefix), _node("b", prefix)
    lost: list[str] = []

    async def on_lost(session_id: str) -> None:
        lost.append(session_id)

    a.on_lost(on_lost)
    raw = Redis.from_url(REDIS_URL)
    try:
        await a.claim("s1")
        await raw.delete(f"{prefix}lease:s1")  # as if it had expired
        assert (await b.claim("s1")).mine
        await a.renew_all()
        assert lost == ["s1"]
        assert a.held() == []
        assert await a.holder("s1") == "b"
        await a.release("s1")  # no longer a's: b keeps it
        assert await b.holder("s1") == "b"
    finally:
        await raw.aclose()
        await a.close()
        await b.close()


async def test_redis_out_of_reach_loses_the_lease_before_it_expires(prefix: str) -> None:
    a = _node("a", prefix, lease=2.0)
    lost: list[str] = []

    async def on_lost(session_id: str) -> None:
        lost.append(session_id)

    a.on_lost(on_lost)
    try:
        await a.claim("s1")
        # Redis goes away: this node's client points at a closed port from now on
        await a._redis.aclose()
        a._redis = connect("redis://127.0.0.1:1/0", 2.0)
        a._renew_script = a._redis.register_script("return 1")
        started = asyncio.get_running_loop().time()
        while not lost and asyncio.get_running_loop().time() - started < 3:
            await a.renew_all()
            await asyncio.sleep(0.1)
        assert lost == ["s1"]
        assert asyncio.get_running_loop().time() - started < 2.0  # within the lease
    finally:
        await a.close()


async def test_a_draining_node_claims_nothing(prefix: str) -> None:
    a = _node("a", prefix)
    try:
        a.drain()
        claim = await a.claim("s1")
        assert not claim.mine
        assert await a.holder("s1") is None
    finally:
        await a.close()
