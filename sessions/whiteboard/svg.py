"""A whiteboard as a standalone SVG document (pure: objects in, bytes out).

The page is fitted to the content with a margin (:func:`sessions.whiteboard.geometry.page`),
on a white background; objects are drawn in the order given (drawing order,
as :func:`sessions.whiteboard.log.ordered` returns them). Every text and attribute is
XML-escaped and stripped of characters XML cannot carry; colours that are not
``#rrggbb`` become black, so no user string can add an element, an attribute
or a script. Only these elements are ever written: ``svg``, ``rect``,
``path``, ``line``, ``polygon``, ``ellipse``, ``circle``, ``text``, ``tspan``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sessions.whiteboard.geometry import (
    STICKY_FONT,
    STICKY_PADDING,
    STICKY_SIZE,
    STICKY_TEXT_COLOR,
    Point,
    arrow_head,
    baseline,
    moved,
    page,
    smooth,
    sticky_lines,
    stroke_points,
    text_lines,
)
from sessions.whiteboard.log import BoardObject
from sessions.whiteboard.ops import Arrow, Ellipse, Line, Rect, Sticky, Stroke, Text

SVG_NS = "http://www.w3.org/2000/svg"
FONT_FAMILY = "DejaVu Sans, Arial, Helvetica, sans-serif"
ELEMENTS = frozenset(
    {"svg", "rect", "path", "line", "polygon", "ellipse", "circle", "text", "tspan"}
)

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# Characters XML 1.0 cannot carry (C0 controls but tab/newline/CR, surrogates, U+FFFE/F),
# and the C1 controls it discourages.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    cleaned = _NOT_XML.sub("", value)
    return cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(value: str) -> str:
    escaped = xml_text(value).replace('"', "&quot;").replace("'", "&apos;")
    return escaped.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


def num(value: float) -> str:
    """A coordinate, compact (two decimals at most)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def color(value: str | None) -> str:
    if value is None:
        return "none"
    return value.lower() if _COLOR.fullmatch(value) else "#000000"


def _element(tag: str, attrs: dict[str, str], content: str | None = None) -> str:
    assert tag in ELEMENTS
    rendered = "".join(f' {name}="{xml_attr(v)}"' for name, v in attrs.items())
    if content is None:
        return f"<{tag}{rendered}/>"
    return f"<{tag}{rendered}>{content}</{tag}>"


def _pt(p: Point) -> str:
    return f"{num(p[0])} {num(p[1])}"


def _stroke(obj: BoardObject, s: Stroke) -> str:
    points = stroke_points(obj, s)
    if len(points) == 1:
        x, y = points[0]
        return _element(
            "circle", {"cx": num(x), "cy": num(y), "r": num(s.width / 2), "fill": color(s.color)}
        )
    start, segments = smooth(points)
    d = [f"M {_pt(start)}"]
    for seg in segments:
        if seg.control is None:
            d.append(f"L {_pt(seg.end)}")
        else:
            d.append(f"Q {_pt(seg.control)} {_pt(seg.end)}")
    return _element(
        "path",
        {
            "d": " ".join(d),
            "fill": "none",
            "stroke": color(s.color),
            "stroke-width": num(s.width),
            "stroke-linecap": "round",
            "stroke-linejoin": "round",
        },
    )


def _line(start: Point, end: Point, stroke: str, width: float) -> str:
    return _element(
        "line",
        {
            "x1": num(start[0]), "y1": num(start[1]), "x2": num(end[0]), "y2": num(end[1]),
            "stroke": stroke, "stroke-width": num(width), "stroke-linecap": "round",
        },
    )  # fmt: skip


def _line_or_arrow(obj: BoardObject, s: Line | Arrow) -> str:
    start, end = moved(obj, s.start), moved(obj, s.end)
    if isinstance(s, Line):
        return _line(start, end, color(s.color), s.width)
    head = arrow_head(start, end, s.width)
    if head is None:
        return _line(start, end, color(s.color), s.width)
    shaft_end, triangle = head
    points = " ".join(f"{num(x)},{num(y)}" for x, y in triangle)
    return _line(start, shaft_end, color(s.color), s.width) + _element(
        "polygon",
        {
            "points": points,
            "fill": color(s.color),
            "stroke": color(s.color),
            "stroke-width": num(min(s.width, 2.0)),
            "stroke-linejoin": "round",
        },
    )


def _box(obj: BoardObject, s: Rect | Ellipse) -> str:
    x, y = moved(obj, (s.x, s.y))
    paint = {"fill": color(s.fill), "stroke": color(s.color), "stroke-width": num(s.width)}
    if isinstance(s, Rect):
        return _element(
            "rect", {"x": num(x), "y": num(y), "width": num(s.w), "height": num(s.h), **paint}
        )
    return _element(
        "ellipse",
        {
            "cx": num(x + s.w / 2), "cy": num(y + s.h / 2),
            "rx": num(s.w / 2), "ry": num(s.h / 2), **paint,
        },
    )  # fmt: skip


def _text_block(x: float, y: float, lines: list[str], size: float, fill: str) -> str:
    spans = "".join(
        _element("tspan", {"x": num(x), "y": num(baseline(y, size, i))}, xml_text(line))
        for i, line in enumerate(lines)
    )
    return _element(
        "text",
        {
            "font-family": FONT_FAMILY,
            "font-size": num(size),
            "fill": fill,
            "xml:space": "preserve",
        },
        spans,
    )


def _text(obj: BoardObject, s: Text) -> str:
    x, y = moved(obj, (s.x, s.y))
    return _text_block(x, y, text_lines(s.text), s.size, color(s.color))


def _sticky(obj: BoardObject, s: Sticky) -> str:
    x, y = moved(obj, (s.x, s.y))
    square = _element(
        "rect",
        {
            "x": num(x), "y": num(y), "width": num(STICKY_SIZE), "height": num(STICKY_SIZE),
            "fill": color(s.color), "stroke": "#000000", "stroke-opacity": "0.15",
            "stroke-width": "1",
        },
    )  # fmt: skip
    lines = sticky_lines(s.text)
    if not lines:
        return square
    inner = (x + STICKY_PADDING, y + STICKY_PADDING)
    return square + _text_block(*inner, lines, STICKY_FONT, STICKY_TEXT_COLOR)


def draw(obj: BoardObject) -> str:
    """One object as SVG markup."""
    s = obj.shape
    if isinstance(s, Stroke):
        return _stroke(obj, s)
    if isinstance(s, Line | Arrow):
        return _line_or_arrow(obj, s)
    if isinstance(s, Rect | Ellipse):
        return _box(obj, s)
    if isinstance(s, Text):
        return _text(obj, s)
    return _sticky(obj, s)


def render_svg(objects: Iterable[BoardObject]) -> bytes:
    """The objects (in drawing order) as a standalone SVG document."""
    drawn = list(objects)
    box = page(drawn)
    view = f"{num(box.x0)} {num(box.y0)} {num(box.width)} {num(box.height)}"
    background = _element(
        "rect",
        {
            "x": num(box.x0), "y": num(box.y0), "width": num(box.width),
            "height": num(box.height), "fill": "#ffffff",
        },
    )  # fmt: skip
    body = "".join(draw(o) for o in drawn)
    root = (
        f'<svg xmlns="{SVG_NS}" version="1.1" width="{num(box.width)}" '
        f'height="{num(box.height)}" viewBox="{view}">'
    )
    document = f'<?xml version="1.0" encoding="UTF-8"?>\n{root}{background}{body}</svg>\n'
    return document.encode("utf-8")
