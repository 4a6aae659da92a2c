"""JSON for the Socket.IO wire: orjson behind the ``json``-module face python-socketio expects.

Every whiteboard operation is decoded once when it arrives and encoded once
per message that carries it; its coordinates are floats, which the standard
library writes several times slower than orjson. python-socketio and
python-engineio take any object with ``dumps`` and ``loads`` (their
``json=`` option), and call ``dumps`` with ``separators``; orjson's output is
always compact and UTF-8, which is what the wire uses anyway.

Reading is stricter than ``json``: ``NaN``, ``Infinity`` and unpaired
surrogates are invalid, and an integer beyond 64 bits is read as a float (no
slow parsing of huge integers: the guard python-engineio's own loader adds).
Invalid JSON raises ``ValueError``, as with ``json``.
"""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(obj: Any, **_ignored: Any) -> str:
    """Compact JSON text of ``obj`` (``separators``, ``ensure_ascii`` and the like are moot)."""
    return orjson.dumps(obj, option=_OPTIONS).decode()


def loads(text: str | bytes, **_ignored: Any) -> Any:
    return orjson.loads(text)
