"""Where each whiteboard object lies when drawn: the geometry both exports share.

The SVG (:mod:`sessions.whiteboard.svg`) and PNG (:mod:`sessions.whiteboard.png`) renderers
draw the same scene from these pure functions, so the two files agree:

- a stroke is smoothed as a canvas draws it: from the first point, a quadratic
  curve through each point to the midpoint of it and the next one, then a line
  to the last point; one point is a dot of the stroke's width;
- an arrow is a line whose end carries a filled triangular head;
- ``rect`` and ``ellipse`` take their box from (x, y, w, h), the outline
  centred on the box's edge;
- a text's (x, y) is the top-left of its first line; lines are
  ``LINE_HEIGHT`` x size apart;
- a sticky note is a ``STICKY_SIZE`` square at (x, y) with its text wrapped
  inside (what does not fit ends in an ellipsis).

Text widths are estimated (``CHAR_WIDTH`` x size per character), for bounds
and sticky wrapping alike, so both renderers wrap the same words.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sessions.whiteboard.log import BoardObject
from sessions.whiteboard.ops import Arrow, Ellipse, Line, Rect, Sticky, Stroke, Text

Point = tuple[float, float]

MARGIN = 32.0  # around the content
EMPTY_PAGE = (0.0, 0.0, 320.0, 240.0)  # (x, y, w, h) of an empty board's page
LINE_HEIGHT = 1.25  # x font size
ASCENT = 0.9  # first baseline below a text's top, x font size
CHAR_WIDTH = 0.6  # estimated advance of a character, x font size
STICKY_SIZE = 160.0
STICKY_PADDING = 12.0
STICKY_FONT = 16.0
STICKY_TEXT_COLOR = "#1f1f1f"
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def grow(self, by: float) -> Box:
        return Box(self.x0 - by, self.y0 - by, self.x1 + by, self.y1 + by)


def union(boxes: Iterable[Box]) -> Box | None:
    out: Box | None = None
    for b in boxes:
        out = b if out is None else Box(
            min(out.x0, b.x0), min(out.y0, b.y0), max(out.x1, b.x1), max(out.y1, b.y1)
        )  # fmt: skip
    return out


def points_box(points: Iterable[Point]) -> Box:
    xs, ys = zip(*points, strict=True)
    return Box(min(xs), min(ys), max(xs), max(ys))


def moved(obj: BoardObject, p: Point) -> Point:
    return (p[0] + obj.dx, p[1] + obj.dy)


# -- strokes -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    """``kind`` is ``"Q"`` (control, end) or ``"L"`` (end only: control is None)."""

    kind: str
    control: Point | None
    end: Point


def smooth(points: list[Point]) -> tuple[Point, list[Segment]]:
    """The start and the segments of a smoothed stroke (at least two points)."""
    segments: list[Segment] = []
    for i in range(1, len(points) - 1):
        p, q = points[i], points[i + 1]
        segments.append(Segment("Q", p, ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)))
    segments.append(Segment("L", None, points[-1]))
    return points[0], segments


def flatten(start: Point, segments: list[Segment], scale: float = 1.0) -> list[Point]:
    """The smoothed stroke as a polyline for raster drawing at ``scale`` pixels per unit.

    Each curve gets about one vertex per 3 pixels of its length (1 to 8)."""
    out = [start]
    here = start
    for seg in segments:
        if seg.control is None:
            out.append(seg.end)
        else:
            (cx, cy), (ex, ey) = seg.control, seg.end
            length = math.hypot(cx - here[0], cy - here[1]) + math.hypot(ex - cx, ey - cy)
            steps = max(1, min(8, math.ceil(length * scale / 3)))
            for i in range(1, steps + 1):
                t = i / steps
                u = 1 - t
                out.append(
                    (
                        u * u * here[0] + 2 * u * t * cx + t * t * ex,
                        u * u * here[1] + 2 * u * t * cy + t * t * ey,
                    )
                )
        here = seg.end
    return out


def stroke_points(obj: BoardObject, shape: Stroke) -> list[Point]:
    return [moved(obj, (float(x), float(y))) for x, y in shape.points]


# -- arrows ------------------------------------------------------------------------------


def arrow_head(start: Point, end: Point, width: float) -> tuple[Point, list[Point]] | None:
    """Where the shaft stops, and the head's triangle; None for a zero-length arrow."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy)
    if length == 0:
        return None
    ux, uy = dx / length, dy / length
    head = max(10.0, 4.0 * width)
    half = head * 0.5
    bx, by = end[0] - ux * head, end[1] - uy * head
    left = (bx - uy * half, by + ux * half)
    right = (bx + uy * half, by - ux * half)
    shaft_end = (end[0] - ux * min(head * 0.5, length), end[1] - uy * min(head * 0.5, length))
    return shaft_end, [end, left, right]


