"""Uploaded documents: what a file really is, a safe name for it, and how it is kept.

Pure functions, no I/O:

- :func:`sniff` decides the type from the bytes alone (never from the name or
  the Content-Type the browser sent): PDF, PNG, JPEG or plain UTF-8 text.
  Anything else, or a file that only looks like one of those, is refused
  with a coded :class:`UploadRefused`.
- :func:`clean_filename` turns whatever name the browser sent into one that is
  safe to show and to offer as a download name (no directories, no control or
  bidi characters, no leading dots, at most 120 characters, an extension that
  matches the detected type).
- :func:`pack` / :func:`unpack`: a shared document is ONE encrypted case-file
  item (kind ``document``). Its content is ``MAGIC``, a 4-byte big-endian
  length, a UTF-8 JSON header (:class:`DocumentMeta`: clean file name, mime
  type, page count, size, SHA-256 of the file) and then the file's bytes.
  The metadata is therefore encrypted with the file and destroyed with it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import asdict, dataclass
from enum import StrEnum

from records.errors import ErrorCode, RecordsError
from records.packing import pack_file, unpack_file

MAX_FILENAME_LENGTH = 120
MAX_PAGES = 10_000
# Compressed object streams are opened to count their pages, within this budget.
MAX_INFLATED_BYTES = 32 * 1024 * 1024
MAGIC = b"PALDOC1\n"


class UploadRefused(RecordsError):
    """A file Palabre will not take; ``code`` says why."""

    code = ErrorCode.UNSUPPORTED_TYPE


class Kind(StrEnum):
    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    TEXT = "text"


MIME = {
    Kind.PDF: "application/pdf",
    Kind.PNG: "image/png",
    Kind.JPEG: "image/jpeg",
    Kind.TEXT: "text/plain",
}
# Extensions a name may keep for each type; the first is the one added otherwise.
EXTENSIONS = {
    Kind.PDF: ("pdf",),
    Kind.PNG: ("png",),
    Kind.JPEG: ("jpg", "jpeg"),
    Kind.TEXT: ("txt", "md", "csv"),
}
_KNOWN_EXTENSIONS = {ext for exts in EXTENSIONS.values() for ext in exts}


@dataclass(frozen=True, slots=True)
class Sniffed:
    kind: Kind
    pages: int | None  # PDFs: a rough count (at least 1); images and text: None

    @property
    def mime(self) -> str:
        return MIME[self.kind]


def _refuse(code: ErrorCode, message: str) -> UploadRefused:
    return UploadRefused(message, code)


# -- what a file is ---------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z0-9_])")
_OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm(?![A-Za-z0-9_])")
_PAGE_TREE = re.compile(rb"/Type\s*/Pages(?![A-Za-z0-9_])")
_COUNT = re.compile(rb"/Count\s+(\d{1,9})")
_DICT_WINDOW = 64 * 1024  # how far a page tree node's /Count is looked for
_STREAM = re.compile(rb"stream\r?\n")
# C0 and C1 controls but tab, line feed, form feed and carriage return
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def sniff(data: bytes) -> Sniffed:
    """The type of ``data``, from its content only; raises :class:`UploadRefused`."""
    if not data:
        raise _refuse(ErrorCode.EMPTY_FILE, "the file is empty")
    if data.startswith(b"%PDF-"):
        return Sniffed(Kind.PDF, _pdf_pages(data))
    if data.startswith(PNG_SIGNATURE):
        if len(data) < 33 or data[8:16] != b"\x00\x00\x00\rIHDR":
            raise _refuse(ErrorCode.BROKEN_FILE, "this PNG image is damaged (no IHDR header)")
        if data[16:20] == b"\x00" * 4 or data[20:24] == b"\x00" * 4:
            raise _refuse(ErrorCode.BROKEN_FILE, "this PNG image has no width or height")
        return Sniffed(Kind.PNG, None)
    if data.startswith(b"\xff\xd8\xff"):
        if b"\xff\xd9" not in data[-64:]:
            raise _refuse(ErrorCode.BROKEN_FILE, "this JPEG image is truncated")
        return Sniffed(Kind.JPEG, None)
    if _is_plain_text(data):
        return Sniffed(Kind.TEXT, None)
    raise _refuse(
        ErrorCode.UNSUPPORTED_TYPE,
        "only PDF documents, PNG or JPEG images and plain text files can be shared",
    )


def _pdf_pages(data: bytes) -> int:
    """The page count: the page tree's ``/Count`` (its largest, the root's) when it can be
    read, else the number of page objects. Page objects must exist, in the file or in its
    compressed object streams; a count of objects alone overcounts a PDF saved with
    incremental updates."""
    if b"%%EOF" not in data[-1024:]:
        raise _refuse(ErrorCode.BROKEN_FILE, "this PDF is incomplete (no end-of-file marker)")
    parts = [data]
    if not _PAGE.search(data):
        parts += _object_streams(data)
    objects = sum(len(_PAGE.findall(part)) for part in parts)
    if objects == 0:
        raise _refuse(ErrorCode.BROKEN_FILE, "this PDF has no readable page")
    tree = max(_tree_count(part) for part in parts)
    return min(tree or objects, MAX_PAGES)


def _tree_count(data: bytes) -> int:
    """The largest ``/Count`` of a ``/Type /Pages`` dictionary (0: none found)."""
    best = 0
    for found in _PAGE_TREE.finditer(data):
        start = data.rfind(b"<<", max(0, found.start() - _DICT_WINDOW), found.start())
        end = data.find(b">>", found.end(), found.end() + _DICT_WINDOW)
        if start < 0 or end < 0:
            continue
        for count in _COUNT.findall(data, start, end):
            best = max(best, int(count))
    return best


def _object_streams(data: bytes) -> list[bytes]:
    """The inflated compressed object streams (PDF 1.5+), within a size budget."""
    budget = MAX_INFLATED_BYTES
    out = []
    for found in _OBJECT_STREAM.finditer(data):
        start = _STREAM.search(data, found.end())
        if start is None or budget <= 0:
            break
        end = data.find(b"endstream", start.end())
        if end < 0:
            continue
        inflater = zlib.decompressobj()
        try:
            plain = inflater.decompress(data[start.end() : end], budget)
        except zlib.error:
            continue
        budget -= len(plain)
        out.append(plain)
    return out


def _is_plain_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _CONTROLS.search(text) is None


# -- a safe name ---------------------------------------------------------------------

_UNSAFE_IN_NAME = re.compile(r'[<>:"|?*]')
_SPACES = re.compile(r"\s+")
# control, format (bidi overrides, zero-width...), surrogate, private-use, unassigned
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def clean_filename(raw: str, kind: Kind) -> str:
    """A name safe to display and to offer for download, with an extension for ``kind``."""
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if c in "\t\n\r\f\v" else c
        for c in name
        if c in "\t\n\r\f\v" or unicodedata.category(c) not in _DROPPED_CATEGORIES
    )
    name = _UNSAFE_IN_NAME.sub("_", name)
    name = _SPACES.sub(" ", name).strip().lstrip(". ").rstrip(". ")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    allowed = EXTENSIONS[kind]
    if ext.lower() in allowed:
        ext = ext.lower()
    elif ext.lower() in _KNOWN_EXTENSIONS:  # claims another type: say what it really is
        ext = allowed[0]
    else:  # no extension, or one we do not serve: keep it in the stem
        stem, ext = name, allowed[0]
    stem = stem.strip()[: MAX_FILENAME_LENGTH - len(ext) - 1].rstrip(". ")
    return f"{stem or 'document'}.{ext}"


# -- how a document is kept -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    filename: str
    mime: str
    pages: int | None
    size: int
    sha256: str


def describe(data: bytes, raw_name: str) -> tuple[DocumentMeta, Sniffed]:
    """Sniffs ``data`` and builds its metadata; raises :class:`UploadRefused`."""
    found = sniff(data)
    meta = DocumentMeta(
        filename=clean_filename(raw_name, found.kind),
        mime=found.mime,
        pages=found.pages,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return meta, found


def pack(meta: DocumentMeta, data: bytes) -> bytes:
    return pack_file(MAGIC, asdict(meta), data)


def unpack(blob: bytes) -> tuple[DocumentMeta, bytes]:
    """The metadata and the file; ``ValueError`` if ``blob`` is not a packed document."""
    fields, data = unpack_file(MAGIC, blob, "document")
    try:
        return DocumentMeta(**fields), data
    except TypeError as exc:
        raise ValueError("damaged document header") from exc
