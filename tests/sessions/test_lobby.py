from __future__ import annotations

from datetime import timedelta

import pytest

from errors import ErrorCode
from sessions.errors import (
    PARTICIPANT_DECLINED,
    PARTICIPANT_REMOVED,
    Conflict,
    ConsentRequired,
    Forbidden,
    InvalidPayload,
    InvalidState,
    NotFound,
    NotJoined,
    RoomLocked,
    SessionClosed,
)
from sessions.lobby import (
    KICK_DECLINED,
    KICK_LINK_EXPIRED,
    KICK_LINK_REVOKED,
    KICK_NOT_LET_IN,
    KICK_REMOVED,
    KICK_REPLACED,
    KICK_SESSION_ENDED,
    Lobby,
    State,
)
from sessions.roles import Role
from tests.sessions.conftest import VERSION, FakeClock


@pytest.fixture
def lobby(clock: FakeClock) -> Lobby:
    lobby = Lobby("s1", VERSION, clock=clock)
    lobby.register("med", Role.MEDIATOR)
    lobby.register("co", Role.CO_MEDIATOR)
    lobby.register("alice", Role.PARTY)
    lobby.register("obs", Role.OBSERVER)
    return lobby


def device(pid: str) -> str:
    return f"device-of-{pid}"


def waiting(lobby: Lobby, pid: str = "alice") -> None:
    lobby.attach(pid, f"c-{pid}", device(pid))
    lobby.record_consent(pid, VERSION)
    assert lobby.knock(pid) is State.WAITING


def admitted(lobby: Lobby, pid: str = "alice") -> None:
    waiting(lobby, pid)
    lobby.admit(pid)


def test_initial_state(lobby: Lobby) -> None:
    view = lobby.get("alice")
    assert view.state is State.INVITED
    assert not view.consented and not view.connected
    assert lobby.is_open and not lobby.locked
    assert lobby.consent_version == VERSION


def test_register_twice_and_unknown(lobby: Lobby) -> None:
    with pytest.raises(Conflict):
        lobby.register("alice", Role.PARTY)
    with pytest.raises(NotFound):
        lobby.get("mallory")
    with pytest.raises(NotFound):
        lobby.attach("mallory", "c")


def test_empty_consent_version_refused(clock: FakeClock) -> None:
    with pytest.raises(InvalidPayload):
        Lobby("s", "", clock=clock)


def test_happy_path(lobby: Lobby) -> None:
    lobby.attach("alice", "c1")
    assert lobby.record_consent("alice", VERSION).state is State.CONSENTED
    assert lobby.knock("alice") is State.WAITING
    assert lobby.waiting() == ["alice"]
    assert not lobby.can_publish("alice")
    lobby.admit("alice")
    assert lobby.admitted() == ["alice"]
    assert lobby.can_publish("alice")


def test_knock_requires_connection_and_consent(lobby: Lobby) -> None:
    with pytest.raises(NotJoined):
        lobby.knock("alice")
    lobby.attach("alice", "c1")
    with pytest.raises(ConsentRequired) as info:
        lobby.knock("alice")
    assert info.value.code == ErrorCode.CONSENT_REQUIRED


def test_consent_for_outdated_text_refused(lobby: Lobby) -> None:
    with pytest.raises(Conflict):
        lobby.record_consent("alice", "consent-v0")
    assert lobby.get("alice").state is State.INVITED


def test_new_text_version_closes_the_media_gate(lobby: Lobby) -> None:
    admitted(lobby)
    lobby.set_consent_version("consent-v2")
    assert not lobby.can_publish("alice")
    assert not lobby.get("alice").consented
    lobby.record_consent("alice", "consent-v2")
    assert lobby.can_publish("alice")
    with pytest.raises(InvalidPayload):
        lobby.set_consent_version("")


def test_mediators_enter_directly_but_publish_only_with_consent(lobby: Lobby) -> None:
    lobby.attach("med", "cm")
    assert lobby.knock("med") is State.ADMITTED
    assert not lobby.can_publish("med")
    lobby.record_consent("med", VERSION)
    assert lobby.can_publish("med")


