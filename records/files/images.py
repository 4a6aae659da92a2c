"""PNG and JPEG images: sizes a browser can open, and without hidden metadata.

Both are read once, segment by segment (linear in the file), never decoded
into pixels:

- the dimensions must stay within :data:`MAX_SIDE` and :data:`MAX_PIXELS`
  (a 30000 x 30000 image would take 3.6 GB in each viewer's browser);
- a PNG's compressed pixel data is inflated, without keeping it, and must
  not expand beyond what its dimensions need (a decompression bomb);
- a JPEG may not have more than :data:`MAX_SCANS` scans (progressive
  "scan bombs" cost decoders minutes);
- metadata is dropped: a PNG keeps only the chunks needed to draw it (text,
  EXIF, XMP, times and private chunks go); a JPEG keeps its image segments,
  its JFIF header, colour profile and Adobe colour marker, and of its EXIF
  only the orientation (so a phone photo stays upright): the GPS position,
  camera, dates, author, thumbnails, XMP, IPTC and comments go, and so does
  anything after the end of the image. The pixels are never re-encoded.
"""

from __future__ import annotations

import re
import struct
import zlib

from errors import ErrorCode
from records.files.check import Deadline, refuse

MAX_SIDE = 20_000
MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo fits
MAX_SCANS = 200
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_INFLATE_STEP = 1024 * 1024

# Chunks that draw the image; everything else is dropped.
_PNG_KEPT = frozenset(
    {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT",
     b"sRGB", b"cICP", b"mDCv", b"cLLi", b"bKGD", b"pHYs"}
)  # fmt: skip
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
# Adam7: (x start, y start, x step, y step) of each pass
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2))  # fmt: skip


