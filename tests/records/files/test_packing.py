"""A file packed with its header: read back whole, refused when anything is off."""

from __future__ import annotations

import hashlib

import pytest

from records.files.packing import pack_file, unpack_file

MAGIC = b"TEST1\n"


def header(data: bytes, **more: object) -> dict[str, object]:
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), **more}


def test_a_packed_file_comes_back_with_its_header() -> None:
    data = "Relevé de décisions".encode()
    blob = pack_file(MAGIC, header(data, name="relevé.txt"), data)
    fields, back = unpack_file(MAGIC, blob, "file")
    assert back == data and fields["name"] == "relevé.txt"


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"OTHER1\n" + b"\0" * 8, "not a packed file"),
        (MAGIC + b"\0\0", "not a packed file"),
        (MAGIC + (4).to_bytes(4, "big") + b"{bad", "damaged file header"),
        (MAGIC + (2).to_bytes(4, "big") + b"[]", "damaged file header"),
    ],
)
def test_what_is_not_a_packed_file_is_refused(blob: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        unpack_file(MAGIC, blob, "file")


def test_changed_or_cut_bytes_are_refused() -> None:
    data = b"0123456789"
    blob = pack_file(MAGIC, header(data), data)
    for damaged in (blob[:-1], blob[:-1] + b"X", blob + b"!"):
        with pytest.raises(ValueError, match="does not match its header"):
            unpack_file(MAGIC, damaged, "file")
