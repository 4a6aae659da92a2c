"""The Socket.IO server's edge: what a client's frames may do before the namespace sees them.

:class:`EdgeServer` is python-socketio's ``AsyncServer`` with three changes,
all at the point where frames from the network are dispatched:

* every Socket.IO packet is decoded by :func:`signaling.frames.parse`, and
  only ``CONNECT``, ``DISCONNECT`` and ``EVENT`` packets with an ``area:verb``
  name get through. The connection handlers run only for real ``CONNECT`` and
  ``DISCONNECT`` packets (python-socketio's ``_handle_connect`` and
  ``_handle_disconnect``), never for an event a client named ``connect``;
* a refused frame gets an error ack when it carries an ack id on a connected
  namespace, and is dropped otherwise; either way one short line is logged,
  naming the reason, never the frame, through a rate-limited :class:`EdgeLog`
  (a flood cannot grow the log);
* Engine.IO frames that python-engineio cannot decode (an empty frame, an
  unknown packet type) are dropped before it sees them, and its own log lines,
  which quote packets, become short rate-limited lines too.

It also closes the gap of a client that goes away while its connection is
being authenticated: python-socketio does not run the disconnect handler for
a connection still pending, so the edge runs it once the connect handler has
accepted a transport that is already gone.

The overridden methods are private to python-socketio 5.18 and
python-engineio 4.15 (pinned in ``requirements.lock``); this module refuses
to load with other versions, whose dispatch has to be read again first.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import engineio
import socketio
from socketio import packet

from errors import ErrorCode
from signaling import frames
from signaling.protocol import fail

logger = logging.getLogger(__name__)

_REVIEWED = {"python-socketio": "5.18.", "python-engineio": "4.15."}
for _package, _prefix in _REVIEWED.items():
    if not version(_package).startswith(_prefix):
        raise ImportError(f"signaling.edge was written for {_package} {_prefix}x")

ENGINEIO_CLIENT_TYPES = frozenset("123456")  # close, ping, pong, message, upgrade, noop


class EdgeLog:
    """Short log lines, at most ``burst`` at once and ``per_minute`` after, for the process."""

    def __init__(
        self,
        target: logging.Logger = logger,
        *,
        burst: int = 20,
        per_minute: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._target = target
        self._burst = float(burst)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self.suppressed = 0

    def line(self, template: str, *args: object) -> None:
        """Logs ``template % args`` (a warning) unless over budget; counts what it leaves out."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < 1:
            self.suppressed += 1
            return
        self._tokens -= 1
        if self.suppressed:
            template += " (%d similar lines left out)"
            args = (*args, self.suppressed)
            self.suppressed = 0
        self._target.warning(template, *args)


class LibraryLog:
    """The logger handed to python-socketio and python-engineio.

    Their info lines quote packets (payloads, names, tokens): dropped. Their
    warnings and errors become one short line with the message's template,
    without its arguments or a traceback.
    """

    level = logging.WARNING

    def __init__(self, library: str, edge: EdgeLog) -> None:
        self._library = library
        self._edge = edge

    def setLevel(self, level: int) -> None:
        pass

    def addHandler(self, handler: logging.Handler) -> None:
        pass

    def debug(self, msg: object, *args: object, **kwargs: object) -> None:
        pass

    info = debug

    def warning(self, msg: object, *args: object, **kwargs: object) -> None:
        self._edge.line("%s: %s", self._library, str(msg)[:80])

    error = warning

    def exception(self, msg: object, *args: object, **kwargs: object) -> None:
        error = sys.exc_info()[1]
        name = type(error).__name__ if error is not None else "no exception"
        self._edge.line("%s: %s (%s)", self._library, str(msg)[:80], name)


def _screened(websocket_class: Any, edge: EdgeLog) -> Any:
    """python-engineio's websocket wrapper, dropping frames it cannot decode."""

    class ScreenedWebSocket(websocket_class):  # type: ignore[misc]
        async def wait(self) -> Any:
            while True:
                data = await super().wait()
                if isinstance(data, bytes) or (data and data[0] in ENGINEIO_CLIENT_TYPES):
                    return data
                edge.line("engine.io frame dropped (not an Engine.IO packet)")

    return ScreenedWebSocket


class _EngineServer(engineio.AsyncServer):  # type: ignore[misc]
    def __init__(self, *args: Any, edge: EdgeLog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        drivers: dict[str, Any] = self._async  # type: ignore[has-type]
        self._async = {**drivers, "websocket": _screened(drivers["websocket"], edge)}


class EdgeServer(socketio.AsyncServer):  # type: ignore[misc]
    def __init__(self, *args: Any, edge: EdgeLog | None = None, **kwargs: Any) -> None:
        self.edge = edge or EdgeLog()
        kwargs.setdefault("logger", LibraryLog("socket.io", self.edge))
        kwargs.setdefault("engineio_logger", LibraryLog("engine.io", self.edge))
        super().__init__(*args, **kwargs)

    def _engineio_server_class(self) -> Any:
        edge = self.edge

        def make(*args: Any, **kwargs: Any) -> _EngineServer:
            return _EngineServer(*args, edge=edge, **kwargs)

        return make

    async def _handle_eio_message(self, eio_sid: str, data: str | bytes) -> None:
        try:
            frame = frames.parse(data)
        except frames.BadFrame as exc:
            await self._refuse(eio_sid, exc)
            return
        if frame.kind == frames.CONNECT:
            await self._handle_connect(eio_sid, frame.namespace, frame.payload)
        elif frame.kind == frames.DISCONNECT:
            await self._handle_disconnect(eio_sid, frame.namespace, self.reason.CLIENT_DISCONNECT)
        else:
            body = [frame.event] if frame.payload is None else [frame.event, frame.payload]
            await self._handle_event(eio_sid, frame.namespace, frame.ack_id, body)

    async def _refuse(self, eio_sid: str, exc: frames.BadFrame) -> None:
        sid = None
        if exc.namespace is not None:
            sid = self.manager.sid_from_eio_sid(eio_sid, exc.namespace)
        connected = sid is not None and self.manager.is_connected(sid, exc.namespace)
        if connected and exc.ack_id is not None:
            ack = fail(ErrorCode.BAD_REQUEST, exc.reason)
            await self._send_packet(
                eio_sid,
                self.packet_class(packet.ACK, namespace=exc.namespace, id=exc.ack_id, data=[ack]),
            )
            self.edge.line("socket.io frame refused on %s (%s)", sid, exc.reason)
        else:
            self.edge.line("socket.io frame dropped (%s)", exc.reason)

    async def _handle_connect(self, eio_sid: str, namespace: str, data: Any) -> None:
        await super()._handle_connect(eio_sid, namespace, data)
        if eio_sid in self.environ:
            return
        # the transport closed while the connect handler ran: python-socketio skipped
        # the disconnect handler then (the connection was pending); run it now
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is not None and self.manager.is_connected(sid, namespace):
            await self._handle_disconnect(eio_sid, namespace, self.reason.TRANSPORT_CLOSE)
