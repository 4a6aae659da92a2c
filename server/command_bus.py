"""Commands between nodes through Redis: the :class:`~signaling.gateway.CommandTransport`
of a cluster.

Each node subscribes to one pub/sub channel of its own, ``<prefix>:<node id>``, from
start to shutdown. A command for a session another node runs is published on that
node's channel; a request names the asking node, and the answer comes back on the
asker's channel under the request's random id. An answer that does not come within
``timeout`` seconds (the holder is down, or stuck) is :class:`HolderUnavailable`: a
coded 503 for the REST caller, never a 500 nor a hang.

Trust. Redis is inside the trust boundary (reached only by the nodes, like
PostgreSQL): the holder does what a command says without checking the caller again;
the REST node checked them. Every message is still signed (HMAC-SHA256 with a key
derived from the link-signing key, which every node of a deployment shares since any
node resolves any link) and dated: a client that can write to Redis but does not have
that key (another service sharing the Redis server, a leaked password with publish
rights) cannot remove a participant, share a document or read a board, and a message
recorded off the wire is refused once ``MAX_AGE_SECONDS`` have passed. What travels is
not encrypted: Redis must not be reachable from outside (or use TLS, ``rediss://``).

Everything received is validated (the envelope, the signature, then the command's
schema); anything else is logged without its contents and dropped, and the listener
goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
import uuid
from typing import Any

import redis.asyncio as aioredis

from errors import CodedError, ErrorCode
from signaling import commands
from signaling.commands import Command
from signaling.errors import SignalingError
from signaling.gateway import HolderUnavailable, SessionGateway

logger = logging.getLogger(__name__)

COMMAND_PREFIX = "palabre:commands"
TIMEOUT_SECONDS = 3.0
MAX_AGE_SECONDS = 30.0
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # a board snapshot in an answer, at most
MAX_RUNNING = 256  # commands run at once for other nodes; more are refused


def bus_key(signing_key: bytes) -> bytes:
    """The key that signs the nodes' messages, derived from the shared link-signing key
    (so that one secret does not serve two purposes as is)."""
    return hmac.new(signing_key, b"palabre command bus v1", hashlib.sha256).digest()


class RedisCommandBus:
    """This node's end of the command bus: sends commands, runs what it is sent."""

    def __init__(
        self,
        url: str,
        node_id: str,
        key: bytes,
        *,
        prefix: str = COMMAND_PREFIX,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self._url = url
        self._node_id = node_id
        self._key = key
        self._prefix = prefix
        self._timeout = timeout
        self._redis: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._gateway: SessionGateway | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def channel(self, node: str) -> str:
        return f"{self._prefix}:{node}"

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self, gateway: SessionGateway) -> None:
        """Subscribes to this node's channel; commands received run on ``gateway``."""
        self._gateway = gateway
        self._redis = aioredis.from_url(self._url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(self.channel(self._node_id))
        self._listener = asyncio.create_task(self._listen(), name="command-bus")
        logger.info("command bus: node %s listening", self._node_id)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        for future in self._pending.values():
            if not future.done():
                future.cancel()
        self._pending.clear()
        if self._pubsub is not None:
            with contextlib.suppress(Exception):  # Redis may be gone already
                await self._pubsub.unsubscribe()
            await self._pubsub.aclose()
            self._pubsub = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    # -- sending -----------------------------------------------------------------------

    async def notify(self, node: str, command: Command) -> None:
        message = {"type": "command", "id": uuid.uuid4().hex, "command": commands.encode(command)}
        try:
            receivers = await self._publish(node, message)
        except (aioredis.RedisError, OSError) as exc:
            # stored first: the holder's look at the store catches up
            logger.warning(
                "session %s: node %s not told (%s)", command.session_id, node, type(exc).__name__
            )
            return
        if receivers == 0:
            logger.warning("session %s: node %s is not listening", command.session_id, node)

    async def request(self, node: str, command: Command) -> Any:
        request_id = uuid.uuid4().hex
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        message = {
            "type": "command", "id": request_id, "reply_to": self._node_id,
            "command": commands.encode(command),
        }  # fmt: skip
        try:
            try:
                receivers = await self._publish(node, message)
            except (aioredis.RedisError, OSError) as exc:
                logger.warning(
                    "session %s: node %s not reached (%s)",
                    command.session_id, node, type(exc).__name__,
                )  # fmt: skip
                raise HolderUnavailable() from None
            if receivers == 0:
                logger.warning("session %s: node %s is not listening", command.session_id, node)
                raise HolderUnavailable()
            try:
                answer = await asyncio.wait_for(future, self._timeout)
            except TimeoutError:
                logger.warning(
                    "session %s: node %s did not answer within %.1f s",
                    command.session_id, node, self._timeout,
                )  # fmt: skip
                raise HolderUnavailable() from None
        finally:
            self._pending.pop(request_id, None)
        if answer.get("ok") is True:
            return answer.get("value")
        error = answer.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        text = error.get("message") if isinstance(error, dict) else None
        known = code in ErrorCode._value2member_map_
        raise SignalingError(
            ErrorCode(str(code)) if known else ErrorCode.INTERNAL,
            str(text)[:300] if known and isinstance(text, str) else "internal error",
        )

    async def _publish(self, node: str, message: dict[str, Any]) -> int:
        assert self._redis is not None, "the command bus is not started"
        body = json.dumps(
            {**message, "from": self._node_id, "at": time.time()}, separators=(",", ":")
        ).encode()
        signature = hmac.new(self._key, body, hashlib.sha256).hexdigest().encode()
        receivers: int = await self._redis.publish(self.channel(node), signature + b"." + body)
        return receivers

    # -- receiving ---------------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            try:
                async for message in self._pubsub.listen():
                    if message.get("type") == "message":
                        self._received(message.get("data"))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis went away: listen again once it is back
                logger.warning("command bus: listening interrupted (%s)", type(exc).__name__)
                await asyncio.sleep(1.0)

    def _received(self, data: object) -> None:
        try:
            message = self._open(data)
        except ValueError as exc:
            logger.warning("command bus: dropped a message (%s)", exc)
            return
        if message["type"] == "reply":
            future = self._pending.get(str(message.get("id")))
            answer = message.get("answer")
            if future is not None and not future.done() and isinstance(answer, dict):
                future.set_result(answer)
            return
        try:
            command = commands.decode(message.get("command"))
        except ValueError as exc:
            logger.warning("command bus: dropped a command from %s (%s)", message["from"], exc)
            return
        reply_to = message.get("reply_to")
        if reply_to is not None and not isinstance(reply_to, str):
            logger.warning("command bus: dropped a command with a bad reply address")
            return
        if len(self._running) >= MAX_RUNNING:
            logger.warning("command bus: too many commands running; one refused")
            if reply_to is not None:
                self._spawn(self._answer(reply_to, message["id"], _error(HolderUnavailable())))
            return
        self._spawn(self._run(command, reply_to, str(message["id"])))

    def _open(self, data: object) -> dict[str, Any]:
        """The envelope of a message, once its signature and date are checked."""
        if not isinstance(data, bytes) or len(data) > MAX_MESSAGE_BYTES:
            raise ValueError("not a message of the bus")
        signature, _, body = data.partition(b".")
        expected = hmac.new(self._key, body, hashlib.sha256).hexdigest().encode()
        if not hmac.compare_digest(signature, expected):
            raise ValueError("bad signature")
        try:
            message = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError("not JSON") from None
        if not isinstance(message, dict) or message.get("type") not in {"command", "reply"}:
            raise ValueError("not a command nor an answer")
        at = message.get("at")
        if not isinstance(at, int | float) or abs(time.time() - at) > MAX_AGE_SECONDS:
            raise ValueError("too old, or from a clock far off")
        if not isinstance(message.get("id"), str) or not isinstance(message.get("from"), str):
            raise ValueError("no id or sender")
        return message

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work, name="command-bus-run")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, command: Command, reply_to: str | None, request_id: str) -> None:
        assert self._gateway is not None
        try:
            answer: dict[str, Any] = {"ok": True, "value": await self._gateway.receive(command)}
        except CodedError as exc:
            answer = _error(exc)
        except Exception as exc:  # a bug or the database: the asker gets a coded error
            logger.error(
                "session %s: a %s command failed (%s)",
                command.session_id, type(command).__name__, type(exc).__name__,
            )  # fmt: skip
            answer = {"ok": False, "error": {"code": "internal_error", "message": "internal error"}}
        if reply_to is not None:
            await self._answer(reply_to, request_id, answer)

    async def _answer(self, node: str, request_id: str, answer: dict[str, Any]) -> None:
        try:
            await self._publish(node, {"type": "reply", "id": request_id, "answer": answer})
        except (aioredis.RedisError, OSError) as exc:
            logger.warning("command bus: an answer to %s was lost (%s)", node, type(exc).__name__)


def _error(exc: CodedError) -> dict[str, Any]:
    return {"ok": False, "error": {"code": exc.code.value, "message": str(exc)}}
