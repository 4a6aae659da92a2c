"""LiveSession: joining, admission, reconnection, end of session."""

from __future__ import annotations

import pytest

from errors import ErrorCode
from sessions.errors import ConsentRequired, Forbidden, NotJoined, RoomLocked, SessionClosed
from sessions.lobby import KICK_REPLACED, KICK_SESSION_ENDED, State
from sessions.rooms import PLENARY
from sessions.service import LiveSession
from tests.sessions.conftest import CAST, VERSION, FakeClock, device, enter


def test_mediator_enters_directly(bare: LiveSession) -> None:
    bare.connect("med", "cm")
    out = bare.knock("med")
    assert out.value is State.ADMITTED
    assert bare.room_of("med") == PLENARY
    assert [a.kind for a in out.audit] == ["lobby.enter", "room.move"]
    assert out.room_changes[0].to_room == PLENARY
    assert "room:entered" in out.events_for("med")


def test_party_waits_and_mediator_is_told(bare: LiveSession) -> None:
    enter(bare, "med")
    bare.connect("alice", "ca")
    bare.record_consent("alice", VERSION)
    out = bare.knock("alice")
    assert out.value is State.WAITING
    assert bare.room_of("alice") is None
    lobby_note = [n for n in out.notifications if n.event == "lobby:waiting"]
    assert lobby_note and lobby_note[0].recipients == {"med"}
    assert lobby_note[0].payload["waiting"] == [
        {"participant_id": "alice", "role": "party", "again": False}
    ]
    assert [a.kind for a in out.audit] == ["lobby.knock"]
    assert not bare.may_publish("alice")
    assert bare.audience("alice").audio == frozenset()


def test_arriving_early_still_needs_admission(bare: LiveSession) -> None:
    bare.connect("alice", "ca")
    bare.record_consent("alice", VERSION)
    assert bare.knock("alice").value is State.WAITING
    enter(bare, "med")  # the mediator opens up later
    assert bare.participant("alice").state is State.WAITING
    admitted = bare.admit("med", "alice")
    assert bare.room_of("alice") == PLENARY
    assert "lobby:state" in admitted.events_for("alice")
    assert {"lobby.admit", "room.move"} <= {a.kind for a in admitted.audit}


def test_the_waiting_know_whether_a_mediator_is_there_to_let_them_in(
    bare: LiveSession,
) -> None:
    def told(outcome: object, pid: str) -> list[object]:
        return [
            n.payload.get("mediator_present")
            for n in outcome.for_participant(pid)  # type: ignore[attr-defined]
            if n.event == "lobby:state" and n.payload["state"] == "waiting"
        ]

    bare.connect("alice", "ca")
    bare.record_consent("alice", VERSION)
    assert told(bare.knock("alice"), "alice") == [False]  # the session has not started
    bare.connect("med", "cm", device("med"))
    bare.record_consent("med", VERSION)
    assert told(bare.knock("med"), "alice") == [True]  # the mediator arrives
    assert told(bare.leave("med"), "alice") == [False]  # and steps out again
    enter(bare, "med")
    admitted = bare.admit("med", "alice")
    assert told(admitted, "alice") == []  # let in: no longer waiting


def test_an_observer_is_admitted_only_with_every_partys_agreement(bare: LiveSession) -> None:
    enter(bare, "med")
    bare.connect("obs", "co")
    bare.record_consent("obs", VERSION)
    bare.knock("obs")
    with pytest.raises(Forbidden) as info:
        bare.admit("med", "obs")  # the rule's default: no agreement known, no observer
    assert info.value.audit is not None
    assert info.value.audit.details == {"action": "admit", "reason": "observers_not_agreed"}
    assert bare.participant("obs").state is State.WAITING
    bare.admit("med", "obs", observers_agreed=True)
    assert bare.room_of("obs") == PLENARY


def test_a_party_needs_no_agreement_to_observers(bare: LiveSession) -> None:
    enter(bare, "med")
    bare.connect("alice", "ca")
    bare.record_consent("alice", VERSION)
    bare.knock("alice")
    bare.admit("med", "alice")
    assert bare.room_of("alice") == PLENARY


