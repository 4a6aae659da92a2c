"""A raw Engine.IO 4 / Socket.IO 5 client over an aiohttp websocket, for hostile frames.

python-socketio's client refuses to send what a hostile client would (reserved
event names, invalid JSON, stray binary attachments); this one writes any
frame as it is and records every frame it gets back.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

import aiohttp
import orjson

NAMESPACE = "/session"


class RawSocket:
    def __init__(self, http: aiohttp.ClientSession) -> None:
        self._http = http
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ids = itertools.count(1_000)
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self.frames: list[str | bytes] = []  # everything received but pings and acks
        self.events: list[tuple[str, Any]] = []
        self.closed = asyncio.Event()
        self.connect_error: Any = None

    async def open(self, base: str, cookie: str | None = None) -> None:
        """The Engine.IO handshake only (no namespace yet)."""
        url = base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        headers = {"Cookie": f"palabre_session={cookie}"} if cookie else {}
        self._ws = await self._http.ws_connect(url, headers=headers)
        opened = await self._ws.receive_str()
        assert opened.startswith("0"), opened
        self._reader = asyncio.create_task(self._read())

    async def connect(self, base: str, auth: Any, cookie: str | None = None) -> None:
        """The handshake, then the namespace's CONNECT with ``auth``; waits for the answer."""
        await self.open(base, cookie)
        await self.send(f"40{NAMESPACE},{orjson.dumps(auth).decode()}")
        await _until(lambda: self.sid is not None or self.connect_error is not None)

    sid: str | None = None

    async def send(self, frame: str | bytes) -> None:
        assert self._ws is not None
        if isinstance(frame, bytes):
            await self._ws.send_bytes(frame)
        else:
            await self._ws.send_str(frame)

    def next_id(self) -> int:
        return next(self._ids)

    def expect_ack(self, ack_id: int) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        return future

    async def call(self, event: Any, *args: Any) -> Any:
        """Sends ``[event, *args]`` with an ack id; the ack's arguments."""
        ack_id = self.next_id()
        answer = self.expect_ack(ack_id)
        body = orjson.dumps([event, *args]).decode()
        await self.send(f"42{NAMESPACE},{ack_id}{body}")
        return await asyncio.wait_for(answer, 5)

    async def call_raw(self, body: str) -> Any:
        """Sends an EVENT frame whose JSON part is ``body`` verbatim, with an ack id."""
        ack_id = self.next_id()
        answer = self.expect_ack(ack_id)
        await self.send(f"42{NAMESPACE},{ack_id}{body}")
        return await asyncio.wait_for(answer, 5)

    def seen(self, event: str) -> list[Any]:
        return [d for e, d in self.events if e == event]

    async def _read(self) -> None:
        assert self._ws is not None
        event_prefix, ack_prefix = f"42{NAMESPACE},", f"43{NAMESPACE},"
        async for msg in self._ws:
            if msg.type is aiohttp.WSMsgType.BINARY:
                self.frames.append(msg.data)
                continue
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            data: str = msg.data
            if data == "2":
                await self._ws.send_str("3")
            elif data.startswith(ack_prefix):
                rest = data[len(ack_prefix) :]
                cut = rest.index("[")
                future = self._acks.pop(int(rest[:cut]), None)
                if future is not None and not future.done():
                    future.set_result(orjson.loads(rest[cut:]))
            elif data.startswith(event_prefix):
                name, *args = orjson.loads(data[len(event_prefix) :])
                self.events.append((name, args[0] if args else None))
            elif data.startswith(f"40{NAMESPACE},"):
                self.sid = orjson.loads(data[len(NAMESPACE) + 3 :])["sid"]
            elif data.startswith(f"44{NAMESPACE},"):
                self.connect_error = orjson.loads(data[len(NAMESPACE) + 3 :])
            else:
                self.frames.append(data)
        self.closed.set()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader


async def _until(predicate: Any, within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
