"""A room's shared text as the blocks of a text to sign, and a template as shared text."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from records.agreements.documents import Block, BlockKind, parse
from sessions.shared_text import FRAGMENT, SharedText
from sessions.text_signing import document_of, text_blocks


def _text(build: Any) -> SharedText:
    doc: Doc[Any] = Doc()
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    with doc.transaction():
        build(fragment)
    text = SharedText("plenary")
    text.apply(doc.get_update(), "m-1", may_lock=True)
    return text


def _p(words: str) -> XmlElement:
    return XmlElement("paragraph", {}, [XmlText(words)])


def _item(*children: XmlElement) -> XmlElement:
    return XmlElement("list_item", {}, list(children))


def test_headings_paragraphs_and_lists_become_blocks_and_formatting_is_dropped() -> None:
    def build(f: XmlFragment) -> None:
        f.children.append(XmlElement("heading", {"level": 1}, [XmlText("Accord")]))
        bold = XmlText("Les parties conviennent")
        f.children.append(XmlElement("paragraph", {}, [bold]))
        bold.format(4, 11, {"strong": {}})
        f.children.append(_p(""))  # an empty paragraph is left out
        f.children.append(XmlElement("heading", {"level": 1}, [XmlText("Article 1")]))
        f.children.append(
            XmlElement("paragraph", {}, [XmlText("ligne un"), XmlElement("hard_break"),
                                         XmlText("ligne deux")])
        )  # fmt: skip
        nested = XmlElement("bullet_list", {}, [_item(_p("détail"))])
        items = [_item(_p("trois"), nested), _item(_p("quatre"))]
        f.children.append(XmlElement("ordered_list", {"order": 3}, items))
        f.children.append(XmlElement("bullet_list", {}, [_item(_p("point"))]))

    assert document_of(_text(build)) == (
        Block(BlockKind.TITLE, "Accord"),
        Block(BlockKind.PARAGRAPH, "Les parties conviennent"),
        Block(BlockKind.HEADING, "Article 1"),  # a level-1 heading further on: a heading
        Block(BlockKind.PARAGRAPH, "ligne un\nligne deux"),
        Block(BlockKind.PARAGRAPH, "3. trois"),
        Block(BlockKind.PARAGRAPH, "  • détail"),
        Block(BlockKind.PARAGRAPH, "4. quatre"),
        Block(BlockKind.PARAGRAPH, "• point"),
    )


def test_a_filled_template_comes_back_as_the_same_document() -> None:
    document = parse("# Protocole\n\n## Objet\n\nLes parties :\nJeanne et Marc\n\nFait le 3 mars")
    text = SharedText("plenary")
    text.apply(text.appending(text_blocks(document)), "m-1", may_lock=True)
    assert document_of(text) == document
    assert text.plain() == "Protocole\nObjet\nLes parties :\nJeanne et Marc\nFait le 3 mars"
