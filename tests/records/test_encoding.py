"""Records' one encoding of what it stores: compact JSON, read back whatever its spacing."""

from __future__ import annotations

import json

import pytest

from records.encoding import decode, encode

DATA = {"seq": 3, "op": {"points": [[0.1, 2.5], [1e16, -3.0]]}, "title": "Clé à molette"}


def test_it_is_compact_utf8_json() -> None:
    assert encode(DATA) == json.dumps(DATA, separators=(",", ":"), ensure_ascii=False).encode()
    assert decode(encode(DATA)) == DATA


def test_what_the_standard_library_wrote_before_reads_back_the_same() -> None:
    """Shared documents' states were stored with ``json.dumps`` (spaces, ``ensure_ascii``)."""
    for old in (json.dumps(DATA, ensure_ascii=False), json.dumps(DATA)):
        assert decode(old.encode()) == DATA


@pytest.mark.parametrize("content", [b"", b"[1,2", b"NaN", b"\xff\xfe", b"{'a': 1}"])
def test_anything_else_is_a_value_error(content: bytes) -> None:
    with pytest.raises(ValueError):
        decode(content)
