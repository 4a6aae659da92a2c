from __future__ import annotations

import json
import random
from typing import Any

import pytest

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
    SessionError,
)
from sessions.rooms import PLENARY
from sessions.whiteboard.board import Board
from sessions.whiteboard.log import BoardObject, LoggedOp, fold, ordered, replay
from sessions.whiteboard.ops import MAX_STICKY_TEXT, MAX_TEXT, parse_op

RED = "#ff0000"


def rect(oid: str, x: float = 0) -> dict[str, Any]:
    return {"type": "rect", "id": oid, "x": x, "y": 0, "w": 10, "h": 10, "color": RED, "width": 1}


def put(board: Board, author: str, payload: dict[str, Any], **kw: bool) -> LoggedOp:
    return board.submit(author, parse_op(payload), **kw)


def test_sequence_numbers_and_snapshot() -> None:
    board = Board("plenary")
    first = put(board, "alice", rect("a"))
    second = put(board, "bob", rect("b"))
    assert (first.seq, second.seq) == (1, 2)
    snap = board.snapshot()
    assert snap.seq == 2 and [o.id for o in snap.objects] == ["a", "b"]
    assert snap.objects[0].author == "alice"
    assert board.ops_since(1) == [second]
    assert board.ops_since(2) == []
    with pytest.raises(InvalidState):
        board.ops_since(3)
    with pytest.raises(InvalidState):
        board.ops_since(-1)


def test_ids_are_never_reused() -> None:
    board = Board("plenary")
    put(board, "alice", rect("a"))
    with pytest.raises(Conflict):
        put(board, "bob", rect("a"))
    put(board, "alice", {"type": "erase", "targets": ["a"]})
    with pytest.raises(Conflict):
        put(board, "alice", rect("a"))


def test_move_and_erase() -> None:
    board = Board("plenary")
    put(board, "alice", rect("a"))
    put(board, "alice", {"type": "move", "target": "a", "dx": 5, "dy": -2})
    put(board, "alice", {"type": "move", "target": "a", "dx": 1, "dy": 1})
    obj = board.objects()["a"]
    assert (obj.dx, obj.dy) == (6, -1)
    put(board, "alice", {"type": "erase", "targets": ["a"]})
    assert board.objects() == {}
    with pytest.raises(NotFound):
        put(board, "alice", {"type": "move", "target": "a", "dx": 1, "dy": 1})


def words(oid: str, kind: str = "text", text: str = "Calendrier") -> dict[str, Any]:
    if kind == "sticky":
        return {"type": "sticky", "id": oid, "x": 4, "y": 4, "text": text, "color": "#fff59d"}
    return {"type": "text", "id": oid, "x": 4, "y": 4, "text": text, "color": RED, "size": 24}


def edit_text(target: str, text: str) -> dict[str, Any]:
    return {"type": "edit_text", "target": target, "text": text}


def test_a_text_and_a_sticky_note_get_new_words_in_place_and_the_change_can_be_undone() -> None:
    board = Board("plenary")
    put(board, "alice", words("t1"))
    put(board, "alice", words("n1", "sticky", "8 000 €"))
    put(board, "alice", {"type": "move", "target": "t1", "dx": 30, "dy": 5})
    before = board.objects()["t1"]
    put(board, "alice", edit_text("t1", "Calendrier de paiement\nen 3 fois"))
    put(board, "alice", edit_text("n1", "9 500 €"))
    after = board.objects()["t1"]
    assert after.shape.text == "Calendrier de paiement\nen 3 fois"  # type: ignore[union-attr]
    assert (after.z, after.dx, after.dy, after.author) == (before.z, 30, 5, "alice")
    assert board.objects()["n1"].shape.text == "9 500 €"  # type: ignore[union-attr]
    put(board, "alice", {"type": "undo"})  # the note's words
    assert board.objects()["n1"].shape.text == "8 000 €"  # type: ignore[union-attr]
    put(board, "alice", {"type": "undo"})
    assert board.objects()["t1"] == before
    put(board, "alice", {"type": "redo"})
    assert board.objects()["t1"] == after
    assert fold(board.log) == replay(board.log) == board.objects()


PALETTE = ("#1565c0", "#2e7d32", "#FFCDD2")


def recolor(target: str, color: str) -> dict[str, Any]:
    return {"type": "recolor", "target": target, "color": color}


