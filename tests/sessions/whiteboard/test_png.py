"""The board as PNG: a real image, bounded in size, with the drawing where it belongs."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from sessions.whiteboard import png as wb_png
from sessions.whiteboard.geometry import EMPTY_PAGE, MARGIN, STICKY_SIZE
from sessions.whiteboard.log import BoardObject
from sessions.whiteboard.ops import parse_op
from sessions.whiteboard.png import MAX_SIDE, ascii_only, render_png

SIGNATURE = b"\x89PNG\r\n\x1a\n"
RED = "#ff0000"


def obj(payload: dict[str, Any], z: int = 0, dx: float = 0.0, dy: float = 0.0) -> BoardObject:
    return BoardObject(payload["id"], "p-jeanne", parse_op(payload), z, dx, dy)  # type: ignore[arg-type]


def image(data: bytes) -> Image.Image:
    assert data.startswith(SIGNATURE)
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG"
    img.load()
    return img.convert("RGB")


def is_red(p: tuple[int, ...]) -> bool:
    return p[0] > 200 and p[1] < 60 and p[2] < 60


def is_white(p: tuple[int, ...]) -> bool:
    return min(p[:3]) >= 250


def pixel(img: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = img.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def red_stroke() -> BoardObject:
    points = [[float(x), 100.0] for x in range(0, 401, 20)]
    return obj({"type": "stroke", "id": "s", "points": points, "color": RED, "width": 8.0})


def test_an_empty_board_is_a_small_white_page() -> None:
    img = image(render_png([]))
    assert img.size == (int(EMPTY_PAGE[2]), int(EMPTY_PAGE[3]))
    assert img.getextrema() == ((255, 255), (255, 255), (255, 255))


def test_a_red_stroke_is_red_where_it_was_drawn_and_white_elsewhere() -> None:
    img = image(render_png([red_stroke()]))
    # page: x from -4 - MARGIN, y from 96 - MARGIN; one pixel per board unit
    x0, y0 = -4 - MARGIN, 96 - MARGIN
    assert img.size == (400 + 8 + 2 * MARGIN, 8 + 2 * MARGIN)
    for bx in (0, 10, 200, 333, 400):
        assert is_red(pixel(img, (int(bx - x0), int(100 - y0)))), bx
    for bx, by in ((200, 90), (200, 110), (-10, 100), (410, 100), (200, 70), (200, 130)):
        assert is_white(pixel(img, (int(bx - x0), int(by - y0)))), (bx, by)
    w, h = img.size
    for corner in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
        assert is_white(pixel(img, corner))
    reds = sum(1 for p in img.get_flattened_data() if is_red(p))
    assert 0.6 * 400 * 8 < reds < 1.2 * 408 * 8  # a stroke 8 wide, not a blob


def test_the_longest_side_is_bounded_and_the_content_scaled_to_fit() -> None:
    far = [
        red_stroke(),
        obj({"type": "rect", "id": "r", "x": -9000, "y": -3000, "w": 18000, "h": 6000,
             "color": "#000000", "width": 2.0}, 1),
    ]  # fmt: skip
    img = image(render_png(far))
    assert max(img.size) == MAX_SIDE
    ratio = img.size[0] / img.size[1]
    page_w, page_h = 18000 + 2 + 2 * MARGIN, 6000 + 2 + 2 * MARGIN
    assert abs(ratio - page_w / page_h) < 0.01
    # the stroke, scaled: still red where it was drawn
    scale = MAX_SIDE / page_w
    x0, y0 = -9000 - 1 - MARGIN, -3000 - 1 - MARGIN
    assert is_red(pixel(img, (round((200 - x0) * scale), round((100 - y0) * scale))))
    assert is_white(pixel(img, (round((200 - x0) * scale), round((300 - y0) * scale))))
    small = image(render_png(far, max_side=300))
    assert max(small.size) == 300


def test_shapes_fill_and_sticky_notes_are_painted() -> None:
    objects = [
        obj({"type": "rect", "id": "r", "x": 0, "y": 0, "w": 100, "h": 60, "color": "#000000",
             "fill": "#00ff00", "width": 2.0}),
        obj({"type": "ellipse", "id": "e", "x": 200, "y": 0, "w": 100, "h": 60,
             "color": "#0000ff", "width": 4.0}, 1),
        obj({"type": "sticky", "id": "k", "x": 0, "y": 100, "text": "Échéancier : 3 × 400 €",
             "color": "#ffeb3b"}, 2),
        obj({"type": "arrow", "id": "a", "start": [200, 150], "end": [300, 150],
             "color": RED, "width": 4.0}, 3),
        obj({"type": "text", "id": "t", "x": 200, "y": 200, "text": "Accord trouvé",
             "color": "#000000", "size": 24.0}, 4),
    ]  # fmt: skip
    img = image(render_png(objects))
    x0, y0 = -1 - MARGIN, -2 - MARGIN  # the ellipse's outline reaches y = -2

    def at(bx: float, by: float) -> tuple[int, ...]:
        return pixel(img, (int(bx - x0), int(by - y0)))

    assert at(50, 30) == (0, 255, 0)  # the rectangle's fill
    assert at(0, 30)[1] < 80  # its black outline
    assert is_white(at(250, 30))  # an ellipse without fill is hollow
    assert at(250, 0)[2] > 200 and at(250, 0)[0] < 80  # its blue outline, top
    sticky = at(STICKY_SIZE - 5, 100 + STICKY_SIZE - 5)
    assert sticky[0] > 230 and sticky[1] > 200 and sticky[2] < 100  # yellow square
    assert is_red(at(296, 150)) and is_red(at(220, 150))  # arrow tip and shaft
    assert is_red(at(288, 146)) and is_white(at(220, 140))  # the head is wider than the shaft
    text_area = img.crop((int(200 - x0), int(200 - y0), int(360 - x0), int(230 - y0)))
    assert min(p[0] for p in text_area.get_flattened_data()) < 100  # some dark text was drawn


def test_text_without_a_system_font_loses_accents_not_letters(monkeypatch: Any) -> None:
    assert ascii_only("Être d’accord – « 12 € » œuvre…") == 'Etre d\'accord - " 12 EUR " oeuvre...'
    assert ascii_only("合意") == "??"
    monkeypatch.setattr(wb_png, "system_font", lambda: None)
    wb_png.font.cache_clear()
    try:
        t = obj({"type": "text", "id": "t", "x": 0, "y": 0, "text": "Réunion privée",
                 "color": "#000000", "size": 20.0})  # fmt: skip
        img = image(render_png([t]))
        assert min(p[0] for p in img.get_flattened_data()) < 100
    finally:
        wb_png.font.cache_clear()
