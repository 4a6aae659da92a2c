"""Checking an uploaded file is linear and bounded; images are sized; metadata goes."""

from __future__ import annotations

import io
import re
import struct
import time
import zlib

import pytest
from PIL import Image

from errors import ErrorCode
from records.files.check import Deadline
from records.files.uploads import UploadRefused, prepare, sniff, unpack
from tests.pdfgen import make_pdf
from tests.records.files.test_uploads import png


def refused(data: bytes, deadline: Deadline | None = None) -> ErrorCode:
    with pytest.raises(UploadRefused) as info:
        sniff(data, deadline)
    assert info.value.message
    return info.value.code


def timed(data: bytes) -> float:
    started = time.perf_counter()
    try:
        sniff(data)
    except UploadRefused:
        pass
    return time.perf_counter() - started


# -- linear checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "unit", "tail"),
    [
        (b"%PDF-1.4\n", b"/Type/Pages", b"\n/Type/Page\n%%EOF\n"),
        (b"%PDF-1.4\n<<", b"/Type/Pages", b"\n/Type/Page\n%%EOF\n"),
        (b"%PDF-1.4\n", b"/Type/Pages>>", b"\n/Type/Page\n%%EOF\n"),
        (b"%PDF-1.4\n", b"<</Type/Pages", b"\n/Type/Page\n%%EOF\n"),
        (b"%PDF-1.5\n", b"/Type/ObjStm stream\n", b"\n%%EOF\n"),
        (b"%PDF-1.5\n", b"/Type/ObjStm ", b"stream\n" + b" " * 200_000 + b"%%EOF\n"),
        (b"%PDF-1.4\n", b"/Info 1 0 R 1 0 obj<<", b"/Type/Page\n%%EOF\n"),
        (b"%PDF-1.4\n", b"/Subtype/XML stream\n", b"/Type/Page\n%%EOF\n"),
        (b"\x89PNG\r\n\x1a\n", b"\x00\x00\x00\x00tEXt\x00\x00\x00\x00", b""),
        (b"\xff\xd8", b"\xff\xfe\x00\x02", b"\xff\xd9"),
        (b"\xff\xd8\xff\xda\x00\x02", b"\xff\x00", b"\xff\xd9"),
    ],
    ids=[
        "pages-markers", "one-dict", "closed-dicts", "open-dicts", "objstm", "objstm-far",
        "info", "xmp", "png-chunks", "jpeg-segments", "jpeg-stuffing",
    ],
)  # fmt: skip
def test_crafted_files_are_checked_in_linear_time(head: bytes, unit: bytes, tail: bytes) -> None:
    """100,000 page tree markers took 7.5 s, each rescanning 64 KB around it."""
    small = timed(head + unit * 25_000 + tail)
    large = timed(head + unit * 100_000 + tail)
    assert large < 1.0, large
    assert large < 8 * small + 0.05, (small, large)  # four times the size: not 16 times the time


def test_a_check_past_its_deadline_is_refused_with_a_code() -> None:
    now = [0.0]
    deadline = Deadline(5.0, clock=lambda: now[0])
    deadline.check()
    now[0] = 6.0
    assert refused(make_pdf(3), deadline) is ErrorCode.FILE_TOO_COMPLEX


# -- images too large to open ------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height"), [(30_000, 30_000), (2**32 - 1, 1), (1, 2**32 - 1), (25_000, 10)]
)
def test_png_dimensions_are_bounded(width: int, height: int) -> None:
    header = png(2, 2)
    crafted = header[:16] + struct.pack(">II", width, height) + header[24:]
    assert refused(crafted) is ErrorCode.IMAGE_TOO_LARGE


def test_a_png_whose_pixels_inflate_beyond_its_size_is_a_bomb() -> None:
    good = png(2, 2)
    ihdr_end = 8 + 25
    bomb = zlib.compress(b"\x00" * (50 * 1024 * 1024))
    idat = b"IDAT" + bomb
    chunk = struct.pack(">I", len(bomb)) + idat + struct.pack(">I", zlib.crc32(idat))
    crafted = good[:ihdr_end] + chunk + good[-12:]
    started = time.perf_counter()
    assert refused(crafted) is ErrorCode.IMAGE_TOO_LARGE
    assert time.perf_counter() - started < 0.5


def test_jpeg_dimensions_are_bounded() -> None:
    data = Image.new("RGB", (16, 16)).tobytes()
    out = io.BytesIO()
    Image.frombytes("RGB", (16, 16), data).save(out, "JPEG")
    jpeg = out.getvalue()
    sof = re.search(rb"\xff\xc0..\x08", jpeg, re.S)
    assert sof is not None
    at = sof.end()
    crafted = jpeg[:at] + struct.pack(">HH", 30_000, 30_000) + jpeg[at + 4 :]
    assert refused(crafted) is ErrorCode.IMAGE_TOO_LARGE


