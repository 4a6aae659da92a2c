"""PDF files: how many pages, and the document's hidden metadata removed.

Every function here is linear in the size of the file: each regular
expression runs over the bytes once, and no position is searched twice (the
page tree's ``/Count`` is looked for in the union of the dictionaries that
name a page tree, each byte read once). Compressed object streams are
opened within a size budget. Loops call ``deadline.check()``.

Metadata is removed without rewriting the file: every byte keeps its
offset (so the cross-reference table stays right) and what is removed is
overwritten with spaces:

- ``/Info n g R`` in every trailer and cross-reference stream (the
  "document properties": author, title, creator, producer, dates), and the
  dictionary of that object when it is stored as such in the file;
- every XMP metadata stream (``/Type /Metadata /Subtype /XML``): its
  content, and its ``/Filter`` so the blank content reads as plain text.
"""

from __future__ import annotations

import re
import zlib

from errors import ErrorCode
from records.files.check import Deadline, refuse

MAX_PAGES = 10_000
# Compressed object streams are opened to count their pages, within this budget.
MAX_INFLATED_BYTES = 32 * 1024 * 1024
_DICT_WINDOW = 64 * 1024  # how far a page tree node's dictionary is looked for
_MAX_INFO_OBJECTS = 64
_MAX_METADATA_DICT = 4096  # from /Subtype /XML to the word "stream"

_PAGE = re.compile(rb"/Type\s{0,64}/Page(?![A-Za-z0-9_])")
_OBJECT_STREAM = re.compile(rb"/Type\s{0,64}/ObjStm(?![A-Za-z0-9_])")
_PAGE_TREE = re.compile(rb"/Type\s{0,64}/Pages(?![A-Za-z0-9_])")
_COUNT = re.compile(rb"/Count\s{1,64}(\d{1,9})")
_STREAM = re.compile(rb"stream\r?\n")
_INFO = re.compile(rb"/Info\s{1,64}(\d{1,10})\s{1,64}(\d{1,5})\s{1,64}R(?![A-Za-z0-9_])")
_XMP = re.compile(rb"/Subtype\s{0,64}/XML(?![A-Za-z0-9_])")
_FILTER = re.compile(
    rb"/(?:Filter|DecodeParms)\s{0,64}(?:/[A-Za-z0-9]{1,64}|\[[^\]]{0,512}\]|<<[^>]{0,512}>>)"
)
_EVERY = 1024  # matches between deadline checks


def page_count(data: bytes, deadline: Deadline) -> int:
    """The page count: the page tree's ``/Count`` (its largest, the root's) when it can be
    read, else the number of page objects. Page objects must exist, in the file or in its
    compressed object streams; a count of objects alone overcounts a PDF saved with
    incremental updates."""
    if b"%%EOF" not in data[-1024:]:
        raise refuse(ErrorCode.BROKEN_FILE, "this PDF is incomplete (no end-of-file marker)")
    parts = [data]
    if not _PAGE.search(data):
        parts += _object_streams(data, deadline)
    objects = 0
    for part in parts:
        for n, _ in enumerate(_PAGE.finditer(part)):
            objects += 1
            if n % _EVERY == 0:
                deadline.check()
    if objects == 0:
        raise refuse(ErrorCode.BROKEN_FILE, "this PDF has no readable page")
    tree = max(_tree_count(part, deadline) for part in parts)
    return min(tree or objects, MAX_PAGES)


def _tree_count(data: bytes, deadline: Deadline) -> int:
    """The largest ``/Count`` in a dictionary that says ``/Type /Pages`` (0: none found).

    A node's dictionary runs from the last ``<<`` before the marker to the first ``>>``
    after it, each within a window. Every search starts where the previous one
    stopped, and only the global maximum matters, so a dictionary already read for
    one marker is not read again for the next: each byte is read a bounded number
    of times."""
    best = 0
    back = 0  # searched backwards for "<<" down to here
    last_open = -1
    ahead = 0  # searched forwards for ">>" up to here
    close = -1
    read_to = 0  # searched for /Count up to here
    for n, found in enumerate(_PAGE_TREE.finditer(data)):
        if n % _EVERY == 0:
            deadline.check()
        begin, stop = found.start(), found.end()
        if begin < read_to:
            continue  # inside a dictionary already read
        opened = data.rfind(b"<<", max(back, begin - _DICT_WINDOW), begin)
        if opened >= 0:
            last_open = opened
        back = begin
        if last_open < 0 or last_open < begin - _DICT_WINDOW:
            continue
        if close < stop:
            close = data.find(b">>", max(stop, ahead), stop + _DICT_WINDOW)
            ahead = stop + _DICT_WINDOW if close < 0 else close
            if close < 0:
                continue
        elif close > stop + _DICT_WINDOW:
            continue
        for count in _COUNT.findall(data, max(last_open, read_to), close):
            best = max(best, int(count))
        read_to = close
    return best


