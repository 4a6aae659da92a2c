from __future__ import annotations

from typing import Any

import pytest

from errors import ErrorCode
from sessions.errors import InvalidPayload
from sessions.whiteboard.ops import (
    COORD_LIMIT,
    MAX_ERASE_TARGETS,
    MAX_POINTS,
    MAX_STICKY_TEXT,
    MAX_TEXT,
    Arrow,
    Clear,
    Ellipse,
    Erase,
    Line,
    MoveObject,
    Rect,
    Redo,
    Sticky,
    Stroke,
    Text,
    Undo,
    parse_op,
)

RED = "#ff0000"

VALID: list[tuple[dict[str, Any], type]] = [
    (
        {"type": "stroke", "id": "s1", "points": [[0, 0], [1.5, 2]], "color": RED, "width": 2},
        Stroke,
    ),
    (
        {"type": "line", "id": "l1", "start": [0, 0], "end": [10, 10], "color": RED, "width": 1},
        Line,
    ),
    (
        {"type": "arrow", "id": "a1", "start": [0, 0], "end": [-5, 5], "color": RED, "width": 3},
        Arrow,
    ),
    (
        {"type": "rect", "id": "r1", "x": 1, "y": 2, "w": 3, "h": 4, "color": RED, "width": 1},
        Rect,
    ),
    (
        {
            "type": "ellipse",
            "id": "e1",
            "x": 1,
            "y": 2,
            "w": 3,
            "h": 4,
            "color": RED,
            "fill": "#00FF00",
            "width": 1,
        },
        Ellipse,
    ),
    (
        {"type": "text", "id": "t1", "x": 0, "y": 0, "text": "Accord ?", "color": RED, "size": 14},
        Text,
    ),
    ({"type": "sticky", "id": "n1", "x": 0, "y": 0, "text": "", "color": "#ffee00"}, Sticky),
    ({"type": "erase", "targets": ["s1", "r1"]}, Erase),
    ({"type": "move", "target": "s1", "dx": -3, "dy": 4.5}, MoveObject),
    ({"type": "undo"}, Undo),
    ({"type": "redo"}, Redo),
    ({"type": "clear"}, Clear),
]


@pytest.mark.parametrize(("payload", "model"), VALID)
def test_valid_ops(payload: dict[str, Any], model: type) -> None:
    assert isinstance(parse_op(payload), model)


def _stroke(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "stroke",
        "id": "s1",
        "points": [[0, 0]],
        "color": RED,
        "width": 2,
    }
    base.update(changes)
    return base


def _text(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "text",
        "id": "t1",
        "x": 0,
        "y": 0,
        "text": "hi",
        "color": RED,
        "size": 12,
    }
    base.update(changes)
    return base


INVALID: list[tuple[str, object]] = [
    ("not an object", "stroke"),
    ("no type", {"id": "x"}),
    ("unknown type", {"type": "image", "id": "x", "url": "http://evil"}),
    ("unknown field", _stroke(onclick="alert(1)")),
    ("missing field", {"type": "stroke", "id": "s1", "points": [[0, 0]], "color": RED}),
    ("too many points", _stroke(points=[[0, 0]] * (MAX_POINTS + 1))),
    ("no points", _stroke(points=[])),
    ("three coordinates", _stroke(points=[[0, 0, 0]])),
    ("coordinate too large", _stroke(points=[[COORD_LIMIT + 1, 0]])),
    ("coordinate too small", _stroke(points=[[0, -COORD_LIMIT - 1]])),
    ("nan", _stroke(points=[[float("nan"), 0]])),
    ("infinity", _stroke(points=[[float("inf"), 0]])),
    ("string coordinate", _stroke(points=[["1", 0]])),
    ("boolean coordinate", _stroke(points=[[True, 0]])),
    ("named colour", _stroke(color="red")),
    ("short colour", _stroke(color="#fff")),
    ("css injection colour", _stroke(color="#ff0000;background:url(x)")),
    ("width zero", _stroke(width=0)),
    ("width huge", _stroke(width=1000)),
    ("width as string", _stroke(width="2")),
    ("bad id", _stroke(id="<script>")),
    ("empty id", _stroke(id="")),
    ("long id", _stroke(id="x" * 65)),
    ("huge text", _text(text="x" * 100_000)),
    ("text just too long", _text(text="x" * (MAX_TEXT + 1))),
    ("blank text", _text(text=" \u202e\t ")),
    ("font too small", _text(size=1)),
    (
        "sticky too long",
        {
            "type": "sticky",
            "id": "n",
            "x": 0,
            "y": 0,
            "text": "x" * (MAX_STICKY_TEXT + 1),
            "color": RED,
        },
    ),
    (
        "negative width of rect",
        {"type": "rect", "id": "r", "x": 0, "y": 0, "w": -1, "h": 1, "color": RED, "width": 1},
    ),
    ("no erase targets", {"type": "erase", "targets": []}),
    (
        "too many erase targets",
        {"type": "erase", "targets": [f"o{i}" for i in range(MAX_ERASE_TARGETS + 1)]},
    ),
    ("duplicate erase targets", {"type": "erase", "targets": ["a", "a"]}),
    ("move too far", {"type": "move", "target": "a", "dx": 1e9, "dy": 0}),
    ("undo with arguments", {"type": "undo", "target": "a"}),
    ("clear with arguments", {"type": "clear", "room": "plenary"}),
    ("server-only paste", {"type": "paste", "source_room": "x", "objects": []}),
]


@pytest.mark.parametrize(("reason", "payload"), INVALID, ids=[r for r, _ in INVALID])
def test_invalid_ops_refused(reason: str, payload: object) -> None:
    with pytest.raises(InvalidPayload) as info:
        parse_op(payload)
    assert info.value.code == ErrorCode.VALIDATION


def test_text_is_sanitised() -> None:
    op = parse_op(_text(text="  a\u202eb\x00c\r\nd  "))
    assert isinstance(op, Text)
    assert op.text == "abc\nd"


def test_ops_are_immutable() -> None:
    op = parse_op(_stroke())
    assert isinstance(op, Stroke)
    with pytest.raises(ValueError):
        op.width = 3  # type: ignore[misc]


def test_max_points_accepted() -> None:
    op = parse_op(_stroke(points=[[1, 1]] * MAX_POINTS))
    assert isinstance(op, Stroke) and len(op.points) == MAX_POINTS