def test_images_of_ordinary_sizes_pass() -> None:
    assert sniff(png(4000, 3)).kind.value == "png"


# -- metadata ------------------------------------------------------------------------------


def photo_with_gps(orientation: int = 6) -> bytes:
    image = Image.new("RGB", (64, 48), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15 Pro"  # Model
    exif[0x013B] = "Jeanne Dupont"  # Artist
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"chez Jeanne, rue des Lilas")
    return out.getvalue()


def test_a_photo_loses_its_position_camera_and_author_but_keeps_its_orientation() -> None:
    original = photo_with_gps()
    assert b"Jeanne" in original and b"PhoneMaker" in original
    ready = prepare(original, "photo.jpg")
    assert {"exif", "location", "comment"} <= ready.removed
    meta, kept = unpack(ready.packed)
    assert (meta.size, meta.mime) == (len(kept), "image/jpeg")
    for secret in (b"Jeanne", b"PhoneMaker", b"Phone 15", b"Lilas"):
        assert secret not in kept
    image = Image.open(io.BytesIO(kept))
    exif = image.getexif()
    assert exif.get(0x0112) == 6 and 0x8825 not in exif and 0x010F not in exif
    assert image.size == (64, 48)
    assert image.tobytes() == Image.open(io.BytesIO(original)).tobytes()  # pixels untouched


def test_xmp_and_trailing_data_are_dropped_from_a_jpeg() -> None:
    out = io.BytesIO()
    xmp = b'<x:xmpmeta><rdf:Description dc:creator="Jeanne Dupont"/></x:xmpmeta>'
    Image.new("RGB", (8, 8)).save(out, "JPEG", xmp=xmp)
    data = out.getvalue() + b"PK\x03\x04 hidden archive"
    ready = prepare(data, "a.jpg")
    assert {"xmp", "trailing_data"} <= ready.removed
    _, kept = unpack(ready.packed)
    assert b"Jeanne" not in kept and b"hidden" not in kept
    Image.open(io.BytesIO(kept)).load()


def test_a_clean_image_is_kept_byte_for_byte() -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG")
    ready = prepare(out.getvalue(), "a.jpg")
    assert ready.removed == frozenset()
    assert unpack(ready.packed)[1] == out.getvalue()


def test_png_text_exif_and_xmp_chunks_are_dropped() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jeanne Dupont")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>Jeanne</x:xmpmeta>")
    exif = Image.Exif()
    exif[0x013B] = "Jeanne"
    out = io.BytesIO()
    Image.new("RGBA", (20, 10), (1, 2, 3, 4)).save(out, "PNG", pnginfo=info, exif=exif)
    ready = prepare(out.getvalue(), "schema.png")
    assert {"text", "xmp", "exif"} <= ready.removed
    _, kept = unpack(ready.packed)
    assert b"Jeanne" not in kept
    image = Image.open(io.BytesIO(kept))
    image.load()
    assert image.size == (20, 10) and not image.text
    assert image.tobytes() == Image.open(out).tobytes()


def xref_offsets_hold(data: bytes) -> None:
    """Every in-use entry of the classic xref table points at its object's header."""
    table = data[data.rindex(b"xref\n") :]
    rows = re.findall(rb"(\d{10}) 00000 n", table)
    for number, offset in enumerate(rows, start=1):
        assert data[int(offset) :].startswith(b"%d 0 obj" % number), number


@pytest.mark.parametrize("compressed", [False, True])
def test_a_pdf_loses_its_properties_and_xmp_and_stays_readable(compressed: bool) -> None:
    pdf = make_pdf(
        3,
        compressed=compressed,
        info={"Author": "Jeanne Dupont", "Creator": "Word pour Mac", "Title": "Offre"},
        xmp="<x:xmpmeta><dc:creator>Jeanne Dupont</dc:creator></x:xmpmeta>",
    )
    ready = prepare(pdf, "offre.pdf")
    assert ready.removed == {"document_info", "xmp"}
    meta, kept = unpack(ready.packed)
    assert len(kept) == len(pdf) and meta.pages == 3
    for secret in (b"Jeanne", b"Word pour Mac", b"/Info"):
        assert secret not in kept
    if compressed:
        assert b"/Subtype /XML /Filter" not in kept
    xref_offsets_hold(kept)
    assert sniff(kept).pages == 3 and sniff(kept).removed == frozenset()


def test_a_pdf_with_properties_in_an_xref_stream_loses_the_reference() -> None:
    pdf = make_pdf(2, objstm=True, info={"Author": "Jeanne Dupont"})
    ready = prepare(pdf, "a.pdf")
    assert "document_info" in ready.removed
    _, kept = unpack(ready.packed)
    assert b"/Info" not in kept and b"Jeanne" not in kept and sniff(kept).pages == 2
