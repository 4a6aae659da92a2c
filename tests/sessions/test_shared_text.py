"""The shared text's core, without a network: what an update may change, what a refused one
leaves (nothing), the history and its budget, copying a block."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from sessions import shared_text
from sessions.errors import Conflict, Forbidden, InvalidPayload
from sessions.shared_text import FRAGMENT, SharedText, TextTooLarge


class Copy:
    """An editor's copy of the text."""

    def __init__(self, text: SharedText | None = None) -> None:
        self.doc: Doc[Any] = Doc()
        self.fragment = self.doc.get(FRAGMENT, type=XmlFragment)
        if text is not None:
            self.doc.apply_update(text.state())

    def edit(self, change: Callable[[XmlFragment], object]) -> bytes:
        before = self.doc.get_state()
        with self.doc.transaction():
            change(self.fragment)
        return self.doc.get_update(before)


def para(words: str, **attributes: Any) -> Callable[[XmlFragment], object]:
    return lambda f: f.children.append(XmlElement("paragraph", attributes, [XmlText(words)]))


def test_a_valid_update_is_applied_and_numbered() -> None:
    text = SharedText("plenary")
    entry = text.apply(Copy().edit(para("Bonjour")), "p-1", 10.0)
    assert (entry.seq, entry.by, entry.at) == (1, "p-1", 10.0)
    assert text.plain() == "Bonjour" and text.xml() == "<paragraph>Bonjour</paragraph>"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda f: f.children.append(XmlElement("img", {"src": "x"})), InvalidPayload),
        (lambda f: f.children.append(XmlText("à nu")), InvalidPayload),
        (para("x", style="color:red"), InvalidPayload),
        (lambda f: f.children.append(XmlElement("heading", {"level": 7}, [XmlText("x")])),
         InvalidPayload),
        (lambda f: f.children.append(
            XmlElement("bullet_list", {}, [XmlElement("paragraph", {}, [XmlText("x")])])
        ), InvalidPayload),
        (para("x", locked=True), Forbidden),
    ],
)  # fmt: skip
def test_a_refused_update_leaves_nothing(
    change: Callable[[XmlFragment], object], error: type[Exception]
) -> None:
    text = SharedText("plenary")
    text.apply(Copy().edit(para("avant")), "p-1")
    copy = Copy(text)
    with pytest.raises(error):
        text.apply(copy.edit(change), "p-2")
    assert text.seq == 1 and text.plain() == "avant"
    # and the next valid update from a fresh copy is taken as if nothing happened
    text.apply(Copy(text).edit(para("après")), "p-2")
    assert text.plain() == "avant\naprès"


def test_an_update_that_follows_a_missing_one_waits_for_nothing() -> None:
    text = SharedText("plenary")
    copy = Copy()
    copy.edit(para("perdu"))
    with pytest.raises(Conflict):
        text.apply(copy.edit(para("ensuite")), "p-1")
    assert text.seq == 0 and text.plain() == ""


def test_the_history_and_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    text = SharedText("plenary")
    copy = Copy()
    for n, who in enumerate(["a", "a", "b", "a"]):
        text.apply(copy.edit(para(f"{n}")), who, float(n))
    runs = [(v.first, v.last, v.by, v.started, v.ended) for v in text.versions()]
    assert runs == [(1, 2, "a", 0.0, 1.0), (3, 3, "b", 2.0, 2.0), (4, 4, "a", 3.0, 3.0)]
    earlier = SharedText("x")
    earlier.restore([])
    probe = Doc()
    probe.apply_update(text.state_at(2))
    assert (
        str(probe.get(FRAGMENT, type=XmlFragment))
        == "<paragraph>0</paragraph><paragraph>1</paragraph>"
    )
    monkeypatch.setattr(shared_text, "MAX_HISTORY_BYTES", 200)
    with pytest.raises(TextTooLarge):
        text.apply(copy.edit(para("x" * 150)), "a")


def test_a_copied_block_keeps_its_words_and_marks() -> None:
    source, target = SharedText("pm-1"), SharedText("plenary")
    copy = Copy()

    def marked(f: XmlFragment) -> None:
        words = XmlText()
        f.children.append(XmlElement("heading", {"level": 2}, [words]))
        # (pycrdt counts positions in UTF-8 bytes: "pré" is 4 of them)
        words.insert(0, "préavis")
        words.format(0, 4, {"em": {}})
        words.insert(8, " été", {"strong": {}})
        words.insert(14, " ok")

    source.apply(copy.edit(marked), "p-1")
    target.apply(target.appending([source.block(0)]), "m-1", may_lock=True)
    expected = '<heading level="2"><em>pré</em>avis<strong> été</strong> ok</heading>'
    assert source.xml() == expected
    assert target.xml() == expected
    with pytest.raises(InvalidPayload):
        source.block(3)
