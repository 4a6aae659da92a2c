"""Whiteboard operations as submitted by clients: strict pydantic models.

Unknown fields and types are refused, sizes, counts and coordinates are
bounded, colours are ``#rrggbb``. Objects are named by the id their creating
operation carries (chosen by the client, unique on the board). :func:`parse_op`
turns a decoded JSON payload into one of the :data:`ClientOp` models or raises
:class:`~sessions.errors.InvalidPayload`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from sessions.errors import InvalidPayload
from sessions.text import clean_text

COORD_LIMIT = 10_000.0  # board coordinates lie in [-COORD_LIMIT, COORD_LIMIT]
MAX_EXTENT = 2 * COORD_LIMIT  # widths, heights, move deltas
MAX_POINTS = 2_000  # per freehand stroke
MAX_TEXT = 2_000  # text object
MAX_STICKY_TEXT = 500  # sticky note
MAX_ERASE_TARGETS = 200
MIN_WIDTH, MAX_WIDTH = 0.5, 64.0
MIN_FONT, MAX_FONT = 6.0, 200.0


def _text(limit: int) -> object:
    return AfterValidator(lambda v: clean_text(v, max_length=limit))


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("text is empty")
    return value


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("duplicate targets")
    return values


ObjectId = Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Color = Annotated[str, Strict(), StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Coord = Annotated[float, Strict(), Field(ge=-COORD_LIMIT, le=COORD_LIMIT, allow_inf_nan=False)]
Extent = Annotated[float, Strict(), Field(ge=0, le=MAX_EXTENT, allow_inf_nan=False)]
Delta = Annotated[float, Strict(), Field(ge=-MAX_EXTENT, le=MAX_EXTENT, allow_inf_nan=False)]
Width = Annotated[float, Strict(), Field(ge=MIN_WIDTH, le=MAX_WIDTH, allow_inf_nan=False)]
FontSize = Annotated[float, Strict(), Field(ge=MIN_FONT, le=MAX_FONT, allow_inf_nan=False)]
Point = tuple[Coord, Coord]
# Raw length is bounded before cleaning so that cleaning never sees megabytes.
LongText = Annotated[
    str, Strict(), Field(max_length=2 * MAX_TEXT), _text(MAX_TEXT), AfterValidator(_not_blank)
]
StickyText = Annotated[str, Strict(), Field(max_length=2 * MAX_STICKY_TEXT), _text(MAX_STICKY_TEXT)]


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stroke(_Op):
    type: Literal["stroke"]
    id: ObjectId
    points: Annotated[list[Point], Field(min_length=1, max_length=MAX_POINTS)]
    color: Color
    width: Width


class Line(_Op):
    type: Literal["line"]
    id: ObjectId
    start: Point
    end: Point
    color: Color
    width: Width


class Arrow(_Op):
    type: Literal["arrow"]
    id: ObjectId
    start: Point
    end: Point
    color: Color
    width: Width


class Rect(_Op):
    type: Literal["rect"]
    id: ObjectId
    x: Coord
    y: Coord
    w: Extent
    h: Extent
    color: Color
    fill: Color | None = None
    width: Width


class Ellipse(_Op):
    type: Literal["ellipse"]
    id: ObjectId
    x: Coord
    y: Coord
    w: Extent
    h: Extent
    color: Color
    fill: Color | None = None
    width: Width


class Text(_Op):
    type: Literal["text"]
    id: ObjectId
    x: Coord
    y: Coord
    text: LongText
    color: Color
    size: FontSize


class Sticky(_Op):
    type: Literal["sticky"]
    id: ObjectId
    x: Coord
    y: Coord
    text: StickyText
    color: Color


class Erase(_Op):
    type: Literal["erase"]
    targets: Annotated[
        list[ObjectId],
        Field(min_length=1, max_length=MAX_ERASE_TARGETS),
        AfterValidator(_unique),
    ]


class MoveObject(_Op):
    type: Literal["move"]
    target: ObjectId
    dx: Delta
    dy: Delta


class EditText(_Op):
    """New words for a text or a sticky note already on the board (the sticky's bound applies)."""

    type: Literal["edit_text"]
    target: ObjectId
    text: LongText


class Recolor(_Op):
    """Another colour for a drawing already on the board (any shape: all have one)."""

    type: Literal["recolor"]
    target: ObjectId
    color: Color


class Undo(_Op):
    type: Literal["undo"]


class Redo(_Op):
    type: Literal["redo"]


class Clear(_Op):
    type: Literal["clear"]


Shape = Stroke | Line | Arrow | Rect | Ellipse | Text | Sticky
Edit = Erase | MoveObject | EditText | Recolor | Undo | Redo | Clear
ClientOp = Annotated[Shape | Edit, Field(discriminator="type")]
_ADAPTER: TypeAdapter[ClientOp] = TypeAdapter(ClientOp)


def parse_op(payload: object) -> ClientOp:
    """Validate a decoded JSON payload; raise ``InvalidPayload`` with a short reason."""
    try:
        return _ADAPTER.validate_python(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"][:3])
        raise InvalidPayload(f"invalid whiteboard operation: {where}: {first['msg']}") from None
