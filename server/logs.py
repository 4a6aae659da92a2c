"""Log lines that carry the node (PALABRE_NODE_ID) and, when there is one, the session.

PALABRE_LOG_FORMAT=text (the default)::

    2026-12-07 01:02:03,456 INFO signaling.namespace [node-1] session s-1: p-2 connected

PALABRE_LOG_FORMAT=json: one JSON object a line, for a log collector::

    {"time": "2026-12-07T01:02:03.456Z", "level": "INFO", "logger": "signaling.namespace",
     "node": "node-1", "session": "s-1", "message": "session s-1: p-2 connected"}

The session: ``logger.info("...", extra={"session": session_id})``, or, for the
many existing lines written ``"session %s: ..."``, the first argument of such a
line. An exception adds ``exc_type`` and ``traceback``.

Whatever a message holds, a line stays one line: JSON escapes every control
character (``\\n`` included); the text format writes a message's line breaks
and other control characters as escapes (``\\n``, ``\\x1b``) so that nothing
typed by a user can start a forged line. Messages never hold personal data or
what people said or drew (house rule); this only guards the format.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(node)s] %(message)s"
SESSION_PREFIX = "session %s"
# Loggers that write personal data at their own INFO/DEBUG level: ICE candidates (IP
# addresses) from aioice and aiortc, SQL parameters from aiosqlite.
NOISY = ("aioice", "aiortc", "aiosqlite")


def session_of(record: logging.LogRecord) -> str | None:
    session = getattr(record, "session", None)
    if isinstance(session, str):
        return session
    if (
        isinstance(record.msg, str)
        and record.msg.startswith(SESSION_PREFIX)
        and isinstance(record.args, tuple)
        and record.args
        and isinstance(record.args[0], str)
    ):
        return record.args[0]
    return None


def _escape(text: str) -> str:
    """Control characters as escapes: the text stays on one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class NodeFilter(logging.Filter):
    """Puts the node's name on every record (``%(node)s``)."""

    def __init__(self, node_id: str) -> None:
        super().__init__()
        self.node_id = node_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.node = self.node_id
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        original = record.message
        record.message = _escape(original)
        try:
            return super().formatMessage(record)
        finally:
            record.message = original


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            + "Z",
            "level": record.levelname,
            "logger": record.name,
            "node": getattr(record, "node", None),
        }
        session = session_of(record)
        if session is not None:
            line["session"] = session
        line["message"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            line["exc_type"] = record.exc_info[0].__qualname__
            line["traceback"] = self.formatException(record.exc_info)
        # ensure_ascii: every control character (and U+2028) becomes an escape
        return json.dumps(line, ensure_ascii=True, default=str)


def log_handler(log_format: str, node_id: str, stream: TextIO | None = None) -> logging.Handler:
    """Writes ``log_format`` lines (``text`` or ``json``) to ``stream`` (standard error),
    each with ``node_id``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(NodeFilter(node_id))
    return handler


def configure_logging(log_format: str, node_id: str) -> None:
    """The root logger writes through :func:`log_handler` only (replaces the handlers set
    before), at INFO; the loggers that would write personal data at WARNING."""
    handler = log_handler(log_format, node_id)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
