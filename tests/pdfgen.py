"""A tiny PDF writer for the tests: real, valid PDFs (correct xref offsets), N pages.

Each page shows a big coloured block (whose place and colour depend on the
page number, so a screenshot tells pages apart) and the words "Page N".
"""

from __future__ import annotations

import zlib

COLOURS = [(0.85, 0.2, 0.2), (0.2, 0.6, 0.25), (0.2, 0.35, 0.85), (0.9, 0.6, 0.1)]


def _page_content(number: int) -> bytes:
    r, g, b = COLOURS[(number - 1) % len(COLOURS)]
    y = 700 - 120 * ((number - 1) % 5)
    return (
        f"{r} {g} {b} rg 60 {y - 150} 480 150 re f\n"
        f"0 0 0 rg BT /F1 48 Tf 72 {y + 40} Td (Page {number}) Tj ET\n"
    ).encode()


def make_pdf(
    pages: int = 3,
    *,
    compressed: bool = False,
    objstm: bool = False,
    info: dict[str, str] | None = None,
    xmp: str | None = None,
) -> bytes:
    """A PDF with ``pages`` pages; ``objstm`` hides the page objects in an object stream;
    ``info``: document properties (``Author``...); ``xmp``: an XMP metadata stream
    (compressed when ``compressed``)."""
    page_ids = [4 + 2 * i for i in range(pages)]
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    extra: dict[int, bytes] = {}
    last = 4 + 2 * pages
    if xmp is not None:
        packet = xmp.encode()
        if compressed:
            packet = zlib.compress(packet)
            head = b"<< /Type /Metadata /Subtype /XML /Filter /FlateDecode /Length %d >>"
        else:
            head = b"<< /Type /Metadata /Subtype /XML /Length %d >>"
        extra[last] = head % len(packet) + b"\nstream\n" + packet + b"\nendstream"
        catalog = b"<< /Type /Catalog /Pages 2 0 R /Metadata %d 0 R >>" % last
        last += 1
    if info is not None:
        fields = b" ".join(b"/%s (%s)" % (k.encode(), v.encode()) for k, v in info.items())
        extra[last] = b"<< " + fields + b" >>"
    objects: dict[int, bytes] = {
        1: catalog,
        2: (
            b"<< /Type /Pages /Kids ["
            + b" ".join(b"%d 0 R" % p for p in page_ids)
            + b"] /Count %d >>" % pages
        ),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    objects.update(extra)
    page_objects: dict[int, bytes] = {}
    for i, pid in enumerate(page_ids):
        content = _page_content(i + 1)
        if compressed:
            data = zlib.compress(content)
            stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data)
        else:
            data = content
            stream = b"<< /Length %d >>\nstream\n" % len(data)
        objects[pid + 1] = stream + data + b"\nendstream"
        page_objects[pid] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (pid + 1)
        )
    info_ref = b"" if info is None else b" /Info %d 0 R" % last
    if not objstm:
        objects.update(page_objects)
        return _write(objects, info_ref)
    return _write_with_object_stream(objects, page_objects, info_ref)


def _write(objects: dict[int, bytes], info_ref: bytes = b"") -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number]
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, info_ref, xref,
    )  # fmt: skip
    return bytes(out)


def _write_with_object_stream(
    objects: dict[int, bytes], hidden: dict[int, bytes], info_ref: bytes = b""
) -> bytes:
    """PDF 1.5: ``hidden`` objects live in a compressed object stream, with an xref stream."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    stm = max(list(objects) + list(hidden)) + 1
    heads, bodies, at = [], b"", 0
    for number in sorted(hidden):
        heads.append(b"%d %d" % (number, at))
        bodies += hidden[number] + b"\n"
        at = len(bodies)
    head = b" ".join(heads) + b"\n"
    packed = zlib.compress(head + bodies)
    offsets[stm] = len(out)
    out += (
        b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Length %d /Filter /FlateDecode >>\n"
        % (stm, len(hidden), len(head), len(packed))
        + b"stream\n"
        + packed
        + b"\nendstream\nendobj\n"
    )
    xref_number = stm + 1
    xref_at = len(out)
    rows = bytearray(6)  # object 0: free
    index_in_stream = {n: i for i, n in enumerate(sorted(hidden))}
    for number in range(1, xref_number + 1):
        if number in hidden:
            rows += bytes([2]) + stm.to_bytes(4, "big") + index_in_stream[number].to_bytes(1, "big")
        elif number == xref_number:
            rows += bytes([1]) + xref_at.to_bytes(4, "big") + b"\x00"
        else:
            rows += bytes([1]) + offsets[number].to_bytes(4, "big") + b"\x00"
    data = zlib.compress(bytes(rows))
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 1] /Root 1 0 R%s /Length %d "
        b"/Filter /FlateDecode >>\nstream\n"
        % (xref_number, xref_number + 1, info_ref, len(data))
        + data
        + b"\nendstream\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)
