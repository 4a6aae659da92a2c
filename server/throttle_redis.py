"""Sign-in throttling shared by every node: the same rules, the rows kept in Redis.

Behind a load balancer each sign-in may reach a different node; with a throttle per
process an attacker would get a node's allowance of guesses from each of them. Here
every node reads and counts the same rows. ``begin`` reads the rows under ``WATCH``,
asks :class:`server.throttle.ThrottlePolicy` (the one place the rules live) and
counts the reservation in a ``MULTI`` transaction; if another node changed a row in
between, it reads again. So parallel attempts on several nodes cannot all slip
through, as in one process.

Rows expire on their own (Redis TTLs: a failure row when it no longer matters, a known
pair after ``KNOWN_PAIR_SECONDS``), so random e-mails and addresses cannot fill Redis.
Keys name neither the e-mail (a hash, as in memory) nor the address (hashed too: an
address is personal data and Redis is shared).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, WatchError

from errors import CodedError, ErrorCode
from server.config import Config
from server.throttle import (
    KNOWN_PAIR_SECONDS,
    Attempt,
    Failures,
    Keys,
    LoginThrottle,
    Rows,
    Throttle,
    ThrottlePolicy,
    TooManyAttempts,
    refused,
)

logger = logging.getLogger(__name__)

MAX_RETRIES = 20  # a row changed by another node meanwhile: read again

# Give one count back, and forget the row when nothing is left (atomically).
_REFUND = """
local n = redis.call('HINCRBY', KEYS[1], 'c', -1)
if n <= 0 then redis.call('DEL', KEYS[1]) end
return n
"""


def _hashed(value: str) -> str:
    return hashlib.blake2b(value.encode(), digest_size=16).hexdigest()


def _row(raw: Mapping[Any, Any]) -> Failures | None:
    if not raw:
        return None
    values = {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}
    try:
        return Failures(int(values["c"]), float(values["t"]))
    except (KeyError, ValueError):
        return None  # a half-written or foreign row counts as none


class RedisThrottle:
    def __init__(
        self,
        redis: Redis,
        max_failures: int,
        window_seconds: float,
        *,
        prefix: str = "palabre:throttle",
        first_delay: float = 15.0,
        wide_factor: int = 4,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # wall-clock time: the nodes' monotonic clocks are unrelated to each other
        self._redis = redis
        self._policy = ThrottlePolicy(
            max_failures, window_seconds, first_delay=first_delay, wide_factor=wide_factor
        )
        self._prefix = prefix
        self._clock = clock
        self._refund = redis.register_script(_REFUND)

    def _key(self, table: str, key: str) -> str:
        return f"{self._prefix}:{table}:{_hashed(key)}"

    def _keys(self, keys: Keys) -> dict[str, str]:
        return {
            "pair": self._key("pair", keys.pair),
            "account": self._key("account", keys.account),
            "address": self._key("address", keys.address),
            "known": self._key("known", keys.pair),
        }

    async def begin(self, account: str, address: str, *, account_wide: bool = True) -> Attempt:
        try:
            return await self._begin(account, address, account_wide)
        except RedisError as exc:  # no guess goes uncounted: refuse while Redis is away
            logger.warning("sign-in throttle unreachable (%s)", type(exc).__name__)
            message = "sign-in is unavailable for a moment: retry"
            raise CodedError(message, ErrorCode.SERVER_BUSY) from None

    async def _begin(self, account: str, address: str, account_wide: bool) -> Attempt:
        keys = Keys.of(account, address)
        names = self._keys(keys)
        lifetime = math.ceil(self._policy.row_lifetime()) + 1
        async with self._redis.pipeline(transaction=True) as pipe:
            for _ in range(MAX_RETRIES):
                try:
                    await pipe.watch(*names.values())
                    now = self._clock()
                    known: Any = await pipe.get(names["known"])
                    rows = Rows(
                        _row(await pipe.hgetall(names["pair"])),
                        _row(await pipe.hgetall(names["account"])),
                        _row(await pipe.hgetall(names["address"])),
                        float(known) if known is not None else None,
                    )
                    plan = self._policy.plan(keys, rows, now, account_wide=account_wide)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    for name in plan.expired:
                        pipe.delete(names[name])
                    if plan.known_expired:
                        pipe.delete(names["known"])
                    attempt = plan.attempt
                    if attempt is not None:
                        bumped = ["pair"]
                        bumped += ["account"] if attempt.account is not None else []
                        bumped += ["address"] if attempt.address is not None else []
                        for name in bumped:
                            pipe.hincrby(names[name], "c", 1)
                            pipe.hset(names[name], "t", repr(now))
                            pipe.expire(names[name], lifetime)
                    await pipe.execute()
                except WatchError:
                    continue
                if attempt is None:
                    raise refused(plan)
                return attempt
        raise TooManyAttempts(1)  # contended beyond reason: refuse rather than let it through

    async def release(self, attempt: Attempt) -> None:
        try:
            await self._release(attempt)
        except RedisError as exc:  # a count not given back costs one free failure, no more
            logger.warning("sign-in throttle unreachable (%s)", type(exc).__name__)

    async def _release(self, attempt: Attempt) -> None:
        for table, key in (
            ("pair", attempt.pair),
            ("account", attempt.account),
            ("address", attempt.address),
        ):
            if key is not None:
                await self._refund(keys=[self._key(table, key)])

    async def succeeded(self, attempt: Attempt) -> None:
        """The sign-in goes ahead even if Redis is away now (the pair is then not known)."""
        try:
            await self._release(attempt)
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._key("pair", attempt.pair))
                known = self._key("known", attempt.pair)
                pipe.set(known, repr(self._clock()), ex=KNOWN_PAIR_SECONDS)
                await pipe.execute()
        except RedisError as exc:
            logger.warning("sign-in throttle unreachable (%s)", type(exc).__name__)


def login_throttle(config: Config) -> tuple[Throttle, Callable[[], Awaitable[None]]]:
    """The throttle this node uses, and how to close it: shared through Redis when the
    nodes share one (``PALABRE_REDIS_URL``), else this process's own."""
    auth = config.auth
    if config.redis_url is None:

        async def nothing() -> None:
            return None

        return LoginThrottle(auth.login_max_failures, auth.login_window_seconds), nothing
    redis = Redis.from_url(config.redis_url)
    throttle = RedisThrottle(
        redis,
        auth.login_max_failures,
        auth.login_window_seconds,
        prefix=f"{config.cluster.redis_prefix}:throttle",
    )
    return throttle, redis.aclose