def test_co_mediator_enters_even_when_locked(lobby: Lobby) -> None:
    lobby.lock()
    lobby.attach("co", "cc")
    assert lobby.knock("co") is State.ADMITTED


def test_lock_stops_knocks_but_not_admission_of_waiting(lobby: Lobby) -> None:
    waiting(lobby, "alice")
    lobby.lock()
    lobby.attach("obs", "co")
    lobby.record_consent("obs", VERSION)
    with pytest.raises(RoomLocked) as info:
        lobby.knock("obs")
    assert info.value.code == ErrorCode.ROOM_LOCKED
    lobby.admit("alice")
    lobby.unlock()
    assert lobby.knock("obs") is State.WAITING


def test_knock_twice_is_idempotent(lobby: Lobby) -> None:
    waiting(lobby)
    assert lobby.knock("alice") is State.WAITING
    lobby.admit("alice")
    assert lobby.knock("alice") is State.ADMITTED


def test_admit_only_waiting(lobby: Lobby) -> None:
    with pytest.raises(InvalidState):
        lobby.admit("alice")
    admitted(lobby)
    with pytest.raises(InvalidState):
        lobby.admit("alice")


def test_decline_is_final(lobby: Lobby) -> None:
    waiting(lobby)
    [kick] = lobby.decline("alice")
    assert kick.connection_id == "c-alice" and kick.reason == KICK_DECLINED
    assert lobby.get("alice").state is State.DECLINED
    with pytest.raises(Forbidden) as info:
        lobby.attach("alice", "c2")
    assert info.value.code == PARTICIPANT_DECLINED
    with pytest.raises(Forbidden):
        lobby.knock("alice")
    with pytest.raises(InvalidState):
        lobby.decline("alice")


def test_decline_only_waiting(lobby: Lobby) -> None:
    admitted(lobby)
    with pytest.raises(InvalidState):
        lobby.decline("alice")


@pytest.mark.parametrize("stage", ["invited", "waiting", "admitted"])
def test_remove_from_any_stage(lobby: Lobby, stage: str) -> None:
    if stage == "waiting":
        waiting(lobby)
    elif stage == "admitted":
        admitted(lobby)
    kicks = lobby.remove("alice")
    assert lobby.get("alice").state is State.REMOVED
    assert (not kicks) is (stage == "invited")
    assert all(kick.reason == KICK_REMOVED for kick in kicks)
    with pytest.raises(Forbidden) as info:
        lobby.attach("alice", "again")
    assert info.value.code == PARTICIPANT_REMOVED
    with pytest.raises(Forbidden):
        lobby.record_consent("alice", VERSION)
    with pytest.raises(Forbidden):
        lobby.remove("alice")
    assert not lobby.can_publish("alice")


def test_leave_and_come_back_needs_admission(lobby: Lobby) -> None:
    admitted(lobby)
    lobby.leave("alice")
    assert lobby.get("alice").state is State.LEFT
    assert lobby.knock("alice") is State.WAITING
    with pytest.raises(InvalidState):
        lobby.leave("obs")


def test_withdraw_consent_while_admitted(lobby: Lobby) -> None:
    admitted(lobby)
    assert lobby.withdraw_consent("alice") is State.ADMITTED
    view = lobby.get("alice")
    assert view.state is State.LEFT and not view.consented
    assert not lobby.can_publish("alice")
    with pytest.raises(ConsentRequired):
        lobby.knock("alice")
    lobby.record_consent("alice", VERSION)
    assert lobby.knock("alice") is State.WAITING


def test_withdraw_consent_before_knocking(lobby: Lobby) -> None:
    lobby.record_consent("alice", VERSION)
    assert lobby.withdraw_consent("alice") is State.CONSENTED
    assert lobby.get("alice").state is State.INVITED


def test_reconnect_within_grace_keeps_admission(lobby: Lobby, clock: FakeClock) -> None:
    admitted(lobby)
    assert lobby.detach("alice", "c-alice")
    assert not lobby.get("alice").connected
    clock.advance(9.9)
    assert lobby.sweep() == []
    result = lobby.attach("alice", "c-new", device("alice"))
    assert result.resumed and result.state is State.ADMITTED and result.kicked is None
    assert lobby.connection_of("alice") == "c-new"


