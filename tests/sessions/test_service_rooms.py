"""LiveSession: private meetings, isolation, moves, the plenary while the mediator is away."""

from __future__ import annotations

import pytest

from sessions.core import MediaAudience
from sessions.documents import Visibility
from sessions.errors import Forbidden, InvalidPayload, NotFound, NotJoined
from sessions.outcome import Outcome
from sessions.rooms import PLENARY
from sessions.service import LiveSession
from tests.sessions.conftest import CAST

RED = "#ff0000"


def caucus(live: LiveSession) -> str:
    return live.open_private_meeting("med", {"alice", "counsel_a"}, "Alice").value.room_id


def test_open_private_meeting(live: LiveSession) -> None:
    out = live.open_private_meeting("med", {"alice", "counsel_a"}, "Alice")
    room = out.value
    assert room.members == {"med", "alice", "counsel_a"}
    kinds = [a.kind for a in out.audit]
    assert kinds.count("room.move") == 3 and "room.open" in kinds
    assert {c.participant_id for c in out.room_changes} == {"med", "alice", "counsel_a"}
    # Those left in the plenary are told nothing of it (their room:view comes from the hub).
    assert not out.for_participant("bob") and not out.for_participant("obs")
    overview = next(n for n in out.notifications if n.event == "room:overview")
    assert overview.recipients == {"med", "co"}


@pytest.mark.parametrize("actor", ["alice", "counsel_a", "obs"])
def test_only_mediators_open_private_meetings(live: LiveSession, actor: str) -> None:
    with pytest.raises(Forbidden) as info:
        live.open_private_meeting(actor, {"bob"})
    assert info.value.audit is not None


def test_co_mediator_cannot_pull_the_mediator(live: LiveSession) -> None:
    with pytest.raises(Forbidden):
        live.open_private_meeting("co", {"med", "bob"})
    assert live.room_of("med") == PLENARY


def test_party_outside_a_caucus_is_never_in_its_audience(live: LiveSession) -> None:
    room = caucus(live)
    inside = live.members(room)
    outside = frozenset(CAST) - inside
    assert outside == {"co", "bob", "obs"}
    for pid in inside:
        assert live.audible_to(pid) <= inside
        assert live.audience(pid).video <= inside
    for pid in outside:
        assert live.audible_to(pid).isdisjoint(inside)
        assert live.audience(pid).video.isdisjoint(inside)


def test_nothing_of_a_caucus_reaches_outsiders(live: LiveSession) -> None:
    room = caucus(live)
    inside = live.members(room)
    outcomes: list[Outcome[object]] = [
        live.chat_send("alice", "entre nous"),
        live.wb_submit(
            "alice",
            {"type": "text", "id": "t", "x": 0, "y": 0, "text": "x", "color": RED, "size": 9},
        ),
        live.share_document("counsel_a", "d1", "Offre", Visibility.ROOM, pages=2),
        live.present("counsel_a", "d1", 2),
        live.set_media_state("alice", True, True, True),
        live.chat_send("med", "noted"),
    ]
    for out in outcomes:
        for note in out.notifications:
            if note.room_id == room:
                assert note.recipients <= inside, note.event
            assert "bob" not in note.recipients or note.room_id != room
    assert live.chat_history("bob") == []
    assert [m.text for m in live.chat_history("alice")] == ["entre nous", "noted"]
    assert live.documents_for("bob") == []
    assert live.board(PLENARY).objects() == {}


def test_chat_in_private_meeting_only_for_members(live: LiveSession) -> None:
    room = caucus(live)
    # Bob can only ever post into his own room, the plenary.
    out = live.chat_send("bob", "hello?")
    assert out.value.room_id == PLENARY
    assert out.notifications[0].recipients.isdisjoint(live.members(room))


