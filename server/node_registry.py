"""The nodes of one deployment that are alive now, and the check that they share their secrets.

Each node keeps a short-lived key in Redis (``<prefix>:node:<node id>``), refreshed while it
runs and deleted when it stops, holding a fingerprint of the secrets every node must share:
the link-signing key (a link issued on one node is checked on another) and the records'
master key file (what one node encrypts, another decrypts). A fingerprint is an HMAC of a
fixed label under the secret: equal secrets give equal fingerprints, and a fingerprint says
nothing of its secret.

A node that starts with secrets differing from those of a node alive now refuses to start,
with a message saying which secret differs, rather than serving links that the other nodes
call invalid or case files that they cannot read. Rotating a shared secret therefore means
stopping every node first (a stopped node's key is deleted; a killed node's key expires
after ``TTL_SECONDS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

TTL_SECONDS = 30
REFRESH_SECONDS = 10


class SecretsDiffer(RuntimeError):
    """This node's secrets are not those of the nodes running now."""


def fingerprint(secret: bytes) -> str:
    return hmac.new(secret, b"palabre node fingerprint", hashlib.sha256).hexdigest()[:32]


def secret_fingerprints(signing_key: bytes, log_hmac_key: bytes) -> dict[str, str]:
    """What this node shows the others. The master key file is represented by its log
    HMAC key, which it keeps for life (its key-encryption keys rotate)."""
    return {"signing_key": fingerprint(signing_key), "master_key": fingerprint(log_hmac_key)}


class NodeRegistry:
    def __init__(
        self, redis: Redis, prefix: str, node_id: str, fingerprints: dict[str, str]
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._node_id = node_id
        self._fingerprints = dict(fingerprints)
        self._task: asyncio.Task[None] | None = None

    def _key(self, node_id: str) -> str:
        return f"{self._prefix}:node:{node_id}"

    async def live_nodes(self) -> dict[str, dict[str, str]]:
        """Every node alive now (this one included once started): id -> fingerprints."""
        nodes: dict[str, dict[str, str]] = {}
        async for raw_key in self._redis.scan_iter(self._key("*")):
            key = raw_key.decode() if isinstance(raw_key, bytes) else raw_key
            raw = await self._redis.get(key)
            if raw is None:
                continue  # gone meanwhile
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            if isinstance(value, dict):
                nodes[key.rsplit(":", 1)[1]] = {str(k): str(v) for k, v in value.items()}
        return nodes

    async def start(self) -> None:
        """Checks this node against the live ones, then announces it and keeps it announced."""
        for other, theirs in (await self.live_nodes()).items():
            if other == self._node_id:
                continue  # this node's own key, from before a restart
            differing = sorted(
                name for name, mine in self._fingerprints.items() if theirs.get(name) != mine
            )
            if differing:
                raise SecretsDiffer(
                    f"node {self._node_id} does not share {', '.join(differing)} with node "
                    f"{other}, which is running: give every node the same files "
                    "(PALABRE_SIGNING_KEY_FILE, PALABRE_KEY_FILE), or stop every node first "
                    "to change them"
                )
        await self._announce()
        self._task = asyncio.create_task(self._refresh(), name="node-registry")
        logger.info("node %s announced", self._node_id)

    async def _announce(self) -> None:
        body = json.dumps(self._fingerprints, sort_keys=True)
        await self._redis.set(self._key(self._node_id), body, ex=TTL_SECONDS)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self._announce()
            except RedisError as exc:  # next time: the key lives three refreshes
                logger.warning("node %s not announced (%s)", self._node_id, type(exc).__name__)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(RedisError):
            await self._redis.delete(self._key(self._node_id))


async def join_deployment(
    redis_url: str, prefix: str, node_id: str, fingerprints: dict[str, str]
) -> Callable[[], Awaitable[None]]:
    """Checks this node against the running ones and announces it (SecretsDiffer if its
    secrets differ); returns how to withdraw it at shutdown."""
    redis = Redis.from_url(redis_url)
    registry = NodeRegistry(redis, prefix, node_id, fingerprints)
    try:
        await registry.start()
    except BaseException:
        await redis.aclose()
        raise

    async def leave() -> None:
        await registry.stop()
        await redis.aclose()

    return leave
