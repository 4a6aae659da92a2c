"""A whiteboard per room: the server orders operations and keeps the state.

The server gives each accepted operation a sequence number; the state is the
:func:`~sessions.whiteboard.log.fold` of the ordered log, so every client applying the
same log reaches the same objects. Late joiners and reconnecting clients take
a :meth:`Board.snapshot` and then :meth:`Board.ops_since` its sequence number.

Undo/redo are per author: ``undo`` disables the author's own last effective
operation, ``redo`` re-enables the author's last undone one; a new operation
by the author empties their redo stack. The logged entry carries the resolved
target and the resulting changes, so clients need no stacks and no history.
``clear`` (mediators only) resets everyone's undo history but can itself be
undone by its author. Parties may erase or move only their own objects.

Budgets: a board holds at most :data:`MAX_OBJECTS` live objects and
:data:`MAX_OPS` operations since its last clear; each person at most
:data:`MAX_OBJECTS_PER_PERSON` of those objects and :data:`MAX_OPS_PER_PERSON`
of those operations (``over_budget``), so that one person can never fill a
board for the others. A clear is always possible, even at the cap, and starts
the count again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sessions.errors import (
    BOARD_FULL,
    NOTHING_TO_REDO,
    NOTHING_TO_UNDO,
    OVER_BUDGET,
    Conflict,
    Forbidden,
    InvalidPayload,
    InvalidState,
    NotFound,
)
from sessions.whiteboard.log import (
    Z_STRIDE,
    BoardObject,
    LoggedOp,
    Paste,
    apply,
    diff,
    ordered,
    replay,
)
from sessions.whiteboard.ops import (
    MAX_STICKY_TEXT,
    Clear,
    ClientOp,
    Edit,
    EditText,
    Erase,
    MoveObject,
    Recolor,
    Redo,
    Sticky,
    Text,
    Undo,
)

MAX_OBJECTS = 5_000  # live objects on a board; must stay below Z_STRIDE
MAX_OPS = 50_000  # operations since the board's last clear
MAX_OBJECTS_PER_PERSON = 500  # one person's share of MAX_OBJECTS
MAX_OPS_PER_PERSON = 5_000  # one person's share of MAX_OPS


class _Break(InvalidState):
    """A stored log stops following on after ``taken`` entries."""

    def __init__(self, message: str, taken: int) -> None:
        super().__init__(message)
        self.taken = taken


@dataclass(frozen=True, slots=True)
class BoardSnapshot:
    room_id: str
    seq: int  # last sequence number included
    objects: tuple[BoardObject, ...]  # in drawing order

    def to_wire(self) -> dict[str, Any]:
        return {
            "room_id": self.room_id,
            "seq": self.seq,
            "objects": [o.to_wire() for o in self.objects],
        }


@dataclass(slots=True)
class _History:
    done: list[int] = field(default_factory=list)
    undone: list[int] = field(default_factory=list)


class Board:
    def __init__(
        self,
        room_id: str,
        *,
        max_objects: int | None = None,
        max_ops: int | None = None,
        max_objects_per_person: int | None = None,
        max_ops_per_person: int | None = None,
    ) -> None:
        """Budgets default to the module's constants (read when the board is made)."""
        max_objects = MAX_OBJECTS if max_objects is None else max_objects
        max_ops = MAX_OPS if max_ops is None else max_ops
        if max_objects_per_person is None:
            max_objects_per_person = MAX_OBJECTS_PER_PERSON
        if max_ops_per_person is None:
            max_ops_per_person = MAX_OPS_PER_PERSON
        if max_objects >= Z_STRIDE:
            raise ValueError("max_objects must stay below Z_STRIDE")
        self.room_id = room_id
        self._max_objects = max_objects
        self._max_ops = max_ops
        self._max_objects_each = max_objects_per_person
        self._max_ops_each = max_ops_per_person
        self._cleared_at = 0  # seq of the last clear: the budgets count from there
        self._ops_by: dict[str, int] = {}  # operations per author since the last clear
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
        return BoardSnapshot(self.room_id, self.seq, ordered(self._objects))

    def ops_since(self, seq: int) -> list[LoggedOp]:
        """Operations after ``seq`` (0 = the whole log)."""
        if seq < 0 or seq > self.seq:
            raise InvalidState(f"unknown sequence number {seq}")
        return self._log[seq:]

    def restore(self, log: Iterable[LoggedOp]) -> int:
        """Rebuild the board from its stored log (numbered 1, 2, ... without gaps).

        Object ids, state and everyone's undo/redo history come out as they
        were when the log was written. A log that breaks (a gap, an entry
        that does not apply) is taken up to the break: the board stays usable
        and the caller, told how many entries were taken, reports the rest.
        """
        entries = list(log)
        try:
            self._restore(entries)
        except _Break as exc:
            taken = exc.taken
            self._restore(entries[:taken])
            return taken
        return len(entries)

    def _restore(self, entries: list[LoggedOp]) -> None:
        self._log, self._objects, self._ids, self._history = [], {}, set(), {}
        self._cleared_at, self._ops_by = 0, {}
        for entry in entries:
            taken = self.seq
            if entry.seq != taken + 1:
                raise _Break(f"stored board jumps from {taken} to {entry.seq}", taken)
            try:
                self._restore_one(entry)
            except (ValueError, KeyError) as exc:
                raise _Break(f"stored operation {entry.seq} does not apply", taken) from exc

    def _restore_one(self, entry: LoggedOp) -> None:
        self._append(entry)
        op = entry.op
        if isinstance(op, Paste):
            self._ids.update(o.id for o in op.objects)
        elif not isinstance(op, Edit):
            self._ids.add(op.id)
        if isinstance(op, Clear):
            self._history = {}
        history = self._history.setdefault(entry.author, _History())
        if isinstance(op, Undo) and entry.target_seq is not None:
            history.done.remove(entry.target_seq)
            history.undone.append(entry.target_seq)
        elif isinstance(op, Redo) and entry.target_seq is not None:
            history.undone.remove(entry.target_seq)
            history.done.append(entry.target_seq)
        else:
            self._did(entry.author, entry.seq)

    def _append(self, entry: LoggedOp) -> LoggedOp:
        self._log.append(entry)
        apply(self._objects, entry)
        if isinstance(entry.op, Clear):
            self._cleared_at, self._ops_by = entry.seq, {}
        else:
            self._ops_by[entry.author] = self._ops_by.get(entry.author, 0) + 1
        return entry

    def objects_of(self, author: str) -> int:
        """How many of the board's live objects ``author`` drew."""
        return sum(1 for o in self._objects.values() if o.author == author)

    def _check_room(self, new_objects: int, author: str | None = None) -> None:
        """Refuses an operation over the board's or (``author``) the person's budget."""
        if author is not None:
            if self._ops_by.get(author, 0) >= self._max_ops_each:
                raise Conflict(
                    "you have made the most changes one person may on this board; "
                    "a mediator may clear it",
                    OVER_BUDGET,
                )
            if new_objects and self.objects_of(author) + new_objects > self._max_objects_each:
                raise Conflict(
                    f"you have {self._max_objects_each} objects on this board, the most one "
                    "person may; erase some first",
                    OVER_BUDGET,
                )
        if self.seq - self._cleared_at >= self._max_ops:
            raise Conflict("the board's history is full; a mediator may clear it", BOARD_FULL)
        if len(self._objects) + new_objects > self._max_objects:
            raise Conflict("too many objects on the board", BOARD_FULL)

    def _owned(self, target: str, author: str, may_edit_others: bool) -> BoardObject:
        obj = self._objects.get(target)
        if obj is None:
            raise NotFound(f"no object {target} on the board")
        if obj.author != author and not may_edit_others:
            raise Forbidden("only a mediator may change someone else's drawing")
        return obj

    def _check_edit(self, op: EditText, author: str, may_edit_others: bool) -> None:
        shape = self._owned(op.target, author, may_edit_others).shape
        if not isinstance(shape, Text | Sticky):
            raise InvalidPayload("only a text or a sticky note can be edited")
        if isinstance(shape, Sticky) and len(op.text) > MAX_STICKY_TEXT:
            raise InvalidPayload(f"a sticky note holds at most {MAX_STICKY_TEXT} characters")

    def history(self, author: str) -> tuple[int, int]:
        """How many steps ``author`` may undo, and redo, now."""
        history = self._history.get(author)
        return (0, 0) if history is None else (len(history.done), len(history.undone))

    def _did(self, author: str, seq: int) -> None:
        history = self._history.setdefault(author, _History())
        history.done.append(seq)
        history.undone.clear()

    def submit(
        self,
        author: str,
        op: ClientOp,
        *,
        may_edit_others: bool = False,
        may_clear: bool = False,
    ) -> LoggedOp:
        """Validate ``op`` against the current state, log it, apply it."""
        if isinstance(op, Undo | Redo):
            return self._undo_redo(author, op)
        if isinstance(op, Clear):
            if not may_clear:
                raise Forbidden("only a mediator may clear the board")
            self._history = {}  # always possible, even at the cap: it frees the board
        elif isinstance(op, Erase):
            self._check_room(0, author)
            for target in op.targets:
                self._owned(target, author, may_edit_others)
        elif isinstance(op, MoveObject | Recolor):
            self._check_room(0, author)
            self._owned(op.target, author, may_edit_others)
        elif isinstance(op, EditText):
            self._check_room(0, author)
            self._check_edit(op, author, may_edit_others)
        else:
            if op.id in self._ids:
                raise Conflict(f"object id {op.id} already used")
            self._check_room(1, author)
            self._ids.add(op.id)
        entry = self._append(LoggedOp(self.seq + 1, author, op))
        self._did(author, entry.seq)
        return entry

    def _undo_redo(self, author: str, op: Undo | Redo) -> LoggedOp:
        self._check_room(0, author)
        history = self._history.setdefault(author, _History())
        if isinstance(op, Undo):
            if not history.done:
                raise Conflict("nothing to undo", NOTHING_TO_UNDO)
            target = history.done[-1]
        else:
            if not history.undone:
                raise Conflict("nothing to redo", NOTHING_TO_REDO)
            target = history.undone[-1]
        pending = LoggedOp(self.seq + 1, author, op, target)
        after = replay([*self._log, pending])
        if len(after) > max(self._max_objects, len(self._objects)):  # undoing a clear, say
            raise Conflict("too many objects on the board", BOARD_FULL)
        if isinstance(op, Undo):
            history.undone.append(history.done.pop())
        else:
            history.done.append(history.undone.pop())
        changes = diff(self._objects, after)
        return self._append(LoggedOp(pending.seq, author, op, target, changes))

    def paste_from(self, source: Board, author: str) -> LoggedOp:
        """Copy ``source``'s current objects onto this board as one undoable op.

        The copies are authored by whoever copies them (a mediator), so that
        bringing a private meeting's board into the plenary does not reveal
        who drew what in the private meeting.
        """
        self._check_room(len(source._objects))  # a mediator's act: the room's budget only
        seq = self.seq + 1
        copies = tuple(
            BoardObject(
                f"c{seq}-{i}",
                author,
                obj.shape.model_copy(update={"id": f"c{seq}-{i}"}),
                seq * Z_STRIDE + i,
                obj.dx,
                obj.dy,
            )
            for i, obj in enumerate(ordered(source._objects))
        )
        self._ids.update(c.id for c in copies)
        entry = self._append(
            LoggedOp(seq, author, Paste(source_room=source.room_id, objects=copies))
        )
        self._did(author, seq)
        return entry