def test_declining_consent_is_told_to_the_admitted_mediators_and_audited(
    live: LiveSession,
) -> None:
    out = live.decline_consent("bob")
    assert [(a.kind, a.actor, a.subject) for a in out.audit] == [("consent.declined", "bob", "bob")]
    [note] = out.notifications
    assert (note.event, note.payload) == ("lobby:consent_declined", {"participant_id": "bob"})
    assert note.recipients == {"med", "co"}


def test_knock_without_consent(bare: LiveSession) -> None:
    bare.connect("alice", "ca")
    with pytest.raises(ConsentRequired):
        bare.knock("alice")


def test_admission_by_a_party_is_refused_and_audited(bare: LiveSession) -> None:
    enter(bare, "med")
    enter(bare, "alice")
    bare.connect("bob", "cb")
    bare.record_consent("bob", VERSION)
    bare.knock("bob")
    with pytest.raises(Forbidden) as info:
        bare.admit("alice", "bob")
    assert info.value.code == ErrorCode.FORBIDDEN
    audit = info.value.audit
    assert audit is not None and audit.actor == "alice" and audit.subject == "bob"
    assert audit.details["action"] == "admit"
    assert bare.participant("bob").state is State.WAITING


def test_actor_must_have_joined(bare: LiveSession) -> None:
    bare.connect("alice", "ca")
    bare.record_consent("alice", VERSION)
    bare.knock("alice")
    bare.connect("med", "cm")  # connected but not entered
    with pytest.raises(NotJoined):
        bare.admit("med", "alice")


def test_decline(bare: LiveSession) -> None:
    enter(bare, "med")
    bare.connect("bob", "cb")
    bare.record_consent("bob", VERSION)
    bare.knock("bob")
    out = bare.decline("med", "bob")
    assert [k.connection_id for k in out.kicks] == ["cb"]
    assert out.for_participant("bob")[0].payload == {"state": "declined"}
    assert bare.participant("bob").state is State.DECLINED


def test_remove(live: LiveSession) -> None:
    out = live.remove("med", "bob")
    assert [k.connection_id for k in out.kicks] == ["conn-bob"]
    assert live.room_of("bob") is None
    assert "bob" not in live.audible_to("alice") and "bob" not in live.members(PLENARY)
    assert {"lobby.remove", "room.move"} <= {a.kind for a in out.audit}
    with pytest.raises(Forbidden):
        live.connect("bob", "again")


def test_co_mediator_cannot_remove_the_mediator(live: LiveSession) -> None:
    with pytest.raises(Forbidden):
        live.remove("co", "med")
    with pytest.raises(Forbidden):
        live.mute("co", "med")
    live.mute("med", "co")


def test_lock(live: LiveSession) -> None:
    live.leave("obs")
    out = live.set_locked("med", True)
    assert out.audit[0].kind == "session.lock"
    [note] = out.notifications  # every mediator's panel shows it, nobody else is told
    assert (note.event, note.payload["locked"], note.recipients) == (
        "room:overview", True, {"med", "co"},
    )  # fmt: skip
    again = live.connect("med", "conn-med-2", device("med"))  # the page loaded again
    assert [n.payload["locked"] for n in again.notifications if n.event == "room:overview"] == [
        True
    ]
    with pytest.raises(RoomLocked):
        live.knock("obs")
    with pytest.raises(Forbidden):
        live.set_locked("alice", False)
    live.set_locked("co", False)
    assert live.knock("obs").value is State.WAITING


def test_leave_and_rejoin_needs_admission(live: LiveSession) -> None:
    out = live.leave("alice")
    assert live.room_of("alice") is None
    assert out.audit[0].kind == "lobby.left"
    assert live.knock("alice").value is State.WAITING
    assert live.room_of("alice") is None


def test_withdraw_consent(live: LiveSession) -> None:
    out = live.withdraw_consent("alice")
    assert live.room_of("alice") is None
    assert not live.may_publish("alice")
    told = [n for n in out.notifications if n.event == "lobby:consent_withdrawn"]
    assert told and told[0].recipients == {"med", "co"}
    assert told[0].payload == {"participant_id": "alice", "previous_state": "admitted"}
    assert "alice" not in live.audible_to("bob")


