"""Liveness and readiness, on the public port, without authentication.

``/healthz`` (liveness): the process answers. Nothing is checked, so a database
outage never gets a node restarted; the pages also call it first to get their
CSRF cookie. Always ``200 {"status": "ok"}``.

``/readyz`` (readiness): whether this node should be given new work. Checked:
the main database and the keys database answer ``SELECT 1``, Redis answers
``PING`` (when PALABRE_REDIS_URL is set), the media relay and the live-session
hub are open, and the node is not draining. ``200`` when every check passes,
else ``503``; the body names each check with a short reason code and nothing
else (no error text, host or connection string)::

    {"status": "ready", "node": "node-1",
     "checks": {"database": {"ok": true, "reason": "ok"}, "redis": {...}, ...}}

Reasons: ``ok``, ``not_configured`` (Redis unset: passes), ``timeout``,
``unreachable``, ``error``, ``closed``, ``draining``.

Each check is bounded by :data:`CHECK_TIMEOUT`; concurrent requests share one
run, and a result is reused for :data:`REUSE_SECONDS`, so a flood of probes
costs the databases at most one query each a second. Draining is read afresh
on every request.

Draining: ``app[NODE_STATE].draining = True`` (the SIGTERM handler does it)
makes ``/readyz`` answer 503 ``draining`` at once, so the load balancer stops
sending new sessions here while the live ones finish; ``/healthz`` still
answers ok.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from records.db import Database
from server.errors import database_unavailable
from signaling.live import LiveHub
from signaling.media import MediaRelay

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0  # seconds, each check
REUSE_SECONDS = 1.0


@dataclass
class NodeState:
    """This node as the load balancer should see it. ``draining``: finishing its live
    sessions before it stops; not ready for new ones."""

    node_id: str
    draining: bool = False


NODE_STATE = web.AppKey("node_state", NodeState)


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str

    def to_wire(self) -> dict[str, object]:
        return {"ok": self.ok, "reason": self.reason}


OK = Check(True, "ok")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | RedisTimeoutError):
        return "timeout"
    if isinstance(exc, OSError | RedisConnectionError) or database_unavailable(exc):
        return "unreachable"
    return "error"


class Readiness:
    """Runs the checks of ``/readyz`` (see the module's docstring)."""

    def __init__(
        self,
        node: NodeState,
        db: Database,
        keys_db: Database,
        redis_url: str | None,
        relay: MediaRelay,
        hub: LiveHub,
    ) -> None:
        self.node = node
        self._db = db
        self._keys_db = keys_db
        self._redis_url = redis_url
        self._redis: Redis | None = None
        self._relay = relay
        self._hub = hub
        self._running: asyncio.Future[dict[str, Check]] | None = None
        self._last: dict[str, Check] | None = None
        self._last_at = -1e9
        self._failing: set[str] = set()

    async def checks(self) -> dict[str, Check]:
        loop = asyncio.get_running_loop()
        checks = self._last
        if checks is None or loop.time() - self._last_at > REUSE_SECONDS:
            if self._running is None:
                self._running = asyncio.ensure_future(self._run())
            checks = await asyncio.shield(self._running)
        draining = Check(False, "draining") if self.node.draining else OK
        return {**checks, "draining": draining}

    async def _run(self) -> dict[str, Check]:
        try:
            names = ["database", "keys_database", "redis", "relay"]
            probes: list[Callable[[], Awaitable[Check]]] = [
                lambda: self._query(self._db),
                lambda: self._query(self._keys_db),
                self._ping_redis,
                self._relay_open,
            ]
            if self._keys_db is self._db:
                names.remove("keys_database")
                probes.pop(1)
            results = await asyncio.gather(*(self._bounded(p) for p in probes))
            checks = dict(zip(names, results, strict=True))
            if self._keys_db is self._db:
                checks["keys_database"] = checks["database"]
            self._log_changes(checks)
            self._last, self._last_at = checks, asyncio.get_running_loop().time()
            return checks
        finally:
            self._running = None

    async def _bounded(self, probe: Callable[[], Awaitable[Check]]) -> Check:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                return await probe()
        except Exception as exc:
            return Check(False, _reason(exc))

    async def _query(self, db: Database) -> Check:
        await db.ping()
        return OK

    async def _ping_redis(self) -> Check:
        if self._redis_url is None:
            return Check(True, "not_configured")
        if self._redis is None:
            self._redis = Redis.from_url(
                self._redis_url,
                socket_connect_timeout=CHECK_TIMEOUT,
                socket_timeout=CHECK_TIMEOUT,
                retry=Retry(NoBackoff(), 0),
            )
        await self._redis.ping()
        return OK

    async def _relay_open(self) -> Check:
        return Check(False, "closed") if self._relay.closed or self._hub.closed else OK

    def _log_changes(self, checks: dict[str, Check]) -> None:
        """One line when a check starts failing and one when it passes again (the probes
        come every few seconds: no line each time)."""
        for name, check in sorted(checks.items()):
            if not check.ok and name not in self._failing:
                self._failing.add(name)
                logger.warning("readiness: %s failing (%s)", name, check.reason)
            elif check.ok and name in self._failing:
                self._failing.discard(name)
                logger.info("readiness: %s passes again", name)

    async def close(self) -> None:
        if self._running is not None:
            self._running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._running
        if self._redis is not None:
            await self._redis.aclose()


READINESS = web.AppKey("readiness", Readiness)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    readiness = request.app[READINESS]
    checks = await readiness.checks()
    ready = all(check.ok for check in checks.values())
    body = {
        "status": "ready" if ready else "not_ready",
        "node": readiness.node.node_id,
        "checks": {name: check.to_wire() for name, check in sorted(checks.items())},
    }
    return web.json_response(
        body, status=200 if ready else 503, headers={"Cache-Control": "no-store"}
    )


def register_routes(app: web.Application, readiness: Readiness) -> None:
    app[READINESS] = readiness
    app[NODE_STATE] = readiness.node
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        yield
        await readiness.close()

    app.cleanup_ctx.append(ctx)
