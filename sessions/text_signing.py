"""From a room's shared text to a text to sign, and from a template into the shared text.

A mediator starts the plenary's text from one of the organisation's templates (its blocks
added at the end of the text, as the mediator's own update, checked like any other) and
freezes it once the parties agree: the text is converted to the blocks a signed agreement
is made of (:mod:`records.agreements.documents`):

* a level-1 heading that opens the text is its title; every other heading is a heading;
* a paragraph is a paragraph (its line breaks kept);
* a list's items become paragraphs, each prefixed by ``•`` or its number (nested lists
  indented by two spaces a level);
* bold and italic are dropped (the PDF is plain text); empty paragraphs are left out.

Only the plenary's text is frozen: a text to sign is signed by every party of the case
and lands in the case file, so a private meeting's draft (which only its members saw)
must first be brought into the plenary, paragraph by paragraph (``text:copy``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pycrdt import XmlElement, XmlFragment, XmlText

from records.agreements.documents import Block, BlockKind, Document
from sessions.core import SessionCore
from sessions.errors import Conflict, InvalidPayload
from sessions.outcome import Outcome
from sessions.permissions import Action
from sessions.rooms import PLENARY
from sessions.shared_text import FRAGMENT, TEXT, SharedText, TextEntry
from sessions.shared_text import Block as TextBlock


def _words(node: XmlElement) -> str:
    """A paragraph's or heading's text: its runs, a hard break as a line break."""
    out: list[str] = []
    for child in node.children:
        if isinstance(child, XmlText):
            out.append("".join(c for c, _a in child.diff() if isinstance(c, str)))
        elif isinstance(child, XmlElement) and child.tag == "hard_break":
            out.append("\n")
    lines = [line.strip() for line in "".join(out).split("\n")]
    return "\n".join(lines).strip()


def _list(node: XmlElement, depth: int, blocks: list[Block]) -> None:
    ordered = node.tag == "ordered_list"
    start = node.attributes.get("order") if ordered else None
    number = int(start) if isinstance(start, int | float) else 1
    indent = "  " * depth
    for item in node.children:
        if not isinstance(item, XmlElement) or item.tag != "list_item":
            continue
        marker = f"{number}." if ordered else "•"
        number += 1
        first = True
        for child in item.children:
            if not isinstance(child, XmlElement):
                continue
            if child.tag == "paragraph":
                words = _words(child)
                if not words:
                    continue
                prefix = f"{indent}{marker} " if first else f"{indent}  "
                blocks.append(Block(BlockKind.PARAGRAPH, prefix + words))
                first = False
            elif child.tag in ("bullet_list", "ordered_list"):
                _list(child, depth + 1, blocks)


def document_of(text: SharedText) -> Document:
    """The shared text as the blocks of a text to sign (see the module's docstring)."""
    blocks: list[Block] = []
    fragment: Any = text._doc.get(FRAGMENT, type=XmlFragment)  # read only
    for node in fragment.children:
        if not isinstance(node, XmlElement):
            continue
        if node.tag in ("paragraph", "heading"):
            words = _words(node)
            if not words:
                continue
            if node.tag == "paragraph":
                kind = BlockKind.PARAGRAPH
            elif not blocks and node.attributes.get("level") == 1:
                kind = BlockKind.TITLE
            else:
                kind = BlockKind.HEADING
            blocks.append(Block(kind, words))
        elif node.tag in ("bullet_list", "ordered_list"):
            _list(node, 0, blocks)
    return tuple(blocks)


def _runs(words: str) -> tuple[Any, ...]:
    """A block's words as the children of a paragraph: runs, a hard break per line break."""
    out: list[Any] = []
    for i, line in enumerate(words.split("\n")):
        if i:
            out.append(("hard_break", {}, ()))
        if line:
            out.append((TEXT, {}, ((line, {}),)))
    return tuple(out)


def text_blocks(document: Document) -> list[TextBlock]:
    """A document's blocks as the shared text's: the title a level-1 heading, a heading a
    level-2 one, a paragraph a paragraph."""
    out: list[TextBlock] = []
    for block in document:
        if block.kind is BlockKind.TITLE:
            out.append(("heading", {"level": 1}, _runs(block.text)))
        elif block.kind is BlockKind.HEADING:
            out.append(("heading", {"level": 2}, _runs(block.text)))
        else:
            out.append(("paragraph", {}, _runs(block.text)))
    return out


class TextSigning(SessionCore):
    def insert_document(self, actor: str, document: Iterable[Block]) -> Outcome[TextEntry]:
        """A mediator adds a document (a filled template) at the end of their room's text,
        as their own update (checked and stored like any other), sent to the room's
        members, the mediator included."""
        room_id = self._present(actor)
        self._require(Action.LOCK_TEXT, actor, room_id=room_id)
        text = self.text(room_id)
        update = text.appending(text_blocks(tuple(document)))
        entry = text.apply(update, actor, self._clock().timestamp(), may_lock=True)
        eff = self._effects()
        eff.audit("text.template", actor=actor, subject=room_id, seq=str(entry.seq))
        # the author too: the update was made here, not in their editor
        eff.text_update(room_id, entry, self.rooms.members(room_id))
        return eff.outcome(entry)

    def text_to_freeze(self, actor: str) -> tuple[str, Document]:
        """The room (the plenary) and its text as a document, for a mediator to freeze;
        Conflict in a private meeting, InvalidPayload for an empty text."""
        room_id = self._present(actor)
        self._require(Action.LOCK_TEXT, actor, room_id=room_id)
        if room_id != PLENARY:
            raise Conflict(
                "only the plenary's text is signed: bring this meeting's paragraphs into the "
                "plenary first"
            )
        document = document_of(self.text(room_id))
        if not document:
            raise InvalidPayload("the text is empty: there is nothing to sign")
        return room_id, document

    def room_members(self, actor: str, room_id: str) -> frozenset[str]:
        """The members of a room (the actor's own room only)."""
        if self._present(actor) != room_id:
            raise Conflict("you are no longer in that room")
        return frozenset(self.rooms.members(room_id))
