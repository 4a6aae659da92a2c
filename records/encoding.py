"""How records turns the plain data it is given into bytes to encrypt and store, and back.

One convention for everything records keeps as structured content (the board
journal's operations, the shared documents' state, a kept chat): compact UTF-8
JSON, non-ASCII characters as they are. The layers above hand records plain
data (their domain objects' record form) and get plain data back; the bytes
are records' business. Reading accepts any JSON, so rows written with other
spacing read back the same; ``NaN``, ``Infinity`` and unpaired surrogates are
refused. Invalid content raises ``ValueError``.
"""

from __future__ import annotations

from typing import Any

import orjson


def encode(data: Any) -> bytes:
    """Compact UTF-8 JSON of ``data`` (mappings, sequences, strings, numbers, booleans)."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def decode(content: bytes) -> Any:
    """The data :func:`encode` made of ``content``; ``ValueError`` if it is not JSON."""
    return orjson.loads(content)