def test_grace_boundary_is_inclusive(lobby: Lobby, clock: FakeClock) -> None:
    admitted(lobby)
    lobby.detach("alice", "c-alice")
    clock.advance(10)
    assert lobby.attach("alice", "c2", device("alice")).resumed


def test_reconnect_after_grace_needs_admission(lobby: Lobby, clock: FakeClock) -> None:
    admitted(lobby)
    lobby.detach("alice", "c-alice")
    clock.advance(10.1)
    result = lobby.attach("alice", "c-new", device("alice"))
    assert not result.resumed and result.state is State.LEFT
    assert lobby.knock("alice") is State.WAITING


def test_sweep_expires_dropped_participants(lobby: Lobby, clock: FakeClock) -> None:
    admitted(lobby)
    waiting(lobby, "obs")
    lobby.detach("alice", "c-alice")
    clock.advance(5)
    lobby.detach("obs", "c-obs")
    clock.advance(6)
    assert lobby.sweep() == ["alice"]
    clock.advance(5)
    assert lobby.sweep() == ["obs"]
    assert lobby.get("obs").state is State.LEFT
    assert lobby.sweep() == []


def test_custom_grace(clock: FakeClock) -> None:
    lobby = Lobby("s", VERSION, clock=clock, grace=timedelta(seconds=30))
    lobby.register("alice", Role.PARTY)
    admitted(lobby)
    lobby.detach("alice", "c-alice")
    clock.advance(25)
    assert lobby.attach("alice", "x", device("alice")).resumed


def test_no_resume_after_end(lobby: Lobby) -> None:
    admitted(lobby)
    lobby.detach("alice", "c-alice")
    lobby.end()
    with pytest.raises(SessionClosed):
        lobby.attach("alice", "c2")


def test_second_connection_replaces_first(lobby: Lobby) -> None:
    admitted(lobby)
    result = lobby.attach("alice", "tab-2", device("alice"))
    assert result.kicked is not None
    assert result.kicked.connection_id == "c-alice"
    assert result.kicked.reason == KICK_REPLACED
    assert result.state is State.ADMITTED and not result.resumed
    # The old tab's disconnect does not touch the new one.
    assert not lobby.detach("alice", "c-alice")
    assert lobby.get("alice").connected


def test_same_connection_attaching_twice_is_harmless(lobby: Lobby) -> None:
    lobby.attach("alice", "c1")
    assert lobby.attach("alice", "c1").kicked is None


def test_second_tab_while_waiting(lobby: Lobby) -> None:
    waiting(lobby)
    result = lobby.attach("alice", "tab-2", device("alice"))
    assert result.kicked is not None and result.state is State.WAITING


def test_detach_unknown_is_false(lobby: Lobby) -> None:
    assert not lobby.detach("nobody", "x")
    assert not lobby.detach("alice", "x")


def test_end_of_session(lobby: Lobby) -> None:
    admitted(lobby)
    waiting(lobby, "obs")
    lobby.attach("med", "cm")
    lobby.knock("med")
    kicks = lobby.end()
    assert {k.participant_id for k in kicks} == {"alice", "obs", "med"}
    assert all(k.reason == KICK_SESSION_ENDED for k in kicks)
    assert not lobby.is_open
    assert lobby.get("alice").state is State.LEFT
    assert not lobby.can_publish("alice")
    for call in (
        lambda: lobby.attach("co", "cc"),
        lambda: lobby.knock("co"),
        lambda: lobby.admit("obs"),
        lobby.end,
    ):
        with pytest.raises(SessionClosed) as info:
            call()
        assert info.value.code == ErrorCode.SESSION_CLOSED


def test_participants_listing(lobby: Lobby) -> None:
    waiting(lobby)
    views = {v.participant_id: v for v in lobby.participants()}
    assert set(views) == {"med", "co", "alice", "obs"}
    assert views["alice"].state is State.WAITING and views["alice"].connected
    assert lobby.role_of("obs") is Role.OBSERVER
    assert lobby.has_consent("alice") and not lobby.has_consent("obs")