def test_any_drawing_takes_another_colour_undoably_by_whoever_may() -> None:
    board = Board("plenary")
    put(board, "alice", words("n1", "sticky"))
    put(board, "alice", rect("r1"))
    put(board, "alice", {"type": "move", "target": "r1", "dx": 3, "dy": 4})
    before = board.objects()["r1"]
    put(board, "alice", recolor("r1", "#2e7d32"))
    put(board, "alice", recolor("n1", "#bbdefb"))
    after = board.objects()["r1"]
    assert after.shape.color == "#2e7d32" and after.shape.model_dump()["x"] == 0
    assert (after.z, after.dx, after.dy) == (before.z, 3, 4)
    assert board.objects()["n1"].shape.color == "#bbdefb"
    with pytest.raises(Forbidden):
        put(board, "bob", recolor("r1", "#c62828"))
    put(board, "mediator", recolor("r1", "#c62828"), may_edit_others=True)
    with pytest.raises(NotFound):
        put(board, "alice", recolor("gone", "#c62828"))
    for bad in ("red", "#12345", "#12345g", 7):
        with pytest.raises(InvalidPayload):
            parse_op(recolor("r1", bad))  # type: ignore[arg-type]
    put(board, "mediator", {"type": "undo"})
    put(board, "alice", {"type": "undo"})  # the note's colour
    put(board, "alice", {"type": "undo"})  # the rectangle's
    assert board.objects()["r1"] == before
    assert fold(board.log) == replay(board.log) == board.objects()


def test_only_words_are_edited_within_bounds_by_whoever_may() -> None:
    board = Board("plenary")
    put(board, "alice", words("t1"))
    put(board, "alice", words("n1", "sticky"))
    put(board, "alice", rect("r1"))
    with pytest.raises(InvalidPayload, match="text or a sticky"):
        put(board, "alice", edit_text("r1", "a rectangle has no words"))
    with pytest.raises(Forbidden):
        put(board, "bob", edit_text("t1", "pas à moi"))
    put(board, "mediator", edit_text("t1", "corrigé"), may_edit_others=True)
    with pytest.raises(NotFound):
        put(board, "alice", edit_text("gone", "?"))
    with pytest.raises(InvalidPayload, match="sticky note holds"):
        put(board, "alice", edit_text("n1", "x" * (MAX_STICKY_TEXT + 1)))
    put(board, "alice", edit_text("n1", "x" * MAX_STICKY_TEXT))
    with pytest.raises(InvalidPayload):
        parse_op(edit_text("t1", "x" * (MAX_TEXT + 1)))
    with pytest.raises(InvalidPayload):
        parse_op(edit_text("t1", "   "))
    assert board.seq == 5  # the refusals left no trace
    restored = Board("plenary")
    restored.restore(LoggedOp.from_wire(json.loads(json.dumps(e.to_wire()))) for e in board.log)
    assert restored.objects() == board.objects()


def test_parties_edit_only_their_own_objects() -> None:
    board = Board("plenary")
    put(board, "alice", rect("a"))
    with pytest.raises(Forbidden):
        put(board, "bob", {"type": "erase", "targets": ["a"]})
    with pytest.raises(Forbidden):
        put(board, "bob", {"type": "move", "target": "a", "dx": 1, "dy": 1})
    put(board, "med", {"type": "move", "target": "a", "dx": 1, "dy": 1}, may_edit_others=True)
    put(board, "med", {"type": "erase", "targets": ["a"]}, may_edit_others=True)
    assert board.objects() == {}


def test_clear_needs_permission_and_can_be_undone() -> None:
    board = Board("plenary")
    put(board, "alice", rect("a"))
    put(board, "bob", rect("b"))
    with pytest.raises(Forbidden):
        put(board, "alice", {"type": "clear"})
    put(board, "med", {"type": "clear"}, may_clear=True)
    assert board.objects() == {}
    # Clearing resets the others' undo history...
    with pytest.raises(Conflict) as info:
        put(board, "alice", {"type": "undo"})
    assert info.value.code == NOTHING_TO_UNDO
    # ...but the mediator can undo the clear.
    undo = put(board, "med", {"type": "undo"})
    assert set(board.objects()) == {"a", "b"}
    assert undo.changes is not None and {o.id for o in undo.changes.upserts} == {"a", "b"}


def test_undo_redo_are_per_author() -> None:
    board = Board("plenary")
    put(board, "alice", rect("a1"))
    put(board, "bob", rect("b1"))
    put(board, "alice", rect("a2"))
    put(board, "bob", rect("b2"))
    undo = put(board, "alice", {"type": "undo"})
    assert undo.target_seq == 3
    assert set(board.objects()) == {"a1", "b1", "b2"}
    put(board, "alice", {"type": "undo"})
    assert set(board.objects()) == {"b1", "b2"}
    with pytest.raises(Conflict):
        put(board, "alice", {"type": "undo"})
    redo = put(board, "alice", {"type": "redo"})
    assert redo.target_seq == 1
    assert set(board.objects()) == {"a1", "b1", "b2"}
    put(board, "alice", {"type": "redo"})
    with pytest.raises(Conflict) as info:
        put(board, "alice", {"type": "redo"})
    assert info.value.code == NOTHING_TO_REDO
    assert set(board.objects()) == {"a1", "a2", "b1", "b2"}