def _too_large(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise refuse(ErrorCode.BROKEN_FILE, "this image has no width or height")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise refuse(
            ErrorCode.IMAGE_TOO_LARGE,
            f"this image is {width} x {height} pixels; at most {MAX_SIDE} pixels a side and "
            f"{MAX_PIXELS // 1_000_000} million pixels in all can be shared",
        )


# -- PNG -----------------------------------------------------------------------------------


def _png_raw_size(width: int, height: int, depth: int, colour: int, interlaced: bool) -> int:
    bits = _PNG_CHANNELS[colour] * depth
    if not interlaced:
        return height * (1 + (width * bits + 7) // 8)
    total = 0
    for x0, y0, dx, dy in _ADAM7:
        w, h = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if w > 0 and h > 0:
            total += h * (1 + (w * bits + 7) // 8)
    return total


def clean_png(data: bytes, deadline: Deadline) -> tuple[bytes, frozenset[str]]:
    """The PNG with only the chunks that draw it, and what was removed; refuses
    damaged, oversized and bomb images."""
    broken = refuse(ErrorCode.BROKEN_FILE, "this PNG image is damaged")
    if len(data) < 33 or data[8:16] != b"\x00\x00\x00\rIHDR":
        raise refuse(ErrorCode.BROKEN_FILE, "this PNG image is damaged (no IHDR header)")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    _too_large(width, height)
    if depth not in _PNG_DEPTHS.get(colour, ()) or interlace > 1:
        raise broken
    expected = _png_raw_size(width, height, depth, colour, interlace == 1)
    inflater = zlib.decompressobj()
    inflated = 0
    kept = [PNG_SIGNATURE]
    removed: set[str] = set()
    at, ended, has_data = 8, False, False
    while not ended:
        deadline.check()
        if at + 12 > len(data):
            raise refuse(ErrorCode.BROKEN_FILE, "this PNG image is truncated")
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            raise refuse(ErrorCode.BROKEN_FILE, "this PNG image is truncated")
        if kind == b"IDAT":
            has_data = True
            inflated += _inflate(inflater, data[at + 8 : end - 4], expected - inflated, deadline)
        if kind in _PNG_KEPT:
            kept.append(data[at:end])
        else:
            removed.add(_png_label(kind, data[at + 8 : min(end - 4, at + 8 + 80)]))
        ended = kind == b"IEND"
        at = end
    if not has_data or inflated < expected:
        raise broken
    if at < len(data):
        removed.add("trailing_data")
    return (b"".join(kept), frozenset(removed)) if removed else (data, frozenset())


def _inflate(inflater: zlib._Decompress, chunk: bytes, room: int, deadline: Deadline) -> int:
    """Inflate ``chunk`` (discarding the output); refuse if more than ``room`` comes out."""
    out = 0
    pending = chunk
    try:
        while pending:
            deadline.check()
            produced = inflater.decompress(pending, _INFLATE_STEP)
            out += len(produced)
            if out > room:
                raise refuse(
                    ErrorCode.IMAGE_TOO_LARGE,
                    "this PNG image holds more data than its size needs (a compression bomb)",
                )
            pending = inflater.unconsumed_tail
    except zlib.error:
        raise refuse(ErrorCode.BROKEN_FILE, "this PNG image is damaged") from None
    return out


def _png_label(kind: bytes, head: bytes) -> str:
    if kind == b"eXIf":
        return "exif"
    if kind == b"iTXt" and head.startswith(b"XML:com.adobe.xmp\x00"):
        return "xmp"
    if kind in (b"tEXt", b"zTXt", b"iTXt"):
        return "text"
    return "other"


# -- JPEG ----------------------------------------------------------------------------------

# SOF markers: C0-CF but DHT (C4), JPG (C8) and DAC (CC)
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_SOS, _EOI, _APP0, _APP1, _APP2, _APP14, _COM = 0xDA, 0xD9, 0xE0, 0xE1, 0xE2, 0xEE, 0xFE
# the next marker in entropy-coded data: 0xFF, then neither a stuffed 0x00, a restart nor fill
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_FILL = re.compile(rb"\xff+")


def clean_jpeg(data: bytes, deadline: Deadline) -> tuple[bytes, frozenset[str]]:
    """The JPEG without its metadata, and what was removed; refuses damaged or oversized
    images and scan bombs."""
    broken = refuse(ErrorCode.BROKEN_FILE, "this JPEG image is damaged")
    kept = [b"\xff\xd8"]
    removed: set[str] = set()
    at, size, scans = 2, None, 0
    while True:
        deadline.check()
        if data[at : at + 2] == b"\xff\xff":  # fill bytes before a marker
            at = _FILL.match(data, at).end() - 1  # type: ignore[union-attr]
        if at + 2 > len(data):
            raise refuse(ErrorCode.BROKEN_FILE, "this JPEG image is truncated")
        if data[at] != 0xFF:
            raise broken
        marker = data[at + 1]
        if marker == _EOI:
            kept.append(b"\xff\xd9")
            at += 2
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # standalone markers
            kept.append(data[at : at + 2])
            at += 2
            continue
        if at + 4 > len(data):
            raise refuse(ErrorCode.BROKEN_FILE, "this JPEG image is truncated")
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        end = at + 2 + length
        if length < 2 or end > len(data):
            raise refuse(ErrorCode.BROKEN_FILE, "this JPEG image is truncated")
        body = data[at + 4 : end]
        if marker in _SOF:
            if len(body) < 5:
                raise broken
            height, width = struct.unpack(">HH", body[1:5])
            _too_large(width, height)
            size = (width, height)
        if marker == _APP1 and body.startswith(b"Exif\x00\x00"):
            orientation, labels = _read_exif(body[6:])
            removed |= labels
            if orientation not in (None, 1):
                kept.append(_orientation_segment(orientation))
        elif _keeps(marker, body):
            kept.append(data[at:end])
        else:
            removed.add(_jpeg_label(marker, body))
        at = end
        if marker == _SOS:
            scans += 1
            if scans > MAX_SCANS:
                raise refuse(ErrorCode.FILE_TOO_COMPLEX, "this JPEG image has too many scans")
            found = _NEXT_MARKER.search(data, at)
            if found is None:
                raise refuse(ErrorCode.BROKEN_FILE, "this JPEG image is truncated")
            kept.append(data[at : found.start()])
            at = found.start()
    if size is None or scans == 0:
        raise broken
    if at < len(data):
        removed.add("trailing_data")
    return (b"".join(kept), frozenset(removed)) if removed else (data, frozenset())


def _keeps(marker: int, body: bytes) -> bool:
    if marker == _APP0:
        return body.startswith(b"JFIF\x00")  # not JFXX (a thumbnail)
    if marker == _APP2:
        return body.startswith(b"ICC_PROFILE\x00")
    if marker == _APP14:
        return body.startswith(b"Adobe")
    return not (0xE0 <= marker <= 0xEF or marker == _COM)


def _jpeg_label(marker: int, body: bytes) -> str:
    if marker == _APP1 and body.startswith(b"http://ns.adobe.com/xap/1.0/"):
        return "xmp"
    if marker == _APP1 and body.startswith(b"http://ns.adobe.com/xmp/extension/"):
        return "xmp"
    if marker == 0xED:
        return "iptc"
    if marker == _COM:
        return "comment"
    return "other"


def _read_exif(tiff: bytes) -> tuple[int | None, frozenset[str]]:
    """The orientation, and what the EXIF held (``exif``, and ``location`` for GPS)."""
    labels = {"exif"}
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return None, frozenset(labels)
    (first,) = struct.unpack(order + "I", tiff[4:8])
    if first + 2 > len(tiff):
        return None, frozenset(labels)
    (count,) = struct.unpack(order + "H", tiff[first : first + 2])
    orientation = None
    for i in range(min(count, 512)):
        entry = tiff[first + 2 + 12 * i : first + 14 + 12 * i]
        if len(entry) < 12:
            break
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag == 0x8825:
            labels.add("location")
        elif tag == 0x0112 and kind == 3:
            (value,) = struct.unpack(order + "H", entry[8:10])
            orientation = value if 1 <= value <= 8 else None
    return orientation, frozenset(labels)


def _orientation_segment(orientation: int) -> bytes:
    """An APP1 EXIF segment holding only the orientation tag."""
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    body = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
