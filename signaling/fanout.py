"""Socket.IO client managers that hand a message to its recipients without a task each.

python-socketio's ``AsyncManager.emit`` encodes a packet once, then starts one
task per recipient to queue it on that recipient's connection, and waits for
them all. Queueing on an Engine.IO connection never waits (its queue is
unbounded), so those tasks cost an event-loop round trip and a few objects per
recipient for nothing: a whiteboard operation goes to every member of a room.
Here the packet is queued on each connection in turn; a connection that has
just closed is skipped, as python-socketio's tasks would have failed alone.

Messages with an ack callback (one packet per recipient) go through
python-socketio unchanged. With Redis (several processes), each process
delivers what it receives from Redis the same way; and a message whose
recipients are all connected to this process does not go through Redis at all
(a live session runs on one node, so its messages are all of that kind).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import socketio
from engineio import packet as eio_packet
from engineio.exceptions import EngineIOError
from redis.asyncio import Redis
from socketio import packet

logger = logging.getLogger(__name__)


class LocalManager(socketio.AsyncManager):  # type: ignore[misc]
    """One process: every connection is here; a packet is queued on each in turn."""

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback,
                to=to, **kwargs,
            )  # fmt: skip
            return
        if namespace not in self.rooms:
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        encoded = self._encode(namespace, [event, *args])
        parts = encoded if isinstance(encoded, list) else [encoded]
        eio_packets = [eio_packet.Packet(eio_packet.MESSAGE, part) for part in parts]
        for sid, eio_sid in list(self.get_participants(namespace, to or room)):
            if sid in skip:
                continue
            for eio_pkt in eio_packets:
                try:
                    await self.server._send_eio_packet(eio_sid, eio_pkt)
                except EngineIOError:  # closed meanwhile: the others still get it
                    break

    def _encode(self, namespace: str, data: list[Any]) -> Any:
        """The packet's text, without python-socketio's walk through the data looking for bytes.

        That walk visits every point of every stroke of a batch; the JSON
        encoder refuses bytes anyway (``TypeError``), and only then does the
        message go out as a binary packet, as python-socketio would send it.
        """
        make = self.server.packet_class
        try:
            return make(packet.EVENT, namespace=namespace, data=data, binary=False).encode()
        except TypeError:
            return make(packet.EVENT, namespace=namespace, data=data).encode()


class RedisManager(socketio.AsyncRedisManager, LocalManager):  # type: ignore[misc]
    """Several processes: messages go through Redis, each delivers to its own connections.

    Publishing is python-socketio's; what each process receives from Redis is
    delivered by :class:`LocalManager` (it comes after the pub/sub manager in
    the method resolution order, before ``AsyncManager``). The Redis side is
    python-socketio's too, but with one client for the manager's life and a
    ``close()``.
    """

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self.redis: Redis | None = None
        self.pubsub: Any = None  # while the listener is subscribed

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """Delivered here when every recipient is a connection of this process; else
        published through Redis (python-socketio's way), which every process delivers."""
        namespace = namespace or "/"
        target = to or room
        if callback is None and self._all_here(target, namespace):
            await LocalManager.emit(self, event, data, namespace, room=target, skip_sid=skip_sid)
            return
        await super().emit(
            event, data, namespace=namespace, room=room, skip_sid=skip_sid, callback=callback,
            to=to, **kwargs,
        )  # fmt: skip

    def _redis_connect(self) -> Redis:
        """One Redis client for the manager's life (its pool reconnects by itself).

        python-socketio makes a whole new client each time a publish or its listener
        (re)connects and drops the one before with its connections still open: a
        publish made before the listener's first step, or any reconnection, left a
        connection behind until the garbage collector found it.
        """
        if self.redis is None:
            self.redis = Redis.from_url(self.redis_url, **self.redis_options)
        self.connected = True
        return self.redis

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        """What Redis delivers on the channel; a subscription that fails is closed and made
        again after a pause that doubles up to a minute (python-socketio's rhythm)."""
        pause = 1.0
        while True:
            pubsub: Any = self._redis_connect().pubsub(ignore_subscribe_messages=True)
            self.pubsub = pubsub
            try:
                await pubsub.subscribe(self.channel)
                pause = 1.0
                async for message in pubsub.listen():
                    yield message
            except Exception as exc:
                logger.warning(
                    "fan-out from Redis interrupted (%s): again in %.0f s",
                    type(exc).__name__,
                    pause,
                )
            finally:
                await pubsub.aclose()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 60.0)

    async def close(self) -> None:
        """python-socketio's manager has no close(): stop the listener, then the pub/sub
        and the client with their connections."""
        listener = getattr(self, "thread", None)
        if isinstance(listener, asyncio.Task):
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        if self.pubsub is not None:
            await self.pubsub.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        self.pubsub = self.redis = None
        self.connected = False

    def _all_here(self, target: Any, namespace: str) -> bool:
        """``target`` names connections (not a room, not everyone), each connected here."""
        if target is None:
            return False
        sids = list(target) if isinstance(target, list | tuple | set) else [target]
        return bool(sids) and all(self.is_connected(sid, namespace) for sid in sids)
