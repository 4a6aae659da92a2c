"""Socket.IO frames as clients may send them: decoded strictly, or refused with a reason.

A client of the ``/session`` namespace sends three kinds of Socket.IO packet
(protocol 5): ``CONNECT`` (``0/session,{auth}``), ``DISCONNECT``
(``1/session,``) and ``EVENT`` (``2/session,<ack id>["area:verb", payload]``).
Nothing else is accepted from a client: Palabre never asks a client for an
ack (``ACK``), never takes binary attachments (``BINARY_EVENT``,
``BINARY_ACK`` and the binary frames that would follow them, which
python-socketio would otherwise buffer on the client's word), and
``CONNECT_ERROR`` only goes the other way.

An event's name follows the wire convention ``area:verb``, which the
reserved names of Socket.IO (``connect``, ``disconnect``, ``connect_error``,
``message``...) never match: a client cannot make the server run its
connection handlers by naming them in an event.

:func:`parse` is pure: it returns a :class:`Frame` or raises :class:`BadFrame`,
whose ``reason`` is a fixed phrase (never any part of the frame) and which
keeps the namespace and ack id when they could be read, so that the caller
can answer with an error ack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from signaling import codec

CONNECT, DISCONNECT, EVENT = 0, 1, 2
EVENT_NAME = re.compile(r"[a-z][a-z0-9]{0,23}:[a-z_]{1,32}")
MAX_NAMESPACE = 64
MAX_ACK_DIGITS = 9  # python-socketio's clients count from 0; a billion is plenty


@dataclass(frozen=True)
class Frame:
    kind: int  # CONNECT, DISCONNECT or EVENT
    namespace: str
    ack_id: int | None = None
    event: str = ""
    payload: Any = None  # EVENT: its argument (None when absent); CONNECT: the auth object


class BadFrame(ValueError):
    def __init__(self, reason: str, namespace: str | None = None, ack_id: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.namespace = namespace
        self.ack_id = ack_id


def parse(data: str | bytes) -> Frame:
    """The Socket.IO packet in one Engine.IO message, or :class:`BadFrame`."""
    if not isinstance(data, str):
        raise BadFrame("binary frame")
    if not data:
        raise BadFrame("empty frame")
    kind = data[0]
    if kind not in "012":
        raise BadFrame("packet type not accepted from clients")
    rest = data[1:]
    namespace = "/"
    if rest.startswith("/"):
        head, _, rest = rest.partition(",")
        namespace = head.partition("?")[0]  # a query string, as python-socketio drops it
        if len(namespace) > MAX_NAMESPACE:
            raise BadFrame("namespace too long")
    digits = len(rest) - len(rest.lstrip("0123456789"))
    ack_id = None
    if digits:
        if digits > MAX_ACK_DIGITS:
            raise BadFrame("ack id too long", namespace)
        ack_id, rest = int(rest[:digits]), rest[digits:]
    if int(kind) == EVENT:
        return _event(namespace, ack_id, rest)
    if ack_id is not None:
        raise BadFrame("unexpected ack id", namespace)
    if int(kind) == DISCONNECT:
        if rest:
            raise BadFrame("unexpected data", namespace)
        return Frame(DISCONNECT, namespace)
    return Frame(CONNECT, namespace, payload=_json(rest, namespace, None) if rest else None)


def _event(namespace: str, ack_id: int | None, text: str) -> Frame:
    body = _json(text, namespace, ack_id)
    if not isinstance(body, list) or not 1 <= len(body) <= 2:
        raise BadFrame("an event is [name] or [name, payload]", namespace, ack_id)
    name = body[0]
    if not isinstance(name, str) or not EVENT_NAME.fullmatch(name):
        raise BadFrame("unknown event", namespace, ack_id)
    return Frame(EVENT, namespace, ack_id, name, body[1] if len(body) == 2 else None)


def _json(text: str, namespace: str, ack_id: int | None) -> Any:
    if not text:
        raise BadFrame("missing data", namespace, ack_id)
    try:
        return codec.loads(text)
    except ValueError:  # invalid JSON, NaN, a lone surrogate, nesting beyond 1,024 levels...
        raise BadFrame("undecodable JSON", namespace, ack_id) from None
