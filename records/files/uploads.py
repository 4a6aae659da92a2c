"""Uploaded documents: what a file really is, a safe name for it, and how it is kept.

Pure functions, no I/O:

- :func:`sniff` decides the type from the bytes alone (never from the name or
  the Content-Type the browser sent): PDF, PNG, JPEG or plain UTF-8 text.
  Anything else, or a file that only looks like one of those, is refused
  with a coded :class:`UploadRefused`. Images and PDFs come back without
  their hidden metadata (:mod:`records.files.images`, :mod:`records.files.pdfs`); every
  check is linear in the file's size and bounded by a :class:`Deadline`.
- :func:`prepare`: all of it for one upload, ready to store (run it in a
  worker thread: it reads, hashes and copies the whole file).
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
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from errors import ErrorCode
from records.files import images, pdfs
from records.files.check import Deadline, UploadRefused, refuse
from records.files.packing import pack_file, unpack_file

__all__ = ["Deadline", "UploadRefused"]

MAX_FILENAME_LENGTH = 120
MAX_PAGES = pdfs.MAX_PAGES
MAGIC = b"PALDOC1\n"


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
    content: bytes = field(repr=False)  # the file as kept: without its metadata
    removed: frozenset[str] = frozenset()  # what metadata was taken out (see METADATA)

    @property
    def mime(self) -> str:
        return MIME[self.kind]


_refuse = refuse

#: What :func:`sniff` may take out of a file, as named in ``Sniffed.removed``.
METADATA = frozenset(
    {"exif", "location", "xmp", "iptc", "text", "comment", "document_info", "trailing_data",
     "other"}
)  # fmt: skip


# -- what a file is ---------------------------------------------------------------------

# C0 and C1 controls but tab, line feed, form feed and carriage return
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def sniff(data: bytes, deadline: Deadline | None = None) -> Sniffed:
    """What ``data`` is, from its content only, and the file as it will be kept (images
    and PDFs without their metadata); raises :class:`UploadRefused`. Linear in the size
    of ``data``; stops with ``file_too_complex`` once ``deadline`` has passed."""
    deadline = deadline or Deadline.none()
    if not data:
        raise _refuse(ErrorCode.EMPTY_FILE, "the file is empty")
    if data.startswith(b"%PDF-"):
        pages = pdfs.page_count(data, deadline)
        content, removed = pdfs.strip_metadata(data, deadline)
        return Sniffed(Kind.PDF, pages, content, removed)
    if data.startswith(images.PNG_SIGNATURE):
        return Sniffed(Kind.PNG, None, *images.clean_png(data, deadline))
    if data.startswith(b"\xff\xd8\xff"):
        return Sniffed(Kind.JPEG, None, *images.clean_jpeg(data, deadline))
    if _is_plain_text(data):
        return Sniffed(Kind.TEXT, None, data, frozenset())
    raise _refuse(
        ErrorCode.UNSUPPORTED_TYPE,
        "only PDF documents, PNG or JPEG images and plain text files can be shared",
    )


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


@dataclass(frozen=True, slots=True)
class Prepared:
    """An upload ready to store: its metadata, the packed item, what was taken out."""

    meta: DocumentMeta
    packed: bytes = field(repr=False)
    removed: frozenset[str]


def prepare(data: bytes, raw_name: str, deadline: Deadline | None = None) -> Prepared:
    """Sniffs ``data``, takes its metadata out and packs it with its description; raises
    :class:`UploadRefused`. Slow for large files: run it in a worker thread."""
    found = sniff(data, deadline)
    meta = DocumentMeta(
        filename=clean_filename(raw_name, found.kind),
        mime=found.mime,
        pages=found.pages,
        size=len(found.content),
        sha256=hashlib.sha256(found.content).hexdigest(),
    )
    return Prepared(meta, pack(meta, found.content), found.removed)


def pack(meta: DocumentMeta, data: bytes) -> bytes:
    return pack_file(MAGIC, asdict(meta), data)


def unpack(blob: bytes) -> tuple[DocumentMeta, bytes]:
    """The metadata and the file; ``ValueError`` if ``blob`` is not a packed document."""
    fields, data = unpack_file(MAGIC, blob, "document")
    try:
        return DocumentMeta(**fields), data
    except TypeError as exc:
        raise ValueError("damaged document header") from exc
