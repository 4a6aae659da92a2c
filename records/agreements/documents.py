"""A text made from a template: blocks (a title, headings, paragraphs) and its fields.

The written form, the one an organisation edits and the one frozen before signing, is a
small subset of Markdown: blocks are separated by a blank line; a block that starts with
``# `` is the title, ``## `` a heading, anything else a paragraph (its single line breaks
are kept). Fields are written ``{{name}}``: only the names of :data:`FIELDS` are
allowed, and a template that names another one is refused when it is saved
(:func:`check_template`). Filling (:func:`fill`) puts each field's value in as text (it
is never read as markup, so a name cannot add a heading or a field); a field without a
value is left visibly blank, :data:`BLANK`, for the parties to see and fill by hand.

:func:`canonical` is the frozen text, what the SHA-256 of a signed agreement is taken
over; :func:`plain_text` and :func:`normalise` say what a PDF of it must read as.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class BlockKind(StrEnum):
    TITLE = "title"
    HEADING = "heading"
    PARAGRAPH = "paragraph"


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    text: str


Document = tuple[Block, ...]

FIELDS: tuple[str, ...] = (
    "organisation",  # the organisation's name
    "case_reference",  # the case's reference
    "parties",  # the parties' names
    "counsel",  # their counsel's names
    "mediator",  # the case's mediators' names, the lead first
    "date",  # today, written out in the text's language
    "fees",  # filled by hand (no value in the case file)
    "court",  # the court, filled by hand
    "court_reference",  # the court's case number, once the outcome names it
    "outcome",  # whether an agreement was reached, once the case is closed
)
BLANK = "________"
MAX_TEMPLATE = 60_000

_FIELD = re.compile(r"\{\{([^{}]*)\}\}")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_SPACE = re.compile(r"\s+")


class TemplateError(ValueError):
    """A template that cannot be saved; ``unknown`` names the fields it may not use."""

    def __init__(self, message: str, unknown: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.unknown = unknown


def fields_in(text: str) -> tuple[str, ...]:
    """The field names a template uses, in order of first use (as written, trimmed)."""
    return tuple(dict.fromkeys(m.group(1).strip() for m in _FIELD.finditer(text)))


def check_template(text: str) -> None:
    """:class:`TemplateError` for an empty or oversized template, a field name outside
    :data:`FIELDS`, or a brace pair that does not close."""
    if not text.strip() or len(text) > MAX_TEMPLATE:
        raise TemplateError(f"a template has 1 to {MAX_TEMPLATE} characters")
    unknown = tuple(name for name in fields_in(text) if name not in FIELDS)
    if unknown:
        listed = ", ".join("{{" + name + "}}" for name in unknown)
        raise TemplateError(f"unknown fields: {listed}", unknown)
    rest = _FIELD.sub("", text)
    if "{{" in rest or "}}" in rest:
        raise TemplateError("a field is written {{name}}: a brace pair does not close")
    if not parse(text):
        raise TemplateError("a template needs some text")


def parse(text: str) -> Document:
    """The blocks of a written text (see the module's docstring)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[Block] = []
    for chunk in _BLANK_LINES.split(text):
        lines = [line.rstrip() for line in chunk.strip("\n").split("\n")]
        body = "\n".join(lines).strip()
        if not body:
            continue
        if body.startswith("# "):
            kind, body = BlockKind.TITLE, body[2:]
        elif body.startswith("## "):
            kind, body = BlockKind.HEADING, body[3:]
        else:
            kind = BlockKind.PARAGRAPH
        body = body.strip()
        if body:
            blocks.append(Block(kind, body))
    return tuple(blocks)


def fill(text: str, values: Mapping[str, str]) -> Document:
    """The template's blocks with every field replaced by its value (``BLANK`` if none).

    Fields are replaced after parsing, block by block, so a value is text only: line
    breaks in it become spaces and nothing in it is read as markup or as a field."""
    check_template(text)

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1).strip(), "")
        found = _SPACE.sub(" ", found).strip()
        return found or BLANK

    return tuple(Block(b.kind, _FIELD.sub(value, b.text)) for b in parse(text))


def canonical(document: Document) -> str:
    """The frozen text: the written form of the blocks, one blank line between them."""
    prefix = {BlockKind.TITLE: "# ", BlockKind.HEADING: "## ", BlockKind.PARAGRAPH: ""}
    return "\n\n".join(prefix[b.kind] + b.text for b in document) + "\n"


def text_sha256(document: Document) -> str:
    return hashlib.sha256(canonical(document).encode("utf-8")).hexdigest()


def plain_text(document: Document) -> str:
    """What a reader reads: the blocks' texts without markup, one line apart."""
    return "\n".join(b.text for b in document)


def normalise(text: str) -> str:
    """What two renderings of a text must agree on: the same characters (NFC), in the same
    order, every run of white space (line breaks, wrapping, non-breaking spaces) one
    space. Letters, accents, punctuation and digits must all be equal."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
