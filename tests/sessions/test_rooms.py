from __future__ import annotations

import pytest

from sessions.errors import Conflict, InvalidPayload, InvalidState, NotFound, NotInRoom
from sessions.roles import Role
from sessions.rooms import MAX_PRIVATE_MEETINGS, PLENARY, RoomKind, Rooms
from tests.sessions.conftest import CAST, FakeClock


@pytest.fixture
def rooms(clock: FakeClock) -> Rooms:
    rooms = Rooms("s1", clock=clock)
    for pid, role in CAST.items():
        rooms.place(pid, role)
    return rooms


def test_everyone_starts_in_plenary(rooms: Rooms) -> None:
    assert rooms.members(PLENARY) == frozenset(CAST)
    assert all(rooms.room_of(p) == PLENARY for p in CAST)
    assert rooms.is_live(PLENARY)
    assert rooms.placed() == dict.fromkeys(CAST, PLENARY)


def test_place_twice_is_a_no_op(rooms: Rooms) -> None:
    assert rooms.place("alice", Role.PARTY) is None


def test_open_private_meeting(rooms: Rooms, clock: FakeClock) -> None:
    view, moves = rooms.open_private("med", {"alice", "counsel_a"}, "Alice")
    assert view.kind is RoomKind.PRIVATE and view.label == "Alice"
    assert view.members == {"med", "alice", "counsel_a"}
    assert view.opened_by == "med"
    assert {m.participant_id for m in moves} == {"med", "alice", "counsel_a"}
    for move in moves:
        assert move.from_room == PLENARY and move.to_room == view.room_id
        assert move.actor == "med" and move.at == clock()
        audit = move.audit("s1")
        assert audit.kind == "room.move" and audit.subject == move.participant_id
        assert audit.details == {"from": PLENARY, "to": view.room_id}
    assert rooms.members(PLENARY) == {"co", "bob", "obs"}


def test_caucus_isolation(rooms: Rooms) -> None:
    view, _ = rooms.open_private("med", {"alice", "counsel_a"})
    caucus = view.room_id
    outside = {"bob", "obs", "co"}
    assert rooms.members(caucus) == {"med", "alice", "counsel_a"}
    for pid in outside:
        assert rooms.room_of(pid) == PLENARY
    assert "bob" not in rooms.members(caucus)


def test_observer_never_joins_implicitly(rooms: Rooms) -> None:
    view, _ = rooms.open_private("med", {"alice"})
    assert "obs" not in view.members
    # ...but a mediator may add them explicitly.
    rooms.move("med", "obs", view.room_id)
    assert "obs" in rooms.members(view.room_id)


def test_plenary_live_depends_on_mediators_or_flag(rooms: Rooms) -> None:
    rooms.open_private("med", {"alice"})
    assert rooms.is_live(PLENARY)  # the co-mediator is still there
    rooms.move("co", "co", rooms.room_of("med") or "")
    assert not rooms.is_live(PLENARY)
    rooms.set_plenary_talk(True)
    assert rooms.plenary_talk_allowed
    assert rooms.is_live(PLENARY)


def test_private_meeting_is_always_live(rooms: Rooms) -> None:
    view, _ = rooms.open_private("med", {"alice", "bob"}, join=False)
    assert rooms.mediators_in(view.room_id) == frozenset()
    assert rooms.is_live(view.room_id)
    assert rooms.room_of("med") == PLENARY


def test_open_needs_other_members(rooms: Rooms) -> None:
    with pytest.raises(InvalidPayload):
        rooms.open_private("med", set())
    with pytest.raises(InvalidPayload):
        rooms.open_private("med", {"med"})
    with pytest.raises(NotInRoom):
        rooms.open_private("med", {"stranger"})
    with pytest.raises(InvalidPayload):
        rooms.open_private("med", {"alice"}, "x" * 81)
    assert rooms.private_meetings() == []


def test_too_many_private_meetings(rooms: Rooms) -> None:
    for _ in range(MAX_PRIVATE_MEETINGS):
        rooms.open_private("med", {"alice"}, join=False)
    with pytest.raises(Conflict):
        rooms.open_private("med", {"bob"}, join=False)


def test_mediator_moves_between_rooms(rooms: Rooms) -> None:
    a, _ = rooms.open_private("med", {"alice", "counsel_a"})
    b, _ = rooms.open_private("med", {"bob"})
    assert rooms.room_of("med") == b.room_id
    move = rooms.move("med", "med", a.room_id)
    assert move is not None and move.from_room == b.room_id and move.to_room == a.room_id
    assert rooms.move("med", "med", a.room_id) is None
    with pytest.raises(NotFound):
        rooms.move("med", "med", "private-99")
    with pytest.raises(NotInRoom):
        rooms.move("med", "stranger", PLENARY)


def test_close_returns_members_to_plenary(rooms: Rooms) -> None:
    view, _ = rooms.open_private("med", {"alice", "counsel_a"})
    moves = rooms.close_private("med", view.room_id)
    assert {m.participant_id for m in moves} == {"med", "alice", "counsel_a"}
    assert all(m.to_room == PLENARY for m in moves)
    assert rooms.members(PLENARY) == frozenset(CAST)
    assert not rooms.exists(view.room_id)
    with pytest.raises(NotFound):
        rooms.members(view.room_id)
    with pytest.raises(InvalidState):
        rooms.close_private("med", PLENARY)


def test_return_all(rooms: Rooms) -> None:
    rooms.open_private("med", {"alice"})
    rooms.open_private("co", {"bob"})
    closed, moves = rooms.return_all("med")
    assert len(closed) == 2 and len(moves) == 4
    assert rooms.private_meetings() == []
    assert rooms.members(PLENARY) == frozenset(CAST)


def test_withdraw(rooms: Rooms) -> None:
    move = rooms.withdraw("alice")
    assert move is not None and move.to_room is None
    assert rooms.room_of("alice") is None
    assert "alice" not in rooms.members(PLENARY)
    assert rooms.withdraw("alice") is None
    assert move.audit("s1").details == {"from": PLENARY, "to": "-"}


def test_views(rooms: Rooms) -> None:
    room, _ = rooms.open_private("med", {"alice"})
    assert [r.room_id for r in rooms.rooms()] == [PLENARY, room.room_id]
    assert rooms.is_private(room.room_id) and not rooms.is_private(PLENARY)
    assert rooms.role_of("alice") is Role.PARTY
    with pytest.raises(NotInRoom):
        rooms.require_room_of("stranger")


def test_private_meeting_ids_are_never_reused(clock: FakeClock) -> None:
    """A live session let go (a break, a restart) and built again hands out new ids:
    what is stored of an earlier private meeting is keyed by its id."""
    seen: set[str] = set()
    for _ in range(3):  # three lives of the same session
        rooms = Rooms("s1", clock=clock)
        for pid, role in CAST.items():
            rooms.place(pid, role)
        for _ in range(5):
            room, _moves = rooms.open_private("med", {"alice"})
            assert room.room_id.startswith("private-") and room.room_id not in seen
            seen.add(room.room_id)
            rooms.close_private("med", room.room_id)


def test_an_id_that_comes_up_twice_is_refused(clock: FakeClock) -> None:
    rooms = Rooms("s1", clock=clock, new_id=lambda: "private-same")
    for pid, role in CAST.items():
        rooms.place(pid, role)
    first, _ = rooms.open_private("med", {"alice"})
    rooms.close_private("med", first.room_id)
    with pytest.raises(InvalidState):
        rooms.open_private("med", {"alice"})