def _object_streams(data: bytes, deadline: Deadline) -> list[bytes]:
    """The inflated compressed object streams (PDF 1.5+), within a size budget."""
    budget = MAX_INFLATED_BYTES
    out = []
    at = 0
    while budget > 0:
        deadline.check()
        found = _OBJECT_STREAM.search(data, at)
        if found is None:
            break
        start = _STREAM.search(data, found.end())
        if start is None:
            break
        end = data.find(b"endstream", start.end())
        if end < 0:
            break
        at = end + len(b"endstream")
        inflater = zlib.decompressobj()
        try:
            plain = inflater.decompress(data[start.end() : end], budget)
        except zlib.error:
            continue
        budget -= len(plain)
        out.append(plain)
    return out


# -- metadata ----------------------------------------------------------------------------


_TO_SPACES = bytes(b if b in (10, 13) else 32 for b in range(256))


def _blank(out: bytearray, start: int, end: int) -> None:
    """Overwrite ``out[start:end]`` with spaces, keeping line ends (offsets stay valid)."""
    out[start:end] = out[start:end].translate(_TO_SPACES)


def strip_metadata(data: bytes, deadline: Deadline) -> tuple[bytes, frozenset[str]]:
    """``data`` without its document properties and XMP metadata, same length.

    Returns the new bytes and what was removed (``document_info``, ``xmp``)."""
    out = bytearray(data)
    removed: set[str] = set()
    infos: set[tuple[int, int]] = set()
    for n, found in enumerate(_INFO.finditer(data)):
        if n % _EVERY == 0:
            deadline.check()
        if len(infos) < _MAX_INFO_OBJECTS:
            infos.add((int(found[1]), int(found[2])))
        _blank(out, found.start(), found.end())
        removed.add("document_info")
    if infos:
        _blank_objects(data, out, infos, deadline)
    if _blank_xmp(data, out, deadline):
        removed.add("xmp")
    return (bytes(out), frozenset(removed)) if removed else (data, frozenset())


def _blank_objects(
    data: bytes, out: bytearray, numbers: set[tuple[int, int]], deadline: Deadline
) -> None:
    """Blank the dictionaries of these objects where they stand in the file itself
    (inside a compressed object stream they are unreachable once unreferenced)."""
    names = b"|".join(b"%d\\s{1,64}%d" % pair for pair in sorted(numbers))
    header = re.compile(rb"(?<![0-9])(?:" + names + rb")\s{1,64}obj(?![A-Za-z0-9_])")
    at = 0
    while True:
        deadline.check()
        found = header.search(data, at)
        if found is None:
            return
        end = data.find(b"endobj", found.end())
        if end < 0:
            return
        start = data.find(b"<<", found.end(), end)
        close = data.rfind(b">>", found.end(), end)
        if 0 <= start < close:
            _blank(out, start + 2, close)
        at = end


def _blank_xmp(data: bytes, out: bytearray, deadline: Deadline) -> bool:
    """Blank every XMP metadata stream's content (and its filter); ``True`` if any."""
    any_found = False
    at = 0
    while True:
        deadline.check()
        found = _XMP.search(data, at)
        if found is None:
            return any_found
        start = _STREAM.search(data, found.end(), found.end() + _MAX_METADATA_DICT)
        if start is None or b"endobj" in data[found.end() : start.start()]:
            at = found.end()
            continue
        end = data.find(b"endstream", start.end())
        if end < 0:
            return any_found
        dict_start = data.rfind(b"<<", max(at, found.start() - _MAX_METADATA_DICT), found.start())
        for f in _FILTER.finditer(data, max(dict_start, at), start.start()):
            _blank(out, f.start(), f.end())
        if data[start.end() : end].strip():  # not blank already
            _blank(out, start.end(), end)
            any_found = True
        at = end
