"""A lean Socket.IO client for benchmarks: Engine.IO 4 over a raw aiohttp websocket.

Events with acks on one namespace, and nothing else: the load generator must
cost far less than the servers it measures (python-socketio's client would
spend more per message than the server it loads).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

NAMESPACE = "/session"


class ConnectRefused(Exception):
    pass


class RawClient:
    """Engine.IO 4 over websocket, one namespace, events and acks: nothing else."""

    def __init__(self, http: aiohttp.ClientSession, on_event: Callable[[str, Any, float], None]):
        self._http = http
        self._on_event = on_event
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._next_ack = 0
        self._sending: set[asyncio.Future[None]] = set()
        self._connected: asyncio.Future[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self.events: list[tuple[str, Any]] = []  # everything but board operations

    async def connect(self, base: str, auth: dict[str, Any], cookie: str | None = None) -> None:
        url = base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        headers = {"Cookie": f"palabre_session={cookie}"} if cookie else {}
        self._ws = await self._http.ws_connect(url, headers=headers, max_msg_size=0)
        opened = await self._ws.receive_str()
        if not opened.startswith("0"):
            raise ConnectRefused(opened)
        self._connected = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())
        await self._ws.send_str(f"40{NAMESPACE},{orjson.dumps(auth).decode()}")
        await asyncio.wait_for(self._connected, 10)

    async def _read(self) -> None:
        assert self._ws is not None
        prefix = f"4{{}}{NAMESPACE},"
        event_prefix, ack_prefix = prefix.format(2), prefix.format(3)
        async for msg in self._ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            data: str = msg.data
            now = time.monotonic()
            if data.startswith(event_prefix):
                name, *args = orjson.loads(data[len(event_prefix) :])
                self._on_event(name, args[0] if args else None, now)
                if not name.startswith("wb:"):
                    self.events.append((name, args[0] if args else None))
            elif data.startswith(ack_prefix):
                rest = data[len(ack_prefix) :]
                cut = rest.index("[")
                future = self._acks.pop(int(rest[:cut]), None)
                if future is not None and not future.done():
                    future.set_result((orjson.loads(rest[cut:]) or [None])[0])
            elif data == "2":
                await self._ws.send_str("3")
            elif data.startswith(f"40{NAMESPACE},") and self._connected is not None:
                self._connected.set_result(None)
            elif data.startswith(f"44{NAMESPACE},") and self._connected is not None:
                self._connected.set_exception(ConnectRefused(data))

    def emit(self, event: str, payload: Any) -> asyncio.Future[Any]:
        """Sends ``event`` asking for an ack; the future resolves with the ack's payload."""
        assert self._ws is not None
        self._next_ack += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[self._next_ack] = future
        packet = f"42{NAMESPACE},{self._next_ack}{orjson.dumps([event, payload]).decode()}"
        sending = asyncio.ensure_future(self._ws.send_str(packet))
        self._sending.add(sending)
        sending.add_done_callback(self._sending.discard)
        return future

    async def call(self, event: str, payload: Any) -> Any:
        return await asyncio.wait_for(self.emit(event, payload), 15)

    def seen(self, event: str) -> list[Any]:
        return [d for e, d in self.events if e == event]

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader


async def until(predicate: Callable[[], bool], within: float = 20) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)