def test_media_gate(live: LiveSession) -> None:
    live.check_media("alice", ["camera", "microphone"])
    assert live.may_publish("alice") and live.blocked_tracks("alice") == frozenset()
    live.lobby.set_consent_version("consent-v2")  # a new text: consent again
    assert not live.may_publish("alice")
    assert live.audience("alice").video == frozenset()
    assert live.blocked_tracks("alice") == {"audio", "video", "screen"}
    with pytest.raises(ConsentRequired):
        live.check_media("alice")
    live.record_consent("alice", "consent-v2")
    assert live.may_publish("alice")


class TestReconnection:
    def test_back_within_grace_in_the_same_room(self, live: LiveSession, clock: FakeClock) -> None:
        room = live.open_private_meeting("med", {"alice", "counsel_a"}).value.room_id
        assert live.disconnect("alice", "conn-alice").value
        clock.advance(9)
        assert live.tick().value == []
        out = live.connect("alice", "conn-alice-2", device("alice"))
        assert out.value.resumed and out.value.state is State.ADMITTED
        assert live.room_of("alice") == room
        assert out.for_participant("alice")[0].payload["room_id"] == room

    def test_after_grace_must_knock_again(self, live: LiveSession, clock: FakeClock) -> None:
        live.disconnect("alice", "conn-alice")
        clock.advance(11)
        out = live.tick()
        assert out.value == ["alice"]
        assert live.room_of("alice") is None
        assert out.audit[0].details == {"reason": "connection_lost"}
        again = live.connect("alice", "c2")
        assert not again.value.resumed and again.value.state is State.LEFT
        assert live.knock("alice").value is State.WAITING

    def test_expiry_noticed_on_connect_without_tick(
        self, live: LiveSession, clock: FakeClock
    ) -> None:
        live.disconnect("alice", "conn-alice")
        clock.advance(30)
        out = live.connect("alice", "c2")
        assert out.value.state is State.LEFT
        assert live.room_of("alice") is None
        assert any(c.participant_id == "alice" and c.to_room is None for c in out.room_changes)

    def test_mediator_reconnects_with_role_intact(
        self, live: LiveSession, clock: FakeClock
    ) -> None:
        live.disconnect("med", "conn-med")
        clock.advance(5)
        live.connect("med", "conn-med-2")
        assert live.role_of("med").value == "mediator"
        live.end("med")

    def test_no_rejoin_after_end(self, live: LiveSession) -> None:
        live.disconnect("alice", "conn-alice")
        live.end("med")
        with pytest.raises(SessionClosed):
            live.connect("alice", "c2")


def test_second_tab_replaces_first(live: LiveSession) -> None:
    out = live.connect("alice", "tab-2", device("alice"))
    assert [(k.connection_id, k.reason) for k in out.kicks] == [("conn-alice", KICK_REPLACED)]
    assert out.audit[0].kind == "connection.replaced"
    assert live.room_of("alice") == PLENARY
    # The first tab's disconnect arrives afterwards and changes nothing.
    assert not live.disconnect("alice", "conn-alice").value
    assert live.participant("alice").connected


def test_end_of_session(live: LiveSession) -> None:
    live.open_private_meeting("med", {"bob"})
    with pytest.raises(Forbidden):
        live.end("co")
    out = live.end("med")
    ended = [n for n in out.notifications if n.event == "session:ended"]
    assert ended and ended[0].recipients == set(CAST)
    assert {k.reason for k in out.kicks} == {KICK_SESSION_ENDED}
    assert {k.participant_id for k in out.kicks} == set(CAST)
    assert out.value.took_part == set(CAST)
    assert out.value.retained_chat == ()
    assert all(live.room_of(p) is None for p in CAST)
    assert live.rooms.private_meetings() == []
    for call in (
        lambda: live.connect("alice", "x"),
        lambda: live.knock("alice"),
        lambda: live.chat_send("med", "hello?"),
        lambda: live.end("med"),
    ):
        with pytest.raises(SessionClosed):
            call()


