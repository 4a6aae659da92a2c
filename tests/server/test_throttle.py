from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from errors import CodedError, ErrorCode
from server.throttle import LoginThrottle, Throttle, TooManyAttempts
from server.throttle_redis import RedisThrottle
from tests.redis import redis_url_or_skip

Make = Callable[..., Throttle]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[Make]:
    """Builds throttles of one kind: this process's tables, or rows shared through Redis
    (a prefix of this test's own, deleted afterwards). The rules must not differ."""
    if request.param == "memory":
        yield LoginThrottle
        return
    redis = Redis.from_url(redis_url_or_skip())
    prefix = f"test:throttle:{secrets.token_hex(6)}"

    def build(*args: Any, clock: Callable[[], float], **kwargs: Any) -> Throttle:
        kwargs.pop("max_entries", None)
        return RedisThrottle(redis, *args, prefix=prefix, clock=clock, **kwargs)

    yield build
    keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def _refused(throttle: Throttle, account: str, address: str) -> int:
    with pytest.raises(TooManyAttempts) as info:
        await throttle.begin(account, address)
    return info.value.retry_after


async def test_delays_grow_per_pair_up_to_the_window(make: Make) -> None:
    clock = Clock()
    throttle = make(3, 900, first_delay=15, clock=clock)
    for _ in range(3):
        await throttle.begin("anne@example.org", "203.0.113.1")
    waits = []
    for _ in range(8):
        wait = await _refused(throttle, "anne@example.org", "203.0.113.1")
        waits.append(wait)
        clock.now += wait
        await throttle.begin("anne@example.org", "203.0.113.1")
    assert waits == [15, 30, 60, 120, 240, 480, 900, 900]


async def test_a_reservation_counts_before_the_password_is_checked(make: Make) -> None:
    """Nothing needs to come back from a verification for the next attempt to be refused."""
    throttle = make(5, 900, clock=Clock())
    for _ in range(5):
        await throttle.begin("anne@example.org", "203.0.113.1")
    assert await _refused(throttle, "anne@example.org", "203.0.113.1") > 0


async def test_a_released_reservation_is_given_back(make: Make) -> None:
    throttle = make(1, 900, clock=Clock())
    await throttle.release(await throttle.begin("anne@example.org", "203.0.113.1"))
    await throttle.begin("anne@example.org", "203.0.113.1")
    assert await _refused(throttle, "anne@example.org", "203.0.113.1") > 0


async def test_another_address_is_not_slowed_down_by_one_attacker(make: Make) -> None:
    throttle = make(5, 900, clock=Clock())
    for _ in range(5):
        await throttle.begin("anne@example.org", "203.0.113.66")
    await _refused(throttle, "anne@example.org", "203.0.113.66")
    await throttle.succeeded(await throttle.begin("anne@example.org", "198.51.100.10"))


async def test_a_known_address_signs_in_during_a_distributed_attack(make: Make) -> None:
    clock = Clock()
    throttle = make(5, 900, clock=clock)
    await throttle.succeeded(
        await throttle.begin("anne@example.org", "198.51.100.10")
    )  # Anne's office
    for i in range(40):  # one guess from each of many addresses
        try:
            await throttle.begin("anne@example.org", f"203.0.113.{i}")
        except TooManyAttempts:
            pass
    # the account is slowed down for addresses it never signed in from...
    assert await _refused(throttle, "anne@example.org", "192.0.2.77") > 0
    # ...but not for Anne at her office
    await throttle.succeeded(await throttle.begin("anne@example.org", "198.51.100.10"))


async def test_an_address_spraying_random_emails_is_slowed_down_but_not_its_known_pairs(
    make: Make,
) -> None:
    throttle = make(5, 900, clock=Clock())
    await throttle.succeeded(await throttle.begin("anne@example.org", "192.0.2.1"))
    for _ in range(20):
        await throttle.begin(f"{secrets.token_hex(4)}@example.org", "192.0.2.1")
    assert await _refused(throttle, f"{secrets.token_hex(4)}@example.org", "192.0.2.1") > 0
    await throttle.succeeded(await throttle.begin("anne@example.org", "192.0.2.1"))


async def test_counts_are_forgotten_after_a_quiet_window(make: Make) -> None:
    clock = Clock()
    throttle = make(2, 100, first_delay=10, clock=clock)
    for _ in range(2):
        await throttle.begin("anne@example.org", "203.0.113.1")
    assert await _refused(throttle, "anne@example.org", "203.0.113.1") == 10
    clock.now += 111
    for _ in range(2):
        await throttle.begin("anne@example.org", "203.0.113.1")
    # counted afresh: the first delay again, not a doubled one
    assert await _refused(throttle, "anne@example.org", "203.0.113.1") == 10