def test_the_history_says_how_many_steps_each_author_may_undo_and_redo() -> None:
    board = Board("plenary")
    assert board.history("alice") == (0, 0)
    put(board, "alice", rect("a"))
    put(board, "alice", rect("b"))
    put(board, "bob", rect("c"))
    assert board.history("alice") == (2, 0) and board.history("bob") == (1, 0)
    put(board, "alice", {"type": "undo"})
    assert board.history("alice") == (1, 1)
    put(board, "alice", {"type": "redo"})
    put(board, "alice", {"type": "undo"})
    put(board, "alice", rect("d"))  # a new step: nothing left to redo
    assert board.history("alice") == (2, 0)
    put(board, "med", {"type": "clear"}, may_clear=True)  # forgets everyone's history...
    assert board.history("alice") == (0, 0) and board.history("bob") == (0, 0)
    assert board.history("med") == (1, 0)  # ...but its own clear can be undone


def test_new_op_empties_redo_stack() -> None:
    board = Board("plenary")
    put(board, "alice", rect("a1"))
    put(board, "alice", {"type": "undo"})
    put(board, "alice", rect("a2"))
    with pytest.raises(Conflict):
        put(board, "alice", {"type": "redo"})


def test_undo_move_and_erase() -> None:
    board = Board("plenary")
    put(board, "alice", rect("a"))
    put(board, "alice", {"type": "move", "target": "a", "dx": 5, "dy": 5})
    put(board, "alice", {"type": "undo"})
    assert board.objects()["a"].dx == 0
    put(board, "alice", {"type": "erase", "targets": ["a"]})
    put(board, "alice", {"type": "undo"})
    assert "a" in board.objects()


def test_undo_of_creation_makes_later_edits_moot() -> None:
    board = Board("plenary")
    put(board, "alice", rect("a"))
    put(board, "med", {"type": "move", "target": "a", "dx": 5, "dy": 5}, may_edit_others=True)
    put(board, "alice", {"type": "undo"})  # undoes alice's creation, not the move
    assert board.objects() == {}
    put(board, "alice", {"type": "redo"})
    assert board.objects()["a"].dx == 5


def test_limits() -> None:
    board = Board("plenary", max_objects=2, max_ops=5)
    put(board, "a", rect("1"))
    put(board, "a", rect("2"))
    with pytest.raises(Conflict) as info:
        put(board, "a", rect("3"))
    assert info.value.code == BOARD_FULL
    put(board, "a", {"type": "move", "target": "1", "dx": 1, "dy": 1})
    put(board, "a", {"type": "move", "target": "1", "dx": 1, "dy": 1})
    put(board, "a", {"type": "move", "target": "1", "dx": 1, "dy": 1})
    with pytest.raises(Conflict):
        put(board, "a", {"type": "move", "target": "1", "dx": 1, "dy": 1})
    with pytest.raises(ValueError):
        Board("x", max_objects=10_000)


def test_one_person_cannot_fill_a_board_for_the_others() -> None:
    board = Board("plenary", max_objects=6, max_ops=20, max_objects_per_person=2,
                  max_ops_per_person=4)  # fmt: skip
    put(board, "flood", rect("f1"))
    put(board, "flood", rect("f2"))
    with pytest.raises(Conflict) as info:
        put(board, "flood", rect("f3"))
    assert info.value.code == OVER_BUDGET
    put(board, "flood", {"type": "move", "target": "f1", "dx": 1, "dy": 1})
    put(board, "flood", {"type": "move", "target": "f1", "dx": 1, "dy": 1})
    with pytest.raises(Conflict) as info:  # four operations: the person's share
        put(board, "flood", {"type": "move", "target": "f1", "dx": 1, "dy": 1})
    assert info.value.code == OVER_BUDGET
    with pytest.raises(Conflict):  # undo is an operation too
        put(board, "flood", {"type": "undo"})
    put(board, "other", rect("o1"))  # the others still write
    put(board, "other", rect("o2"))
    # erasing one's own objects gives room again (for objects, not for operations)
    assert board.objects_of("other") == 2


