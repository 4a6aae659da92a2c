"""What an uploaded file is decided from its bytes; its name is made safe; how it is packed."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from PIL import Image

from errors import ErrorCode
from records.files.uploads import (
    MAX_FILENAME_LENGTH,
    DocumentMeta,
    Kind,
    UploadRefused,
    clean_filename,
    pack,
    prepare,
    sniff,
    unpack,
)
from tests.pdfgen import make_pdf

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
PE = (
    b"MZ\x90\x00\x03\x00\x00\x00"
    + b"\x00" * 52
    + b"\x80\x00\x00\x00"
    + b"\x00" * 64
    + b"PE\x00\x00"
)
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20 + b"word/document.xml" + b"PK\x05\x06"


def png(width: int = 2, height: int = 2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg(width: int = 8, height: int = 8, **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG", **save)
    return out.getvalue()


JPEG = jpeg()


def refused(data: bytes) -> ErrorCode:
    with pytest.raises(UploadRefused) as info:
        sniff(data)
    assert info.value.message  # a clear message for the person who uploaded it
    return info.value.code


# -- types -------------------------------------------------------------------------------


@pytest.mark.parametrize("pages", [1, 3, 12])
def test_a_pdf_is_recognised_and_its_pages_counted(pages: int) -> None:
    found = sniff(make_pdf(pages))
    assert (found.kind, found.mime, found.pages) == (Kind.PDF, "application/pdf", pages)


def test_pages_inside_compressed_object_streams_are_counted() -> None:
    data = make_pdf(4, compressed=True, objstm=True)
    assert b"/Type /Page " not in data and b"/Type /Page>" not in data
    assert sniff(data).pages == 4


def test_an_incremental_update_does_not_double_the_pages() -> None:
    """A PDF saved again (annotations, forms) appends new versions of its page objects."""
    base = make_pdf(3)
    update = (
        b"4 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R >>\n"
        b"endobj\n6 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n"
        b"trailer\n<< /Size 10 /Root 1 0 R /Prev 0 >>\n%%EOF\n"
    )
    assert sniff(base + update).pages == 3


def test_the_page_tree_count_is_bounded() -> None:
    huge = make_pdf(1).replace(b"/Count 1", b"/Count 999999999")
    assert sniff(huge).pages == 10_000


def test_png_jpeg_and_text_are_recognised() -> None:
    assert sniff(png()).kind is Kind.PNG
    assert sniff(JPEG).kind is Kind.JPEG
    text = sniff("Procès-verbal\tde médiation\r\n\fpage 2 — 😀\n".encode())
    assert (text.kind, text.mime, text.pages) == (Kind.TEXT, "text/plain", None)


@pytest.mark.parametrize("data", [ELF, PE, ZIP], ids=["elf", "pe", "zip"])
def test_executables_and_archives_are_refused_whatever_their_name(data: bytes) -> None:
    assert refused(data) is ErrorCode.UNSUPPORTED_TYPE
    # even with a plausible name: the name plays no part
    with pytest.raises(UploadRefused):
        prepare(data, "rapport.pdf")


def test_other_binaries_and_non_utf8_text_are_refused() -> None:
    assert refused(b"GIF89a\x01\x00\x01\x00") is ErrorCode.UNSUPPORTED_TYPE
    assert refused("café".encode("latin-1")) is ErrorCode.UNSUPPORTED_TYPE
    assert refused(b"hello\x00world") is ErrorCode.UNSUPPORTED_TYPE
    assert refused(b"bell \x07 here") is ErrorCode.UNSUPPORTED_TYPE
    assert refused("c1 \u0085 control".encode()) is ErrorCode.UNSUPPORTED_TYPE
    assert refused(b"<html>\x1b[31m</html>") is ErrorCode.UNSUPPORTED_TYPE


def test_an_html_page_is_only_ever_plain_text() -> None:
    found = sniff(b"<!doctype html><script>alert(1)</script>")
    assert found.mime == "text/plain"
    assert clean_filename("page.html", found.kind) == "page.html.txt"


def test_zero_bytes_is_refused_as_empty() -> None:
    assert refused(b"") is ErrorCode.EMPTY_FILE


def test_broken_pdfs_are_refused_with_a_reason() -> None:
    good = make_pdf(2)
    assert refused(b"%PDF-1.7\n") is ErrorCode.BROKEN_FILE  # header only
    assert refused(good[: len(good) // 2]) is ErrorCode.BROKEN_FILE  # truncated
    no_pages = good.replace(b"/Type /Page ", b"/Type /Xxxx ")
    assert refused(no_pages) is ErrorCode.BROKEN_FILE
    # a PDF without its header is not a PDF at all
    assert refused(b"\x00\x01" + good[5:]) is ErrorCode.UNSUPPORTED_TYPE


def test_broken_images_are_refused() -> None:
    assert refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30) is ErrorCode.BROKEN_FILE
    assert refused(png(0, 5)) is ErrorCode.BROKEN_FILE
    assert refused(JPEG[:-2]) is ErrorCode.BROKEN_FILE


def test_a_compression_bomb_in_an_object_stream_is_bounded() -> None:
    bomb = zlib.compress(b"\x00" * (64 * 1024 * 1024))
    data = (
        b"%%PDF-1.5\n1 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Length %d >>\nstream\n" % len(bomb)
        + bomb
        + b"\nendstream\nendobj\n%%EOF\n"
    )
    assert refused(data) is ErrorCode.BROKEN_FILE


# -- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("../../etc/passwd", Kind.TEXT, "passwd.txt"),
        ("..\\..\\Windows\\system32\\evil.pdf", Kind.PDF, "evil.pdf"),
        ("C:\\Users\\moi\\Rapport final.PDF", Kind.PDF, "Rapport final.pdf"),
        ("...hidden", Kind.TEXT, "hidden.txt"),
        (".", Kind.PDF, "document.pdf"),
        ("", Kind.PNG, "document.png"),
        ("../", Kind.JPEG, "document.jpg"),
        ("a\x00b\x07c\x1b[31md.pdf", Kind.PDF, "abc[31md.pdf"),
        ("line\none\r\ntwo\t.txt", Kind.TEXT, "line one two.txt"),
        ("  lots   of \u00a0 space .pdf", Kind.PDF, "lots of space.pdf"),
        ("invoice\u202egnp.exe", Kind.PDF, "invoicegnp.exe.pdf"),
        ("zero\u200bwidth\u2066iso\u2069.png", Kind.PNG, "zerowidthiso.png"),
        ("photo.pdf", Kind.PNG, "photo.png"),
        ("scan.JPEG", Kind.JPEG, "scan.jpeg"),
        ("notes", Kind.TEXT, "notes.txt"),
        ("data.csv", Kind.TEXT, "data.csv"),
        ('what?<is>"this"|*:.txt', Kind.TEXT, "what__is__this____.txt"),
        ("Procès-verbal — médiation n°3 (version définitive).pdf", Kind.PDF,
         "Procès-verbal — médiation n°3 (version définitive).pdf"),
        ("議事録.txt", Kind.TEXT, "議事録.txt"),
        ("Cafe\u0301.pdf", Kind.PDF, "Café.pdf"),
    ],
)  # fmt: skip
def test_file_names_are_cleaned(raw: str, kind: Kind, expected: str) -> None:
    assert clean_filename(raw, kind) == expected


def test_very_long_names_are_cut_keeping_the_extension() -> None:
    name = clean_filename("é" * 500 + ".pdf", Kind.PDF)
    assert len(name) == MAX_FILENAME_LENGTH
    assert name.endswith("é.pdf")
    assert len(clean_filename("x" * 119, Kind.TEXT)) == MAX_FILENAME_LENGTH


# -- packing -------------------------------------------------------------------------------


def test_a_document_is_packed_with_its_metadata_and_unpacked_intact() -> None:
    data = make_pdf(3)
    ready = prepare(data, "../Accord.pdf")
    meta = ready.meta
    assert meta.filename == "Accord.pdf"
    assert (meta.mime, meta.pages, meta.size, ready.removed) == (
        "application/pdf", 3, len(data), frozenset(),
    )  # fmt: skip
    again, content = unpack(ready.packed)
    assert (again, content) == (meta, data)


def test_unpack_refuses_what_is_not_a_packed_document() -> None:
    meta = DocumentMeta("a.txt", "text/plain", None, 5, "0" * 64)
    with pytest.raises(ValueError, match="does not match"):
        unpack(pack(meta, b"hello"))
    with pytest.raises(ValueError, match="not a packed"):
        unpack(b"hello")
    with pytest.raises(ValueError, match="damaged"):
        unpack(pack(meta, b"hello")[:20])