async def test_the_setup_code_has_no_account_wide_counter(make: Make) -> None:
    """Strangers guessing the setup code from many addresses cannot block the operator."""
    throttle = make(1, 900, clock=Clock())
    for i in range(50):
        await throttle.begin("setup code", f"203.0.113.{i}", account_wide=False)
    await throttle.begin("setup code", "198.51.100.10", account_wide=False)


async def test_memory_is_bounded_under_random_emails_and_addresses() -> None:
    throttle = LoginThrottle(5, 900, max_entries=100, clock=Clock())
    for _ in range(10_000):
        account = f"{secrets.token_hex(6)}@example.org"
        address = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
        attempt = await throttle.begin(account, address)
        if secrets.randbelow(10) == 0:
            await throttle.succeeded(attempt)
    assert throttle.size() <= 400


async def test_emails_are_not_kept_in_clear() -> None:
    throttle = LoginThrottle(5, 900, clock=Clock())
    attempt = await throttle.begin("anne@example.org", "203.0.113.1")
    assert "anne" not in repr(attempt) and "anne" not in repr(vars(throttle))


async def test_the_tables_forget_quiet_rows_in_memory() -> None:
    clock = Clock()
    throttle = LoginThrottle(2, 100, first_delay=10, clock=clock)
    for _ in range(2):
        await throttle.begin("anne@example.org", "203.0.113.1")
    clock.now += 111
    await throttle.begin("anne@example.org", "203.0.113.1")
    assert throttle.size() == 3  # one row per table, counted afresh


async def test_nodes_sharing_redis_share_the_allowance() -> None:
    """Guesses spread over the nodes behind the load balancer are counted together."""
    redis = Redis.from_url(redis_url_or_skip())
    prefix = f"test:throttle:{secrets.token_hex(6)}"
    try:
        clock = Clock()
        nodes = [RedisThrottle(redis, 3, 900, prefix=prefix, clock=clock) for _ in range(3)]
        for node in nodes:  # one guess on each node
            await node.begin("anne@example.org", "203.0.113.1")
        for node in nodes:  # the allowance is spent everywhere
            assert await _refused(node, "anne@example.org", "203.0.113.1") == 15
        # a sign-in at her office on one node makes that pair known to every node
        await nodes[0].succeeded(await nodes[0].begin("anne@example.org", "198.51.100.10"))
        for i in range(40):
            with contextlib.suppress(TooManyAttempts):
                await nodes[i % 3].begin("anne@example.org", f"192.0.2.{i}")
        assert await _refused(nodes[2], "anne@example.org", "192.0.2.200") > 0
        await nodes[2].succeeded(await nodes[2].begin("anne@example.org", "198.51.100.10"))
    finally:
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_parallel_attempts_on_several_nodes_cannot_all_slip_through() -> None:
    url = redis_url_or_skip()
    prefix = f"test:throttle:{secrets.token_hex(6)}"
    clients = [Redis.from_url(url) for _ in range(3)]  # each node its own connections
    try:
        clock = Clock()
        nodes = [RedisThrottle(c, 5, 900, prefix=prefix, clock=clock) for c in clients]

        async def guess(i: int) -> bool:
            try:
                await nodes[i % 3].begin("anne@example.org", "203.0.113.1")
            except TooManyAttempts:
                return False
            return True

        results = await asyncio.gather(*(guess(i) for i in range(30)))
        assert sum(results) == 5
    finally:
        keys = [k async for k in clients[0].scan_iter(f"{prefix}:*")]
        if keys:
            await clients[0].delete(*keys)
        for c in clients:
            await c.aclose()


async def test_redis_keeps_neither_emails_nor_addresses_in_clear() -> None:
    redis = Redis.from_url(redis_url_or_skip())
    prefix = f"test:throttle:{secrets.token_hex(6)}"
    try:
        throttle = RedisThrottle(redis, 5, 900, prefix=prefix, clock=Clock())
        await throttle.succeeded(await throttle.begin("anne@example.org", "203.0.113.1"))
        await throttle.begin("anne@example.org", "198.51.100.7")
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        assert len(keys) >= 4
        stored = b" ".join(keys) + b" ".join(
            [str(await redis.hgetall(k)).encode() for k in keys if await redis.type(k) == b"hash"]
        )
        for secret in (b"anne", b"example.org", b"203.0.113", b"198.51.100"):
            assert secret not in stored
        ttls = [await redis.ttl(k) for k in keys]
        assert all(ttl > 0 for ttl in ttls)  # nothing stays for ever
    finally:
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_without_redis_sign_in_is_refused_with_a_code_not_let_through() -> None:
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        throttle = RedisThrottle(redis, 5, 900, clock=Clock())
        with pytest.raises(CodedError) as info:
            await throttle.begin("anne@example.org", "203.0.113.1")
        assert info.value.code is ErrorCode.SERVER_BUSY
    finally:
        await redis.aclose()