def test_plenary_waits_silently_while_mediators_are_away(live: LiveSession) -> None:
    room = caucus(live)
    live.move("co", "co", room)
    assert not live.rooms.is_live(PLENARY)
    assert live.audible_to("bob") == frozenset()
    with pytest.raises(Forbidden) as info:
        live.chat_send("bob", "psst")
    assert info.value.audit is not None and info.value.audit.details["reason"] == "room_live"
    with pytest.raises(Forbidden):
        live.wb_submit(
            "bob",
            {"type": "rect", "id": "r", "x": 0, "y": 0, "w": 1, "h": 1, "color": RED, "width": 1},
        )
    with pytest.raises(Forbidden):
        live.chat_send("obs", "psst")
    # On hold, each waits alone: seen and heard by nobody (as the relay forwards).
    assert live.media_room("bob") == "hold-bob" and live.media_room("obs") == "hold-obs"
    assert live.audience("bob") == MediaAudience(frozenset(), frozenset())
    out = live.set_plenary_talk("med", True)
    assert out.audit[0].details == {"allowed": "true"}
    assert live.rooms.is_live(PLENARY) and live.media_room("bob") == PLENARY
    live.chat_send("bob", "ok")
    assert live.audience("bob") == MediaAudience(frozenset({"obs"}), frozenset({"obs"}))


def test_parties_cannot_set_plenary_talk(live: LiveSession) -> None:
    with pytest.raises(Forbidden):
        live.set_plenary_talk("alice", True)


def test_mediator_moves_between_rooms(live: LiveSession) -> None:
    room = caucus(live)
    out = live.move("med", "med", PLENARY)
    assert out.audit[0].kind == "room.move" and out.audit[0].details == {
        "from": room,
        "to": PLENARY,
    }
    live.move("med", "med", room)
    assert live.room_of("med") == room


@pytest.mark.parametrize("actor", ["alice", "counsel_a", "obs"])
def test_others_cannot_change_room(live: LiveSession, actor: str) -> None:
    room = live.open_private_meeting("med", {"bob"}).value.room_id
    with pytest.raises(Forbidden):
        live.move(actor, actor, room)
    with pytest.raises(Forbidden):
        live.move(actor, "obs" if actor != "obs" else "alice", room)
    assert live.room_of(actor) == PLENARY


def test_observer_joins_a_caucus_only_when_a_mediator_adds_them(live: LiveSession) -> None:
    room = caucus(live)
    assert "obs" not in live.members(room)
    live.move("med", "obs", room)
    assert "obs" in live.members(room)


def test_move_to_unknown_room(live: LiveSession) -> None:
    with pytest.raises(InvalidPayload):
        live.move("med", "bob", "private-42")


def test_close_returns_members_and_drops_caucus_state(live: LiveSession) -> None:
    room = caucus(live)
    live.wb_submit(
        "alice",
        {"type": "rect", "id": "r", "x": 0, "y": 0, "w": 1, "h": 1, "color": RED, "width": 1},
    )
    out = live.close_private_meeting("med", room)
    assert live.members(PLENARY) == frozenset(CAST)
    assert {a.kind for a in out.audit} == {"room.close", "room.move"}
    assert live.board(PLENARY).objects() == {}
    assert live.chat_history("alice") == []  # the caucus chat stays in the caucus


def test_return_all(live: LiveSession) -> None:
    live.open_private_meeting("med", {"alice"})
    live.open_private_meeting("co", {"bob"})
    out = live.return_all_to_plenary("co")
    assert live.members(PLENARY) == frozenset(CAST)
    assert [a.kind for a in out.audit].count("room.close") == 2
    with pytest.raises(Forbidden):
        live.return_all_to_plenary("alice")


def test_mute_and_stop_camera(live: LiveSession) -> None:
    out = live.mute("med", "bob")
    [note] = out.notifications
    assert (note.event, note.payload, note.recipients) == (
        "media:stop", {"kind": "audio", "by": "med"}, {"bob"},
    )  # fmt: skip
    assert out.audit[0].kind == "media.mute_other"
    out = live.stop_camera("co", "alice")
    assert out.audit[0].kind == "media.stop_camera_other"
    with pytest.raises(Forbidden):
        live.mute("alice", "bob")


