"""A file stored with its metadata in one case-file item, so both are encrypted together.

Layout: a magic prefix naming the kind of file, a 4-byte big-endian length, a
UTF-8 JSON header (which holds at least the file's ``size`` and ``sha256``),
then the file's bytes. Reading checks the prefix, the header and that the
bytes are the ones the header describes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def pack_file(magic: bytes, header: Mapping[str, Any], data: bytes) -> bytes:
    encoded = json.dumps(dict(header), ensure_ascii=False, separators=(",", ":")).encode()
    return magic + len(encoded).to_bytes(4, "big") + encoded + data


def unpack_file(magic: bytes, blob: bytes, what: str) -> tuple[dict[str, Any], bytes]:
    """The header's fields and the file; ``ValueError`` naming ``what`` on anything wrong."""
    start = len(magic) + 4
    if not blob.startswith(magic) or len(blob) < start:
        raise ValueError(f"not a packed {what}")
    length = int.from_bytes(blob[len(magic) : start], "big")
    try:
        fields = json.loads(blob[start : start + length])
    except ValueError as exc:
        raise ValueError(f"damaged {what} header") from exc
    if not isinstance(fields, dict):
        raise ValueError(f"damaged {what} header")
    data = blob[start + length :]
    if len(data) != fields.get("size") or hashlib.sha256(data).hexdigest() != fields.get("sha256"):
        raise ValueError(f"{what} does not match its header")
    return fields, data