def test_a_clear_is_always_possible_and_frees_the_history() -> None:
    board = Board("plenary", max_objects=100, max_ops=4)
    for i in range(4):
        put(board, f"p{i}", rect(f"r{i}"))
    with pytest.raises(Conflict) as info:
        put(board, "p9", rect("late"))
    assert info.value.code == BOARD_FULL
    put(board, "med", {"type": "clear"}, may_clear=True)  # at the cap
    put(board, "p0", rect("again"))  # the board is written again, by the same people too
    assert list(board.objects()) == ["again"]
    restored = Board("plenary", max_objects=100, max_ops=4)
    assert restored.restore(board.log) == board.seq
    put(restored, "p0", rect("after-restart"))


def test_undoing_a_clear_cannot_overfill_the_board() -> None:
    board = Board("plenary", max_objects=3, max_objects_per_person=3)
    put(board, "a", rect("1"))
    put(board, "a", rect("2"))
    put(board, "med", {"type": "clear"}, may_clear=True)
    put(board, "b", rect("3"))
    put(board, "b", rect("4"))
    with pytest.raises(Conflict) as info:
        put(board, "med", {"type": "undo"})
    assert info.value.code == BOARD_FULL
    assert board.history("med") == (1, 0)  # nothing undone


def test_paste_from_private_board() -> None:
    caucus = Board("private-1")
    put(caucus, "alice", rect("a"))
    put(caucus, "alice", {"type": "move", "target": "a", "dx": 3, "dy": 3})
    plenary = Board("plenary")
    put(plenary, "bob", rect("b"))
    entry = plenary.paste_from(caucus, "med")
    copies = [o for o in plenary.objects().values() if o.id != "b"]
    assert len(copies) == 1
    copy = copies[0]
    assert copy.author == "med"  # who drew it in the private meeting is not revealed
    assert copy.shape.id == copy.id and copy.dx == 3
    assert set(caucus.objects()) == {"a"}  # the source is untouched
    wire = entry.to_wire()
    assert wire["op"]["type"] == "paste" and wire["op"]["source_room"] == "private-1"
    assert "alice" not in json.dumps(wire)
    plenary.submit("med", parse_op({"type": "undo"}))
    assert set(plenary.objects()) == {"b"}


# -- convergence -------------------------------------------------------------------

AUTHORS = ["med", "alice", "bob", "counsel"]


class Replica:
    """A client: starts from a snapshot (wire form) and folds the ops it receives."""

    def __init__(self, snapshot_wire: dict[str, Any]) -> None:
        self.seq = snapshot_wire["seq"]
        self.objects = {o["id"]: BoardObject.from_wire(o) for o in snapshot_wire["objects"]}

    def receive(self, wire: dict[str, Any]) -> None:
        entry = LoggedOp.from_wire(json.loads(json.dumps(wire)))
        assert entry.seq == self.seq + 1, "ops arrive in order, without gaps"
        self.objects = fold([entry], self.objects)
        self.seq = entry.seq


KINDS = (
    *("stroke", "rect", "text", "sticky", "arrow"),
    *("erase", "move", "edit_text", "recolor", "undo", "redo", "clear"),
)


def random_op(rng: random.Random, board: Board, author: str, counter: list[int]) -> dict[str, Any]:
    existing = list(board.objects())
    kind = rng.choice(KINDS)
    counter[0] += 1
    oid = f"{author}-{counter[0]}"
    xy = [rng.uniform(-100, 100), rng.uniform(-100, 100)]
    if kind == "stroke":
        points = [[rng.uniform(-50, 50), rng.uniform(-50, 50)] for _ in range(rng.randint(1, 20))]
        return {"type": "stroke", "id": oid, "points": points, "color": RED, "width": 2}
    if kind == "rect":
        return rect(oid, x=xy[0])
    if kind == "text":
        return {
            "type": "text",
            "id": oid,
            "x": 0,
            "y": 0,
            "text": f"t{counter[0]}",
            "color": RED,
            "size": 12,
        }
    if kind == "sticky":
        return {"type": "sticky", "id": oid, "x": 1, "y": 1, "text": "note", "color": "#ffff00"}
    if kind == "arrow":
        return {"type": "arrow", "id": oid, "start": xy, "end": [0, 0], "color": RED, "width": 1}
    if kind in ("erase", "move", "edit_text", "recolor") and existing:
        target = rng.choice(existing)
        if kind == "edit_text":  # refused unless the target is a text or a sticky note
            return {"type": "edit_text", "target": target, "text": f"e{counter[0]}"}
        if kind == "recolor":
            return {"type": "recolor", "target": target, "color": rng.choice(PALETTE)}
        if kind == "erase":
            return {"type": "erase", "targets": [target]}
        return {
            "type": "move",
            "target": target,
            "dx": rng.uniform(-9, 9),
            "dy": rng.uniform(-9, 9),
        }
    if kind in ("undo", "redo", "clear"):
        return {"type": kind}
    return rect(oid)


