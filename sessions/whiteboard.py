"""A whiteboard per room: a totally ordered log of operations and its state.

The server gives each accepted operation a sequence number; the state is a
pure function of the ordered log (:func:`replay`), so every client applying
the same log reaches the same objects in the same order. Late joiners and
reconnecting clients take a :meth:`Board.snapshot` and then
:meth:`Board.ops_since` its sequence number.

Undo/redo are per author: ``undo`` disables the author's own last effective
operation, ``redo`` re-enables the author's last undone one; a new operation
by the author empties their redo stack. The log records the resolved target
(``target_seq``) so that clients need no stacks. ``clear`` (mediators only)
resets everyone's undo history but can itself be undone by its author.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from sessions.errors import (
    BOARD_FULL,
    NOTHING_TO_REDO,
    NOTHING_TO_UNDO,
    Conflict,
    Forbidden,
    InvalidState,
    NotFound,
)
from sessions.wb_ops import Clear, ClientOp, Erase, MoveObject, Redo, Shape, Undo

MAX_OBJECTS = 5_000
MAX_OPS = 50_000


@dataclass(frozen=True, slots=True)
class BoardObject:
    """An object on the board: its creating shape, translated by (dx, dy)."""

    id: str
    author: str
    shape: Shape
    dx: float = 0.0
    dy: float = 0.0

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "author": self.author,
            "shape": self.shape.model_dump(mode="json"),
            "dx": self.dx,
            "dy": self.dy,
        }


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


LoggedPayload = ClientOp | Paste


@dataclass(frozen=True, slots=True)
class LoggedOp:
    seq: int
    author: str
    op: LoggedPayload
    target_seq: int | None = None  # for undo/redo: the operation concerned

    def to_wire(self) -> dict[str, Any]:
        op = self.op.to_wire() if isinstance(self.op, Paste) else self.op.model_dump(mode="json")
        wire: dict[str, Any] = {"seq": self.seq, "author": self.author, "op": op}
        if self.target_seq is not None:
            wire["target_seq"] = self.target_seq
        return wire


@dataclass(frozen=True, slots=True)
class BoardSnapshot:
    room_id: str
    seq: int  # last sequence number included
    objects: tuple[BoardObject, ...]

    def to_wire(self) -> dict[str, Any]:
        return {
            "room_id": self.room_id,
            "seq": self.seq,
            "objects": [o.to_wire() for o in self.objects],
        }


def _apply(objects: dict[str, BoardObject], entry: LoggedOp) -> None:
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
                moved.id, moved.author, moved.shape, moved.dx + op.dx, moved.dy + op.dy
            )
    elif isinstance(op, Clear):
        objects.clear()
    elif isinstance(op, Undo | Redo):
        pass  # resolved through disabled_seqs()
    elif op.id not in objects:
        objects[op.id] = BoardObject(op.id, entry.author, op)


def disabled_seqs(log: Iterable[LoggedOp]) -> set[int]:
    """Sequence numbers currently undone (an undo disables, a redo re-enables)."""
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
    """The board state defined by an ordered log (what every client computes)."""
    entries = list(log)
    disabled = disabled_seqs(entries)
    objects: dict[str, BoardObject] = {}
    for entry in entries:
        if entry.seq not in disabled and entry.target_seq is None:
            _apply(objects, entry)
    return objects


@dataclass(slots=True)
class _History:
    done: list[int] = field(default_factory=list)
    undone: list[int] = field(default_factory=list)


class Board:
    def __init__(
        self, room_id: str, *, max_objects: int = MAX_OBJECTS, max_ops: int = MAX_OPS
    ) -> None:
        self.room_id = room_id
        self._max_objects = max_objects
        self._max_ops = max_ops
        self._log: list[LoggedOp] = []
        self._objects: dict[str, BoardObject] = {}
        self._ids: set[str] = set()  # every id ever created here: never reused
        self._history: dict[str, _History] = {}

    @property
    def seq(self) -> int:
        return len(self._log)

    @property
    def log(self) -> tuple[LoggedOp, ...]:
        return tuple(self._log)

    def objects(self) -> Mapping[str, BoardObject]:
        return dict(self._objects)

    def snapshot(self) -> BoardSnapshot:
        return BoardSnapshot(self.room_id, self.seq, tuple(self._objects.values()))

    def ops_since(self, seq: int) -> list[LoggedOp]:
        """Operations after ``seq`` (0 = the whole log)."""
        if seq < 0 or seq > self.seq:
            raise InvalidState(f"unknown sequence number {seq}")
        return self._log[seq:]

    def _append(self, author: str, op: LoggedPayload, target_seq: int | None = None) -> LoggedOp:
        entry = LoggedOp(self.seq + 1, author, op, target_seq)
        self._log.append(entry)
        return entry

    def _check_room(self, new_objects: int) -> None:
        if self.seq >= self._max_ops:
            raise Conflict("the board's history is full", BOARD_FULL)
        if len(self._objects) + new_objects > self._max_objects:
            raise Conflict("too many objects on the board", BOARD_FULL)

    def _owned(self, target: str, author: str, may_edit_others: bool) -> None:
        obj = self._objects.get(target)
        if obj is None:
            raise NotFound(f"no object {target} on the board")
        if obj.author != author and not may_edit_others:
            raise Forbidden("only a mediator may change someone else's drawing")

    def submit(
        self,
        author: str,
        op: ClientOp,
        *,
        may_edit_others: bool = False,
        may_clear: bool = False,
    ) -> LoggedOp:
        """Validate ``op`` against the current state, log it, apply it."""
        history = self._history.setdefault(author, _History())
        if isinstance(op, Undo | Redo):
            return self._undo_redo(author, op, history)
        if isinstance(op, Clear):
            if not may_clear:
                raise Forbidden("only a mediator may clear the board")
            self._check_room(0)
            self._history = {author: history}
            history.done.clear()
            history.undone.clear()
        elif isinstance(op, Erase):
            self._check_room(0)
            for target in op.targets:
                self._owned(target, author, may_edit_others)
        elif isinstance(op, MoveObject):
            self._check_room(0)
            self._owned(op.target, author, may_edit_others)
        else:
            if op.id in self._ids:
                raise Conflict(f"object id {op.id} already used")
            self._check_room(1)
            self._ids.add(op.id)
        entry = self._append(author, op)
        history.done.append(entry.seq)
        history.undone.clear()
        _apply(self._objects, entry)
        return entry

    def _undo_redo(self, author: str, op: Undo | Redo, history: _History) -> LoggedOp:
        self._check_room(0)
        if isinstance(op, Undo):
            if not history.done:
                raise Conflict("nothing to undo", NOTHING_TO_UNDO)
            target = history.done.pop()
            history.undone.append(target)
        else:
            if not history.undone:
                raise Conflict("nothing to redo", NOTHING_TO_REDO)
            target = history.undone.pop()
            history.done.append(target)
        entry = self._append(author, op, target)
        self._objects = replay(self._log)
        return entry

    def paste_from(self, source: Board, author: str) -> LoggedOp:
        """Copy ``source``'s current objects onto this board as one undoable op.

        The copies are authored by whoever copies them (a mediator), so that
        bringing a private meeting's board into the plenary does not reveal
        who drew what in the private meeting.
        """
        self._check_room(len(source._objects))
        seq = self.seq + 1
        copies = tuple(
            BoardObject(
                f"c{seq}-{i}",
                author,
                obj.shape.model_copy(update={"id": f"c{seq}-{i}"}),
                obj.dx,
                obj.dy,
            )
            for i, obj in enumerate(source._objects.values())
        )
        self._ids.update(c.id for c in copies)
        history = self._history.setdefault(author, _History())
        entry = self._append(author, Paste(source_room=source.room_id, objects=copies))
        history.done.append(entry.seq)
        history.undone.clear()
        _apply(self._objects, entry)
        return entry
