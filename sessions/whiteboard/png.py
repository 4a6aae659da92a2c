"""A whiteboard as a PNG image, drawn server-side with Pillow (pure: objects in, bytes out).

Same scene as :mod:`sessions.whiteboard.svg` (same page, smoothing, arrow heads,
wrapping: :mod:`sessions.whiteboard.geometry`). The longest side is at most
``MAX_SIDE`` pixels (the content is scaled down to fit, never up); edges are
antialiased by drawing at twice the size and scaling down, unless that canvas
would pass ``MAX_SUPERSAMPLED_PIXELS``. Text uses Pillow's built-in font, so
nothing is downloaded at run time: Debian's DejaVu Sans when installed
(``fonts-dejavu-core``: accents, €, curly quotes), else Pillow's built-in
font, which has ASCII only, so text is then written without accents
("être" as "etre") rather than as empty boxes.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from sessions.whiteboard.geometry import (
    STICKY_FONT,
    STICKY_PADDING,
    STICKY_SIZE,
    STICKY_TEXT_COLOR,
    Point,
    arrow_head,
    baseline,
    flatten,
    moved,
    page,
    smooth,
    sticky_lines,
    stroke_points,
    text_lines,
)
from sessions.whiteboard.log import BoardObject
from sessions.whiteboard.ops import Arrow, Ellipse, Line, Rect, Sticky, Stroke, Text

MAX_SIDE = 4096
SUPERSAMPLE = 2
MAX_SUPERSAMPLED_PIXELS = 16_000_000
WHITE = "#ffffff"
STICKY_BORDER = (0, 0, 0, 38)

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_NOT_DRAWN = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
SYSTEM_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)
_ASCII = str.maketrans({
    "‘": "'", "’": "'", "“": '"', "”": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "…": "...", "€": "EUR", "œ": "oe",
    "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", " ": " ",
    " ": " ",
})  # fmt: skip

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def color(value: str) -> str:
    return value if _COLOR.fullmatch(value) else "#000000"


@lru_cache(maxsize=1)
def system_font() -> Path | None:
    return next((p for p in SYSTEM_FONTS if p.is_file()), None)


@lru_cache(maxsize=64)
def font(size: int) -> Font:
    path = system_font()
    if path is not None:
        return ImageFont.truetype(str(path), max(1, size))
    return ImageFont.load_default(size=max(1, size))


def ascii_only(text: str) -> str:
    """What Pillow's built-in font can draw: accents dropped, the rest as ``?``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII))
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if " " <= c <= "~" else "?" for c in kept)


def drawable(text: str) -> str:
    shown = _NOT_DRAWN.sub("", text)
    return shown if system_font() is not None else ascii_only(shown)


class _Canvas:
    """Draws in board coordinates: ``(p - origin) * k`` pixels."""

    def __init__(self, image: Image.Image, origin: Point, k: float) -> None:
        self.draw = ImageDraw.Draw(image, "RGBA")
        self.origin = origin
        self.k = k

    def px(self, p: Point) -> tuple[float, float]:
        return ((p[0] - self.origin[0]) * self.k, (p[1] - self.origin[1]) * self.k)

    def width(self, w: float) -> int:
        return max(1, round(w * self.k))

    def dot(self, p: Point, diameter: float, fill: str) -> None:
        x, y = self.px(p)
        r = max(diameter * self.k / 2, 0.5)
        self.draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)

    def polyline(self, points: list[Point], width: float, fill: str) -> None:
        """Round caps and joins: a dot on every vertex of a line wide enough to need it.

        Pillow draws each piece of a wide line as its own polygon, which leaves
        slivers between pieces; the dots fill them (and round the ends).
        """
        size = self.width(width)
        spacing = max(1.0, size / 3)  # closer vertices change nothing visible
        pixels = [self.px(points[0])]
        for p in points[1:]:
            x, y = self.px(p)
            last = pixels[-1]
            if abs(x - last[0]) + abs(y - last[1]) >= spacing:
                pixels.append((x, y))
        end = self.px(points[-1])
        if pixels[-1] != end:
            pixels.append(end)
        self.draw.line(pixels, fill=fill, width=size)
        r = width * self.k / 2
        for x, y in pixels if size >= 3 else (pixels[0], pixels[-1]):
            self.draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)

    def box(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        width: float,
        outline: str,
        fill: str | None,
        shape: Callable[..., None],
    ) -> None:
        """A rectangle or ellipse whose outline is centred on the box's edge."""
        x0, y0 = self.px((x - width / 2, y - width / 2))
        x1, y1 = self.px((x + w + width / 2, y + h + width / 2))
        if fill is not None:
            inset = width * self.k / 2
            shape((x0 + inset, y0 + inset, x1 - inset, y1 - inset), fill=fill)
        shape((x0, y0, x1, y1), outline=outline, width=self.width(width))

    def text(self, x: float, y: float, lines: list[str], size: float, fill: str) -> None:
        face = font(round(size * self.k))
        for i, line in enumerate(lines):
            shown = drawable(line)
            if shown.strip():
                self.draw.text(
                    self.px((x, baseline(y, size, i))), shown, fill=fill, font=face, anchor="ls"
                )