@pytest.mark.parametrize("seed", range(40))
def test_random_interleavings_converge(seed: int) -> None:
    rng = random.Random(seed)
    board = Board("plenary")
    early = Replica(board.snapshot().to_wire())
    late: list[Replica] = []
    counter = [0]
    accepted = 0
    for step in range(300):
        author = rng.choice(AUTHORS)
        payload = random_op(rng, board, author, counter)
        if payload["type"] == "clear" and rng.random() < 0.8:
            continue  # keep clears rare
        try:
            entry = board.submit(
                author,
                parse_op(payload),
                may_edit_others=author == "med",
                may_clear=author == "med",
            )
        except SessionError:
            continue  # refused (not own object, nothing to undo, ...): not logged
        accepted += 1
        wire = entry.to_wire()
        early.receive(wire)
        for replica in late:
            replica.receive(wire)
        if step % 50 == 25:
            # A late joiner: snapshot now, ops from now on.
            late.append(Replica(board.snapshot().to_wire()))
        if step % 70 == 35:
            # A reconnecting client: its old snapshot, then everything it missed.
            since = rng.randint(0, board.seq)
            stale = Replica(
                {
                    "seq": since,
                    "objects": [o.to_wire() for o in ordered(fold(board.log[:since]))],
                }
            )
            for missed in board.ops_since(since):
                stale.receive(missed.to_wire())
            late.append(stale)
    assert accepted > 100
    final = dict(board.objects())
    assert fold(board.log) == final
    assert replay(board.log) == final
    assert early.objects == final
    for replica in late:
        assert replica.objects == final
    assert [o.id for o in board.snapshot().objects] == [o.id for o in ordered(final)]


@pytest.mark.parametrize("seed", range(10))
def test_same_log_same_state_whatever_the_arrival_batching(seed: int) -> None:
    rng = random.Random(1000 + seed)
    board = Board("plenary")
    counter = [0]
    for _ in range(200):
        author = rng.choice(AUTHORS)
        try:
            board.submit(
                author,
                parse_op(random_op(rng, board, author, counter)),
                may_edit_others=author == "med",
                may_clear=author == "med",
            )
        except SessionError:
            pass
    wires = [e.to_wire() for e in board.log]
    # Clients receive the same ordered log in random batches and from
    # random snapshot points; all end in the same state.
    for _ in range(5):
        cut = rng.randint(0, len(wires))
        replica = Replica(
            {"seq": cut, "objects": [o.to_wire() for o in ordered(fold(board.log[:cut]))]}
        )
        for wire in wires[cut:]:
            replica.receive(wire)
        assert replica.objects == dict(board.objects())


def test_a_board_restored_from_its_log_is_the_same_board() -> None:
    board = Board(PLENARY)
    put(board, "a", rect("r1"))
    put(board, "b", rect("r2", 5))
    put(board, "a", {"type": "move", "target": "r1", "dx": 3.0, "dy": 4.0})
    put(board, "a", {"type": "undo"})
    put(board, "b", {"type": "erase", "targets": ["r2"]})
    put(board, "b", {"type": "undo"})
    put(board, "b", {"type": "redo"})
    wire = [entry.to_wire() for entry in board.log]
    again = Board(PLENARY)
    again.restore(LoggedOp.from_wire(w) for w in wire)
    assert again.snapshot() == board.snapshot()
    # histories came back: the same next undo on both, ids still never reused
    assert (
        put(again, "a", {"type": "undo"}).to_wire() == put(board, "a", {"type": "undo"}).to_wire()
    )
    assert (
        put(again, "b", {"type": "undo"}).to_wire() == put(board, "b", {"type": "undo"}).to_wire()
    )
    with pytest.raises(Conflict):
        put(again, "a", rect("r1"))


def test_a_stored_log_with_a_gap_is_taken_up_to_the_gap() -> None:
    board = Board(PLENARY)
    for name in ("r1", "r2", "r3"):
        put(board, "a", rect(name))
    again = Board(PLENARY)
    assert again.restore([board.log[0], board.log[2]]) == 1  # the caller reports the rest
    assert again.seq == 1 and set(again.objects()) == {"r1"}
    assert again.restore([board.log[1]]) == 0 and again.seq == 0