def test_screen_sharing_is_the_matrix_rule_everywhere(live: LiveSession) -> None:
    """What the relay forwards, what a negotiation may carry and what a person says they
    send all follow the same rule."""
    assert live.may_share_screen("alice") and "screen" not in live.blocked_tracks("alice")
    live.check_media("alice", ["camera", "screen"])
    live.set_media_state("alice", True, True, True)
    assert not live.may_share_screen("obs") and "screen" in live.blocked_tracks("obs")
    live.check_media("obs", ["camera", "microphone"])  # an observer may still be seen, heard
    with pytest.raises(Forbidden) as info:
        live.check_media("obs", ["camera", "screen"])
    assert info.value.audit is not None and info.value.audit.details["action"] == "share_screen"
    with pytest.raises(Forbidden):
        live.set_media_state("obs", False, True, True)


def test_private_meeting_members_must_be_in_the_session(live: LiveSession) -> None:
    with pytest.raises(NotFound):
        live.open_private_meeting("med", {"ghost"})
    live.leave("bob")
    with pytest.raises(NotJoined):
        live.open_private_meeting("med", {"bob"})
    assert live.rooms.private_meetings() == []


def test_muting_is_enforced_until_the_participant_reopens(live: LiveSession) -> None:
    live.mute("med", "bob")
    assert live.audible_to("bob") == frozenset()
    assert live.audience("bob").video == frozenset(CAST) - {"bob"}
    live.stop_camera("med", "bob")
    assert live.audience("bob").video == frozenset()
    out = live.reopen_media("bob", video=False)
    assert out.value.audio == frozenset(CAST) - {"bob"}
    assert out.value.video == frozenset()
    live.reopen_media("bob")
    assert live.audience("bob").video == frozenset(CAST) - {"bob"}


def test_mute_does_not_outlive_the_participation(live: LiveSession) -> None:
    live.mute("med", "bob")
    live.leave("bob")
    live.knock("bob")
    live.admit("med", "bob")
    assert live.audible_to("bob") == frozenset(CAST) - {"bob"}


def test_entering_a_room_lists_its_documents(live: LiveSession) -> None:
    room = live.open_private_meeting("med", {"alice"}).value.room_id
    live.share_document("alice", "d", "Offre")
    out = live.move("med", "counsel_a", room)
    entered = next(n for n in out.notifications if n.event == "room:entered")
    assert [d["doc_id"] for d in entered.payload["documents"]] == ["d"]
    out = live.move("med", "counsel_a", PLENARY)
    entered = next(n for n in out.notifications if n.event == "room:entered")
    assert entered.payload["documents"] == []


def test_mediators_only_document_in_a_caucus_stays_in_the_caucus(live: LiveSession) -> None:
    room = caucus(live)
    out = live.share_document("alice", "d", "Pour le médiateur", Visibility.MEDIATORS)
    assert out.notifications[0].recipients == {"alice", "med"}
    assert "co" not in out.notifications[0].recipients  # co-mediator stayed in the plenary
    assert live.documents_for("co") == []
    live.close_private_meeting("med", room)
    assert [d.doc_id for d in live.documents_for("med")] == ["d"]
    assert live.documents_for("co") == []


def test_sources_mirror_audiences(live: LiveSession) -> None:
    caucus(live)
    live.mute("co", "bob")
    for pid in CAST:
        sources = live.sources_for(pid)
        for other in CAST:
            assert (other in sources.audio) is (pid in live.audience(other).audio)
            assert (other in sources.video) is (pid in live.audience(other).video)
    assert live.sources_for("obs").audio == {"co"}  # bob is muted
    assert live.sources_for("alice").audio == {"med", "counsel_a"}