# -- text --------------------------------------------------------------------------------


def text_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def wrap(text: str, max_chars: int) -> list[str]:
    """Greedy word wrap at ``max_chars`` characters; longer words are cut."""
    max_chars = max(1, max_chars)
    out: list[str] = []
    for paragraph in text_lines(text):
        line = ""
        for word in paragraph.split(" "):
            while len(word) > max_chars:
                if line:
                    out.append(line)
                    line = ""
                out.append(word[:max_chars])
                word = word[max_chars:]
            candidate = f"{line} {word}" if line else word
            if len(candidate) <= max_chars:
                line = candidate
            else:
                out.append(line)
                line = word
        out.append(line)
    return out


def sticky_lines(text: str) -> list[str]:
    inner = STICKY_SIZE - 2 * STICKY_PADDING
    max_chars = int(inner / (CHAR_WIDTH * STICKY_FONT))
    max_lines = int(inner / (LINE_HEIGHT * STICKY_FONT))
    lines = wrap(text, max_chars)
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1][: max_chars - 1].rstrip()
        lines[-1] = last + ELLIPSIS
    return lines


def baseline(top: float, size: float, index: int) -> float:
    return top + size * ASCENT + index * size * LINE_HEIGHT


def text_box(x: float, y: float, lines: list[str], size: float) -> Box:
    widest = max((len(line) for line in lines), default=0)
    return Box(x, y, x + widest * CHAR_WIDTH * size, y + len(lines) * LINE_HEIGHT * size)


# -- bounds ------------------------------------------------------------------------------


def bounds(obj: BoardObject) -> Box:
    """The area an object covers when drawn (outline widths and arrow heads included)."""
    s = obj.shape
    if isinstance(s, Stroke):
        return points_box(stroke_points(obj, s)).grow(s.width / 2)
    if isinstance(s, Line | Arrow):
        start, end = moved(obj, s.start), moved(obj, s.end)
        pts = [start, end]
        if isinstance(s, Arrow):
            head = arrow_head(start, end, s.width)
            if head is not None:
                pts += head[1]
        return points_box(pts).grow(s.width / 2)
    if isinstance(s, Rect | Ellipse):
        x, y = moved(obj, (s.x, s.y))
        return Box(x, y, x + s.w, y + s.h).grow(s.width / 2)
    if isinstance(s, Text):
        x, y = moved(obj, (s.x, s.y))
        return text_box(x, y, text_lines(s.text), s.size)
    assert isinstance(s, Sticky)
    x, y = moved(obj, (s.x, s.y))
    return Box(x, y, x + STICKY_SIZE, y + STICKY_SIZE)


def page(objects: Iterable[BoardObject]) -> Box:
    """The page: every object's bounds plus a margin, or a small empty page."""
    content = union(bounds(o) for o in objects)
    if content is None:
        x, y, w, h = EMPTY_PAGE
        return Box(x, y, x + w, y + h)
    return content.grow(MARGIN)
