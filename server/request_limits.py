"""How many public requests one client address, or one e-mail, may send: so many per hour
and per day, counted in fixed windows (the hour, the day), then refused until the window
ends (its remaining seconds are the answer's Retry-After).

A request is checked against every counter it touches (its address's and its e-mail's,
each per hour and per day) and counted in all of them only if none is full, in one step:
no await in between in one process (:class:`MemoryLimits`), one Lua script in Redis when
the nodes share it (:class:`RedisLimits`, ``PALABRE_REDIS_URL``), so spreading a flood
over the nodes gains nothing. Counters are keyed by a hash of the address or the e-mail,
never the value itself, and expire with their window; in memory they are bounded.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from errors import CodedError, ErrorCode
from server.config import Config

logger = logging.getLogger(__name__)

HOUR = 3600
DAY = 86400


class LimitReached(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Window:
    seconds: int
    allowed: int


def windows_of(config: Config) -> tuple[Window, ...]:
    return (Window(HOUR, config.requests.per_hour), Window(DAY, config.requests.per_day))


def hashed(kind: str, value: str) -> str:
    """A counter's name: the kind of key and a hash of its (normalised) value."""
    digest = hashlib.blake2b(value.strip().lower().encode(), digest_size=16).hexdigest()
    return f"{kind}:{digest}"


def _counters(
    names: Sequence[str], windows: Sequence[Window], now: float
) -> list[tuple[str, Window, float]]:
    """``(counter key, window, when the window ends)`` for each name and window."""
    out: list[tuple[str, Window, float]] = []
    for name in names:
        for w in windows:
            bucket = math.floor(now / w.seconds)
            out.append((f"{w.seconds}:{bucket}:{name}", w, (bucket + 1) * w.seconds))
    return out


def _wait(ends: float, now: float) -> int:
    return max(1, math.ceil(ends - now))


class Limits(Protocol):
    async def hit(self, names: Sequence[str]) -> None:
        """Count one request against every counter of ``names``, or raise LimitReached
        (counting nothing) when one of them is full."""
        ...


class MemoryLimits:
    """The counters of one process, at most ``max_entries`` of them (oldest dropped)."""

    def __init__(
        self,
        windows: Sequence[Window],
        *,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._windows = tuple(windows)
        self._max = max_entries
        self._clock = clock
        self._counts: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def size(self) -> int:
        return len(self._counts)

    async def hit(self, names: Sequence[str]) -> None:
        now = self._clock()
        counters = _counters(names, self._windows, now)
        for key, w, ends in counters:
            found = self._counts.get(key)
            if found is not None and found[0] >= w.allowed:
                raise LimitReached(_wait(ends, now))
        for key, _w, ends in counters:
            count = self._counts.pop(key, (0, ends))[0]
            self._counts[key] = (count + 1, ends)
        while len(self._counts) > self._max:
            self._counts.popitem(last=False)
        for key, (_count, ends) in list(self._counts.items())[:16]:  # drop a few ended ones
            if ends <= now:
                del self._counts[key]


# KEYS: the counters; ARGV: each one's allowance, then each one's time to live (seconds).
# Returns 0 (counted in all), or the 1-based index of the first full counter (nothing counted).
_HIT = """
local n = #KEYS
for i = 1, n do
  local c = tonumber(redis.call('GET', KEYS[i]) or '0')
  if c >= tonumber(ARGV[i]) then return i end
end
for i = 1, n do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[n + i]))
end
return 0
"""


class RedisLimits:
    """The same counters in Redis, shared by every node."""

    def __init__(
        self,
        redis: Redis,
        windows: Sequence[Window],
        *,
        prefix: str = "palabre:requests",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._windows = tuple(windows)
        self._prefix = prefix
        self._clock = clock
        self._script = redis.register_script(_HIT)

    async def hit(self, names: Sequence[str]) -> None:
        now = self._clock()
        counters = _counters(names, self._windows, now)
        keys = [f"{self._prefix}:{key}" for key, _w, _e in counters]
        allowed = [w.allowed for _k, w, _e in counters]
        ttls = [_wait(ends, now) + 1 for _k, _w, ends in counters]
        try:
            full = int(await self._script(keys=keys, args=[*allowed, *ttls]))
        except RedisError as exc:  # unmetered requests would let a flood through
            logger.warning("request limits unreachable (%s)", type(exc).__name__)
            raise CodedError(
                "requests cannot be received for a moment: retry", ErrorCode.SERVER_BUSY
            ) from None
        if full:
            raise LimitReached(_wait(counters[full - 1][2], now))


REQUEST_LIMITS: web.AppKey[Limits] = web.AppKey("request_limits")


def request_limits(config: Config) -> tuple[Limits, Callable[[], Awaitable[None]]]:
    """The limits this node applies, and how to close them: in Redis when the nodes share
    one (``PALABRE_REDIS_URL``), else this process's own."""
    if config.redis_url is None:

        async def nothing() -> None:
            return None

        return MemoryLimits(windows_of(config)), nothing
    redis = Redis.from_url(config.redis_url)
    prefix = f"{config.cluster.redis_prefix}:requests"
    return RedisLimits(redis, windows_of(config), prefix=prefix), redis.aclose