def test_lobby_list_for_mediators_only(live: LiveSession) -> None:
    assert {v.participant_id for v in live.lobby_list("co")} == set(CAST)
    with pytest.raises(Forbidden):
        live.lobby_list("alice")


def test_another_device_knocks_again_and_the_mediator_decides(live: LiveSession) -> None:
    room = live.open_private_meeting("med", {"alice"}).value.room_id
    out = live.connect("alice", "forwarded-link", "someone-elses-browser")
    assert out.value.contending and not out.kicks
    assert live.room_of("alice") == room  # the seat is untouched
    assert live.lobby.connection_of("alice") == "conn-alice"
    [note] = [n for n in out.notifications if n.event == "lobby:waiting"]
    assert note.recipients == {"med", "co"}
    assert {"participant_id": "alice", "role": "party", "again": True} in note.payload["waiting"]
    assert [a.kind for a in out.audit] == ["lobby.knock_again"]
    # the mediator lets the new device in: the old connection is closed, the room kept
    admitted = live.admit("med", "alice")
    assert [(k.connection_id, k.reason) for k in admitted.kicks] == [("conn-alice", KICK_REPLACED)]
    assert live.lobby.connection_of("alice") == "forwarded-link"
    assert live.room_of("alice") == room


def test_declining_another_device_keeps_the_seat_and_the_link(live: LiveSession) -> None:
    live.connect("alice", "forwarded-link", "someone-elses-browser")
    out = live.decline("med", "alice")
    assert [k.connection_id for k in out.kicks] == ["forwarded-link"]
    assert out.revocations == ()
    assert live.participant("alice").state is State.ADMITTED


def test_removal_revokes_the_link_even_while_reconnecting(live: LiveSession) -> None:
    live.disconnect("alice", "conn-alice")  # in her reconnection grace
    out = live.remove("med", "alice")
    assert out.revocations == ("alice",) and not out.kicks
    assert live.room_of("alice") is None


def test_declining_revokes_the_link(bare: LiveSession) -> None:
    enter(bare, "med")
    bare.connect("alice", "ca", device("alice"))
    bare.record_consent("alice", VERSION)
    bare.knock("alice")
    out = bare.decline("med", "alice")
    assert out.revocations == ("alice",)


def test_a_revoked_link_takes_its_holder_out_at_once(live: LiveSession) -> None:
    room = live.open_private_meeting("med", {"alice"}).value.room_id
    out = live.link_ended("alice", "link_revoked")
    assert [(k.connection_id, k.reason) for k in out.kicks] == [("conn-alice", "link_revoked")]
    assert live.room_of("alice") is None and "alice" not in live.members(room)
    assert live.participant("alice").state is State.LEFT


@pytest.mark.parametrize("caller", ["alice", "counsel_a", "obs"])
def test_calling_the_mediator_tells_only_the_mediators_and_is_audited(
    live: LiveSession, caller: str
) -> None:
    out = live.call_mediator(caller)
    [note] = out.notifications
    assert note.event == "lobby:called"
    assert note.recipients == {"med", "co"}
    assert note.payload == {"participant_id": caller, "on_hold": False}
    [entry] = out.audit
    assert (entry.kind, entry.actor, entry.subject) == ("lobby.call", caller, caller)


def test_a_party_on_hold_during_a_private_meeting_can_call_the_mediators(
    live: LiveSession,
) -> None:
    room = live.open_private_meeting("med", {"alice"}, "Alice").value.room_id
    live.move("co", "co", room)
    out = live.call_mediator("bob")  # alone in the plenary: nobody hears them there
    [note] = out.notifications
    assert note.recipients == {"med", "co"}
    assert note.payload["on_hold"] is True


def test_mediators_do_not_call_themselves_and_absent_people_cannot_call(
    live: LiveSession,
) -> None:
    for mediator in ("med", "co"):
        with pytest.raises(Forbidden) as info:
            live.call_mediator(mediator)
        assert info.value.audit is not None
    live.leave("bob")
    with pytest.raises(NotJoined):
        live.call_mediator("bob")