# -- another device with the same link (a forwarded invitation, a shared mailbox) ----------


@pytest.mark.parametrize("device_id", ["someone-else", None])
def test_another_device_does_not_take_an_admitted_seat(lobby: Lobby, device_id: str | None) -> None:
    admitted(lobby)
    result = lobby.attach("alice", "intruder", device_id)
    assert result.contending and result.state is State.WAITING and result.kicked is None
    assert lobby.connection_of("alice") == "c-alice"  # the seat stays where it was
    assert lobby.contender_of("alice") == "intruder"
    assert lobby.get("alice").contending
    # the contender closing changes nothing for the seat
    assert not lobby.detach("alice", "intruder")
    assert lobby.contender_of("alice") is None and lobby.connection_of("alice") == "c-alice"


def test_another_device_waits_even_while_the_seat_is_reconnecting(
    lobby: Lobby, clock: FakeClock
) -> None:
    admitted(lobby)
    lobby.detach("alice", "c-alice")
    clock.advance(2)
    assert lobby.attach("alice", "intruder", "someone-else").contending
    assert lobby.connection_of("alice") is None
    # the real device comes back within the grace period: its seat, untouched
    result = lobby.attach("alice", "c-back", device("alice"))
    assert result.resumed and not result.contending


def test_a_mediator_gives_the_seat_to_the_other_device(lobby: Lobby) -> None:
    admitted(lobby)
    lobby.attach("alice", "laptop", "new-laptop")
    kick = lobby.admit("alice")
    assert kick is not None and kick.connection_id == "c-alice" and kick.reason == KICK_REPLACED
    assert lobby.connection_of("alice") == "laptop" and lobby.contender_of("alice") is None
    # now bound to the new device: the old one would have to ask in turn
    assert lobby.attach("alice", "old", device("alice")).contending
    assert not lobby.attach("alice", "laptop-2", "new-laptop").contending


def test_declining_the_other_device_keeps_the_seat(lobby: Lobby) -> None:
    admitted(lobby)
    lobby.attach("alice", "intruder", "someone-else")
    [kick] = lobby.decline("alice")
    assert kick.connection_id == "intruder" and kick.reason == KICK_NOT_LET_IN
    view = lobby.get("alice")
    assert view.state is State.ADMITTED and view.connected and not view.contending


def test_a_second_contender_replaces_the_first(lobby: Lobby) -> None:
    admitted(lobby)
    lobby.attach("alice", "one", "device-one")
    result = lobby.attach("alice", "two", "device-two")
    assert result.contending and result.kicked is not None
    assert result.kicked.connection_id == "one"


def test_mediators_are_not_bound_to_a_device(lobby: Lobby) -> None:
    lobby.attach("med", "cm", None)
    assert lobby.knock("med") is State.ADMITTED
    result = lobby.attach("med", "cm-2", None)
    assert not result.contending and result.kicked is not None


def test_before_admission_the_newest_connection_takes_over(lobby: Lobby) -> None:
    waiting(lobby)
    result = lobby.attach("alice", "other", "another-device")
    assert not result.contending and result.kicked is not None
    assert lobby.get("alice").state is State.WAITING  # still needs a mediator to let in


@pytest.mark.parametrize("reason", [KICK_LINK_REVOKED, KICK_LINK_EXPIRED])
def test_a_link_that_ends_closes_every_connection(lobby: Lobby, reason: str) -> None:
    admitted(lobby)
    lobby.attach("alice", "intruder", "someone-else")
    kicks = lobby.link_ended("alice", reason)
    assert sorted(k.connection_id for k in kicks) == ["c-alice", "intruder"]
    assert all(k.reason == reason for k in kicks)
    view = lobby.get("alice")
    assert view.state is State.LEFT and not view.connected and not view.contending
    # with a new link they come back through the lobby, from any device
    assert not lobby.attach("alice", "c-new", "another").contending
    assert lobby.knock("alice") is State.WAITING
