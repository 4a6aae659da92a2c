"""The whiteboard's ordered log and the pure functions that define its state.

A :class:`LoggedOp` is one server-ordered entry. The board state after a log
is :func:`fold`: apply every entry in order; undo and redo entries carry the
resulting :class:`Changes` (objects put back or taken away), so a client that
started from a snapshot needs no history to apply them. :func:`replay`
recomputes the same state from scratch, resolving undo/redo by disabling
their targets; the server uses it to compute those changes, and the two
always agree (tested). Wire forms round-trip through ``to_wire``/``from_wire``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from sessions.errors import InvalidPayload
from sessions.whiteboard.ops import (
    Clear,
    ClientOp,
    Edit,
    EditText,
    Erase,
    MoveObject,
    Recolor,
    Redo,
    Shape,
    Sticky,
    Text,
    Undo,
    parse_op,
)

Z_STRIDE = 10_000  # z = seq * Z_STRIDE + index within a paste


@dataclass(frozen=True, slots=True)
class BoardObject:
    """An object on the board: its creating shape, translated by (dx, dy).

    ``z`` orders objects for drawing (creation order)."""

    id: str
    author: str
    shape: Shape
    z: int
    dx: float = 0.0
    dy: float = 0.0

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "author": self.author,
            "shape": self.shape.model_dump(mode="json"),
            "z": self.z,
            "dx": self.dx,
            "dy": self.dy,
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> BoardObject:
        shape = parse_op(data["shape"])
        if isinstance(shape, Edit):
            raise InvalidPayload("an object's shape must be a drawing")
        return cls(
            str(data["id"]),
            str(data["author"]),
            shape,
            int(data["z"]),
            float(data["dx"]),
            float(data["dy"]),
        )


class Paste(BaseModel):
    """Server-made operation: objects copied from another room's board."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    type: Literal["paste"] = "paste"
    source_room: str
    objects: tuple[BoardObject, ...]

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "source_room": self.source_room,
            "objects": [o.to_wire() for o in self.objects],
        }


@dataclass(frozen=True, slots=True)
class Changes:
    """The effect of an undo or redo: objects (re)placed, ids taken away."""

    upserts: tuple[BoardObject, ...] = ()
    removed: tuple[str, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {"upserts": [o.to_wire() for o in self.upserts], "removed": list(self.removed)}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Changes:
        return cls(
            tuple(BoardObject.from_wire(o) for o in data["upserts"]),
            tuple(str(i) for i in data["removed"]),
        )


LoggedPayload = ClientOp | Paste


@dataclass(frozen=True, slots=True)
class LoggedOp:
    seq: int
    author: str
    op: LoggedPayload
    target_seq: int | None = None  # undo/redo: the entry concerned
    changes: Changes | None = None  # undo/redo: the resulting changes

    def to_wire(self) -> dict[str, Any]:
        op = self.op.to_wire() if isinstance(self.op, Paste) else self.op.model_dump(mode="json")
        wire: dict[str, Any] = {"seq": self.seq, "author": self.author, "op": op}
        if self.target_seq is not None:
            wire["target_seq"] = self.target_seq
        if self.changes is not None:
            wire["changes"] = self.changes.to_wire()
        return wire

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> LoggedOp:
        raw = data["op"]
        op: LoggedPayload
        if isinstance(raw, Mapping) and raw.get("type") == "paste":
            objects = tuple(BoardObject.from_wire(o) for o in raw["objects"])
            op = Paste(source_room=str(raw["source_room"]), objects=objects)
        else:
            op = parse_op(raw)
        target = data.get("target_seq")
        changes = data.get("changes")
        return cls(
            int(data["seq"]),
            str(data["author"]),
            op,
            None if target is None else int(target),
            None if changes is None else Changes.from_wire(changes),
        )


def apply(objects: dict[str, BoardObject], entry: LoggedOp) -> None:
    """Apply one entry to a state in place (what every client does)."""
    op = entry.op
    if isinstance(op, Paste):
        for pasted in op.objects:
            objects.setdefault(pasted.id, pasted)
    elif isinstance(op, Erase):
        for target in op.targets:
            objects.pop(target, None)
    elif isinstance(op, MoveObject):
        moved = objects.get(op.target)
        if moved is not None:
            objects[op.target] = BoardObject(
                moved.id, moved.author, moved.shape, moved.z, moved.dx + op.dx, moved.dy + op.dy
            )
    elif isinstance(op, EditText):
        edited = objects.get(op.target)
        if edited is not None and isinstance(edited.shape, Text | Sticky):
            objects[op.target] = replace(
                edited, shape=edited.shape.model_copy(update={"text": op.text})
            )
    elif isinstance(op, Recolor):
        recolored = objects.get(op.target)
        if recolored is not None:
            objects[op.target] = replace(
                recolored, shape=recolored.shape.model_copy(update={"color": op.color})
            )
    elif isinstance(op, Clear):
        objects.clear()
    elif isinstance(op, Undo | Redo):
        if entry.changes is not None:
            for removed in entry.changes.removed:
                objects.pop(removed, None)
            for obj in entry.changes.upserts:
                objects[obj.id] = obj
    elif op.id not in objects:
        objects[op.id] = BoardObject(op.id, entry.author, op, entry.seq * Z_STRIDE)


def fold(
    log: Iterable[LoggedOp], start: Mapping[str, BoardObject] | None = None
) -> dict[str, BoardObject]:
    """The state after applying ``log`` to ``start`` (default: an empty board)."""
    objects = dict(start or {})
    for entry in log:
        apply(objects, entry)
    return objects


def disabled_seqs(log: Iterable[LoggedOp]) -> set[int]:
    """Entries currently undone (an undo disables its target, a redo re-enables)."""
    disabled: set[int] = set()
    for entry in log:
        if entry.target_seq is None:
            continue
        if isinstance(entry.op, Undo):
            disabled.add(entry.target_seq)
        elif isinstance(entry.op, Redo):
            disabled.discard(entry.target_seq)
    return disabled


def replay(log: Iterable[LoggedOp]) -> dict[str, BoardObject]:
    """The state from scratch: every entry not undone, undo/redo resolved."""
    entries = list(log)
    disabled = disabled_seqs(entries)
    objects: dict[str, BoardObject] = {}
    for entry in entries:
        if entry.seq not in disabled and not isinstance(entry.op, Undo | Redo):
            apply(objects, entry)
    return objects


def diff(before: Mapping[str, BoardObject], after: Mapping[str, BoardObject]) -> Changes:
    removed = tuple(sorted(k for k in before if k not in after))
    upserts = tuple(sorted((o for k, o in after.items() if before.get(k) != o), key=_order))
    return Changes(upserts, removed)


def _order(obj: BoardObject) -> tuple[int, str]:
    return (obj.z, obj.id)


def ordered(objects: Mapping[str, BoardObject]) -> tuple[BoardObject, ...]:
    """Objects in drawing order."""
    return tuple(sorted(objects.values(), key=_order))
