"""Run a relay in its own process, driven by JSON lines on stdin/stdout.

Used by tests (to replace codecs inside the relay process only) and by the
benchmark (to measure the relay's CPU on its own). Not a production entry
point: the real server embeds :class:`Relay` behind Socket.IO.

Requests, one JSON object per line on stdin::

    {"id": 1, "op": "join", "args": {"participant_id": "a", "room_id": "r"}}

ops: join, offer (participant_id, sdp, labels) -> answer sdp, answer,
set_room, leave, request_keyframe, stats, close. Replies::

    {"id": 1, "ok": true, "result": ...}
    {"id": 1, "ok": false, "error": {"code": "...", "message": "..."}}

Offers from the relay are events: ``{"event": "offer", "participant_id": .., "sdp": ..}``.
:class:`RelayProcess` is the parent side, with the same coroutine names as
:class:`Relay`. Run with ``python -m signaling.relay.standalone [--host IP]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import resource
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from .config import RelayConfig
from .errors import RelayError
from .relay import OfferCallback, Relay

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[Any]]
STREAM_LIMIT = 4 * 1024 * 1024


def process_cpu_seconds() -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"user": usage.ru_utime, "system": usage.ru_stime}


async def serve_lines(
    handlers: Mapping[str, Handler],
    set_emitter: Callable[[Callable[[dict[str, Any]], Awaitable[None]]], None],
) -> None:
    """Serve JSON-line requests from stdin until EOF or a ``close`` op."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=STREAM_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    write_lock = asyncio.Lock()

    async def emit(message: dict[str, Any]) -> None:
        async with write_lock:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()

    set_emitter(emit)
    pending: set[asyncio.Task[None]] = set()

    async def run(request: dict[str, Any]) -> None:
        op = str(request.get("op"))
        handler = handlers.get(op)
        reply: dict[str, Any] = {"id": request.get("id")}
        try:
            if handler is None:
                raise RelayError(f"unknown op {op!r}")
            reply.update(ok=True, result=await handler(request.get("args") or {}))
        except RelayError as exc:
            reply.update(ok=False, error={"code": str(exc.code), "message": exc.message})
        except Exception as exc:
            logger.exception("op %s failed", op)
            reply.update(ok=False, error={"code": "internal_error", "message": repr(exc)})
        await emit(reply)

    while True:
        line = await reader.readline()
        if not line:
            break
        request = json.loads(line)
        if request.get("op") == "close":
            await run(request)
            break
        task = asyncio.create_task(run(request))
        pending.add(task)
        task.add_done_callback(pending.discard)
    for task in list(pending):
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def serve_relay(config: RelayConfig) -> None:
    emitter: list[Callable[[dict[str, Any]], Awaitable[None]]] = []

    async def on_offer(participant_id: str, sdp: str) -> None:
        await emitter[0]({"event": "offer", "participant_id": participant_id, "sdp": sdp})

    relay = Relay(config, on_offer)

    async def join(args: dict[str, Any]) -> None:
        await relay.join(args["participant_id"], args["room_id"])

    async def offer(args: dict[str, Any]) -> str:
        return await relay.handle_offer(args["participant_id"], args["sdp"], args.get("labels"))

    async def answer(args: dict[str, Any]) -> None:
        await relay.handle_answer(args["participant_id"], args["sdp"])

    async def set_room(args: dict[str, Any]) -> None:
        await relay.set_room(args["participant_id"], args["room_id"])

    async def leave(args: dict[str, Any]) -> None:
        await relay.leave(args["participant_id"])

    async def request_keyframe(args: dict[str, Any]) -> None:
        await relay.request_keyframe(args["participant_id"])

    async def stats(args: dict[str, Any]) -> dict[str, Any]:
        return {
            "peer_connections": relay.peer_connection_count,
            "tasks": relay.background_task_count,
            "forwarded": [
                {
                    "publisher_id": s.publisher_id,
                    "subscriber_id": s.subscriber_id,
                    "kind": s.kind,
                    "active": s.active,
                    "packets_sent": s.packets_sent,
                }
                for s in relay.forwarded_streams()
            ],
            "cpu": process_cpu_seconds(),
        }

    async def close(args: dict[str, Any]) -> None:
        await relay.close()

    handlers: dict[str, Handler] = {
        "join": join,
        "offer": offer,
        "answer": answer,
        "set_room": set_room,
        "leave": leave,
        "request_keyframe": request_keyframe,
        "stats": stats,
        "close": close,
    }
    try:
        await serve_lines(handlers, emitter.append)
    finally:
        await relay.close()


class RelayProcess:
    """Parent side: start a relay process and call it like a :class:`Relay`."""

    def __init__(self, command: Sequence[str], on_offer: OfferCallback) -> None:
        self._command = list(command)
        self._on_offer = on_offer
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._events: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            *self._command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=STREAM_LIMIT,
        )
        self._reader = asyncio.create_task(self._read())

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        while True:
            line = await self._process.stdout.readline()
            if not line:
                break
            message = json.loads(line)
            if "event" in message:
                task: asyncio.Task[None] = asyncio.ensure_future(
                    self._on_offer(message["participant_id"], message["sdp"])
                )
                self._events.add(task)
                task.add_done_callback(self._events.discard)
                continue
            future = self._waiting.pop(message["id"], None)
            if future is None or future.done():
                continue
            if message["ok"]:
                future.set_result(message.get("result"))
            else:
                error = message["error"]
                exc = RelayError(error["message"])
                exc.remote_code = error["code"]  # type: ignore[attr-defined]
                future.set_exception(exc)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(ConnectionError("relay process exited"))

    async def call(self, op: str, **args: Any) -> Any:
        assert self._process is not None and self._process.stdin is not None
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        self._process.stdin.write(
            (json.dumps({"id": request_id, "op": op, "args": args}) + "\n").encode()
        )
        await self._process.stdin.drain()
        return await future

    async def join(self, participant_id: str, room_id: str) -> None:
        await self.call("join", participant_id=participant_id, room_id=room_id)

    async def handle_offer(
        self, participant_id: str, sdp: str, labels: Mapping[str, str] | None = None
    ) -> str:
        answer: str = await self.call(
            "offer", participant_id=participant_id, sdp=sdp, labels=dict(labels or {})
        )
        return answer

    async def handle_answer(self, participant_id: str, sdp: str) -> None:
        await self.call("answer", participant_id=participant_id, sdp=sdp)

    async def set_room(self, participant_id: str, room_id: str) -> None:
        await self.call("set_room", participant_id=participant_id, room_id=room_id)

    async def leave(self, participant_id: str) -> None:
        await self.call("leave", participant_id=participant_id)

    async def request_keyframe(self, participant_id: str) -> None:
        await self.call("request_keyframe", participant_id=participant_id)

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("stats")
        return result

    async def close(self) -> None:
        """Close the relay and wait for the process to exit."""
        process = self._process
        if process is None:
            return
        with contextlib.suppress(ConnectionError, RelayError, BrokenPipeError):
            await asyncio.wait_for(self.call("close"), timeout=20)
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=10)
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reader is not None:
            await self._reader
        for task in list(self._events):
            task.cancel()
        await asyncio.gather(*self._events, return_exceptions=True)
        self._process = None


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", action="append", help="host candidate address (repeatable)")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr)
    config = RelayConfig(host_addresses=tuple(args.host) if args.host else None)
    asyncio.run(serve_relay(config))


if __name__ == "__main__":
    main()
