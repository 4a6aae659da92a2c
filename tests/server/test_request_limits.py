"""The public request form's limits, in one process and shared through Redis."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from errors import CodedError, ErrorCode
from server.request_limits import (
    DAY,
    HOUR,
    LimitReached,
    Limits,
    MemoryLimits,
    RedisLimits,
    Window,
    hashed,
)
from tests.redis import redis_url_or_skip

WINDOWS = (Window(HOUR, 3), Window(DAY, 10))


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_057_600.0  # a whole number of days: windows start here

    def __call__(self) -> float:
        return self.now


Make = Callable[[Clock], Limits]


@pytest.fixture(params=["memory", "redis"])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[Make]:
    if request.param == "memory":
        yield lambda clock: MemoryLimits(WINDOWS, clock=clock)
        return
    redis = Redis.from_url(redis_url_or_skip())
    prefix = f"palabre-test-{secrets.token_hex(4)}:requests"
    yield lambda clock: RedisLimits(redis, WINDOWS, prefix=prefix, clock=clock)
    keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def refused_after(limits: Limits, names: list[str]) -> int:
    with pytest.raises(LimitReached) as caught:
        await limits.hit(names)
    return caught.value.retry_after


async def test_three_an_hour_then_refused_until_the_hour_ends(make: Make) -> None:
    clock = Clock()
    limits = make(clock)
    names = [hashed("address", "192.0.2.1"), hashed("email", "a@example.org")]
    for _ in range(3):
        await limits.hit(names)
    clock.now += 600
    assert await refused_after(limits, names) == HOUR - 600
    clock.now += HOUR - 600
    await limits.hit(names)  # a new hour


async def test_ten_a_day_whatever_the_hours(make: Make) -> None:
    clock = Clock()
    limits = make(clock)
    names = [hashed("email", "a@example.org")]
    for _ in range(10):
        await limits.hit(names)
        clock.now += HOUR
    assert await refused_after(limits, names) == DAY - 10 * HOUR


async def test_one_full_counter_refuses_and_counts_nothing_in_the_others(make: Make) -> None:
    clock = Clock()
    limits = make(clock)
    address = hashed("address", "192.0.2.1")
    for i in range(3):
        await limits.hit([address, hashed("email", f"{i}@example.org")])
    fresh = hashed("email", "fresh@example.org")
    await refused_after(limits, [address, fresh])
    for _ in range(3):  # the refused request was not counted against the fresh e-mail
        await limits.hit([fresh])


async def test_nodes_sharing_redis_share_the_allowance() -> None:
    redis = Redis.from_url(redis_url_or_skip())
    prefix = f"palabre-test-{secrets.token_hex(4)}:requests"
    try:
        clock = Clock()
        nodes = [RedisLimits(redis, WINDOWS, prefix=prefix, clock=clock) for _ in range(3)]
        names = [hashed("address", "192.0.2.7")]
        for node in nodes:
            await node.hit(names)
        for node in nodes:
            await refused_after(node, names)
        keys = [k.decode() async for k in redis.scan_iter(f"{prefix}:*")]
        assert keys and not any("192.0.2.7" in k for k in keys)  # hashed, never in clear
        ttls = [await redis.ttl(k) for k in keys]
        assert all(0 < t <= DAY + 1 for t in ttls)
    finally:
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_without_redis_requests_are_refused_with_a_code() -> None:
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        limits = RedisLimits(redis, WINDOWS, clock=Clock())
        with pytest.raises(CodedError) as caught:
            await limits.hit([hashed("address", "192.0.2.1")])
        assert caught.value.code is ErrorCode.SERVER_BUSY
    finally:
        await redis.aclose()


def test_memory_is_bounded() -> None:
    import asyncio

    limits = MemoryLimits(WINDOWS, max_entries=100, clock=Clock())

    async def flood() -> None:
        for i in range(500):
            await limits.hit([hashed("address", f"10.0.{i // 256}.{i % 256}")])

    asyncio.run(flood())
    assert limits.size() <= 100