def _draw(canvas: _Canvas, obj: BoardObject) -> None:
    s = obj.shape
    if isinstance(s, Stroke):
        points = stroke_points(obj, s)
        if len(points) == 1:
            canvas.dot(points[0], s.width, color(s.color))
        else:
            start, segments = smooth(points)
            canvas.polyline(flatten(start, segments, canvas.k), s.width, color(s.color))
    elif isinstance(s, Line | Arrow):
        start, end = moved(obj, s.start), moved(obj, s.end)
        head = arrow_head(start, end, s.width) if isinstance(s, Arrow) else None
        if head is None:
            canvas.polyline([start, end], s.width, color(s.color))
        else:
            shaft_end, triangle = head
            canvas.polyline([start, shaft_end], s.width, color(s.color))
            canvas.draw.polygon([canvas.px(p) for p in triangle], fill=color(s.color))
    elif isinstance(s, Rect | Ellipse):
        x, y = moved(obj, (s.x, s.y))
        shape = canvas.draw.rectangle if isinstance(s, Rect) else canvas.draw.ellipse
        fill = None if s.fill is None else color(s.fill)
        canvas.box(x, y, s.w, s.h, s.width, color(s.color), fill, shape)
    elif isinstance(s, Text):
        x, y = moved(obj, (s.x, s.y))
        canvas.text(x, y, text_lines(s.text), s.size, color(s.color))
    else:
        assert isinstance(s, Sticky)
        x, y = moved(obj, (s.x, s.y))
        x0, y0 = canvas.px((x, y))
        x1, y1 = canvas.px((x + STICKY_SIZE, y + STICKY_SIZE))
        canvas.draw.rectangle((x0, y0, x1, y1), fill=color(s.color))
        canvas.draw.rectangle((x0, y0, x1, y1), outline=STICKY_BORDER, width=canvas.width(1))
        canvas.text(
            x + STICKY_PADDING, y + STICKY_PADDING, sticky_lines(s.text), STICKY_FONT,
            STICKY_TEXT_COLOR,
        )  # fmt: skip


def image_size(page_width: float, page_height: float, max_side: int) -> tuple[int, int, float]:
    """Output width, height in pixels, and pixels per board unit (at most 1)."""
    scale = min(1.0, max_side / max(page_width, page_height, 1.0))
    width = max(1, min(max_side, math.ceil(page_width * scale)))
    height = max(1, min(max_side, math.ceil(page_height * scale)))
    return width, height, scale


def render_png(objects: Iterable[BoardObject], *, max_side: int = MAX_SIDE) -> bytes:
    """The objects (in drawing order) as a PNG on a white background."""
    drawn = list(objects)
    box = page(drawn)
    width, height, scale = image_size(box.width, box.height, max_side)
    factor = SUPERSAMPLE if width * height * SUPERSAMPLE**2 <= MAX_SUPERSAMPLED_PIXELS else 1
    image = Image.new("RGB", (width * factor, height * factor), WHITE)
    canvas = _Canvas(image, (box.x0, box.y0), scale * factor)
    for obj in drawn:
        _draw(canvas, obj)
    if factor > 1:
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
