"""Session leases in Redis: which node runs each live session (several nodes).

One key per session, ``<prefix>lease:<session id>`` (the prefix: ``PALABRE_REDIS_PREFIX``
and a colon), holds ``<node id>:<epoch>``; it is
set with ``SET NX PX`` (only if no node holds the session) and lasts ``lease_seconds``.
The epoch comes from ``INCR <prefix>epoch:<session id>``: it grows at every new claim,
so a holder's writes can be told from an earlier holder's (a fencing token).

The holder renews every lease it holds every third of the lease with a compare-and-
pexpire (Lua: only if the key still holds its own value) and gives one up with a
compare-and-delete. A lease that the renewal finds gone, or that could not be renewed
before it expires (Redis out of reach), is *lost*: the node is told at once
(:meth:`RedisPlacement.on_lost`) and stops running the session, before any other node
can take it over (the other node needs the key to expire first). Never two nodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from signaling.placement import Claim, LostLease

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "palabre:"

# KEYS[1] the lease; ARGV[1] the value this node set; ARGV[2] the lease in ms
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass
class _Held:
    value: str  # "<node id>:<epoch>", what the key holds while this node holds it
    valid_until: float  # monotonic: the key expires no earlier than this


def holder_of(value: str | bytes | None) -> str | None:
    """The node id in a lease's value (None: no lease)."""
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else value
    return text.rsplit(":", 1)[0]


def connect(url: str, lease_seconds: float) -> Redis:
    """A Redis client whose calls give up well within a lease (never a hung renewal)."""
    timeout = max(0.5, lease_seconds / 4)
    return Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


class RedisPlacement:
    """The :class:`~signaling.placement.Placement` of a node among several."""

    def __init__(
        self,
        redis: Redis,
        node_id: str,
        lease_seconds: float,
        *,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        self._redis = redis
        self._node_id = node_id
        self._lease_ms = int(lease_seconds * 1000)
        self._prefix = prefix
        self._held: dict[str, _Held] = {}
        self._lost: list[LostLease] = []
        self._draining = False
        self._renewer: asyncio.Task[None] | None = None
        self._renew_script = redis.register_script(_RENEW)
        self._release_script = redis.register_script(_RELEASE)
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def node_id(self) -> str:
        return self._node_id

    @property
    def interval(self) -> float:
        """How often every held lease is renewed (a third of the lease)."""
        return self._lease_ms / 3000

    def held(self) -> list[str]:
        return sorted(self._held)

    def epoch(self, session_id: str) -> int | None:
        """The fencing epoch of this node's lease on ``session_id`` (None: not held)."""
        held = self._held.get(session_id)
        return None if held is None else int(held.value.rsplit(":", 1)[1])

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}lease:{session_id}"

    # -- the Placement protocol -------------------------------------------------

    async def holder(self, session_id: str) -> str | None:
        return holder_of(await self._redis.get(self._key(session_id)))

    async def claim(self, session_id: str) -> Claim:
        async with self._locks.setdefault(session_id, asyncio.Lock()):
            return await self._claim(session_id)

    async def _claim(self, session_id: str) -> Claim:
        key = self._key(session_id)
        held = self._held.get(session_id)
        if held is not None:
            if await self._renew(session_id, held):
                return Claim(self._node_id, mine=True)
        for _ in range(3):  # the key may expire between SET NX and GET
            current = holder_of(await self._redis.get(key))
            if current is not None:
                return Claim(current, mine=False)
            if self._draining:
                return Claim(self._node_id, mine=False)
            epoch = await self._redis.incr(f"{self._prefix}epoch:{session_id}")
            value = f"{self._node_id}:{epoch}"
            sent = time.monotonic()
            if await self._redis.set(key, value, nx=True, px=self._lease_ms):
                self._held[session_id] = _Held(value, sent + self._lease_ms / 1000)
                self._ensure_renewer()
                logger.info("session %s: lease taken (epoch %d)", session_id, epoch)
                return Claim(self._node_id, mine=True)
        current = holder_of(await self._redis.get(key))
        return Claim(current or self._node_id, mine=False)

    async def release(self, session_id: str) -> None:
        held = self._held.pop(session_id, None)
        lock = self._locks.get(session_id)
        if lock is not None and not lock.locked():
            del self._locks[session_id]
        if held is None:
            return
        try:
            await self._release_script(keys=[self._key(session_id)], args=[held.value])
        except RedisError as exc:  # it expires by itself
            logger.warning("session %s: lease not released (%s)", session_id, type(exc).__name__)
        else:
            logger.info("session %s: lease released", session_id)

    def on_lost(self, callback: LostLease) -> None:
        self._lost.append(callback)

    def drain(self) -> None:
        self._draining = True

    # -- renewal ------------------------------------------------------------------

    def _ensure_renewer(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew_forever(), name="lease-renewal")

    async def _renew(self, session_id: str, held: _Held) -> bool:
        """Renews one lease; False if it is lost (and the node was told)."""
        sent = time.monotonic()
        try:
            renewed = await self._renew_script(
                keys=[self._key(session_id)], args=[held.value, self._lease_ms]
            )
        except (RedisError, OSError) as exc:
            # out of reach: the lease stands until it expires, and is lost if the next
            # renewal would come too late
            if time.monotonic() + self.interval >= held.valid_until:
                logger.error(
                    "session %s: lease not renewed in time (%s); stopping it here",
                    session_id, type(exc).__name__,
                )  # fmt: skip
                await self._lose(session_id, held)
                return False
            return True
        if not renewed:
            logger.error("session %s: lease lost; stopping it here", session_id)
            await self._lose(session_id, held)
            return False
        held.valid_until = sent + self._lease_ms / 1000
        return True

    async def _lose(self, session_id: str, held: _Held) -> None:
        if self._held.get(session_id) is not held:
            return
        del self._held[session_id]
        for callback in self._lost:
            try:
                await callback(session_id)
            except Exception:
                logger.exception("session %s: stopping after a lost lease failed", session_id)

    async def renew_all(self) -> None:
        """One round of renewals (the background task runs one every ``interval``)."""
        for session_id, held in list(self._held.items()):
            await self._renew(session_id, held)

    async def _renew_forever(self) -> None:
        while self._held:
            await asyncio.sleep(self.interval)
            await self.renew_all()

    async def close(self) -> None:
        """Gives every lease up and stops renewing (the node is stopping)."""
        self._draining = True
        for session_id in list(self._held):
            await self.release(session_id)
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        await self._redis.aclose()
