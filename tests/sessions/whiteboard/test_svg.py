"""The board as SVG: every object kind at its place, fitted page, nothing injectable."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from sessions.whiteboard.geometry import EMPTY_PAGE, MARGIN, STICKY_SIZE
from sessions.whiteboard.log import BoardObject
from sessions.whiteboard.ops import Rect, Sticky, Text, parse_op
from sessions.whiteboard.svg import ELEMENTS, render_svg

NS = "{http://www.w3.org/2000/svg}"


def obj(payload: dict[str, Any], z: int = 0, dx: float = 0.0, dy: float = 0.0) -> BoardObject:
    return BoardObject(payload["id"], "p-jeanne", parse_op(payload), z, dx, dy)  # type: ignore[arg-type]


def parse(svg: bytes) -> ET.Element:
    assert svg.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    root = ET.fromstring(svg)  # noqa: S314 - our own output, under test
    assert root.tag == NS + "svg"
    tags = {el.tag.removeprefix(NS) for el in root.iter()}
    assert tags <= ELEMENTS, tags
    return root


def drawn(root: ET.Element) -> list[ET.Element]:
    """Every element but the root and the white background."""
    children = list(root)
    assert children[0].tag == NS + "rect" and children[0].get("fill") == "#ffffff"
    return children[1:]


def view_box(root: ET.Element) -> tuple[float, ...]:
    return tuple(float(v) for v in (root.get("viewBox") or "").split())


def stroke(points: list[list[float]], **kw: Any) -> dict[str, Any]:
    return {"type": "stroke", "id": "s1", "points": points, "color": "#FF0000", "width": 4.0, **kw}


def test_a_stroke_is_smoothed_through_the_midpoints() -> None:
    root = parse(render_svg([obj(stroke([[0, 0], [50, 20], [100, 0], [150, 40]]))]))
    [path] = drawn(root)
    assert path.tag == NS + "path"
    assert path.get("d") == "M 0 0 Q 50 20 75 10 Q 100 0 125 20 L 150 40"
    assert (path.get("stroke"), path.get("stroke-width"), path.get("fill")) == (
        "#ff0000", "4", "none",
    )  # fmt: skip
    assert path.get("stroke-linecap") == path.get("stroke-linejoin") == "round"


def test_a_two_point_stroke_is_a_straight_path_and_one_point_a_dot() -> None:
    [path] = drawn(parse(render_svg([obj(stroke([[10, 10], [20, 30]]))])))
    assert path.get("d") == "M 10 10 L 20 30"
    [dot] = drawn(parse(render_svg([obj(stroke([[5.5, 7.25]], width=6.0))])))
    assert dot.tag == NS + "circle"
    assert (dot.get("cx"), dot.get("cy"), dot.get("r"), dot.get("fill")) == (
        "5.5", "7.25", "3", "#ff0000",
    )  # fmt: skip


def test_line_arrow_rect_ellipse_at_their_geometry() -> None:
    objects = [
        obj({"type": "line", "id": "l", "start": [0, 0], "end": [100, 50], "color": "#00ff00",
             "width": 2.0}),
        obj({"type": "arrow", "id": "a", "start": [0, 200], "end": [100, 200], "color": "#0000ff",
             "width": 3.0}, 1),
        obj({"type": "rect", "id": "r", "x": 200, "y": 10, "w": 80, "h": 40, "color": "#000000",
             "fill": "#ffee00", "width": 2.0}, 2),
        obj({"type": "ellipse", "id": "e", "x": 200, "y": 100, "w": 60, "h": 30,
             "color": "#123456", "width": 1.5}, 3),
        obj({"type": "rect", "id": "r2", "x": 0, "y": 0, "w": 10, "h": 10, "color": "#000000",
             "width": 1.0}, 4),
    ]  # fmt: skip
    line, shaft, head, rect, ellipse, empty = drawn(parse(render_svg(objects)))
    assert line.tag == NS + "line"
    assert [line.get(a) for a in ("x1", "y1", "x2", "y2", "stroke", "stroke-width")] == [
        "0", "0", "100", "50", "#00ff00", "2",
    ]  # fmt: skip
    # the arrow: a shaft that stops inside the head, and a filled head whose tip is the end
    assert shaft.tag == NS + "line" and head.tag == NS + "polygon"
    assert (shaft.get("x1"), shaft.get("y1"), shaft.get("y2")) == ("0", "200", "200")
    assert 80 < float(shaft.get("x2") or 0) < 100
    points = [tuple(float(v) for v in p.split(",")) for p in (head.get("points") or "").split()]
    assert points[0] == (100.0, 200.0)
    assert all(x < 100 for x, _ in points[1:]) and {y > 200 for _, y in points[1:]} == {
        True, False,
    }  # fmt: skip
    assert head.get("fill") == "#0000ff"
    assert rect.tag == NS + "rect"
    assert [rect.get(a) for a in ("x", "y", "width", "height", "fill", "stroke")] == [
        "200", "10", "80", "40", "#ffee00", "#000000",
    ]  # fmt: skip
    assert ellipse.tag == NS + "ellipse"
    assert [ellipse.get(a) for a in ("cx", "cy", "rx", "ry", "fill", "stroke-width")] == [
        "230", "115", "30", "15", "none", "1.5",
    ]  # fmt: skip
    assert empty.get("fill") == "none"


def test_text_is_one_tspan_per_line_at_its_size() -> None:
    t = obj({"type": "text", "id": "t", "x": 10, "y": 20, "text": "Première ligne\nSeconde",
             "color": "#333333", "size": 20.0})  # fmt: skip
    [text] = drawn(parse(render_svg([t])))
    assert text.tag == NS + "text"
    assert (text.get("font-size"), text.get("fill")) == ("20", "#333333")
    spans = list(text)
    assert [s.text for s in spans] == ["Première ligne", "Seconde"]
    assert [s.get("x") for s in spans] == ["10", "10"]
    first, second = (float(s.get("y") or 0) for s in spans)
    assert 20 < first < 20 + 20 and second - first == pytest.approx(25)  # 1.25 x size


def test_a_sticky_note_is_a_coloured_square_with_wrapped_text() -> None:
    words = "Proposition de calendrier de paiement en trois fois"
    [square, text] = drawn(parse(render_svg([obj(
        {"type": "sticky", "id": "k", "x": 50, "y": 60, "text": words, "color": "#fff59d"}
    )])))  # fmt: skip
    assert [square.get(a) for a in ("x", "y", "width", "height", "fill")] == [
        "50", "60", str(int(STICKY_SIZE)), str(int(STICKY_SIZE)), "#fff59d",
    ]  # fmt: skip
    lines = [s.text or "" for s in text]
    assert len(lines) > 1 and " ".join(lines) == words
    for s in text:
        assert 50 < float(s.get("x") or 0) and 60 < float(s.get("y") or 0) < 60 + STICKY_SIZE
    # too much text: cut to the square, ending in an ellipsis
    long = obj({"type": "sticky", "id": "k2", "x": 0, "y": 0, "text": "mot " * 100,
                "color": "#fff59d"})  # fmt: skip
    [_, text] = drawn(parse(render_svg([long])))
    spans = list(text)
    assert (spans[-1].text or "").endswith("…")
    assert all(float(s.get("y") or 0) < STICKY_SIZE for s in spans)


def test_objects_are_drawn_moved_and_in_the_order_given() -> None:
    a = obj({"type": "rect", "id": "a", "x": 0, "y": 0, "w": 10, "h": 10, "color": "#111111",
             "width": 1.0}, 1, dx=100, dy=-20)  # fmt: skip
    b = obj({"type": "rect", "id": "b", "x": 0, "y": 0, "w": 10, "h": 10, "color": "#222222",
             "width": 1.0}, 2)  # fmt: skip
    first, second = drawn(parse(render_svg([a, b])))
    assert (first.get("x"), first.get("y"), first.get("stroke")) == ("100", "-20", "#111111")
    assert second.get("stroke") == "#222222"


def test_the_page_is_the_content_plus_a_margin() -> None:
    r = obj({"type": "rect", "id": "r", "x": 100, "y": 200, "w": 50, "h": 30, "color": "#000000",
             "width": 4.0})  # fmt: skip
    root = parse(render_svg([r]))
    x, y, w, h = view_box(root)
    assert (x, y) == (100 - 2 - MARGIN, 200 - 2 - MARGIN)
    assert (w, h) == (50 + 4 + 2 * MARGIN, 30 + 4 + 2 * MARGIN)
    assert (root.get("width"), root.get("height")) == (f"{w:g}", f"{h:g}")
    background = root[0]
    assert [float(background.get(a) or 0) for a in ("x", "y", "width", "height")] == [x, y, w, h]
    # a stroke's width and an arrow's head count too
    far = obj({"type": "arrow", "id": "a", "start": [0, 0], "end": [0, 100], "color": "#000000",
               "width": 10.0})  # fmt: skip
    x, y, w, h = view_box(parse(render_svg([far])))
    assert y + h >= 100 + MARGIN and x <= -20 - MARGIN  # the head is 40 wide


def test_an_empty_board_is_a_small_empty_page() -> None:
    root = parse(render_svg([]))
    assert view_box(root) == EMPTY_PAGE
    assert drawn(root) == []


HOSTILE = [
    "<script>alert('x')</script>",
    "say \"hello\" & 'bye'",
    "]]><svg onload=alert(1)>",
    "<![CDATA[ x ]]>",
    "&lt;entity&gt; &amp; &#x3c;",
    "<!-- comment --><?pi x?>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_cannot_add_markup(text: str) -> None:
    objects = [
        obj({"type": "text", "id": "t", "x": 0, "y": 0, "text": text, "color": "#000000",
             "size": 12.0}),
        obj({"type": "sticky", "id": "k", "x": 0, "y": 50, "text": text, "color": "#fff59d"}, 1),
    ]  # fmt: skip
    svg = render_svg(objects)
    root = parse(svg)
    [text_el] = [e for e in drawn(root) if e.tag == NS + "text"][:1]
    assert "".join(s.text or "" for s in text_el) == text  # shown as typed, never interpreted
    assert b"<script" not in svg and b"<!--" not in svg and b"<![CDATA[" not in svg
    assert all(not name.startswith("on") for el in root.iter() for name in el.attrib)


def test_what_bypasses_validation_is_still_escaped() -> None:
    """The renderer does not rely on the op schema: controls go, bad colours become black."""
    nasty = "a\x00b\x01c\x1b\x7f\ufffe\ud800d\te\nf ]]> \" ' & <x/>"
    text = Text.model_construct(type="text", id="t", x=0.0, y=0.0, text=nasty,
                                color='#000000" onload="alert(1)', size=12.0)  # fmt: skip
    sticky = Sticky.model_construct(type="sticky", id="k", x=0.0, y=40.0, text=nasty,
                                    color="red'/><script>x</script>")  # fmt: skip
    rect = Rect.model_construct(type="rect", id="r", x=0.0, y=0.0, w=5.0, h=5.0,
                                color="#00ff00", fill="url(javascript:x)", width=1.0)  # fmt: skip
    objects = [BoardObject(s.id, "m-x", s, i) for i, s in enumerate((text, sticky, rect))]
    svg = render_svg(objects)
    root = parse(svg)
    assert b"<script" not in svg and b"onload=" not in svg and b"javascript" not in svg
    colours = {el.get(a) for el in root.iter() for a in ("fill", "stroke") if el.get(a)}
    assert colours <= {"#ffffff", "#000000", "#00ff00", "#1f1f1f", "none"}
    [text_el] = [e for e in drawn(root) if e.tag == NS + "text"][:1]
    shown = "\n".join(s.text or "" for s in text_el)
    assert shown == "abc" + "d\te\nf ]]> \" ' & <x/>"
    assert all(ord(c) >= 32 or c in "\t\n" for c in svg.decode())
